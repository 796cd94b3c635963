"""Event study in three explicit steps: prepare -> fit -> statistics.

>>> prepared = prepare_event_study(returns, events, tokens=["TRX", "NEO"])   # doctest: +SKIP
>>> fitted = fit_models(prepared, models=["market_model"])                  # doctest: +SKIP
>>> result = compute_statistics(prepared, fitted, min_estimation_obs=60)    # doctest: +SKIP

or :func:`run_event_study` for all three. Inputs are tidy pandas objects; the work is done on
``(event, token, day)`` NumPy arrays (see :mod:`.models` and :mod:`.tests`); outputs are tidy
pandas tables (see :class:`EventStudyResult` for the columns).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import significance as st
from .models import MODELS, NormalReturnFit, abnormal_returns, check_model, fit_normal_returns
from .windows import (
    DEFAULT_ESTIMATION_WINDOW,
    DEFAULT_EVENT_WINDOWS,
    EventWindows,
    Window,
    build_event_windows,
    check_daily_calendar,
    gather_rows,
    validate_window,
    validate_windows,
)

#: Name of the equal-weighted benchmark (mean of the other studied tokens).
EQUAL_WEIGHTED = "EW"

#: Tests reported in the ``caar`` table, in row order.
CAAR_TESTS: tuple[str, ...] = (
    "cross_sectional_t",
    "patell_z",
    "bmp",
    "bmp_kp",
    "corrado_rank",
    "generalized_sign",
)

#: Smallest allowed ``min_estimation_obs``: Patell's variance factor needs ``n - 2 > 2``.
SMALLEST_MIN_ESTIMATION_OBS = 5

EVENT_COLUMNS = ("event_id", "day0", "category")
ABNORMAL_RETURN_COLUMNS = [
    "event_id",
    "token",
    "date",
    "rel_day",
    "ret",
    "market_ret",
    "expected_ret",
    "ar",
    "model",
    "benchmark",
]
CAR_COLUMNS = [
    "event_id",
    "token",
    "model",
    "benchmark",
    "window_start",
    "window_end",
    "car",
    "se",
    "t",
    "p",
    "n_est",
]
CAAR_COLUMNS = [
    "scope",
    "model",
    "window_start",
    "window_end",
    "n_tokens",
    "caar",
    "test",
    "statistic",
    "p",
    "ci_low",
    "ci_high",
    "scope_type",
    "benchmark",
    "n_events",
]
EXCLUSION_COLUMNS = ["event_id", "token", "model", "reason", "window_start", "window_end"]

CONVENTIONS = {
    "rel_day": "calendar-day offset from day 0 (crypto trades every day)",
    "resid_var": "market_model SSR/(n-2); constant_mean and market_adjusted sample variance ddof 1",
    "car_variance": "market_model: s2*(L + L^2/n + (sum Rm - L*mean_m)^2/SSD_m) (MacKinlay 1997, full "
    "prediction-error covariance); constant_mean: s2*(L + L^2/n); market_adjusted: L*s2",
    "car_p": "two-sided Student t, dof n_est-2 (market_model) or n_est-1",
    "scar": "CAR / se(CAR) (prediction-error corrected)",
    "patell_z": "sum SCAR_i/sqrt(dof_i/(dof_i-2)) / sqrt(N), normal",
    "bmp": "cross-sectional t of SCAR, Student t N-1",
    "bmp_kp": "BMP * sqrt((1-r)/(1+(N-1)r)), r = pooled mean pairwise correlation of estimation "
    "residuals aligned on relative day, Student t N-1",
    "corrado_rank": "Campbell-Wasley (1993)/Cowan (1992) multi-day form, ranks over estimation + event "
    "span, U = rank/(T_i+1) - 1/2, normal",
    "generalized_sign": "Cowan (1992), p-hat = mean estimation-window fraction of positive ARs, normal",
    "cross_sectional_t": "CAAR/(sd/sqrt(N)), Student t N-1; ci_low/ci_high from it",
    "n_tokens": "number of token-events entering the statistic (tokens for an event scope)",
}


# --------------------------------------------------------------------------------------------
# data classes


@dataclass(frozen=True)
class PreparedEventStudy:
    """Validated inputs cut into ``(event, token, day)`` arrays (output of :func:`prepare_event_study`).

    Attributes
    ----------
    event_ids, categories : numpy.ndarray
        Shape ``(event,)``, str.
    day0 : pandas.DatetimeIndex
        Day 0 of each event.
    tokens : list of str
        Studied tokens, in column order of the arrays.
    benchmark : str
        Benchmark symbol or ``'EW'``.
    windows : EventWindows
        Row positions of every window.
    est_returns, est_market : numpy.ndarray
        Estimation-window token and market returns, ``(event, token, day)`` and
        ``(event, token or 1, day)``; NaN where missing or excluded.
    event_returns, event_market : numpy.ndarray
        Event-span returns, same layout.
    event_dates : numpy.ndarray
        Shape ``(event, day)``, datetime64 dates of the event span (NaT outside the data).
    settings : dict
        Settings used so far.
    day_shift : numpy.ndarray or None
        Shape ``(event, token)``: days by which a token's day 0 follows the event's (its source's
        day closes at another hour, see ``day0_shift``); None when every token uses the event's.
    """

    event_ids: np.ndarray
    categories: np.ndarray
    day0: pd.DatetimeIndex
    tokens: list[str]
    benchmark: str
    windows: EventWindows
    est_returns: np.ndarray
    est_market: np.ndarray
    event_returns: np.ndarray
    event_market: np.ndarray
    event_dates: np.ndarray
    settings: dict[str, Any]
    day_shift: np.ndarray | None = None


@dataclass(frozen=True)
class FittedModel:
    """One normal-return model fitted to every token-event (output of :func:`fit_models`).

    Attributes
    ----------
    fit : NormalReturnFit
        Estimation-window parameters and residuals.
    expected : numpy.ndarray
        Shape ``(event, token, day)``; expected returns over the event span.
    abnormal : numpy.ndarray
        Same shape; abnormal returns over the event span.
    """

    fit: NormalReturnFit
    expected: np.ndarray
    abnormal: np.ndarray

    @property
    def model(self) -> str:
        """Name of the model."""
        return self.fit.model


@dataclass
class EventStudyResult:
    """Tidy output tables of an event study.

    Attributes
    ----------
    abnormal_returns : pandas.DataFrame
        ``event_id, token, date, rel_day, ret, market_ret, expected_ret, ar, model, benchmark``;
        one row per retained token-event, event-span day and model.
    car : pandas.DataFrame
        ``event_id, token, model, benchmark, window_start, window_end, car, se, t, p, n_est``.
    caar : pandas.DataFrame
        ``scope, model, window_start, window_end, n_tokens, caar, test, statistic, p`` then
        ``ci_low, ci_high`` (95 % by default, from the cross-sectional t; repeated on every test
        row of the group), ``scope_type`` ('event' or 'category'), ``benchmark``, ``n_events``.
        ``n_tokens`` counts the token-events entering the statistic (the tokens, for an event
        scope). A scope with no usable token-event keeps its rows with ``n_tokens = 0`` and NaN
        statistics; undefined statistics (e.g. a t test with one series) are NaN.
    exclusions : pandas.DataFrame
        ``event_id, token, model, reason`` then ``window_start, window_end`` (NA when the whole
        token-event is excluded, set when only one CAR window lacks data).
    params : dict
        Every setting used.
    members : pandas.DataFrame or None
        When events sharing a day 0 were merged before the study (``chinabrief.analysis.token_event_study``):
        each catalogue event and the observation id it counts under.
    """

    abnormal_returns: pd.DataFrame
    car: pd.DataFrame
    caar: pd.DataFrame
    exclusions: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)
    members: pd.DataFrame | None = None


# --------------------------------------------------------------------------------------------
# step 1: prepare


def _check_tokens(tokens: Sequence[str], columns: pd.Index) -> list[str]:
    if isinstance(tokens, str):
        raise ValueError(f"tokens must be a list of symbols, got the string {tokens!r}")
    tokens = list(tokens)
    if not tokens:
        raise ValueError("tokens is empty; give at least one token symbol")
    for token in tokens:
        if not isinstance(token, str) or token != token.upper() or not token:
            raise ValueError(f"token {token!r} must be a non-empty upper-case symbol")
    duplicated = sorted({t for t in tokens if tokens.count(t) > 1})
    if duplicated:
        raise ValueError(f"tokens listed more than once: {', '.join(duplicated)}")
    missing = [t for t in tokens if t not in columns]
    if missing:
        raise ValueError(f"token(s) not in returns columns: {', '.join(missing)}")
    return tokens


def _check_benchmark(benchmark: str, tokens: list[str], columns: pd.Index) -> str:
    if not isinstance(benchmark, str) or not benchmark:
        raise ValueError(f"benchmark must be a symbol such as 'BTC', 'ETH' or 'EW', got {benchmark!r}")
    if benchmark == EQUAL_WEIGHTED:
        if len(tokens) < 2:
            raise ValueError("the EW benchmark needs at least 2 tokens (each token's market excludes itself)")
        return benchmark
    if benchmark not in columns:
        raise ValueError(f"benchmark {benchmark!r} not in returns columns (nor 'EW')")
    if benchmark in tokens:
        raise ValueError(f"benchmark {benchmark!r} is also a studied token; remove it from tokens")
    return benchmark


def _check_events(events: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(events, pd.DataFrame):
        raise ValueError(f"events must be a DataFrame, got {type(events).__name__}")
    missing = [c for c in EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise ValueError(f"events lacks column(s) {', '.join(missing)}; needs {', '.join(EVENT_COLUMNS)}")
    if events.empty:
        raise ValueError("events is empty")
    ids = events["event_id"].astype(str)
    duplicated = sorted(ids[ids.duplicated()].unique())
    if duplicated:
        raise ValueError(f"event_id not unique: {', '.join(duplicated[:5])}")
    if events["day0"].isna().any() or events["category"].isna().any():
        raise ValueError("events has missing day0 or category values")
    try:
        day0 = pd.DatetimeIndex(pd.to_datetime(events["day0"]))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"events.day0 must hold dates: {exc}") from None
    return pd.DataFrame(
        {"event_id": ids.to_numpy(), "day0": day0, "category": events["category"].astype(str).to_numpy()}
    )


def _returns_panel(returns: pd.DataFrame, symbols: list[str]) -> np.ndarray:
    try:
        panel = returns[symbols].to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"returns must be numeric: {exc}") from None
    if np.isinf(panel).any():
        bad = [s for s, col in zip(symbols, np.isinf(panel).any(axis=0)) if col]
        raise ValueError(f"returns hold infinite values in column(s) {', '.join(bad)}")
    return panel


def equal_weighted_market(token_panel: np.ndarray) -> np.ndarray:
    """Equal-weighted market return of each token, leaving the token itself out.

    ``EW_kt = (sum_j r_jt - r_kt) / (count_t - 1)`` over the tokens with a return on day ``t``;
    NaN when no other token has a return that day.

    Parameters
    ----------
    token_panel : numpy.ndarray
        Shape ``(day, token)``, simple returns, NaN missing.

    Returns
    -------
    numpy.ndarray
        Shape ``(day, token)``.
    """
    valid = ~np.isnan(token_panel)
    filled = np.where(valid, token_panel, 0.0)
    total = filled.sum(axis=1, keepdims=True) - filled
    count = valid.sum(axis=1, keepdims=True) - valid
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _check_shift(day0_shift: pd.DataFrame | None, event_ids: pd.Series, tokens: list[str]) -> np.ndarray | None:
    """The ``(event, token)`` day-0 shifts as whole days, or None when there are none."""
    if day0_shift is None:
        return None
    if not isinstance(day0_shift, pd.DataFrame):
        raise ValueError(f"day0_shift must be a DataFrame (event_id x token), got {type(day0_shift).__name__}")
    shift = day0_shift.reindex(index=event_ids.to_numpy(), columns=tokens).fillna(0)
    values = shift.to_numpy(dtype=float)
    if not np.all(values == np.round(values)):
        raise ValueError("day0_shift must hold whole days")
    values = values.astype(np.int64)
    return values if values.any() else None


def prepare_event_study(
    returns: pd.DataFrame,
    events: pd.DataFrame,
    tokens: Sequence[str],
    benchmark: str = "BTC",
    estimation_window: Window = DEFAULT_ESTIMATION_WINDOW,
    event_windows: Iterable[Window] = DEFAULT_EVENT_WINDOWS,
    exclude_event_days: bool = True,
    exclusion_window: Window = (0, 0),
    day0_shift: pd.DataFrame | None = None,
) -> PreparedEventStudy:
    """Validate inputs and cut the estimation and event windows into 3-D arrays.

    Parameters
    ----------
    returns : pandas.DataFrame
        Wide daily simple returns: complete tz-naive daily DatetimeIndex (UTC days), upper-case
        symbol columns including the benchmark (unless ``'EW'``), NaN for missing.
    events : pandas.DataFrame
        Columns ``event_id`` (unique), ``day0`` (UTC day), ``category``.
    tokens : sequence of str
        Tokens to study (upper-case, in ``returns``).
    benchmark : str, default 'BTC'
        A column of ``returns`` (e.g. 'BTC', 'ETH') or ``'EW'``: the equal-weighted mean of the
        other studied tokens, different for every token.
    estimation_window : tuple of int, default (-120, -11)
        Estimation window, days relative to day 0.
    event_windows : iterable of tuple of int
        CAR windows, default ``[(0, 0), (0, 1), (-1, 1), (0, 3), (-5, 5)]``.
    exclude_event_days : bool, default True
        Leave day 0 of the *other* catalogue events out of each estimation window.
    exclusion_window : tuple of int, default (0, 0)
        With ``exclude_event_days``, the days around each event's day 0 that are left out, e.g.
        ``(-1, 1)`` for days −1..+1 (an event's own estimation window ends before its own window).
    day0_shift : pandas.DataFrame, optional
        Whole days by which a token's day 0 differs from the event's (index ``event_id``, columns
        tokens; missing entries are 0): a token whose source closes its day at another hour
        than the benchmark may see an announcement on another of its days. Its estimation and
        event windows, and the benchmark's returns it is compared with, move with it.

    Returns
    -------
    PreparedEventStudy
        Arrays and settings for :func:`fit_models`.

    Raises
    ------
    ValueError
        On a malformed window, a bad returns index, unknown tokens/benchmark, malformed events or
        an event day 0 outside the data range.
    """
    if not isinstance(returns, pd.DataFrame):
        raise ValueError(f"returns must be a DataFrame, got {type(returns).__name__}")
    index = check_daily_calendar(returns.index)
    tokens = _check_tokens(tokens, returns.columns)
    benchmark = _check_benchmark(benchmark, tokens, returns.columns)
    table = _check_events(events)
    excluded_days = None
    if exclude_event_days:
        lo, hi = validate_window(exclusion_window, "exclusion window")
        day0 = pd.DatetimeIndex(table["day0"])
        excluded_days = (
            day0
            if (lo, hi) == (0, 0)
            else pd.DatetimeIndex(
                np.unique(np.concatenate([(day0 + pd.Timedelta(days=k)).to_numpy() for k in range(lo, hi + 1)]))
            )
        )
    windows = build_event_windows(index, table["day0"], estimation_window, event_windows, excluded_days)

    token_panel = _returns_panel(returns, tokens)
    if benchmark == EQUAL_WEIGHTED:
        market_panel = equal_weighted_market(token_panel)
    else:
        market_panel = _returns_panel(returns, [benchmark])

    est_usable = windows.estimation_usable
    dates = np.append(index.to_numpy(), np.datetime64("NaT"))
    span_rows = np.where(windows.event_in_range, windows.event_rows, len(index))
    arrays = {
        "est_returns": gather_rows(token_panel, windows.estimation_rows, est_usable),
        "est_market": gather_rows(market_panel, windows.estimation_rows, est_usable),
        "event_returns": gather_rows(token_panel, windows.event_rows, windows.event_in_range),
        "event_market": gather_rows(market_panel, windows.event_rows, windows.event_in_range),
    }
    shift = _check_shift(day0_shift, table["event_id"], tokens)
    for days in np.unique(shift[shift != 0]) if shift is not None else []:
        moved = build_event_windows(
            index, table["day0"] + pd.Timedelta(days=int(days)), estimation_window, event_windows, excluded_days
        )
        mask = (shift == days)[:, :, None]  # (event, token, 1)
        for name, panel, rows, usable in (
            ("est_returns", token_panel, moved.estimation_rows, moved.estimation_usable),
            ("est_market", market_panel, moved.estimation_rows, moved.estimation_usable),
            ("event_returns", token_panel, moved.event_rows, moved.event_in_range),
            ("event_market", market_panel, moved.event_rows, moved.event_in_range),
        ):
            arrays[name] = np.ascontiguousarray(np.where(mask, gather_rows(panel, rows, usable), arrays[name]))
    return PreparedEventStudy(
        event_ids=table["event_id"].to_numpy(dtype=object),
        categories=table["category"].to_numpy(dtype=object),
        day0=pd.DatetimeIndex(table["day0"]),
        tokens=tokens,
        benchmark=benchmark,
        windows=windows,
        **arrays,
        event_dates=dates[span_rows],
        day_shift=shift,
        settings={
            "tokens": list(tokens),
            "benchmark": benchmark,
            "estimation_window": list(windows.estimation_window),
            "event_windows": [list(w) for w in windows.event_windows],
            "exclude_event_days": bool(exclude_event_days),
            **({"exclusion_window": list(exclusion_window)} if tuple(exclusion_window) != (0, 0) else {}),
            "n_events": int(len(table)),
            "event_ids": table["event_id"].tolist(),
            "data_start": str(index[0].date()),
            "data_end": str(index[-1].date()),
        },
    )


# --------------------------------------------------------------------------------------------
# step 2: fit


def _check_models(models: Iterable[str]) -> list[str]:
    if isinstance(models, str):
        models = [models]
    models = list(models)
    if not models:
        raise ValueError(f"models is empty; choose from {', '.join(MODELS)}")
    for model in models:
        check_model(model)
    if len(set(models)) != len(models):
        raise ValueError(f"models listed more than once: {models}")
    return models


def fit_models(prepared: PreparedEventStudy, models: Iterable[str] = MODELS) -> dict[str, FittedModel]:
    """Fit each normal-return model and compute event-span abnormal returns.

    Parameters
    ----------
    prepared : PreparedEventStudy
        Output of :func:`prepare_event_study`.
    models : iterable of str
        Any of ``'market_adjusted'``, ``'market_model'``, ``'constant_mean'``.

    Returns
    -------
    dict of str to FittedModel
        In the order given.

    Raises
    ------
    ValueError
        On an unknown, repeated or missing model name.
    """
    fitted = {}
    for model in _check_models(models):
        fit = fit_normal_returns(model, prepared.est_returns, prepared.est_market)
        expected, abnormal = abnormal_returns(fit, prepared.event_returns, prepared.event_market)
        fitted[model] = FittedModel(fit=fit, expected=expected, abnormal=abnormal)
    return fitted


# --------------------------------------------------------------------------------------------
# step 3: statistics


def _check_min_obs(min_estimation_obs: int, estimation_window: Sequence[int]) -> int:
    if isinstance(min_estimation_obs, bool) or not isinstance(min_estimation_obs, (int, np.integer)):
        raise ValueError(f"min_estimation_obs must be an integer, got {min_estimation_obs!r}")
    length = estimation_window[1] - estimation_window[0] + 1
    if not SMALLEST_MIN_ESTIMATION_OBS <= min_estimation_obs <= length:
        raise ValueError(
            f"min_estimation_obs must be between {SMALLEST_MIN_ESTIMATION_OBS} and the estimation window "
            f"length {length}, got {min_estimation_obs}"
        )
    return int(min_estimation_obs)


def _format_window(window: Sequence[int]) -> str:
    return f"({window[0]}, {window[1]})"


def _token_event_reasons(
    prepared: PreparedEventStudy, fitted: FittedModel, min_obs: int
) -> dict[tuple[int, int], list[str]]:
    """Reasons to exclude whole token-events, keyed by (event, token) position."""
    fit = fitted.fit
    span = _format_window((prepared.windows.event_offsets[0], prepared.windows.event_offsets[-1]))
    no_token_data = np.isnan(prepared.event_returns).all(axis=-1)
    uses_market = fit.model != "constant_mean"
    no_market_data = np.broadcast_to(np.isnan(prepared.event_market).all(axis=-1), no_token_data.shape)
    too_few = fit.n_est < min_obs
    undefined = ~too_few & ~(np.isfinite(fit.alpha) & np.isfinite(fit.beta) & (fit.resid_var > 0))
    checks = [
        (no_token_data, lambda e, k: f"no price data in event window {span}"),
        (
            no_market_data & uses_market & ~no_token_data,
            lambda e, k: f"no {prepared.benchmark} benchmark return in event window {span}",
        ),
        (too_few, lambda e, k: f"only {fit.n_est[e, k]} valid returns in estimation window, minimum {min_obs}"),
        (
            undefined,
            lambda e, k: (
                "normal-return model undefined (zero variance of the market or of the residuals "
                "in the estimation window)"
            ),
        ),
    ]
    reasons: dict[tuple[int, int], list[str]] = {}
    for mask, message in checks:
        for e, k in zip(*np.nonzero(mask)):
            reasons.setdefault((int(e), int(k)), []).append(message(e, k))
    return reasons


def _window_cars(prepared: PreparedEventStudy, fitted: FittedModel, included: np.ndarray):
    """Per window: CAR, its variance, completeness; arrays ``(window, event, token)``."""
    fit = fitted.fit
    windows = prepared.windows.event_windows
    n_w, (n_e, n_k) = len(windows), included.shape
    car = np.full((n_w, n_e, n_k), np.nan)
    var = np.full((n_w, n_e, n_k), np.nan)
    complete = np.zeros((n_w, n_e, n_k), dtype=bool)
    market = np.broadcast_to(prepared.event_market, fitted.abnormal.shape)
    for w, window in enumerate(windows):
        columns = prepared.windows.window_columns(window)
        window_car = fitted.abnormal[..., columns].sum(axis=-1)
        complete[w] = included & np.isfinite(window_car)
        car[w] = np.where(complete[w], window_car, np.nan)
        market_sum = market[..., columns].sum(axis=-1) if fit.model == "market_model" else None
        var[w] = st.car_variance(
            fit.model, fit.resid_var, fit.n_est, len(columns), market_sum, fit.market_mean, fit.market_ssd
        )
    return car, var, complete


@dataclass(frozen=True)
class WindowCars:
    """CARs of every token-event and window, without the tables (output of :func:`window_cars`).

    Attributes
    ----------
    car, var : numpy.ndarray
        Shape ``(window, event, token)``; CAR and its prediction-error variance, NaN where the
        token-event is excluded or the window lacks an abnormal return.
    complete : numpy.ndarray
        Same shape, bool; True where ``car`` is defined.
    windows : tuple of tuple of int
        The CAR windows, in the order of the first axis.
    """

    car: np.ndarray
    var: np.ndarray
    complete: np.ndarray
    windows: tuple[Window, ...]


def window_cars(prepared: PreparedEventStudy, fitted: FittedModel, min_estimation_obs: int = 60) -> WindowCars:
    """CARs of every token-event and window under the screening of :func:`compute_statistics`.

    The fast path for studies that need only the CARs (robustness grids, placebo runs): no
    abnormal-return, CAR or CAAR table is built. The same token-events are left out as in
    :func:`compute_statistics` (no data in the event span, too few estimation returns, an
    undefined fit, a missing abnormal return in the window).

    Parameters
    ----------
    prepared : PreparedEventStudy
        Output of :func:`prepare_event_study`.
    fitted : FittedModel
        One model of :func:`fit_models`.
    min_estimation_obs : int, default 60
        Minimum valid estimation-window returns.

    Returns
    -------
    WindowCars
    """
    min_obs = _check_min_obs(min_estimation_obs, prepared.windows.estimation_window)
    fit = fitted.fit
    no_token_data = np.isnan(prepared.event_returns).all(axis=-1)
    no_market_data = np.broadcast_to(np.isnan(prepared.event_market).all(axis=-1), no_token_data.shape)
    uses_market = fit.model != "constant_mean"
    defined = np.isfinite(fit.alpha) & np.isfinite(fit.beta) & (fit.resid_var > 0)
    included = ~no_token_data & ~(no_market_data & uses_market) & (fit.n_est >= min_obs) & defined
    car, var, complete = _window_cars(prepared, fitted, included)
    return WindowCars(car=car, var=var, complete=complete, windows=prepared.windows.event_windows)


def _window_exclusions(prepared, fitted, included, complete) -> list[tuple[int, int, str, Window]]:
    rows = []
    offsets = prepared.windows.event_offsets
    for w, window in enumerate(prepared.windows.event_windows):
        columns = prepared.windows.window_columns(window)
        for e, k in zip(*np.nonzero(included & ~complete[w])):
            missing = offsets[columns][np.isnan(fitted.abnormal[e, k, columns])]
            days = ", ".join(str(int(d)) for d in missing)
            reason = f"missing abnormal return on rel_day {days} in event window {_format_window(window)}"
            rows.append((int(e), int(k), reason, window))
    return rows


def _strings(values: Sequence[str], positions: np.ndarray):
    """String column ``values[positions]`` built by an Arrow take (fast for long repeated columns)."""
    return pd.array(np.asarray(values, dtype=object), dtype="str")[np.asarray(positions, dtype=np.intp)]


def _constant_strings(value: str, length: int):
    return _strings([value], np.zeros(length, dtype=np.intp))


def _shifted_dates(prepared, event_pos: np.ndarray, token_pos: np.ndarray) -> np.ndarray:
    """The calendar date of each (event, token, day) row: the event's span, moved by the token's shift."""
    dates = prepared.event_dates[event_pos]
    if prepared.day_shift is not None:
        dates = dates + prepared.day_shift[event_pos, token_pos][:, None].astype("timedelta64[D]")
    return dates.reshape(-1)


def _abnormal_return_table(prepared, fitted: FittedModel, included: np.ndarray) -> pd.DataFrame:
    event_pos, token_pos = np.nonzero(included)
    n_days = prepared.windows.event_offsets.size
    market = np.broadcast_to(prepared.event_market, fitted.abnormal.shape)

    def flat(values: np.ndarray) -> np.ndarray:
        return values[event_pos, token_pos].reshape(-1)

    return pd.DataFrame(
        {
            "event_id": _strings(prepared.event_ids, np.repeat(event_pos, n_days)),
            "token": _strings(prepared.tokens, np.repeat(token_pos, n_days)),
            "date": _shifted_dates(prepared, event_pos, token_pos),
            "rel_day": np.tile(prepared.windows.event_offsets, event_pos.size),
            "ret": flat(prepared.event_returns),
            "market_ret": flat(market),
            "expected_ret": flat(fitted.expected),
            "ar": flat(fitted.abnormal),
            "model": _constant_strings(fitted.model, event_pos.size * n_days),
            "benchmark": _constant_strings(prepared.benchmark, event_pos.size * n_days),
        },
        columns=ABNORMAL_RETURN_COLUMNS,
    )


def _car_table(prepared, fitted: FittedModel, car, var, complete) -> pd.DataFrame:
    fit = fitted.fit
    windows = np.asarray(prepared.windows.event_windows)
    test = st.car_t_test(car, var, fit.dof[None])
    # order rows event -> token -> window
    order = np.transpose(complete, (1, 2, 0))
    e_pos, k_pos, w_pos = np.nonzero(order)

    def pick(values: np.ndarray) -> np.ndarray:
        return np.broadcast_to(values, complete.shape)[w_pos, e_pos, k_pos]

    return pd.DataFrame(
        {
            "event_id": _strings(prepared.event_ids, e_pos),
            "token": _strings(prepared.tokens, k_pos),
            "model": _constant_strings(fitted.model, e_pos.size),
            "benchmark": _constant_strings(prepared.benchmark, e_pos.size),
            "window_start": windows[w_pos, 0],
            "window_end": windows[w_pos, 1],
            "car": pick(car),
            "se": pick(test.se),
            "t": pick(test.t),
            "p": pick(test.p_value),
            "n_est": fit.n_est[e_pos, k_pos].astype(np.int64),
        },
        columns=CAR_COLUMNS,
    )


def _scope_statistics(
    car, scar, dof, positive_fraction, correlation_sums, rank_sums, rank_columns, confidence_level
) -> dict[str, Any]:
    """Every CAAR test of one window for a group of scopes.

    ``car``, ``scar``, ``dof`` and ``positive_fraction`` are ``(scope, series)``; the sums are
    already restricted to the series with a CAR in this window.
    """
    include = np.isfinite(car)
    n_series = include.sum(axis=-1)
    low, high = st.caar_confidence_interval(car, confidence_level)
    with np.errstate(invalid="ignore", divide="ignore"):
        caar = np.where(n_series > 0, np.where(include, car, 0.0).sum(axis=-1) / np.maximum(n_series, 1), np.nan)
    return {
        "caar": caar,
        "n_series": n_series,
        "ci_low": low,
        "ci_high": high,
        "tests": {
            "cross_sectional_t": st.cross_sectional_t(car),
            "patell_z": st.patell_z(scar, dof),
            "bmp": st.bmp_t(scar),
            "bmp_kp": st.bmp_kp_t(scar, st.correlation_from_sums(correlation_sums)),
            "corrado_rank": st.corrado_from_sums(rank_sums, rank_columns),
            "generalized_sign": st.generalized_sign_z(car, positive_fraction),
        },
    }


def _caar_frame(scopes, scope_type, n_events, model, benchmark, windows, results) -> pd.DataFrame:
    """One table for a group of scopes; rows ordered scope -> window -> test.

    ``results[w]`` comes from :func:`_scope_statistics`; ``n_events`` is ``(window, scope)``.
    """
    n_scopes, n_windows, n_tests = len(scopes), len(windows), len(CAAR_TESTS)

    def by_window(key: str) -> np.ndarray:  # (scope, window, test)
        values = np.stack([np.asarray(r[key], dtype=float).reshape(n_scopes) for r in results], axis=1)
        return np.repeat(values[:, :, None], n_tests, axis=2)

    def by_test(field: str) -> np.ndarray:
        return np.stack(
            [
                np.stack(
                    [
                        np.asarray(getattr(r["tests"][name], field), dtype=float).reshape(n_scopes)
                        for name in CAAR_TESTS
                    ],
                    axis=1,
                )
                for r in results
            ],
            axis=1,
        )

    window_array = np.asarray(windows, dtype=np.int64)
    shape = (n_scopes, n_windows, n_tests)
    events_count = np.repeat(
        np.asarray(n_events, dtype=np.int64).reshape(n_windows, n_scopes).T[:, :, None], n_tests, axis=2
    )
    return pd.DataFrame(
        {
            "scope": np.repeat(np.asarray(scopes, dtype=object), n_windows * n_tests),
            "model": model,
            "window_start": np.broadcast_to(window_array[None, :, 0, None], shape).ravel(),
            "window_end": np.broadcast_to(window_array[None, :, 1, None], shape).ravel(),
            "n_tokens": by_window("n_series").astype(np.int64).ravel(),
            "caar": by_window("caar").ravel(),
            "test": np.tile(np.asarray(CAAR_TESTS, dtype=object), n_scopes * n_windows),
            "statistic": by_test("statistic").ravel(),
            "p": by_test("p_value").ravel(),
            "ci_low": by_window("ci_low").ravel(),
            "ci_high": by_window("ci_high").ravel(),
            "scope_type": scope_type,
            "benchmark": benchmark,
            "n_events": events_count.ravel(),
        },
        columns=CAAR_COLUMNS,
    )


def _pool_events(values: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Merge the token-events of events ``members`` into one scope: ``(event, token)`` -> ``(1, n)``."""
    return values[members].reshape(1, -1)


def _caar_table(prepared, fitted: FittedModel, car, var, confidence_level) -> pd.DataFrame:
    """CAAR tests per event (vectorised over events) and per category (pooled token-events).

    The cross-correlation and rank sums are additive over series, so each category's are the
    sums of its events' and the big ``(event, token, day)`` arrays are read once per window.
    """
    fit = fitted.fit
    windows = prepared.windows.event_windows
    n_est_days = fit.residuals.shape[-1]
    rank_columns = [n_est_days + prepared.windows.window_columns(w) for w in windows]
    scar = st.standardized_car(car, var)
    dof = np.broadcast_to(fit.dof.astype(float), car.shape[1:])
    standardized = st.standardize_residuals(fit.residuals)
    ranks = st.rank_panel(fit.residuals, fitted.abnormal)
    with_cars = np.isfinite(car).any(axis=-1).astype(np.int64)  # (window, event)
    categories = list(dict.fromkeys(prepared.categories))
    members = {c: np.flatnonzero(prepared.categories == c) for c in categories}

    event_results: list = []
    category_results: dict = {c: [] for c in categories}
    for w in range(len(windows)):
        include = np.isfinite(car[w])
        correlation_sums = st.cross_correlation_sums(standardized, include)
        rank_sums = st.rank_sums(ranks, include)
        event_results.append(
            _scope_statistics(
                car[w],
                scar[w],
                dof,
                fit.positive_fraction,
                correlation_sums,
                rank_sums,
                rank_columns[w],
                confidence_level,
            )
        )
        for category in categories:
            rows = members[category]
            category_results[category].append(
                _scope_statistics(
                    _pool_events(car[w], rows),
                    _pool_events(scar[w], rows),
                    _pool_events(dof, rows),
                    _pool_events(fit.positive_fraction, rows),
                    correlation_sums.pool(rows),
                    rank_sums.pool(rows),
                    rank_columns[w],
                    confidence_level,
                )
            )

    frames = [
        _caar_frame(prepared.event_ids, "event", with_cars, fit.model, prepared.benchmark, windows, event_results)
    ]
    for category in categories:
        n_events = with_cars[:, members[category]].sum(axis=1, keepdims=True)
        frames.append(
            _caar_frame(
                [category], "category", n_events, fit.model, prepared.benchmark, windows, category_results[category]
            )
        )
    return pd.concat(frames, ignore_index=True)


def _exclusion_frame(prepared, model: str, whole: dict, partial: list) -> pd.DataFrame:
    records = [
        (prepared.event_ids[e], prepared.tokens[k], model, "; ".join(reasons), pd.NA, pd.NA)
        for (e, k), reasons in sorted(whole.items())
    ]
    records += [
        (prepared.event_ids[e], prepared.tokens[k], model, reason, window[0], window[1])
        for e, k, reason, window in partial
    ]
    frame = pd.DataFrame.from_records(records, columns=EXCLUSION_COLUMNS)
    frame["window_start"] = frame["window_start"].astype("Int64")
    frame["window_end"] = frame["window_end"].astype("Int64")
    return frame


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)


def compute_statistics(
    prepared: PreparedEventStudy,
    fitted: dict[str, FittedModel],
    min_estimation_obs: int = 60,
    confidence_level: float = 0.95,
) -> EventStudyResult:
    """Screen token-events, then compute CARs, their tests and every CAAR test.

    A token-event is excluded (listed in ``exclusions`` with its reason, never silently) when it
    has no token or benchmark data in the event span, fewer than ``min_estimation_obs`` valid
    estimation returns, or an undefined fit. A retained token-event lacking an abnormal return on
    some day of one CAR window is left out of that window only (also listed, with the window).

    Parameters
    ----------
    prepared : PreparedEventStudy
        Output of :func:`prepare_event_study`.
    fitted : dict of str to FittedModel
        Output of :func:`fit_models`.
    min_estimation_obs : int, default 60
        Minimum valid estimation-window returns; between 5 and the estimation window length.
    confidence_level : float, default 0.95
        Coverage of the CAAR interval (``ci_low``, ``ci_high``).

    Returns
    -------
    EventStudyResult
        The tidy tables and the parameters.

    Raises
    ------
    ValueError
        If ``min_estimation_obs`` or ``confidence_level`` is out of range, or ``fitted`` is empty.
    """
    min_obs = _check_min_obs(min_estimation_obs, prepared.windows.estimation_window)
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be in (0, 1), got {confidence_level}")
    if not fitted:
        raise ValueError("no fitted model; run fit_models with at least one model")
    ar_frames, car_frames, caar_frames, exclusion_frames = [], [], [], []
    for model, fitted_model in fitted.items():
        whole = _token_event_reasons(prepared, fitted_model, min_obs)
        included = np.ones(fitted_model.fit.n_est.shape, dtype=bool)
        for e, k in whole:
            included[e, k] = False
        car, var, complete = _window_cars(prepared, fitted_model, included)
        partial = _window_exclusions(prepared, fitted_model, included, complete)
        ar_frames.append(_abnormal_return_table(prepared, fitted_model, included))
        car_frames.append(_car_table(prepared, fitted_model, car, var, complete))
        caar_frames.append(_caar_table(prepared, fitted_model, car, var, confidence_level))
        exclusion_frames.append(_exclusion_frame(prepared, model, whole, partial))
    params = {
        **prepared.settings,
        "models": list(fitted),
        "min_estimation_obs": min_obs,
        "confidence_level": confidence_level,
        "caar_tests": list(CAAR_TESTS),
        "conventions": dict(CONVENTIONS),
    }
    return EventStudyResult(
        abnormal_returns=_concat(ar_frames, ABNORMAL_RETURN_COLUMNS),
        car=_concat(car_frames, CAR_COLUMNS),
        caar=_concat(caar_frames, CAAR_COLUMNS),
        exclusions=_concat(exclusion_frames, EXCLUSION_COLUMNS),
        params=params,
    )


def run_event_study(
    returns: pd.DataFrame,
    events: pd.DataFrame,
    tokens: Sequence[str],
    benchmark: str = "BTC",
    models: Iterable[str] = MODELS,
    estimation_window: Window = DEFAULT_ESTIMATION_WINDOW,
    min_estimation_obs: int = 60,
    event_windows: Iterable[Window] = DEFAULT_EVENT_WINDOWS,
    exclude_event_days: bool = True,
    confidence_level: float = 0.95,
    exclusion_window: Window = (0, 0),
    day0_shift: pd.DataFrame | None = None,
) -> EventStudyResult:
    """Run the whole event study: :func:`prepare_event_study`, :func:`fit_models`, :func:`compute_statistics`.

    Parameters
    ----------
    returns : pandas.DataFrame
        Wide daily simple returns (complete tz-naive daily index, upper-case symbol columns).
    events : pandas.DataFrame
        Columns ``event_id``, ``day0``, ``category``.
    tokens : sequence of str
        Tokens studied.
    benchmark : str, default 'BTC'
        Market benchmark column, or ``'EW'`` (equal-weighted mean of the other tokens).
    models : iterable of str
        Normal-return models, from ``'market_adjusted'``, ``'market_model'``, ``'constant_mean'``.
    estimation_window : tuple of int, default (-120, -11)
        Estimation window relative to day 0.
    min_estimation_obs : int, default 60
        Minimum valid estimation-window returns.
    event_windows : iterable of tuple of int
        CAR windows, default ``[(0, 0), (0, 1), (-1, 1), (0, 3), (-5, 5)]``.
    exclude_event_days : bool, default True
        Leave other catalogue events' day 0 out of each estimation window.
    confidence_level : float, default 0.95
        Coverage of the CAAR interval.
    exclusion_window : tuple of int, default (0, 0)
        Days around other events' day 0 left out of estimation (see :func:`prepare_event_study`).
    day0_shift : pandas.DataFrame, optional
        Per event and token, whole days by which the token's day 0 follows the event's (see
        :func:`prepare_event_study`).

    Returns
    -------
    EventStudyResult
        Tables ``abnormal_returns``, ``car``, ``caar``, ``exclusions`` and ``params``.

    Raises
    ------
    ValueError
        On any invalid input (see the three steps).
    """
    models = _check_models(models)
    est, _ = validate_windows(estimation_window, event_windows)
    _check_min_obs(min_estimation_obs, est)
    prepared = prepare_event_study(
        returns,
        events,
        tokens,
        benchmark,
        estimation_window,
        event_windows,
        exclude_event_days,
        exclusion_window=exclusion_window,
        day0_shift=day0_shift,
    )
    fitted = fit_models(prepared, models)
    return compute_statistics(prepared, fitted, min_estimation_obs, confidence_level)
