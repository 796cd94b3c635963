"""The China premium: China-linked tokens' reaction minus a control group's, and its inference.

Pure statistics on NumPy / pandas inputs; no I/O. Two routes to a p-value that respect how the
events cluster in time:

(a) :func:`premium_regression`: token CARs on a China dummy with event fixed effects (the premium
    is then a weighted mean of within-event differences), standard errors clustered by clusters
    of events whose windows overlap (:func:`overlap_clusters`); Student t with G − 1 degrees of
    freedom for G clusters.
(b) :func:`difference_series` + :func:`placebo_test` / :func:`block_placebo`: the daily abnormal
    return of the portfolio long the China-linked tokens and short the control group; its mean
    CAR over a category's event windows against the same statistic on random non-event dates
    (seeded draws), and against the whole set of dates shifted together by a common offset,
    which keeps the clustering of the dates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

#: Columns of :func:`event_premium`.
EVENT_PREMIUM_COLUMNS = ["event_id", "n_china", "n_control", "china_car", "control_car", "premium"]
#: Keys of :func:`premium_regression`.
REGRESSION_KEYS = ["estimate", "se", "t", "p", "ci_low", "ci_high", "n_obs", "n_events", "n_clusters"]


def overlap_clusters(day0, window: tuple[int, int]) -> np.ndarray:
    """Cluster ids of events whose windows ``[day0 + start, day0 + end]`` overlap (transitively).

    Parameters
    ----------
    day0 : array-like of datetime64
        Day 0 of each event.
    window : tuple of int
        The event window; two events share a cluster when their windows share a day, or through a
        chain of such events.

    Returns
    -------
    numpy.ndarray
        Integer cluster id per event, numbered 0, 1, ... in date order.

    Examples
    --------
    >>> days = pd.to_datetime(["2025-01-01", "2025-01-03", "2025-01-10", "2025-01-02"])
    >>> overlap_clusters(days, (-1, 1)).tolist()
    [0, 0, 1, 0]
    """
    days = pd.DatetimeIndex(pd.to_datetime(day0)).to_numpy().astype("datetime64[D]").astype(np.int64)
    if days.size == 0:
        return np.zeros(0, dtype=np.int64)
    start, end = window
    order = np.argsort(days, kind="stable")
    ids = np.empty(days.size, dtype=np.int64)
    cluster, reach = -1, None
    for i in order:
        if reach is None or days[i] + start > reach:  # no shared day with the cluster so far
            cluster += 1
            reach = days[i] + end
        reach = max(reach, days[i] + end)
        ids[i] = cluster
    return ids


def event_premium(car: pd.DataFrame) -> pd.DataFrame:
    """Per event: the China-linked tokens' mean CAR minus the control group's.

    Parameters
    ----------
    car : pandas.DataFrame
        ``event_id``, ``china`` (bool) and ``car``; NaN CARs are left out.

    Returns
    -------
    pandas.DataFrame
        event_id, n_china, n_control, china_car, control_car, premium (NaN when a group is empty),
        events in order of first appearance.
    """
    codes, order = pd.factorize(car["event_id"])
    values = car["car"].to_numpy(dtype=float)
    china = car["china"].to_numpy(dtype=bool)
    finite = np.isfinite(values)
    filled = np.where(finite, values, 0.0)
    n = len(order)

    def leg(mask):
        count = np.bincount(codes, weights=(finite & mask).astype(float), minlength=n)
        total = np.bincount(codes, weights=np.where(mask, filled, 0.0), minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            return count.astype(int), np.where(count > 0, total / np.maximum(count, 1), np.nan)

    n_china, china_car = leg(china)
    n_control, control_car = leg(~china)
    out = pd.DataFrame(
        {
            "event_id": np.asarray(order, dtype=object),
            "n_china": n_china,
            "n_control": n_control,
            "china_car": china_car,
            "control_car": control_car,
        }
    )
    out["premium"] = out["china_car"] - out["control_car"]
    return out[EVENT_PREMIUM_COLUMNS]


def premium_regression(car: pd.DataFrame, clusters: pd.Series, confidence_level: float = 0.95) -> dict:
    """OLS of token CARs on a China dummy with event fixed effects, clustered standard errors.

    ``CAR_ie = b * China_i + d_e + u_ie``; ``b`` is the China premium. The event effects are
    absorbed (within-event demeaning of CAR and dummy, Frisch–Waugh–Lovell: the same ``b`` and
    residuals as the regression with one dummy per event). Standard errors are clustered by
    ``clusters`` (statsmodels ``OLS(...).fit(cov_type='cluster')`` on the demeaned data, its CR1
    factor ``G/(G-1) * (N-1)/(N-K)`` taken with ``K`` = 1 + the number of events, as in the dummy
    regression); Student t with G − 1 degrees of freedom. Only events with at least one
    China-linked and one control CAR identify ``b`` and enter.

    Parameters
    ----------
    car : pandas.DataFrame
        ``event_id``, ``china`` (bool), ``car``; NaN CARs are left out.
    clusters : pandas.Series
        Cluster id indexed by event_id.
    confidence_level : float, default 0.95
        Coverage of ``ci_low``..``ci_high``.

    Returns
    -------
    dict
        estimate, se, t, p, ci_low, ci_high, n_obs, n_events, n_clusters; NaN statistics when
        fewer than two clusters (or no identifying event) remain.
    """
    values = car["car"].to_numpy(dtype=float)
    part = car[np.isfinite(values)]
    codes, events = pd.factorize(part["event_id"])
    china = part["china"].to_numpy(dtype=bool)
    n_china = np.bincount(codes, weights=china, minlength=len(events))
    n_all = np.bincount(codes, minlength=len(events))
    both = (n_china > 0) & (n_china < n_all)
    keep = both[codes]
    codes, events = pd.factorize(np.asarray(events)[codes[keep]])
    x = china[keep].astype(float)
    y = part["car"].to_numpy(dtype=float)[keep]
    n_events = len(events)
    groups = pd.Series(np.asarray(events)).map(clusters).to_numpy()
    if pd.isna(groups).any():
        raise ValueError(
            "clusters lacks an id for event(s) " + ", ".join(sorted(map(str, np.asarray(events)[pd.isna(groups)]))[:5])
        )
    cluster_codes = pd.factorize(groups[codes])[0] if n_events else np.zeros(0, dtype=np.int64)
    n_clusters = int(len(np.unique(cluster_codes)))
    n_obs = int(len(y))
    empty = dict.fromkeys(REGRESSION_KEYS, float("nan")) | {
        "n_obs": n_obs,
        "n_events": n_events,
        "n_clusters": n_clusters,
    }
    if n_events == 0 or n_clusters < 2 or n_obs <= 1 + n_events:
        return empty
    count = np.bincount(codes, minlength=n_events)
    x_within = x - (np.bincount(codes, weights=x, minlength=n_events) / count)[codes]
    y_within = y - (np.bincount(codes, weights=y, minlength=n_events) / count)[codes]
    fit = sm.OLS(y_within, x_within[:, None]).fit(cov_type="cluster", cov_kwds={"groups": cluster_codes}, use_t=True)
    # statsmodels counted K = 1 regressor; the absorbed event effects are n_events more parameters
    se = float(fit.bse[0]) * np.sqrt((n_obs - 1) / (n_obs - 1 - n_events))
    estimate = float(fit.params[0])
    t = estimate / se
    dof = n_clusters - 1
    p = float(2 * stats.t.sf(abs(t), dof))
    half = float(stats.t.ppf(0.5 + confidence_level / 2, dof)) * se
    return {
        "estimate": estimate,
        "se": se,
        "t": t,
        "p": p,
        "ci_low": estimate - half,
        "ci_high": estimate + half,
        "n_obs": n_obs,
        "n_events": n_events,
        "n_clusters": n_clusters,
    }


# --------------------------------------------------------------------------- the difference portfolio


def difference_series(
    returns: pd.DataFrame,
    china: list[str],
    control: list[str],
    market: pd.Series,
    estimation_days: pd.Series | np.ndarray,
    min_tokens: int = 3,
) -> pd.DataFrame:
    """The daily return of the portfolio long the China-linked tokens, short the control group.

    Each leg is the equal-weighted mean of its tokens with a return that day (a day with fewer than
    ``min_tokens`` in either leg is NaN). Abnormal returns of the difference:

    * ``ar_market_adjusted``: the difference itself (each leg's market return cancels);
    * ``ar_market_model``: the residual of an OLS of the difference on the market return,
      fitted on ``estimation_days`` (typically the days outside every event window);
    * ``ar_constant_mean``: the difference less its mean over ``estimation_days``.

    Parameters
    ----------
    returns : pandas.DataFrame
        Wide daily returns (date index).
    china, control : list of str
        The two legs' columns.
    market : pandas.Series
        The benchmark's return, same index.
    estimation_days : bool array-like
        True where a day may enter the market-model fit.
    min_tokens : int, default 3
        Fewest tokens in a leg for the day to count.

    Returns
    -------
    pandas.DataFrame
        date, n_china, n_control, china_ret, control_ret, market_ret, diff_ret, ar_market_adjusted,
        ar_market_model, ar_constant_mean; plus attributes ``alpha`` and ``beta`` of the market model (``.attrs``).
    """
    legs = {}
    for name, members in (("china", china), ("control", control)):
        panel = returns.reindex(columns=list(members)).to_numpy(dtype=float)
        valid = np.isfinite(panel)
        count = valid.sum(axis=1)
        total = np.where(valid, panel, 0.0).sum(axis=1)
        mean = np.where(count >= max(min_tokens, 1), total / np.maximum(count, 1), np.nan)
        legs[name] = (count, mean)
    m = market.reindex(returns.index).to_numpy(dtype=float)
    diff = legs["china"][1] - legs["control"][1]
    fit_days = np.asarray(estimation_days, dtype=bool) & np.isfinite(diff) & np.isfinite(m)
    if fit_days.sum() < 3:
        raise ValueError("difference series: fewer than 3 days to fit the market model")
    beta, alpha = np.polyfit(m[fit_days], diff[fit_days], 1)
    out = pd.DataFrame(
        {
            "date": returns.index,
            "n_china": legs["china"][0],
            "n_control": legs["control"][0],
            "china_ret": legs["china"][1],
            "control_ret": legs["control"][1],
            "market_ret": m,
            "diff_ret": diff,
            "ar_market_adjusted": diff,
            "ar_market_model": diff - (alpha + beta * m),
            "ar_constant_mean": diff - diff[fit_days].mean(),
        }
    )
    out.attrs.update(alpha=float(alpha), beta=float(beta), n_fit=int(fit_days.sum()))
    return out


def window_sums(ar: np.ndarray, window: tuple[int, int]) -> np.ndarray:
    """CAR of ``ar`` over ``[t + start, t + end]`` for every row ``t``; NaN if a day is missing or outside."""
    values = np.asarray(ar, dtype=float)
    n = values.size
    start, end = window
    filled = np.concatenate([[0.0], np.cumsum(np.where(np.isfinite(values), values, 0.0))])
    gaps = np.concatenate([[0], np.cumsum(~np.isfinite(values))])
    rows = np.arange(n)
    lo, hi = rows + start, rows + end + 1
    inside = (lo >= 0) & (hi <= n)
    lo_c, hi_c = np.clip(lo, 0, n), np.clip(hi, 0, n)
    sums = filled[hi_c] - filled[lo_c]
    complete = inside & (gaps[hi_c] - gaps[lo_c] == 0)
    return np.where(complete, sums, np.nan)


def placebo_eligible(n_rows: int, event_rows: np.ndarray, window: tuple[int, int], defined: np.ndarray) -> np.ndarray:
    """Rows usable as placebo dates: a defined window CAR, and a window sharing no day with any event's window."""
    start, end = window
    length = end - start
    ok = np.asarray(defined, dtype=bool).copy()
    for row in np.asarray(event_rows, dtype=np.int64):
        ok[max(0, row - length) : min(n_rows, row + length + 1)] = False
    return ok


@dataclass(frozen=True)
class PlaceboResult:
    """Observed mean CAR of a set of event dates against its placebo distributions.

    Attributes
    ----------
    observed : float
        Mean CAR over the event dates (those with a defined window).
    n_events : int
        Event dates with a defined window CAR.
    draws : numpy.ndarray
        Random-date placebo means, one per draw.
    p : float
        Two-sided: ``(1 + #{|draw| >= |observed|}) / (1 + draws)``.
    shifts : numpy.ndarray
        Offsets (days) of the block placebo.
    shifted : numpy.ndarray
        Mean CAR of the event dates shifted by each offset.
    p_block : float
        Two-sided p of the block placebo, same formula.
    """

    observed: float
    n_events: int
    draws: np.ndarray
    p: float
    shifts: np.ndarray
    shifted: np.ndarray
    p_block: float


def _two_sided_p(observed: float, values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    if not np.isfinite(observed) or values.size == 0:
        return float("nan")
    # a tolerance so that a draw equal to the observed value (up to rounding) counts as extreme
    extreme = np.abs(values) >= abs(observed) - 1e-12
    return float((1 + extreme.sum()) / (1 + values.size))


def _distinct_draws(rng: np.random.Generator, pool: int, n: int, n_draws: int) -> np.ndarray:
    """``n_draws`` rows of ``n`` distinct positions in ``range(pool)``, each set uniformly likely.

    Rejection sampling: draw with replacement, redraw the rows that repeat a position (a uniform
    ordered tuple of distinct positions is a uniform subset).
    """
    if n * n > pool:  # repeats would be common: rank a random key per position instead
        return (
            rng.random((n_draws, pool)).argpartition(n - 1, axis=1)[:, :n]
            if n < pool
            else np.tile(np.arange(pool), (n_draws, 1))
        )
    picks = rng.integers(0, pool, size=(n_draws, n))
    while True:
        ordered = np.sort(picks, axis=1)
        repeated = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1) if n > 1 else np.zeros(n_draws, bool)
        if not repeated.any():
            return picks
        picks[repeated] = rng.integers(0, pool, size=(int(repeated.sum()), n))


def placebo_test(
    car_by_row: np.ndarray, event_rows: np.ndarray, eligible: np.ndarray, n_draws: int, rng: np.random.Generator
) -> tuple[float, int, np.ndarray, float]:
    """Mean CAR on the event rows against the mean CAR on as many random eligible rows.

    Each draw picks ``n`` distinct rows (``n`` = event rows with a defined CAR) from ``eligible``.

    Returns
    -------
    tuple
        observed, n, draws (``(n_draws,)``), two-sided p.

    Raises
    ------
    ValueError
        If fewer eligible rows than event rows remain.
    """
    values = car_by_row[np.asarray(event_rows, dtype=np.int64)]
    values = values[np.isfinite(values)]
    n = int(values.size)
    if n == 0:
        return float("nan"), 0, np.full(n_draws, np.nan), float("nan")
    pool = np.flatnonzero(eligible)
    if pool.size < n:
        raise ValueError(f"placebo: {pool.size} eligible dates for {n} event dates")
    observed = float(values.mean())
    picks = _distinct_draws(rng, pool.size, n, n_draws)
    draws = car_by_row[pool[picks]].mean(axis=1)
    return observed, n, draws, _two_sided_p(observed, draws)


def block_placebo(
    car_by_row: np.ndarray, event_rows: np.ndarray, min_shift: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Shift every event date by the same offset ``k``; the mean CAR at each feasible offset.

    Offsets run over every ``k`` with ``|k| >= min_shift`` for which every shifted date has a
    defined window CAR (so each shifted set has as many dates as the real one).

    Returns
    -------
    tuple
        shifts, the mean CAR at each, and the two-sided p of the observed mean among them
        (NaN without a feasible shift).
    """
    rows = np.asarray(event_rows, dtype=np.int64)
    defined_rows = rows[np.isfinite(car_by_row[rows])]
    n_rows = car_by_row.size
    if defined_rows.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0), float("nan")
    observed = float(car_by_row[defined_rows].mean())
    candidates = np.arange(-defined_rows.min(), n_rows - defined_rows.max())
    candidates = candidates[np.abs(candidates) >= min_shift]
    shifted_rows = defined_rows[None, :] + candidates[:, None]
    values = car_by_row[shifted_rows]
    feasible = np.isfinite(values).all(axis=1)
    shifts, means = candidates[feasible], values[feasible].mean(axis=1)
    return shifts, means, _two_sided_p(observed, means)


def placebo(
    ar: np.ndarray,
    event_rows: np.ndarray,
    all_event_rows: np.ndarray,
    window: tuple[int, int],
    n_draws: int,
    rng: np.random.Generator,
    min_shift: int,
) -> PlaceboResult:
    """Both placebos for one set of event dates and one window.

    Parameters
    ----------
    ar : numpy.ndarray
        The difference portfolio's daily abnormal return, by row (day).
    event_rows : numpy.ndarray
        Rows of the category's day 0s.
    all_event_rows : numpy.ndarray
        Rows of every catalogue day 0 (random placebo dates avoid all their windows).
    window : tuple of int
        CAR window.
    n_draws : int
        Random-date draws.
    rng : numpy.random.Generator
        Seeded generator (the draws are reproducible).
    min_shift : int
        Smallest absolute offset of the block placebo.
    """
    car_by_row = window_sums(ar, window)
    eligible = placebo_eligible(car_by_row.size, all_event_rows, window, np.isfinite(car_by_row))
    observed, n, draws, p = placebo_test(car_by_row, event_rows, eligible, n_draws, rng)
    shifts, shifted, p_block = block_placebo(car_by_row, event_rows, min_shift)
    return PlaceboResult(
        observed=observed, n_events=n, draws=draws, p=p, shifts=shifts, shifted=shifted, p_block=p_block
    )
