"""The tables of 'China, or just crypto?' (pandas Stylers), from a :class:`~chinabrief.china_premium.ChinaPremium`."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from ..analysis import china_premium
from ..text import Markdown, fmt_number, fmt_p, window_label
from .tables import table


def _pp(value: float) -> str:
    return fmt_number(value * 100, "{:+.2f}")


def by_category(r, window=china_premium.BASE_WINDOW) -> Styler | Markdown:
    """The premium by category: estimate, CI, clustered p, block and random-date placebo p."""
    if r.premium is None:
        return missing(r)
    p = r.premium
    rows = [china_premium.headline_row(p, s, window=window) for s in china_premium.SCOPES]
    frame = pd.DataFrame(
        {
            "category": china_premium.SCOPES,
            "event days": [int(r["n_events"]) for r in rows],
            "clusters": [int(r["n_clusters"]) for r in rows],
            "token-events": [int(r["n_obs"]) for r in rows],
            "premium pp": [r["estimate"] * 100 for r in rows],
            "CI low": [r["ci_low"] * 100 for r in rows],
            "CI high": [r["ci_high"] * 100 for r in rows],
            "p clustered": [r["p"] for r in rows],
            "difference portfolio pp": [r["diff_car"] * 100 for r in rows],
            "p block placebo": [r["block_p"] for r in rows],
            "p random dates": [r["placebo_p"] for r in rows],
        }
    )
    return table(
        frame,
        name="premium",
        caption=f"China premium, {window_label(window[0], window[1], 'CAR')}: China-linked minus "
        f"control (market model, vs {p.benchmark}; percentage points)",
        formats={
            "premium pp": "{:+.2f}",
            "CI low": "{:+.2f}",
            "CI high": "{:+.2f}",
            "difference portfolio pp": "{:+.2f}",
            "p clustered": fmt_p,
            "p block placebo": fmt_p,
            "p random dates": fmt_p,
        },
    )


def robustness(r) -> Styler | Markdown:
    """The premium for escalations and de-escalations under one changed setting at a time."""
    if r.premium is None:
        return missing(r)
    p = r.premium
    rob = p.robustness
    wide = rob.pivot_table(
        index=["dimension", "setting"],
        columns="scope",
        values=["estimate", "p", "n_events"],
        aggfunc="first",
        sort=False,
        dropna=False,
    )
    order = list(dict.fromkeys(zip(rob["dimension"], rob["setting"])))
    wide = wide.reindex(order)
    frame = pd.DataFrame({"changed": [d for d, _ in order], "setting": [s for _, s in order]})
    formats: dict = {}

    def column(name: str, scope: str) -> np.ndarray:
        return (
            wide[(name, scope)].to_numpy(dtype=float) if (name, scope) in wide.columns else np.full(len(wide), np.nan)
        )

    for scope in china_premium.ROBUSTNESS_SCOPES:
        frame[f"{scope} pp"] = column("estimate", scope) * 100
        frame[f"{scope} p"] = column("p", scope)
        frame[f"{scope} days"] = np.nan_to_num(column("n_events", scope)).astype(int)
        formats |= {f"{scope} pp": "{:+.2f}", f"{scope} p": fmt_p}
    frame["changed"] = frame["changed"].where(~frame["changed"].duplicated(), "")
    return table(
        frame,
        name="robustness",
        formats=formats,
        caption="China premium CAR (pp) and clustered p, one setting changed at a time from the baseline",
    )


def control_list(r) -> Styler | Markdown:
    """The control group (and the China-linked tokens) with what stage 02 recorded about them."""
    if r.premium is None:
        return missing(r)
    p = r.premium
    extra = [c for c in p.groups.columns if c not in ("token", "group")]
    frame = p.groups.copy()
    frame["group"] = frame["group"].str.replace("_", "-")
    return table(
        frame[["group", "token", *extra]],
        name="premium-groups",
        caption=f"The {len(p.china)} China-linked and {len(p.control)} control tokens compared",
    )


def merged_events(frame: pd.DataFrame) -> Styler:
    """The days on which several events are one observation (``token_event_study.merged_table``)."""
    shown = frame.rename(columns={"day0": "day 0", "n_merged": "events merged"})
    return table(shown, name="merged-events", caption="Events that share a day 0 count once (one observation)")


def missing(r) -> Markdown:
    """What shows instead when the data hold no control group."""
    return Markdown.paragraph(f"Not measured: {r.premium_missing}")
