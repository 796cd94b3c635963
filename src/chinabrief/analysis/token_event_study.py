"""Stage 03's computation: the event study over the whole catalogue, and its output files.

Output contract (``data/processed/event_study/``): ``abnormal_returns.parquet``, ``car.csv``,
``caar.csv``, ``exclusions.csv`` and ``params.json`` — see ``data/processed/README.md``.
"""
from __future__ import annotations

import pandas as pd

from .. import fileio, provenance, publish
from ..config import Paths
from ..data import close_hours, market_index
from ..data import event_catalogue as event_rules
from ..exceptions import ParameterError
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
    returns = price_reactions.wide_returns(benchmark_returns(tables, benchmark))
    shifts = day0_shifts(tables, tokens, cutoff_hour_utc)
    settings = dict(benchmark=benchmark, models=models, estimation_window=tuple(estimation_window),
                    min_estimation_obs=min_estimation_obs, event_windows=[tuple(w) for w in event_windows],
                    exclude_event_days=exclude_event_days, day0_shift=shifts)
    result = run_event_study(returns, events, tokens, **settings)
    if pool_categories:
        grouped = events.assign(category=events["category"].map(CATEGORY_GROUPS))
        pooled = run_event_study(returns, grouped, tokens, **settings)
        extra = pooled.caar[pooled.caar["scope"].eq("talks & agreements")]
        result.caar = pd.concat([result.caar, extra], ignore_index=True)
    moved = shifts[shifts.ne(0)].stack() if shifts is not None else pd.Series(dtype="int64")
    result.params = {**result.params, "cutoff_hour_utc": cutoff_hour_utc,
                     "day0_shifts": [{"event_id": e, "token": t, "days": int(d)} for (e, t), d in moved.items()],
                     "category_groups": CATEGORY_GROUPS,
                     "exclusions": result.exclusions.astype(str).to_dict(orient="records")}
    return result


def token_sources(prices_daily: pd.DataFrame, tokens: list[str], days: pd.Series) -> pd.DataFrame:
    """The source serving each token on each day (index: the days' positions; columns tokens).

    A day the token has no price takes the source serving it most often.
    """
    chosen = prices_daily[prices_daily["token"].isin(tokens)]
    wide = chosen.pivot_table(index="date", columns="token", values="source", aggfunc="first")
    picked = wide.reindex(pd.DatetimeIndex(days)).reindex(columns=tokens)
    usual = chosen.groupby("token")["source"].agg(lambda s: s.mode().iloc[0])
    return picked.fillna(usual).set_axis(days.index)


def day0_shifts(tables: dict, tokens: list[str], cutoff_hour_utc: int) -> pd.DataFrame | None:
    """Per event and token: days by which the token's day 0 follows the event's (its source's close hour).

    The offset of a token's source on the event's date comes from ``source_close_hours``
    (:mod:`chinabrief.data.close_hours`); None without that table or any shift.
    """
    hours = tables.get("source_close_hours")
    if hours is None or hours.empty or not len(tokens):
        return None
    catalogue = tables["events"]
    sources = token_sources(tables["prices_daily"], list(tokens), catalogue["date"])
    offsets = close_hours.offsets(hours, sources, catalogue["date"])
    offsets.index = catalogue["event_id"].to_numpy()
    shifts = event_rules.day0_shifts(catalogue, cutoff_hour_utc, offsets)
    return shifts if shifts.to_numpy().any() else None


def benchmark_returns(tables: dict, benchmark: str) -> pd.DataFrame:
    """The long returns, plus the market index's as a column named after it when it is the benchmark.

    Raises
    ------
    ParameterError
        When the benchmark is a market index the snapshot cannot build (no control tokens, as in v1).
    """
    returns = tables["returns"][["date", "token", "ret"]]
    if benchmark not in market_index.INDEXES:
        return returns
    index = tables.get("market_index")
    index = index[index["index"].eq(benchmark)] if index is not None else None
    if index is None or index.empty:
        raise ParameterError(f"benchmark {benchmark}: data/processed/market_index.parquet has no {benchmark} returns "
                             "(the snapshot has no control tokens; use BTC, ETH or EW, or the v2 snapshot)")
    return pd.concat([returns, market_index.as_returns(index)], ignore_index=True)


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
