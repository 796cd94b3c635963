"""The token briefs' charts, from a :class:`~chinabrief.analysis.token_reactions.TokenReactions`
(drawn by :mod:`chinabrief.render.charts`); each returns a Figure with its alt text attached."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..analysis import token_event_study
from ..analysis.token_reactions import TokenReactions
from ..text import stars
from . import charts
from .figures import set_alt

LABEL_WIDTH = 58


def _short(label: str) -> str:
    return label if len(label) <= LABEL_WIDTH else label[: LABEL_WIDTH - 1] + "…"


def heatmap(r: TokenReactions) -> Figure:
    """Every event × token: CAR[−1,+1] versus the benchmark (market model); stars from BH q-values.

    Events that share a day 0 are one row (their labels joined by '+')."""
    day0 = r.catalogue.set_index("event_id").loc[r.matrix.index, "day0"]
    labels = token_event_study.observation_labels(r.result, r.catalogue).reindex(r.matrix.index)
    rows = [f"{d:%m-%d} {_short(lab)}" for d, lab in zip(day0, labels)]
    marks = token_event_study.q_matrix(r.result, r.matrix).map(stars)
    fig = charts.heatmap(
        r.matrix,
        rows,
        f"CAR[−1,+1] versus {r.benchmark}, market model (%; BH q: *** <0.01, ** <0.05, * <0.10)",
        marks=marks,
    )
    return set_alt(
        fig,
        f"Heatmap of cumulative abnormal returns over days −1 to +1 for {len(r.matrix)} events and "
        f"tokens {', '.join(r.matrix.columns)}",
    )


def category_intervals(r: TokenReactions) -> Figure:
    """CAAR[−1,+1] with 95% confidence intervals, by category."""
    fig = charts.caar_intervals(r.categories, "Average reaction by category, 95% confidence intervals")
    return set_alt(
        fig,
        "CAAR with confidence intervals by event category: "
        + "; ".join(f"{row['scope']} {row['caar']:+.2f}%" for _, row in r.categories.iterrows()),
    )


def car_path_frame(result, event_id: str, tokens: list[str]) -> pd.DataFrame:
    """Cumulative abnormal return (%) by relative day for one event, tokens in the given order."""
    ar = result.abnormal_returns
    sel = ar[
        ar["event_id"].eq(token_event_study.observation_id(result, event_id))
        & ar["model"].eq(token_event_study.HEADLINE_MODEL)
    ]
    wide = sel.pivot(index="rel_day", columns="token", values="ar")
    return wide[[t for t in tokens if t in wide.columns]].cumsum(skipna=False) * 100


def highlight_paths(r: TokenReactions) -> Figure:
    """Cumulative abnormal returns around each highlighted event, one panel per event."""
    labels = r.catalogue.set_index("event_id")["label"]
    panels = [(f"{labels[e]}", car_path_frame(r.result, e, r.tokens)) for e in r.highlights]
    fig = charts.car_paths_panels(panels)
    fig.suptitle(f"Cumulative abnormal return vs {r.benchmark} (market model), days −5 to +5", fontsize=11)
    return set_alt(
        fig, "Cumulative abnormal returns (market model) around " + " and ".join(labels[e] for e in r.highlights)
    )


def event_prices(r) -> Figure:
    """Prices around one event's day 0, indexed to the close before it (an :class:`EventReaction`)."""
    label = str(r.event["label"])
    fig = charts.indexed_prices(r.prices, f"{_short(label)}: prices indexed to the close before day 0")
    return set_alt(fig, f"Prices of {', '.join(r.prices.columns)} indexed to 100 around {r.event['day0']:%Y-%m-%d}")
