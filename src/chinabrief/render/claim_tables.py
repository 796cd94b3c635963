"""The article briefs' tables, from an :class:`~chinabrief.analysis.article_check.ArticleBrief` (and the
claims sections of the token and mining briefs, from a :class:`~chinabrief.analysis.claim_checks.ArticleCheck`)."""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from ..text import fmt_number
from .tables import table


def verdicts(r) -> Styler:
    """Each claim: the article's words, the claimed figure, what the data says, the verdict."""
    v = r.check.verdicts
    frame = pd.DataFrame(
        {
            "Claim": v["claim_id"],
            "The article says": v["claim"],
            "Claimed": v["claimed"],
            "What the data says": v["data_says"],
            "Verdict": v["verdict"],
        }
    )
    return table(frame, name="claims", caption="The article's claims against the data", verdicts="Verdict")


def token_rows(r) -> Styler:
    """Each token of each price claim: the change shown, where it fits, its source and verdict."""
    t = r.check.tokens
    claimed = [
        fmt_number(lo, "{:+.2f}") + ("" if lo == hi else f" to {fmt_number(hi, '{:+.2f}')}")
        for lo, hi in zip(t["claimed_low"], t["claimed_high"])
    ]
    frame = pd.DataFrame(
        {
            "claim": t["claim_id"].where(~t["claim_id"].duplicated(), ""),
            "token": t["token"],
            "claimed %": claimed,
            "data %": t["data_pct"],
            "measured as": t["measure"],
            "fits at": t["fits"],
            "source": t["source"],
            "verdict": t["verdict"],
        }
    )
    return table(
        frame,
        name="claim-tokens",
        caption="Price claims token by token (the change closest to the claim, or the last that fits)",
        formats={"data %": "{:+.2f}"},
        verdicts="verdict",
        align_right=("claimed %",),
    )


def measures(r) -> Styler:
    """Every change measured for the price claims."""
    m = r.check.measures
    frame = pd.DataFrame(
        {
            "claim": m["claim_id"],
            "token": m["token"],
            "measure": m["measure"],
            "change %": m["pct"].astype(float),
            "tolerance pp": m["tolerance_pp"].astype(float),
            "fits": m["fits"].map(lambda f: "yes" if f is True else "no"),
            "source": m["source"],
        }
    )
    return table(
        frame,
        name="claim-measures",
        caption="Every change measured",
        formats={"change %": "{:+.2f}", "tolerance pp": "{:.2f}"},
    )


def rules(r) -> Styler:
    """The rule each verdict used."""
    v = r.check.verdicts
    return table(
        pd.DataFrame({"claim": v["claim_id"], "kind": v["kind"], "rule": v["rule"]}),
        name="claim-rules",
        caption="How each claim was judged",
    )
