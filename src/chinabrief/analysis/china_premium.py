"""Is it China, or just crypto? The China premium on the project's tables (part of stage 03).

:func:`compute` measures every event's CAR for the China-linked tokens and for a control group of
tokens without China ties, against the same benchmark and model, and tests the difference two
ways (:mod:`chinabrief.eventstudy.premium`): (a) a regression with event fixed effects and
standard errors clustered by overlapping event windows; (b) the daily difference portfolio against
random-date and block (shifted-calendar) placebos, seeded. :func:`robustness` repeats (a) with one
setting changed at a time. Events that share a day 0 are one observation
(:mod:`chinabrief.eventstudy.sameday`). Nothing here names a token, an event or a date.

Output contract (``data/processed/event_study/``, written by :func:`chinabrief.token_event_study.write`):
``premium_by_event.csv``, ``premium.csv``, ``difference_series.csv``, ``placebo.csv``,
``robustness.csv`` (see ``data/processed/README.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..config import Paths
from ..data import event_catalogue as catalogue_rules
from ..data import market_index
from . import price_reactions, token_event_study
from .eventstudy import fit_models, prepare_event_study, window_cars
from .eventstudy.premium import (
    REGRESSION_KEYS,
    difference_series,
    event_premium,
    overlap_clusters,
    placebo,
    premium_regression,
)
from .eventstudy.sameday import merge_same_day_events

CHINA = "china_linked"
CONTROL = "control"
#: The model and window of the headline, the chart and the robustness baseline.
BASE_MODEL = "market_model"
BASE_WINDOW = (-1, 1)
#: The category groups the premium is reported for (catalogue categories → group).
CATEGORY_GROUPS = {
    "escalation": "escalation",
    "de-escalation": "de-escalation",
    "negotiation-announcement": "talks & agreements",
    "talks": "talks & agreements",
    "agreement": "talks & agreements",
}
SCOPES = ["escalation", "de-escalation", "talks & agreements"]
#: Categories the robustness table reports.
ROBUSTNESS_SCOPES = ["escalation", "de-escalation"]
#: Exclusion choices of the robustness grid → the days around other events left out of estimation.
EXCLUSIONS = {"day0": (0, 0), "window": (-1, 1), "none": None}
EXCLUSION_NAMES = {"day0": "other events' day 0", "window": "other events' days −1..+1", "none": "nothing"}
PREMIUM_COLUMNS = [
    "scope",
    "model",
    "window_start",
    "window_end",
    *REGRESSION_KEYS,
    "diff_car",
    "placebo_p",
    "block_p",
    "n_draws",
    "n_shifts",
]
ROBUSTNESS_COLUMNS = ["dimension", "setting", "baseline", "scope", *REGRESSION_KEYS]


@dataclass
class ChinaPremium:
    """The China premium and everything its section of the brief shows.

    Attributes
    ----------
    groups : pandas.DataFrame
        token, group (``china_linked`` / ``control``) of the tokens with returns (the control list).
    benchmark : str
        The benchmark of the comparison.
    observations, members : pandas.DataFrame
        The merged event observations and which catalogue event counts in which
        (:func:`~chinabrief.eventstudy.sameday.merge_same_day_events`).
    car : pandas.DataFrame
        observation event_id, token, china, model, window_start, window_end, car.
    by_event : pandas.DataFrame
        Per observation, model and window: n_china, n_control, china_car, control_car, premium.
    premium : pandas.DataFrame
        Per category group, model and window: the regression (a) and both placebo p-values (b).
    difference : pandas.DataFrame
        The difference portfolio's daily returns and abnormal returns.
    placebo : pandas.DataFrame
        The placebo draws' summary per scope, model and window.
    draws : dict
        (scope, model, window) → (observed, draws, shifted) for the charts.
    robustness : pandas.DataFrame
        The premium under one changed setting at a time (see :func:`robustness`).
    settings : dict
        The settings used.
    """

    groups: pd.DataFrame
    benchmark: str
    observations: pd.DataFrame
    members: pd.DataFrame
    car: pd.DataFrame
    by_event: pd.DataFrame
    premium: pd.DataFrame
    difference: pd.DataFrame
    placebo: pd.DataFrame
    draws: dict = field(repr=False)
    robustness: pd.DataFrame = field(default_factory=pd.DataFrame)
    settings: dict = field(default_factory=dict)

    @property
    def china(self) -> list[str]:
        return self.groups.loc[self.groups["group"].eq(CHINA), "token"].tolist()

    @property
    def control(self) -> list[str]:
        return self.groups.loc[self.groups["group"].eq(CONTROL), "token"].tolist()


# --------------------------------------------------------------------------- inputs

#: The universe's groups, written by stage 02 (see data/processed/README.md).
GROUPS_FILE = "universe_groups.csv"


class NoControlGroup(ValueError):
    """The data hold no China-linked or no control token with returns: no premium to measure."""


def groups_path(P: Paths):
    """Where stage 02 writes the universe's groups."""
    return P.processed / GROUPS_FILE


def load_groups(P: Paths) -> pd.DataFrame | None:
    """The universe's groups (token, group, and whatever else stage 02 records), or None when absent."""
    path = groups_path(P)
    if not path.is_file():
        return None
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "token" not in frame.columns and "symbol" in frame.columns:
        frame = frame.rename(columns={"symbol": "token"})
    missing = [c for c in ("token", "group") if c not in frame.columns]
    if missing:
        from ..exceptions import InputFormatError

        raise InputFormatError(
            f"{P.relative(path)}: missing column(s) {missing} (rule: one row per token with its group)"
        )
    return frame


def study_groups(groups: pd.DataFrame, returns: pd.DataFrame, benchmark: str) -> pd.DataFrame:
    """The China-linked and control tokens that have returns (the benchmark never is one).

    Parameters
    ----------
    groups : pandas.DataFrame
        ``token`` and ``group`` columns; rows of other groups are ignored.
    returns : pandas.DataFrame
        Wide returns (their columns are the tokens with data).
    benchmark : str
        The benchmark column.

    Raises
    ------
    ValueError
        If either group has no token with returns.
    """
    part = groups[
        groups["group"].isin([CHINA, CONTROL]) & groups["token"].isin(returns.columns) & groups["token"].ne(benchmark)
    ]
    part = part.drop_duplicates("token").reset_index(drop=True)
    for name in (CHINA, CONTROL):
        if not part["group"].eq(name).any():
            raise NoControlGroup(
                f"the China premium needs {name.replace('_', '-')} tokens with returns; the processed returns hold none"
            )
    return part


def returns_with_indexes(tables: dict, benchmarks) -> pd.DataFrame:
    """Wide returns with a column for each market index among ``benchmarks`` (``MKT_EW``, ``MKT_TW``) that the data have."""
    parts = [tables["returns"][["date", "token", "ret"]]]
    index = tables.get("market_index")
    for name in dict.fromkeys(benchmarks):
        if name in market_index.INDEXES and index is not None and index["index"].eq(name).any():
            parts.append(market_index.as_returns(index[index["index"].eq(name)]))
    return price_reactions.wide_returns(pd.concat(parts, ignore_index=True))


_SHIFTS: dict = {}


def shifts_for(tables: dict, tokens: list[str], catalogue: pd.DataFrame, cutoff_hour_utc: int) -> pd.DataFrame | None:
    """The tokens' day-0 shifts (their sources' close hours) for ``catalogue`` under ``cutoff_hour_utc``.

    Remembered per tables, tokens and cutoff hour (the robustness runs ask again for the same ones).
    """
    key = (id(tables), tuple(tokens), cutoff_hour_utc, tuple(pd.to_datetime(catalogue["day0"]).astype("int64")))
    if key not in _SHIFTS:
        _SHIFTS.clear()  # one build's tables at a time
        _SHIFTS[key] = token_event_study.day0_shifts({**tables, "events": catalogue}, tokens, cutoff_hour_utc)
    return _SHIFTS[key]


def observations_for(catalogue: pd.DataFrame, cutoff_hour_utc: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The catalogue as observations (same-day events merged); day 0 re-assigned for another cutoff hour."""
    events = catalogue
    if cutoff_hour_utc is not None:
        events = catalogue_rules.assign_day0(catalogue, cutoff_hour_utc)
    return merge_same_day_events(events[["event_id", "day0", "category", "label"]])


def _scope_members(observations: pd.DataFrame) -> dict[str, np.ndarray]:
    groups = observations["category"].map(CATEGORY_GROUPS)
    return {scope: np.flatnonzero(groups.eq(scope).to_numpy()) for scope in SCOPES}


# --------------------------------------------------------------------------- the token CARs


def universe_cars(
    returns,
    observations,
    groups,
    *,
    benchmark,
    models,
    event_windows,
    estimation_window,
    min_estimation_obs,
    exclusion_window,
    day0_shift: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """CARs of every China-linked and control token for every observation, model and window (fast path).

    ``day0_shift``: per event and token, the days by which a token's day 0 follows the event's (its
    source closes its day at another hour; :func:`chinabrief.analysis.token_event_study.day0_shifts`).
    """
    tokens = groups["token"].tolist()
    china = groups["group"].eq(CHINA).to_numpy()
    prepared = prepare_event_study(
        returns,
        observations,
        tokens,
        benchmark,
        tuple(estimation_window),
        [tuple(w) for w in event_windows],
        exclusion_window is not None,
        exclusion_window=exclusion_window or (0, 0),
        day0_shift=day0_shift,
    )
    fitted = fit_models(prepared, models)
    n_events, n_tokens = len(observations), len(tokens)
    e_pos = np.repeat(np.arange(n_events), n_tokens)
    k_pos = np.tile(np.arange(n_tokens), n_events)
    parts = []
    for model, fit in fitted.items():
        cars = window_cars(prepared, fit, min_estimation_obs)
        for w, window in enumerate(cars.windows):
            parts.append(
                pd.DataFrame(
                    {
                        "event_id": prepared.event_ids[e_pos],
                        "token": np.asarray(tokens, dtype=object)[k_pos],
                        "china": china[k_pos],
                        "model": model,
                        "window_start": window[0],
                        "window_end": window[1],
                        "car": cars.car[w].ravel(),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def _regressions(car: pd.DataFrame, observations: pd.DataFrame, scopes: list[str]) -> pd.DataFrame:
    """Regression (a) per scope, model and window."""
    members = _scope_members(observations)
    rows = []
    for (model, start, end), part in car.groupby(["model", "window_start", "window_end"], sort=False):
        for scope in scopes:
            obs = observations.iloc[members[scope]]
            clusters = pd.Series(overlap_clusters(obs["day0"], (start, end)), index=obs["event_id"].to_numpy())
            fit = premium_regression(part[part["event_id"].isin(obs["event_id"])], clusters)
            rows.append({"scope": scope, "model": model, "window_start": start, "window_end": end, **fit})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- the difference portfolio


def _difference(returns, groups, benchmark, observations, span, min_tokens) -> pd.DataFrame:
    """The difference portfolio; its market model is fitted on the days outside every event span."""
    rows = returns.index.get_indexer(pd.DatetimeIndex(observations["day0"]))
    outside = np.ones(len(returns), dtype=bool)
    for row in rows[rows >= 0]:
        outside[max(0, row + span[0]) : row + span[1] + 1] = False
    return difference_series(
        returns,
        groups.loc[groups["group"].eq(CHINA), "token"].tolist(),
        groups.loc[groups["group"].eq(CONTROL), "token"].tolist(),
        returns[benchmark],
        outside,
        min_tokens,
    )


def _placebos(difference, observations, models, event_windows, *, n_draws, seed, min_shift):
    """Both placebos per scope, model and window; seeded per combination (order-independent)."""
    rows_of = pd.Index(difference["date"]).get_indexer(pd.DatetimeIndex(observations["day0"]))
    all_rows = rows_of[rows_of >= 0]
    members = _scope_members(observations)
    summary, draws = [], {}
    for m, model in enumerate(models):
        ar = difference[f"ar_{model}"].to_numpy(dtype=float)
        for w, window in enumerate(event_windows):
            window = tuple(window)
            for s, scope in enumerate(SCOPES):
                rows = rows_of[members[scope]]
                rng = np.random.default_rng([seed, m, w, s])
                result = placebo(ar, rows[rows >= 0], all_rows, window, n_draws, rng, min_shift)
                draws[(scope, model, window)] = result
                finite = result.draws[np.isfinite(result.draws)]
                summary.append(
                    {
                        "scope": scope,
                        "model": model,
                        "window_start": window[0],
                        "window_end": window[1],
                        "observed": result.observed,
                        "n_events": result.n_events,
                        "n_draws": int(finite.size),
                        "draw_mean": float(finite.mean()) if finite.size else np.nan,
                        "draw_sd": float(finite.std(ddof=1)) if finite.size > 1 else np.nan,
                        "draw_q025": float(np.quantile(finite, 0.025)) if finite.size else np.nan,
                        "draw_q975": float(np.quantile(finite, 0.975)) if finite.size else np.nan,
                        "p": result.p,
                        "n_shifts": int(result.shifts.size),
                        "shift_q025": float(np.quantile(result.shifted, 0.025)) if result.shifts.size else np.nan,
                        "shift_q975": float(np.quantile(result.shifted, 0.975)) if result.shifts.size else np.nan,
                        "p_block": result.p_block,
                    }
                )
    return pd.DataFrame(summary), draws


# --------------------------------------------------------------------------- robustness


def estimation_window_of(days: int, end: int) -> tuple[int, int]:
    """An estimation window of ``days`` days ending on relative day ``end``."""
    return (end - days + 1, end)


def scaled_min_obs(min_obs: int, base_window: tuple[int, int], window: tuple[int, int]) -> int:
    """The minimum estimation returns scaled with the window's length (same share as the baseline's)."""
    base = base_window[1] - base_window[0] + 1
    length = window[1] - window[0] + 1
    return max(5, min(length, int(round(min_obs * length / base))))


def robustness_settings(base: dict, grid: dict) -> list[tuple[str, str, dict]]:
    """The variations of the robustness table: the baseline, then one setting changed at a time.

    Parameters
    ----------
    base : dict
        benchmark, model, window, cutoff_hour_utc, estimation_window, min_estimation_obs, exclusion.
    grid : dict
        benchmarks, models, windows, cutoff_hours, estimation_days, exclusions.

    Returns
    -------
    list of (dimension, setting label, settings)
    """
    base_days = base["estimation_window"][1] - base["estimation_window"][0] + 1
    label = (
        f"{base['benchmark']}, {base['model'].replace('_', ' ')}, "
        f"[{base['window'][0]:+d},{base['window'][1]:+d}]".replace("+0", "0")
        + f", {base['cutoff_hour_utc']:02d}:00 UTC, {base_days} days, excludes {EXCLUSION_NAMES[base['exclusion']]}"
    )
    out = [("baseline", label, dict(base))]

    def vary(dimension, label, **changes):
        out.append((dimension, label, {**base, **changes}))

    for b in grid["benchmarks"]:
        if b != base["benchmark"]:
            vary("benchmark", b, benchmark=b)
    for m in grid["models"]:
        if m != base["model"]:
            vary("model", m.replace("_", " "), model=m)
    for w in grid["windows"]:
        if tuple(w) != tuple(base["window"]):
            vary("window", f"[{w[0]:+d},{w[1]:+d}]".replace("+0", "0"), window=tuple(w))
    for h in grid["cutoff_hours"]:
        if h != base["cutoff_hour_utc"]:
            vary("day-0 cutoff", f"{h:02d}:00 UTC", cutoff_hour_utc=h)
    for d in grid["estimation_days"]:
        if d != base_days:
            window = estimation_window_of(d, base["estimation_window"][1])
            vary(
                "estimation window",
                f"{d} days",
                estimation_window=window,
                min_estimation_obs=scaled_min_obs(base["min_estimation_obs"], base["estimation_window"], window),
            )
    for x in grid["exclusions"]:
        if x != base["exclusion"]:
            vary("estimation excludes", EXCLUSION_NAMES[x], exclusion=x)
    return out


def robustness(
    returns,
    catalogue,
    groups,
    base: dict,
    grid: dict,
    baseline_car: pd.DataFrame | None = None,
    baseline_observations: pd.DataFrame | None = None,
    tables: dict | None = None,
) -> pd.DataFrame:
    """Regression (a) for escalations and de-escalations under each variation of :func:`robustness_settings`.

    Runs that share every engine setting but the model or window are computed once.
    """
    rows = []
    cache: dict = {}
    # a benchmark without returns in the data (e.g. ETH in a small snapshot) cannot be varied to
    grid = {**grid, "benchmarks": [b for b in grid["benchmarks"] if b in returns.columns]}
    for dimension, label, s in robustness_settings(base, grid):
        key = (
            s["benchmark"],
            s["cutoff_hour_utc"],
            tuple(s["estimation_window"]),
            s["min_estimation_obs"],
            s["exclusion"],
        )
        if key not in cache:
            observations, _ = observations_for(catalogue, s["cutoff_hour_utc"])
            same = baseline_car is not None and key == (
                base["benchmark"],
                base["cutoff_hour_utc"],
                tuple(base["estimation_window"]),
                base["min_estimation_obs"],
                base["exclusion"],
            )
            if same:
                car, observations = baseline_car, baseline_observations
            else:
                bench_groups = groups[groups["token"].ne(s["benchmark"])]
                shifts = None
                if tables is not None:
                    moved = catalogue_rules.assign_day0(catalogue, s["cutoff_hour_utc"])
                    shifts = shifts_for(tables, groups["token"].tolist(), moved, s["cutoff_hour_utc"])
                # a run that is not the baseline's changes one engine setting: base model and window only
                car = universe_cars(
                    returns,
                    observations,
                    bench_groups,
                    benchmark=s["benchmark"],
                    models=[s["model"]],
                    event_windows=[tuple(s["window"])],
                    estimation_window=s["estimation_window"],
                    min_estimation_obs=s["min_estimation_obs"],
                    exclusion_window=EXCLUSIONS[s["exclusion"]],
                    day0_shift=shifts,
                )
            cache[key] = (car, observations)
        car, observations = cache[key]
        window = tuple(s["window"])
        part = car[car["model"].eq(s["model"]) & car["window_start"].eq(window[0]) & car["window_end"].eq(window[1])]
        fits = _regressions(part, observations, ROBUSTNESS_SCOPES)
        for _, fit in fits.iterrows():
            rows.append(
                {
                    "dimension": dimension,
                    "setting": label,
                    "baseline": dimension == "baseline",
                    "scope": fit["scope"],
                    **{k: fit[k] for k in REGRESSION_KEYS},
                }
            )
    return pd.DataFrame(rows, columns=ROBUSTNESS_COLUMNS)


# --------------------------------------------------------------------------- compute


def compute(
    tables: dict,
    groups: pd.DataFrame,
    *,
    benchmark,
    models,
    event_windows,
    estimation_window,
    min_estimation_obs,
    exclude_event_days,
    cutoff_hour_utc,
    placebo_draws,
    seed,
    block_min_shift,
    min_tokens,
    grid: dict | None = None,
) -> ChinaPremium:
    """The China premium for every category, model and window, its placebos and its robustness.

    Parameters
    ----------
    tables : dict
        The processed tables (:func:`chinabrief.prepare.load`): ``returns``, ``events``.
    groups : pandas.DataFrame
        ``token``, ``group`` (``china_linked`` / ``control``; others ignored).
    benchmark, models, event_windows, estimation_window, min_estimation_obs, exclude_event_days, cutoff_hour_utc
        The event-study settings (``params.yaml``).
    placebo_draws, seed, block_min_shift, min_tokens
        The placebo settings (``premium_*`` parameters).
    grid : dict, optional
        The robustness grid (``robustness_*`` parameters); no robustness table without it.

    Returns
    -------
    ChinaPremium
    """
    returns = returns_with_indexes(tables, [benchmark, *(grid or {}).get("benchmarks", [])])
    groups = study_groups(groups, returns, benchmark)
    if benchmark not in returns.columns:
        raise ValueError(
            f"premium benchmark {benchmark!r} has no returns in data/processed (returns.parquet, market_index.parquet)"
        )
    catalogue = tables["events"]
    shifts = shifts_for(tables, groups["token"].tolist(), catalogue, cutoff_hour_utc)
    observations, members = observations_for(catalogue)
    windows = [tuple(w) for w in event_windows]
    exclusion = "day0" if exclude_event_days else "none"
    run_models = list(dict.fromkeys([*models, *(grid or {}).get("models", []), BASE_MODEL]))
    run_windows = list(dict.fromkeys([*windows, *[tuple(w) for w in (grid or {}).get("windows", [])], BASE_WINDOW]))
    car = universe_cars(
        returns,
        observations,
        groups,
        benchmark=benchmark,
        models=run_models,
        event_windows=run_windows,
        estimation_window=estimation_window,
        min_estimation_obs=min_estimation_obs,
        exclusion_window=EXCLUSIONS[exclusion],
        day0_shift=shifts,
    )
    by_event = []
    for (model, start, end), part in car.groupby(["model", "window_start", "window_end"], sort=False):
        by_event.append(event_premium(part).assign(model=model, window_start=start, window_end=end))
    by_event = pd.concat(by_event, ignore_index=True)
    by_event = by_event[
        [
            "event_id",
            "model",
            "window_start",
            "window_end",
            "n_china",
            "n_control",
            "china_car",
            "control_car",
            "premium",
        ]
    ]
    span = (min(w[0] for w in windows), max(w[1] for w in windows))
    difference = _difference(returns, groups, benchmark, observations, span, min_tokens)
    placebo_summary, draws = _placebos(
        difference, observations, list(models), windows, n_draws=placebo_draws, seed=seed, min_shift=block_min_shift
    )
    premium = _regressions(car, observations, SCOPES)
    keys = ["scope", "model", "window_start", "window_end"]
    premium = premium.merge(
        placebo_summary[keys + ["observed", "p", "p_block", "n_draws", "n_shifts"]].rename(
            columns={"observed": "diff_car", "p": "placebo_p", "p_block": "block_p"}
        ),
        on=keys,
        how="left",
    )
    premium = premium[PREMIUM_COLUMNS]
    result = ChinaPremium(
        groups=groups,
        benchmark=benchmark,
        observations=observations,
        members=members,
        car=car,
        by_event=by_event,
        premium=premium,
        difference=difference,
        placebo=placebo_summary,
        draws=draws,
        settings={
            "benchmark": benchmark,
            "models": list(models),
            "event_windows": [list(w) for w in windows],
            "estimation_window": list(estimation_window),
            "min_estimation_obs": min_estimation_obs,
            "exclusion": exclusion,
            "cutoff_hour_utc": cutoff_hour_utc,
            "placebo_draws": placebo_draws,
            "seed": seed,
            "block_min_shift": block_min_shift,
            "min_tokens": min_tokens,
            "day0_shifts": int((shifts.to_numpy() != 0).sum()) if shifts is not None else 0,
            "difference_market_model": dict(difference.attrs),
        },
    )
    if grid is not None:
        base = {
            "benchmark": benchmark,
            "model": BASE_MODEL,
            "window": BASE_WINDOW,
            "cutoff_hour_utc": cutoff_hour_utc,
            "estimation_window": tuple(estimation_window),
            "min_estimation_obs": min_estimation_obs,
            "exclusion": exclusion,
        }
        result.robustness = robustness(
            returns, catalogue, groups, base, grid, baseline_car=car, baseline_observations=observations, tables=tables
        )
        result.settings["robustness_grid"] = grid
    return result


def products(r: ChinaPremium) -> dict[str, pd.DataFrame]:
    """The premium's tables as written to ``data/processed/event_study/`` (file name → table)."""
    defined = r.difference["diff_ret"].notna().to_numpy()
    first, last = np.flatnonzero(defined)[[0, -1]] if defined.any() else (0, -1)
    by_event = r.by_event.merge(r.observations[["event_id", "day0", "category", "members"]], on="event_id", how="left")
    return {
        "premium_by_event.csv": by_event[["event_id", "members", "day0", "category", *r.by_event.columns[1:]]],
        "premium.csv": r.premium.assign(benchmark=r.benchmark),
        "difference_series.csv": r.difference.iloc[first : last + 1].assign(benchmark=r.benchmark),
        "placebo.csv": r.placebo.assign(benchmark=r.benchmark, seed=r.settings["seed"]),
        "robustness.csv": r.robustness,
        "premium_groups.csv": r.groups,
    }


def headline_row(r: ChinaPremium, scope: str, model: str = BASE_MODEL, window=BASE_WINDOW) -> pd.Series:
    """The premium row of one scope for the headline model and window."""
    p = r.premium
    sel = p[
        p["scope"].eq(scope) & p["model"].eq(model) & p["window_start"].eq(window[0]) & p["window_end"].eq(window[1])
    ]
    return sel.iloc[0]


# --------------------------------------------------------------------------- sentences

SCOPE_WORDS = {
    "escalation": "escalations",
    "de-escalation": "de-escalations",
    "talks & agreements": "talks and agreements",
}


def _pp(value: float) -> str:
    from ..text import fmt_number

    return fmt_number(value * 100, "{:+.2f}") + " pp"


def _p(value: float) -> str:
    return "n/a" if not np.isfinite(value) else ("<0.001" if value < 0.001 else f"{value:.3f}")


def benchmark_words(benchmark: str) -> str:
    """The benchmark as a reader reads it (a market index is named for what it holds)."""
    weighting = market_index.INDEXES.get(benchmark)
    if weighting is None:
        return benchmark
    return f"{benchmark}, the market ex-China (the control tokens, {weighting}-weighted)"


def honest_p(row: pd.Series) -> float:
    """The p-value the headline quotes: the least favourable of the clustered regression and the block placebo.

    Both respect the clustering of the dates; the random-date placebo does not (it is shown beside them).
    """
    values = [v for v in (row["p"], row["block_p"]) if np.isfinite(v)]
    return max(values) if values else float("nan")


def verdict(row: pd.Series, level: float = 0.05) -> str:
    """Plain words for one category's premium: above, below, or not distinguishable from the control group."""
    p = honest_p(row)
    if not np.isfinite(p):
        return "cannot be measured"
    side = "above" if row["estimate"] > 0 else "below"
    if p >= level:
        return f"{side} the control group's, but not distinguishable from it"
    return f"{side} the control group's"


def headline_text(r: ChinaPremium, window=BASE_WINDOW) -> str:
    """Is it China, or just crypto? One sentence for the escalations, with the honest p-value."""
    row = headline_row(r, "escalation", window=window)
    p = honest_p(row)
    if not np.isfinite(row["estimate"]):
        return "The China premium on escalations cannot be measured: no event with both China-linked and control CARs."
    size = _pp(abs(row["estimate"])).lstrip("+")
    side = "higher" if row["estimate"] > 0 else "lower"
    base = (
        f"Is it China? On escalations, China-linked tokens' CAR[−1,+1] was {size} {side} than that of "
        f"{len(r.control)} similar tokens without China ties (vs "
        f"{'the market ex-China, ' if r.benchmark in market_index.INDEXES else ''}{r.benchmark}, market model; p = {_p(p)} "
        "allowing for the clustering of the event dates)"
    )
    if np.isfinite(p) and p < 0.05:
        return base + ": a China-specific reaction beyond the crypto market's."
    return base + ": not measurably — the data cannot tell a China effect from the crypto market's own moves."


def findings_text(r: ChinaPremium, window=BASE_WINDOW) -> list[str]:
    """One sentence per category: the premium, its interval and the three p-values."""
    out = []
    for scope in SCOPES:
        row = headline_row(r, scope, window=window)
        if not np.isfinite(row["estimate"]):
            out.append(f"{SCOPE_WORDS[scope].capitalize()}: no event with both China-linked and control CARs.")
            continue
        out.append(
            f"{SCOPE_WORDS[scope].capitalize()} ({int(row['n_events'])} event days in {int(row['n_clusters'])} "
            f"clusters): the China-linked tokens' CAR[−1,+1] was {verdict(row)}: "
            f"{_pp(row['estimate'])} (95% CI {_pp(row['ci_low'])} to {_pp(row['ci_high'])}); p = {_p(row['p'])} "
            f"clustered, {_p(row['block_p'])} shifting all dates together, {_p(row['placebo_p'])} against random dates."
        )
    rob = r.robustness
    if not rob.empty:
        varied = rob[~rob["baseline"].astype(bool)]
        hits = varied[varied["p"] < 0.05]
        if hits.empty:
            out.append(
                f"None of the {len(varied)} robustness variations (one setting changed at a time, escalations and "
                "de-escalations) gives a clustered p below 0.05."
            )
        else:
            listed = "; ".join(
                f"{SCOPE_WORDS[row['scope']]} with {row['dimension']} {row['setting']}: "
                f"{_pp(row['estimate'])}, p = {_p(row['p'])}"
                for _, row in hits.iterrows()
            )
            out.append(
                f"{len(hits)} of the {len(varied)} robustness variations {'gives' if len(hits) == 1 else 'give'} a clustered p below 0.05 ({listed}); "
                "with this many variations, one or two would by chance."
            )
    return out
