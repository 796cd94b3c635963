"""Stage 03's computation: the event study over the whole catalogue, and its output files.

Events that share a day 0 are one observation (:mod:`chinabrief.eventstudy.sameday`): the tables
are keyed by the observation's id (its first event's), ``event_days.csv`` says which event counts
in which. Benjamini–Hochberg q-values sit beside the per-token-event and per-event p-values.

Output contract (``data/processed/event_study/``): ``abnormal_returns.parquet``, ``car.csv``,
``caar.csv``, ``exclusions.csv``, ``event_days.csv`` and ``params.json``, plus the China premium's
tables when it was computed (:mod:`chinabrief.china_premium`) — see ``data/processed/README.md``.
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
from .eventstudy.multiple import add_qvalues
from .eventstudy.sameday import merge_same_day_events

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
#: One multiple-testing family: every token-event (car) or event (caar) of one model, window and test.
CAR_FAMILY = ["model", "window_start", "window_end"]
CAAR_FAMILY = ["model", "window_start", "window_end", "test"]


def run(
    tables: dict,
    *,
    tokens,
    benchmark,
    models,
    estimation_window,
    min_estimation_obs,
    event_windows,
    exclude_event_days,
    cutoff_hour_utc,
    pool_categories: bool = True,
) -> EventStudyResult:
    """Run the event study over every catalogue event for ``tokens``.

    With ``pool_categories``, talks, negotiation announcements and agreements are also pooled as
    'talks & agreements' beside the catalogue's own categories (a second pass of the engine over
    the regrouped events; per-event briefs do not need it).
    """
    observations, members = merge_same_day_events(tables["events"][["event_id", "day0", "category"]])
    events = observations[["event_id", "day0", "category"]]
    returns = price_reactions.wide_returns(benchmark_returns(tables, benchmark))
    shifts = day0_shifts(tables, tokens, cutoff_hour_utc)
    settings = dict(
        benchmark=benchmark,
        models=models,
        estimation_window=tuple(estimation_window),
        min_estimation_obs=min_estimation_obs,
        event_windows=[tuple(w) for w in event_windows],
        exclude_event_days=exclude_event_days,
        day0_shift=shifts,
    )
    result = run_event_study(returns, events, tokens, **settings)
    if pool_categories:
        grouped = events.assign(category=events["category"].map(lambda c: CATEGORY_GROUPS.get(c, c)))
        pooled = run_event_study(returns, grouped, tokens, **settings)
        extra = pooled.caar[pooled.caar["scope"].eq("talks & agreements")]
        result.caar = pd.concat([result.caar, extra], ignore_index=True)
    result.car = add_qvalues(result.car, CAR_FAMILY)
    is_event = result.caar["scope_type"].eq("event")
    caar = add_qvalues(result.caar[is_event], CAAR_FAMILY)
    result.caar = pd.concat([caar, result.caar[~is_event].assign(q=float("nan"))], ignore_index=True)[caar.columns]
    result.members = members
    merged = members[members["n_merged"].gt(1)]
    moved = shifts[shifts.ne(0)].stack() if shifts is not None else pd.Series(dtype="int64")
    result.params = {
        **result.params,
        "cutoff_hour_utc": cutoff_hour_utc,
        "day0_shifts": [{"event_id": e, "token": t, "days": int(d)} for (e, t), d in moved.items()],
        "category_groups": CATEGORY_GROUPS,
        "merged_events": {o: list(g["event_id"]) for o, g in merged.groupby("observation_id", sort=False)},
        "multiple_testing": "Benjamini-Hochberg q within each model x window (x test) over token-events "
        "(car.csv) or events (caar.csv, event rows)",
        "exclusions": result.exclusions.astype(str).to_dict(orient="records"),
    }
    return result


def observation_id(result: EventStudyResult, event_id: str) -> str:
    """The id under which ``event_id`` counts in ``result`` (its day's first event)."""
    members = getattr(result, "members", None)
    if members is None:
        return event_id
    hit = members.loc[members["event_id"].eq(event_id), "observation_id"]
    return str(hit.iloc[0]) if len(hit) else event_id


def observation_labels(result: EventStudyResult, catalogue: pd.DataFrame) -> pd.Series:
    """Observation id → its events' labels joined by ' + ' (one label for a single event)."""
    labels = catalogue.set_index("event_id")["label"]
    members = getattr(result, "members", None)
    if members is None:
        return labels
    return (
        members.assign(label=members["event_id"].map(labels))
        .groupby("observation_id", sort=False)["label"]
        .agg(" + ".join)
    )


def merged_table(result: EventStudyResult, catalogue: pd.DataFrame) -> pd.DataFrame:
    """The days on which several events are one observation: day 0, the events (labels), category."""
    members = getattr(result, "members", None)
    columns = ["day0", "events", "categories", "n_merged"]
    if members is None or not members["n_merged"].gt(1).any():
        return pd.DataFrame(columns=columns)
    labels = catalogue.set_index("event_id")["label"]
    part = members[members["n_merged"].gt(1)].assign(label=lambda m: m["event_id"].map(labels))
    out = part.groupby("observation_id", sort=False).agg(
        day0=("day0", "first"),
        events=("label", " + ".join),
        categories=("category", lambda c: ", ".join(dict.fromkeys(c))),
        n_merged=("n_merged", "first"),
    )
    return out.reset_index(drop=True)[columns]


def token_sources(prices_daily: pd.DataFrame, tokens: list[str], days: pd.Series) -> pd.DataFrame:
    """The source serving each token on each day (index: the days' positions; columns tokens).

    A day the token has no price takes the source serving it most often.
    """
    chosen = prices_daily.loc[prices_daily["token"].isin(tokens), ["date", "token", "source"]]
    on_days = chosen[chosen["date"].isin(pd.DatetimeIndex(days))].drop_duplicates(["date", "token"])
    wide = on_days.pivot(index="date", columns="token", values="source")
    picked = wide.reindex(pd.DatetimeIndex(days)).reindex(columns=tokens)
    # the most frequent source (ties: the first by name, as Series.mode)
    counts = chosen.groupby(["token", "source"], observed=True).size().rename("n").reset_index()
    usual = counts.sort_values(["token", "n", "source"], ascending=[True, False, True]).drop_duplicates("token")
    return picked.fillna(usual.set_index("token")["source"]).set_axis(days.index)


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
        raise ParameterError(
            f"benchmark {benchmark}: data/processed/market_index.parquet has no {benchmark} returns "
            "(the snapshot has no control tokens; use BTC, ETH or EW, or the v2 snapshot)"
        )
    return pd.concat([returns, market_index.as_returns(index)], ignore_index=True)


def write(
    paths: Paths, result: EventStudyResult, made_from: dict | None = None, extra: dict[str, pd.DataFrame] | None = None
) -> list[str]:
    """Write the event-study tables (one set, see :mod:`chinabrief.publish`) and return their paths.

    ``made_from``: the stage parameters, recorded in the same set (:mod:`chinabrief.provenance`).
    ``extra``: more CSV tables of the same set, by file name (the China premium's).
    """
    out = paths.processed / "event_study"
    extra = extra or {}
    names = [
        "abnormal_returns.parquet",
        "car.csv",
        "caar.csv",
        "exclusions.csv",
        "event_days.csv",
        "params.json",
        *extra,
    ]
    written = [paths.relative(out / n) for n in names]
    members = getattr(result, "members", None)
    with publish.writing(paths, paths.processed, "token_reactions") as staged:
        fileio.write_parquet(staged / "event_study" / "abnormal_returns.parquet", result.abnormal_returns)
        fileio.write_csv(staged / "event_study" / "car.csv", result.car)
        fileio.write_csv(staged / "event_study" / "caar.csv", result.caar)
        fileio.write_csv(staged / "event_study" / "exclusions.csv", result.exclusions)
        fileio.write_csv(
            staged / "event_study" / "event_days.csv",
            members if members is not None else pd.DataFrame(columns=["event_id", "observation_id"]),
        )
        for name, frame in extra.items():
            fileio.write_csv(staged / "event_study" / name, frame)
        fileio.write_json(staged / "event_study" / "params.json", result.params)
        if made_from is not None:
            written.append(provenance.write(paths, "token_reactions", made_from, folder=staged))
    return written


def car_matrix(
    result: EventStudyResult,
    catalogue: pd.DataFrame,
    tokens: list[str],
    model: str = HEADLINE_MODEL,
    window: tuple[int, int] = HEADLINE_WINDOW,
) -> pd.DataFrame:
    """Events (rows, in date order, labelled) × tokens of CAR in percent; NaN where excluded."""
    car = result.car
    sel = car[car["model"].eq(model) & car["window_start"].eq(window[0]) & car["window_end"].eq(window[1])]
    wide = sel.pivot_table(index="event_id", columns="token", values="car", aggfunc="first") * 100
    ordered = catalogue.sort_values(["day0", "event_id"])["event_id"]
    order = list(dict.fromkeys(observation_id(result, e) for e in ordered))
    wide = wide.reindex(order)[[t for t in tokens if t in wide.columns]]
    return wide


def q_matrix(
    result: EventStudyResult,
    matrix: pd.DataFrame,
    model: str = HEADLINE_MODEL,
    window: tuple[int, int] = HEADLINE_WINDOW,
) -> pd.DataFrame:
    """The BH q-values of :func:`car_matrix`'s cells, same shape."""
    car = result.car
    sel = car[car["model"].eq(model) & car["window_start"].eq(window[0]) & car["window_end"].eq(window[1])]
    wide = sel.pivot_table(index="event_id", columns="token", values="q", aggfunc="first")
    return wide.reindex(index=matrix.index, columns=matrix.columns)


def category_table(
    result: EventStudyResult, model: str = HEADLINE_MODEL, window: tuple[int, int] = HEADLINE_WINDOW
) -> pd.DataFrame:
    """CAAR with every test, per category group and catalogue category (percent, CI, p)."""
    caar = result.caar
    sel = caar[
        caar["scope_type"].eq("category")
        & caar["model"].eq(model)
        & caar["window_start"].eq(window[0])
        & caar["window_end"].eq(window[1])
    ]
    wide = sel.pivot_table(
        index=["scope", "n_events", "n_tokens", "caar", "ci_low", "ci_high"],
        columns="test",
        values="p",
        aggfunc="first",
    ).reset_index()
    for col in ("caar", "ci_low", "ci_high"):
        wide[col] = wide[col] * 100
    order = {
        "escalation": 0,
        "de-escalation": 1,
        "talks & agreements": 2,
        "negotiation-announcement": 3,
        "talks": 4,
        "agreement": 5,
    }
    wide = wide.sort_values("scope", key=lambda s: s.map(order).fillna(9)).reset_index(drop=True)
    wide.columns.name = None
    return wide


def strongest(
    result: EventStudyResult,
    catalogue: pd.DataFrame,
    n: int = 10,
    model: str = HEADLINE_MODEL,
    window: tuple[int, int] = HEADLINE_WINDOW,
) -> pd.DataFrame:
    """The ``n`` token–event CARs with the largest |t|."""
    car = result.car
    sel = car[car["model"].eq(model) & car["window_start"].eq(window[0]) & car["window_end"].eq(window[1])].copy()
    if "q" not in sel.columns:  # a CAR table from elsewhere: the q-values of this model and window
        sel = add_qvalues(sel, CAR_FAMILY)
    sel = sel.reindex(sel["t"].abs().sort_values(ascending=False).index).head(n)
    labels = catalogue.set_index("event_id")[["day0", "category"]]
    sel = sel.join(labels, on="event_id")
    sel["label"] = sel["event_id"].map(observation_labels(result, catalogue))
    sel["car"] = sel["car"] * 100
    sel["se"] = sel["se"] * 100
    return sel[["day0", "label", "category", "token", "car", "se", "t", "p", "q"]].reset_index(drop=True)
