"""Stage 03's computation: the event study over the whole catalogue, and its output files.

Output contract (``data/processed/event_study/``): ``abnormal_returns.parquet``, ``car.csv``,
``caar.csv``, ``exclusions.csv`` and ``params.json`` — see ``data/processed/README.md``.
"""
from __future__ import annotations

import pandas as pd

from .. import fileio, provenance, publish
from ..config import Paths
from . import price_reactions
from .eventstudy import EventStudyResult, run_event_study

#: The model the briefs lead with; every model is computed and written.
HEADLINE_MODEL = "market_model"
#: The window of the heatmap and of the headline numbers.
HEADLINE_WINDOW = (-1, 1)
#: Category groups compared in the brief (talks and agreements together, as the issue asks).
CATEGORY_GROUPS = {
    "escalation": "escalation",
    "de-escalation": "de-escalation",
    "negotiation-announcement": "talks & agreements",
    "talks": "talks & agreements",
    "agreement": "talks & agreements",
}


def run(tables: dict, *, tokens, benchmark, models, estimation_window, min_estimation_obs,
        event_windows, exclude_event_days, cutoff_hour_utc, pool_categories: bool = True) -> EventStudyResult:
    """Run the event study over every catalogue event for ``tokens``.

    With ``pool_categories``, talks, negotiation announcements and agreements are also pooled as
    'talks & agreements' beside the catalogue's own categories (a second pass of the engine over
    the regrouped events; per-event briefs do not need it).
    """
    events = tables["events"][["event_id", "day0", "category"]]
    returns = price_reactions.wide_returns(tables["returns"])
    settings = dict(benchmark=benchmark, models=models, estimation_window=tuple(estimation_window),
                    min_estimation_obs=min_estimation_obs, event_windows=[tuple(w) for w in event_windows],
                    exclude_event_days=exclude_event_days)
    result = run_event_study(returns, events, tokens, **settings)
    if pool_categories:
        grouped = events.assign(category=events["category"].map(CATEGORY_GROUPS))
        pooled = run_event_study(returns, grouped, tokens, **settings)
        extra = pooled.caar[pooled.caar["scope"].eq("talks & agreements")]
        result.caar = pd.concat([result.caar, extra], ignore_index=True)
    result.params = {**result.params, "cutoff_hour_utc": cutoff_hour_utc,
                     "category_groups": CATEGORY_GROUPS,
                     "exclusions": result.exclusions.astype(str).to_dict(orient="records")}
    return result


def write(paths: Paths, result: EventStudyResult, made_from: dict | None = None) -> list[str]:
    """Write the event-study tables (one set, see :mod:`chinabrief.publish`) and return their paths.

    ``made_from``: the stage parameters, recorded in the same set (:mod:`chinabrief.provenance`).
    """
    out = paths.processed / "event_study"
    names = ["abnormal_returns.parquet", "car.csv", "caar.csv", "exclusions.csv", "params.json"]
    written = [paths.relative(out / n) for n in names]
    with publish.writing(paths, paths.processed, "token_reactions") as staged:
        fileio.write_parquet(staged / "event_study" / "abnormal_returns.parquet", result.abnormal_returns)
        fileio.write_csv(staged / "event_study" / "car.csv", result.car)
        fileio.write_csv(staged / "event_study" / "caar.csv", result.caar)
        fileio.write_csv(staged / "event_study" / "exclusions.csv", result.exclusions)
        fileio.write_json(staged / "event_study" / "params.json", result.params)
        if made_from is not None:
            written.append(provenance.write(paths, "token_reactions", made_from, folder=staged))
    return written


def car_matrix(result: EventStudyResult, catalogue: pd.DataFrame, tokens: list[str],
               model: str = HEADLINE_MODEL, window: tuple[int, int] = HEADLINE_WINDOW) -> pd.DataFrame:
    """Events (rows, in date order, labelled) × tokens of CAR in percent; NaN where excluded."""
    car = result.car
    sel = car[car["model"].eq(model) & car["window_start"].eq(window[0]) & car["window_end"].eq(window[1])]
    wide = sel.pivot_table(index="event_id", columns="token", values="car", aggfunc="first") * 100
    order = catalogue.sort_values(["day0", "event_id"])["event_id"]
    wide = wide.reindex(order)[[t for t in tokens if t in wide.columns]]
    return wide


def category_table(result: EventStudyResult, model: str = HEADLINE_MODEL,
                   window: tuple[int, int] = HEADLINE_WINDOW) -> pd.DataFrame:
    """CAAR with every test, per category group and catalogue category (percent, CI, p)."""
    caar = result.caar
    sel = caar[caar["scope_type"].eq("category") & caar["model"].eq(model)
               & caar["window_start"].eq(window[0]) & caar["window_end"].eq(window[1])]
    wide = sel.pivot_table(index=["scope", "n_events", "n_tokens", "caar", "ci_low", "ci_high"],
                           columns="test", values="p", aggfunc="first").reset_index()
    for col in ("caar", "ci_low", "ci_high"):
        wide[col] = wide[col] * 100
    order = {"escalation": 0, "de-escalation": 1, "talks & agreements": 2,
             "negotiation-announcement": 3, "talks": 4, "agreement": 5}
    wide = wide.sort_values("scope", key=lambda s: s.map(order).fillna(9)).reset_index(drop=True)
    wide.columns.name = None
    return wide


def strongest(result: EventStudyResult, catalogue: pd.DataFrame, n: int = 10, model: str = HEADLINE_MODEL,
              window: tuple[int, int] = HEADLINE_WINDOW) -> pd.DataFrame:
    """The ``n`` token–event CARs with the largest |t|."""
    car = result.car
    sel = car[car["model"].eq(model) & car["window_start"].eq(window[0]) & car["window_end"].eq(window[1])].copy()
    sel = sel.reindex(sel["t"].abs().sort_values(ascending=False).index).head(n)
    labels = catalogue.set_index("event_id")[["label", "day0", "category"]]
    sel = sel.join(labels, on="event_id")
    sel["car"] = sel["car"] * 100
    sel["se"] = sel["se"] * 100
    return sel[["day0", "label", "category", "token", "car", "se", "t", "p"]].reset_index(drop=True)
