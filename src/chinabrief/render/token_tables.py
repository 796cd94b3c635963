"""The token briefs' tables (pandas Stylers), from a :class:`~chinabrief.analysis.token_reactions.TokenReactions`
or an :class:`~chinabrief.analysis.event_reaction.EventReaction`."""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from ..analysis import token_event_study
from ..analysis.token_reactions import MODEL_NAMES, TEST_NAMES, TokenReactions, highlight_caption
from ..text import fmt_number, fmt_p, signed_int, stars, window_label
from .tables import table


def event_car_frame(result, event_id: str, model: str = token_event_study.HEADLINE_MODEL) -> pd.DataFrame:
    """One event's CARs: token rows × window columns, "CAR% stars" cells (stars from the BH q-value of the
    token's t-test, over every token-event of the model and window)."""
    car = result.car
    sel = car[car["event_id"].eq(token_event_study.observation_id(result, event_id)) & car["model"].eq(model)].copy()
    sel["window"] = [window_label(a, b, "CAR") for a, b in zip(sel["window_start"], sel["window_end"])]
    sel["cell"] = [f"{fmt_number(c * 100, '{:+.2f}')}{stars(q)}" for c, q in zip(sel["car"], sel["q"])]
    wide = sel.pivot(index="token", columns="window", values="cell")
    order = list(dict.fromkeys(sel["window"]))
    wide = wide[order].reindex(list(dict.fromkeys(sel["token"])))
    n_est = sel.groupby("token")["n_est"].first()
    return wide.assign(**{"estimation days": n_est}).reset_index()


def event_cars(result, event_id: str, caption: str, name: str) -> Styler:
    """One event's CAR table (token × window)."""
    frame = event_car_frame(result, event_id)
    return table(
        frame,
        name=name,
        caption=caption,
        formats={"estimation days": "{:d}"},
        align_right=tuple(c for c in frame.columns if c.startswith("CAR")),
    )


def categories(r: TokenReactions) -> Styler:
    """CAAR[−1,+1] by category with every test's p-value."""
    shown = r.categories[["scope", "n_events", "n_tokens", "caar", "ci_low", "ci_high", *TEST_NAMES]].rename(
        columns={
            "n_events": "events",
            "n_tokens": "N",
            "caar": "CAAR %",
            "ci_low": "CI low",
            "ci_high": "CI high",
            **{k: f"p {v}" for k, v in TEST_NAMES.items()},
        }
    )
    return table(
        shown,
        name="categories",
        caption=f"CAAR[−1,+1] by category ({MODEL_NAMES[token_event_study.HEADLINE_MODEL]}, vs {r.benchmark})",
        formats={
            "CAAR %": "{:+.2f}",
            "CI low": "{:+.2f}",
            "CI high": "{:+.2f}",
            **{f"p {v}": fmt_p for v in TEST_NAMES.values()},
        },
    )


def strongest(r: TokenReactions) -> Styler:
    """The token-events with the largest |t|, with the BH q-value and its stars."""
    top = r.strongest.assign(sig=[stars(q) for q in r.strongest["q"]]).rename(
        columns={"day0": "day 0", "label": "event", "car": "CAR %", "se": "SE %", "sig": "q stars"}
    )
    return table(
        top,
        name="strongest",
        caption=f"The {len(top)} token-events with the largest |t| "
        "(CAR[−1,+1], market model; stars from the BH q-value)",
        formats={"CAR %": "{:+.2f}", "SE %": "{:.2f}", "t": "{:+.2f}", "p": fmt_p, "q": fmt_p},
    )


def highlights(r: TokenReactions) -> Styler:
    """The highlighted events' CAR tables as one table grouped by event (named on its first row)."""
    parts = []
    for event_id in r.highlights:
        frame = event_car_frame(r.result, event_id)
        frame.insert(0, "event", [highlight_caption(r, event_id)] + [""] * (len(frame) - 1))
        parts.append(frame)
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["event", "token"])
    return table(
        frame,
        name="highlights",
        caption="CAR % by window, market model (BH q-values: *** q<0.01, ** q<0.05, * q<0.10)",
        formats={"estimation days": "{:d}"},
        align_right=tuple(c for c in frame.columns if c.startswith("CAR")),
    )


def intraday(r: TokenReactions) -> Styler:
    """Hourly abnormal returns after each focus event with a known time, grouped by event."""
    rows = []
    for (_event_id, label, when), part in r.intraday.groupby(["event_id", "label", "announced"], sort=False):
        wide = part.pivot(index="token", columns="horizon_h", values="ar") * 100
        wide.columns = [f"AR +{h}h %" for h in wide.columns]
        wide = wide.reindex([t for t in r.tokens if t in wide.index]).reset_index()
        # the event is named once, on its first token's row (a grouped table)
        wide.insert(0, "event", [f"{label} ({when:%Y-%m-%d %H:%M} UTC)"] + [""] * (len(wide) - 1))
        rows.append(wide)
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["event", "token"])
    return table(
        frame,
        name="intraday",
        formats={c: "{:+.2f}" for c in frame.columns if c.startswith("AR +")},
        caption=f"Hourly abnormal return versus {r.benchmark}, cumulated from the last close before the "
        "announcement hour",
    )


def claims(r: TokenReactions) -> Styler:
    """The article's 24h claims, token by token, with the data's change and the verdict."""
    c = r.claims
    claimed = [
        fmt_number(lo, "{:+.2f}") + ("" if lo == hi else f" to {fmt_number(hi, '{:+.2f}')}")
        for lo, hi in zip(c["claimed_low"], c["claimed_high"])
    ]
    first = ~c["claim"].duplicated()  # a grouped table: each claim named on its first row only
    frame = pd.DataFrame(
        {
            "claim": c["claim"].where(first, ""),
            "token": c["token"],
            "claimed %": claimed,
            "data %": c["data_pct"],
            "measured as": c["measure"],
            "fits at": c["fits"],
            "source": c["source"],
            "verdict": c["verdict"],
        }
    )
    day = f" on {r.claim_day:%Y-%m-%d}" if r.claim_day is not None else ""
    return table(
        frame,
        name="claims",
        caption=f"The article's price claims against the data{day}",
        formats={"data %": "{:+.3f}"},
        verdicts="verdict",
        align_right=("claimed %",),
    )


def claim_day_measures(r: TokenReactions) -> Styler:
    """The claim day measured several ways: close to close, and 24h to several hours."""
    wide = r.changes.pivot_table(index="token", columns="measure", values="pct_change", aggfunc="first")
    return table(
        wide.reset_index(),
        name="measures",
        caption="The same day measured several ways (%)",
        formats={c: "{:+.2f}" for c in wide.columns},
    )


def exclusions(result, catalogue: pd.DataFrame, name: str = "exclusions", event_id: str | None = None) -> Styler:
    """Token-events left out of a model or window, with the reason."""
    excl = result.exclusions
    if event_id is not None:
        excl = excl[excl["event_id"].eq(token_event_study.observation_id(result, event_id))]
    excl = excl.join(catalogue.set_index("event_id")[["day0"]], on="event_id")
    excl["label"] = excl["event_id"].map(token_event_study.observation_labels(result, catalogue))
    excl = excl.sort_values(["day0", "token"]).drop_duplicates(["event_id", "token", "reason"])
    excl["reason"] = excl["reason"].str.replace(r"\((-?\d+), (-?\d+)\)", r"[\1,+\2]", regex=True)
    frame = excl[["day0", "label", "token", "model", "reason"]].rename(columns={"day0": "day 0", "label": "event"})
    return table(frame, name=name, caption="Exclusions and their reasons (a token-event left out of a model or window)")


def daily_abnormal(result, event_id: str, tokens: list[str]) -> Styler:
    """One event's daily abnormal returns (%), by day relative to day 0."""
    ar = result.abnormal_returns
    ar = ar[
        ar["event_id"].eq(token_event_study.observation_id(result, event_id))
        & ar["model"].eq(token_event_study.HEADLINE_MODEL)
    ]
    wide = ar.pivot(index="rel_day", columns="token", values="ar") * 100
    wide = wide[[t for t in tokens if t in wide.columns]]
    wide.index = wide.index.astype(int)
    wide.index.name = "day"
    return table(
        wide.reset_index(),
        name="daily-ar",
        caption="Daily abnormal returns (%) by day relative to day 0",
        formats={c: "{:+.2f}" for c in wide.columns} | {"day": signed_int},
    )


def event_intraday(r) -> Styler:
    """Hourly abnormal returns after one event's announcement (an :class:`EventReaction`), token × horizon."""
    if r.intraday.empty:
        frame = pd.DataFrame(columns=["token"])
    else:
        wide = r.intraday.pivot(index="token", columns="horizon_h", values="ar") * 100
        wide.columns = [f"AR +{h}h %" for h in wide.columns]
        frame = wide.reindex([t for t in r.tokens if t in wide.index]).reset_index()
    when = f" after {r.announced:%Y-%m-%d %H:%M} UTC (approx.)" if r.announced is not None else ""
    return table(
        frame,
        name="event-intraday",
        formats={c: "{:+.2f}" for c in frame.columns if c != "token"},
        caption=f"Hourly abnormal return versus {r.benchmark}{when}",
    )


def beside_control(r) -> Styler:
    """One event's token CARs[−1,+1] beside the control group's average (an :class:`EventReaction`)."""
    from ..analysis.event_reaction import beside_control as frame_of
    from ..text import Markdown

    if r.control is None:
        return Markdown.paragraph(
            "No control group in the data (data/processed/universe_groups.csv is missing), "
            "so no comparison with tokens without China ties."
        )
    f = frame_of(r)
    n = int(f["control_n"].iloc[0]) if len(f) else 0
    frame = pd.DataFrame(
        {
            "token": f["token"],
            "CAR[−1,+1] %": f["car"] * 100,
            "control average %": f["control_mean"] * 100,
            "token − control pp": f["difference"] * 100,
        }
    )
    return table(
        frame,
        name="beside-control",
        caption=f"Each token's CAR[−1,+1] beside the average of {n} control tokens without China ties "
        f"(market model, vs {r.benchmark})",
        formats={c: "{:+.2f}" for c in frame.columns if c != "token"},
    )
