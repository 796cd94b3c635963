"""Test statistics for abnormal returns: per token-event CARs and cross-sectional aggregates.

Conventions shared by every function here:

* Arrays are NumPy; aggregate tests reduce over the **last** axis (the series: tokens of one
  event, or token-events of one category), so any leading axes (e.g. events) are vectorised.
* NaN marks a series left out (e.g. an excluded token-event); ``N`` is the number of finite
  values along the last axis.
* When a statistic is undefined (``N < 2``, zero dispersion, ...) it is returned as NaN with a
  NaN p-value rather than raising.
* Every p-value is two-sided.

Nothing in this module is a pytest test; the name refers to statistical tests.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

# scipy.special's distribution functions are what scipy.stats calls underneath; importing them
# alone takes a third of the time (0.3 s vs 1.1 s), paid in every notebook kernel.
from scipy import special

from .models import check_model


class StatResult(NamedTuple):
    """A test statistic and its two-sided p-value (arrays of the same shape)."""

    statistic: np.ndarray
    p_value: np.ndarray


class CarTest(NamedTuple):
    """Per token-event CAR test: standard error, t statistic, two-sided p-value."""

    se: np.ndarray
    t: np.ndarray
    p_value: np.ndarray


# --------------------------------------------------------------------------------------------
# helpers


def _as_float(values) -> np.ndarray:
    return np.asarray(values, dtype=float)


def _normal_p(z: np.ndarray) -> np.ndarray:
    """Two-sided p-value of a standard normal statistic (NaN stays NaN)."""
    return 2.0 * special.ndtr(-np.abs(z))


def _student_p(t: np.ndarray, dof: np.ndarray) -> np.ndarray:
    """Two-sided p-value of a Student t statistic; NaN where ``dof < 1``."""
    dof = _as_float(dof)
    with np.errstate(invalid="ignore"):
        safe_dof = np.where(dof >= 1, dof, np.nan)
        return 2.0 * special.stdtr(safe_dof, -np.abs(t))


def _finite_count(values: np.ndarray) -> np.ndarray:
    return np.isfinite(values).sum(axis=-1)


def _nan_mean_sd(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, sample SD (ddof 1) and count of the finite values along the last axis."""
    finite = np.isfinite(values)
    count = finite.sum(axis=-1)
    zeroed = np.where(finite, values, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = zeroed.sum(axis=-1) / count
        dev = np.where(finite, values - mean[..., None], 0.0)
        sd = np.sqrt((dev * dev).sum(axis=-1) / (count - 1))
    mean = np.where(count >= 1, mean, np.nan)
    sd = np.where(count >= 2, sd, np.nan)
    return mean, sd, count


#: Rows (series) per block, keeping temporaries in cache, and threads used (NumPy releases the GIL).
_BLOCK_ROWS = 256
_THREADS = max(1, min(4, os.cpu_count() or 1))


def _for_row_blocks(function, n_rows: int) -> None:
    """Call ``function(start, stop)`` on consecutive row blocks, on a few threads."""
    starts = range(0, n_rows, _BLOCK_ROWS)
    if _THREADS > 1 and len(starts) > 1:
        with ThreadPoolExecutor(_THREADS) as pool:
            list(pool.map(lambda start: function(start, start + _BLOCK_ROWS), starts))
    else:
        for start in starts:
            function(start, start + _BLOCK_ROWS)


def _as_rows(parts) -> tuple[list[np.ndarray], tuple[int, ...]]:
    """Flatten the leading axes of arrays that are joined along their last axis."""
    arrays = [_as_float(part) for part in parts]
    leading = arrays[0].shape[:-1]
    if any(a.shape[:-1] != leading for a in arrays):
        raise ValueError(f"arrays must share their leading shape; got {[a.shape for a in arrays]}")
    width = sum(a.shape[-1] for a in arrays)
    return [a.reshape(-1, a.shape[-1]) for a in arrays], leading + (width,)


def _joined_block(rows: list[np.ndarray], start: int, stop: int) -> np.ndarray:
    return np.concatenate([r[start:stop] for r in rows], axis=-1) if len(rows) > 1 else rows[0][start:stop]


# --------------------------------------------------------------------------------------------
# per token-event


def ar_variance(
    model: str,
    resid_var,
    n_est,
    market_return=None,
    market_mean=None,
    market_ssd=None,
) -> np.ndarray:
    """Variance of one event-day abnormal return, including the estimation (prediction) error.

    * ``market_model`` (MacKinlay 1997, eq. 7-8; Campbell, Lo & MacKinlay 1997, ch. 4):
      ``var(AR_t) = s2 * (1 + 1/n + (Rm_t - mean_m)^2 / sum(Rm - mean_m)^2)``.
    * ``constant_mean``: ``s2 * (1 + 1/n)`` (the mean is estimated from ``n`` returns).
    * ``market_adjusted``: ``s2`` (nothing is estimated).

    Assumes i.i.d. normal disturbances, independent of the market return, and an event day
    outside the estimation window.

    Parameters
    ----------
    model : str
        ``'market_model'``, ``'constant_mean'`` or ``'market_adjusted'``.
    resid_var : array_like
        Residual variance ``s2`` from the estimation window.
    n_est : array_like
        Number of estimation-window observations.
    market_return : array_like, optional
        Market return on the event day (market model only).
    market_mean, market_ssd : array_like, optional
        Mean and sum of squared deviations of the market return over the estimation window
        (market model only).

    Returns
    -------
    numpy.ndarray
        ``var(AR_t)`` broadcast over the inputs.

    Raises
    ------
    ValueError
        If the model is unknown or the market model lacks its market inputs.
    """
    check_model(model)
    s2, n = _as_float(resid_var), _as_float(n_est)
    if model == "market_adjusted":
        return s2 * np.ones_like(n)
    with np.errstate(divide="ignore", invalid="ignore"):  # n = 0 or SSD = 0 give inf/NaN, screened later
        if model == "constant_mean":
            return s2 * (1.0 + 1.0 / n)
        _require_market(market_return, market_mean, market_ssd)
        deviation = _as_float(market_return) - _as_float(market_mean)
        return s2 * (1.0 + 1.0 / n + deviation**2 / _as_float(market_ssd))


def car_variance(
    model: str,
    resid_var,
    n_est,
    window_length,
    market_window_sum=None,
    market_mean=None,
    market_ssd=None,
) -> np.ndarray:
    """Variance of a CAR over ``L`` consecutive event days, with the full prediction-error term.

    * ``market_model`` (MacKinlay 1997, eq. 14-15 with ``V = I s2 + X* (X'X)^-1 X*' s2``;
      Campbell, Lo & MacKinlay 1997, eq. 4.4.8-4.4.15): summing every element of ``V`` over the
      window, i.e. the off-diagonal covariances of the prediction errors as well as the diagonal,
      ``var(CAR) = s2 * (L + L^2/n + (sum_t Rm_t - L * mean_m)^2 / sum(Rm - mean_m)^2)``.
    * ``constant_mean``: ``s2 * (L + L^2/n)`` (the estimated mean enters every day of the window).
    * ``market_adjusted``: ``L * s2``.

    Assumes i.i.d. normal disturbances with no serial correlation, and an event window outside
    the estimation window.

    Parameters
    ----------
    model : str
        ``'market_model'``, ``'constant_mean'`` or ``'market_adjusted'``.
    resid_var : array_like
        Residual variance ``s2``.
    n_est : array_like
        Number of estimation-window observations ``n``.
    window_length : int or array_like
        ``L``, number of days in the CAR window.
    market_window_sum : array_like, optional
        ``sum_t Rm_t`` over the CAR window (market model only).
    market_mean, market_ssd : array_like, optional
        Mean and sum of squared deviations of the market return over the estimation window
        (market model only).

    Returns
    -------
    numpy.ndarray
        ``var(CAR)`` broadcast over the inputs.

    Raises
    ------
    ValueError
        If the model is unknown, ``window_length < 1``, or the market model lacks its market inputs.
    """
    check_model(model)
    s2, n, length = _as_float(resid_var), _as_float(n_est), _as_float(window_length)
    if np.any(length < 1):
        raise ValueError(f"window_length must be >= 1, got {window_length}")
    if model == "market_adjusted":
        return s2 * length * np.ones_like(n)
    with np.errstate(divide="ignore", invalid="ignore"):  # n = 0 or SSD = 0 give inf/NaN, screened later
        if model == "constant_mean":
            return s2 * (length + length**2 / n)
        _require_market(market_window_sum, market_mean, market_ssd)
        deviation = _as_float(market_window_sum) - length * _as_float(market_mean)
        return s2 * (length + length**2 / n + deviation**2 / _as_float(market_ssd))


def _require_market(*values) -> None:
    if any(value is None for value in values):
        raise ValueError("the market model needs the market return(s), market_mean and market_ssd")


def car_t_test(car, car_var, dof) -> CarTest:
    """t test of one token-event CAR: ``t = CAR / sqrt(var(CAR))``.

    Assumes normal i.i.d. disturbances, so ``t`` follows Student's t with the residual-variance
    degrees of freedom (``n - 2`` market model; ``n - 1`` constant mean and market adjusted).

    Parameters
    ----------
    car : array_like
        Cumulative abnormal returns.
    car_var : array_like
        ``var(CAR)`` from :func:`car_variance`.
    dof : array_like
        Degrees of freedom of the residual variance.

    Returns
    -------
    CarTest
        ``se``, ``t`` and two-sided ``p_value`` (NaN where ``dof < 1`` or the inputs are NaN).
    """
    car, var = _as_float(car), _as_float(car_var)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(var)
        t = car / se
    return CarTest(se=se, t=t, p_value=_student_p(t, dof))


def standardized_car(car, car_var) -> np.ndarray:
    """Standardised CAR ``SCAR = CAR / sqrt(var(CAR))`` with the prediction-error-corrected variance.

    This is the Mikkelson & Partch (1988) standardisation used by Kolari & Pynnönen (2010); for a
    one-day window it equals Patell's standardised abnormal return.

    Parameters
    ----------
    car : array_like
        Cumulative abnormal returns.
    car_var : array_like
        ``var(CAR)`` from :func:`car_variance`.

    Returns
    -------
    numpy.ndarray
        The standardised CARs.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return _as_float(car) / np.sqrt(_as_float(car_var))


# --------------------------------------------------------------------------------------------
# cross-sectional aggregates (last axis = series)


def cross_sectional_t(car) -> StatResult:
    """Cross-sectional t test of the CAAR (Brown & Warner 1985; MacKinlay 1997 "J1" cross-sectional).

    ``t = CAAR / (sd(CAR) / sqrt(N))`` with ``sd`` the sample SD (ddof 1) of the CARs;
    Student t with ``N - 1`` dof. Assumes the CARs are independent and identically (normally)
    distributed across series; it is robust to event-induced variance but not to
    cross-correlation (all tokens share the event date here, so read it with the KP-adjusted BMP).

    Parameters
    ----------
    car : array_like
        CARs, series on the last axis; NaN = left out.

    Returns
    -------
    StatResult
        Statistic and two-sided p-value; NaN when ``N < 2``.
    """
    mean, sd, count = _nan_mean_sd(_as_float(car))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = mean / (sd / np.sqrt(count))
    return StatResult(t, _student_p(t, count - 1))


def caar_confidence_interval(car, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval of the CAAR from the cross-sectional t distribution.

    ``CAAR -/+ t_{(1+level)/2, N-1} * sd(CAR) / sqrt(N)``; same assumptions as
    :func:`cross_sectional_t`.

    Parameters
    ----------
    car : array_like
        CARs, series on the last axis; NaN = left out.
    level : float, default 0.95
        Coverage, in (0, 1).

    Returns
    -------
    tuple of numpy.ndarray
        ``(low, high)``; NaN when ``N < 2``.

    Raises
    ------
    ValueError
        If ``level`` is not in (0, 1).
    """
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be in (0, 1), got {level}")
    mean, sd, count = _nan_mean_sd(_as_float(car))
    with np.errstate(invalid="ignore", divide="ignore"):
        dof = np.where(count >= 2, count - 1, np.nan)
        half = special.stdtrit(dof, 0.5 + level / 2) * sd / np.sqrt(count)
    return mean - half, mean + half


def patell_z(scar, dof) -> StatResult:
    """Patell (1976) standardised-residual test, applied to standardised CARs.

    Each ``SCAR_i`` (:func:`standardized_car`) follows Student's t with ``dof_i`` degrees of
    freedom under the null, whose variance is ``dof_i / (dof_i - 2)`` — i.e. ``(n - 2)/(n - 4)``
    for the market model (Patell's factor) and ``(n - 1)/(n - 3)`` for the one-parameter models.
    The statistic is
    ``Z = sum_i SCAR_i / sqrt((dof_i)/(dof_i - 2)) / sqrt(N)``, standard normal for large ``N``
    (Campbell, Lo & MacKinlay 1997 "J2"). For a multi-day window the CAR is standardised as a
    whole by its prediction-error-corrected SE (the Mikkelson-Partch 1988 form, with the
    cross-day covariance of the prediction errors) instead of Patell's ``sum_t SAR_t / sqrt(L)``;
    the two coincide for a one-day window. Assumes independent series (no cross-correlation) and
    no event-induced variance change.

    Parameters
    ----------
    scar : array_like
        Standardised CARs, series on the last axis; NaN = left out.
    dof : array_like
        Residual-variance degrees of freedom per series (same shape as ``scar``).

    Returns
    -------
    StatResult
        Statistic and two-sided normal p-value; NaN when ``N < 1``. Series with ``dof <= 2`` are
        left out (their t variance is infinite).
    """
    scar, dof = np.broadcast_arrays(_as_float(scar), _as_float(dof))
    usable = np.isfinite(scar) & (dof > 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(usable, scar / np.sqrt(dof / (dof - 2)), 0.0)
        count = usable.sum(axis=-1)
        z = scaled.sum(axis=-1) / np.sqrt(count)
    z = np.where(count >= 1, z, np.nan)
    return StatResult(z, _normal_p(z))


def bmp_t(scar) -> StatResult:
    """Boehmer, Musumeci & Poulsen (1991) standardised cross-sectional test.

    ``t = mean(SCAR) / (sd(SCAR) / sqrt(N))`` with sample SD (ddof 1): the cross-sectional t test
    on prediction-error-standardised CARs; Student t with ``N - 1`` dof. Robust to event-induced
    variance; assumes independent series (no cross-correlation).

    Parameters
    ----------
    scar : array_like
        Standardised CARs, series on the last axis; NaN = left out.

    Returns
    -------
    StatResult
        Statistic and two-sided p-value; NaN when ``N < 2``.
    """
    return cross_sectional_t(scar)


def kolari_pynnonen_adjust(statistic, mean_correlation, n_series) -> np.ndarray:
    """Kolari & Pynnönen (2010) cross-correlation adjustment of a BMP statistic.

    ``t_adj = t * sqrt((1 - r) / (1 + (N - 1) r))`` with ``r`` the average cross-correlation of
    the series' estimation-window residuals. Reduces to ``t`` when ``r = 0``.

    Parameters
    ----------
    statistic : array_like
        BMP statistic(s).
    mean_correlation : array_like
        Average pairwise residual correlation ``r``.
    n_series : array_like
        ``N``, number of series in the statistic.

    Returns
    -------
    numpy.ndarray
        Adjusted statistic; NaN where ``1 + (N - 1) r <= 0`` or ``r >= 1``.
    """
    t, r, n = _as_float(statistic), _as_float(mean_correlation), _as_float(n_series)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (1.0 - r) / (1.0 + (n - 1.0) * r)
        return np.where(ratio >= 0, t * np.sqrt(np.abs(ratio)), np.nan)


def bmp_kp_t(scar, mean_correlation) -> StatResult:
    """BMP test with the Kolari & Pynnönen (2010) adjustment for cross-correlation.

    ``t_KP = t_BMP * sqrt((1 - r) / (1 + (N - 1) r))``; p-value from Student t with ``N - 1`` dof
    as for BMP (so it equals BMP when ``r = 0``). Assumes equal pairwise correlation ``r`` of the
    event-window abnormal returns, estimated from the estimation-window residuals
    (:func:`mean_cross_correlation`); robust to event-induced variance.

    Parameters
    ----------
    scar : array_like
        Standardised CARs, series on the last axis; NaN = left out.
    mean_correlation : array_like
        ``r``, shape = ``scar.shape[:-1]``.

    Returns
    -------
    StatResult
        Statistic and two-sided p-value.
    """
    scar = _as_float(scar)
    bmp = bmp_t(scar)
    count = _finite_count(scar)
    adjusted = kolari_pynnonen_adjust(bmp.statistic, mean_correlation, count)
    return StatResult(adjusted, _student_p(adjusted, count - 1))


class StandardizedResiduals(NamedTuple):
    """Residual series standardised for :func:`pooled_cross_correlation`.

    Attributes
    ----------
    z : numpy.ndarray
        Shape ``(..., N, days)``; ``(x - mean) / sd`` on valid days, 0 elsewhere.
    valid : numpy.ndarray
        Same shape, float32 1.0 on valid days, 0.0 elsewhere (float32 halves the memory and
        its sums of 0/1 weights are exact below 2**24 series).
    usable : numpy.ndarray
        Shape ``(..., N)``, bool; series with >= 2 valid days and positive SD.
    sum_sq : numpy.ndarray
        Shape ``(..., N)``; ``z_i . z_i`` (0 for unusable series).
    count : numpy.ndarray
        Shape ``(..., N)``; valid days (0 for unusable series).
    """

    z: np.ndarray
    valid: np.ndarray
    usable: np.ndarray
    sum_sq: np.ndarray
    count: np.ndarray  # type: ignore[assignment]  # the field shadows tuple.count


def standardize_residuals(residuals) -> StandardizedResiduals:
    """Standardise each residual series by its own mean and SD (ddof 0) over its valid days.

    Parameters
    ----------
    residuals : array_like
        Shape ``(..., N, days)``; NaN = missing day.

    Returns
    -------
    StandardizedResiduals
        Standardised values, validity and usable-series mask.
    """
    rows, shape = _as_rows([residuals])
    x = rows[0]
    n_rows, width = x.shape
    z = np.empty((n_rows, width))
    valid = np.empty((n_rows, width), dtype=np.float32)
    usable = np.empty(n_rows, dtype=bool)
    sum_sq = np.empty(n_rows)
    count = np.empty(n_rows)

    def standardize_rows(start: int, stop: int) -> None:
        block = x[start:stop]
        present = ~np.isnan(block)
        n = present.sum(axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(present, block, 0.0).sum(axis=-1) / n
            dev = np.where(present, block - mean[:, None], 0.0)
            sd = np.sqrt(np.einsum("ij,ij->i", dev, dev) / n)
            ok = (n >= 2) & (sd > 0)
            dev /= np.where(ok, sd, 1.0)[:, None]
        dev[~ok] = 0.0
        present[~ok] = False
        z[start:stop] = dev
        valid[start:stop] = present
        usable[start:stop] = ok
        sum_sq[start:stop] = np.einsum("ij,ij->i", dev, dev)
        count[start:stop] = np.where(ok, n, 0)

    _for_row_blocks(standardize_rows, n_rows)
    series_shape = shape[:-1]
    return StandardizedResiduals(
        z.reshape(shape),
        valid.reshape(shape),
        usable.reshape(series_shape),
        sum_sq.reshape(series_shape),
        count.reshape(series_shape),
    )


class CorrelationSums(NamedTuple):
    """Additive sums behind :func:`pooled_cross_correlation`.

    Sums over disjoint groups of series add up (``pool``), so the correlation of a pool of
    groups (e.g. every token-event of a category) needs no further pass over the residuals.

    Attributes
    ----------
    z_sum : numpy.ndarray
        ``(..., days)``; ``sum_i w_i z_i``.
    valid_sum : numpy.ndarray
        ``(..., days)``; ``sum_i w_i 1[valid_i]``.
    own_z : numpy.ndarray
        ``(...)``; ``sum_i w_i z_i . z_i``.
    own_valid : numpy.ndarray
        ``(...)``; ``sum_i w_i n_i``.
    """

    z_sum: np.ndarray
    valid_sum: np.ndarray
    own_z: np.ndarray
    own_valid: np.ndarray

    def pool(self, members) -> CorrelationSums:
        """Pool the groups ``members`` (positions on the first axis) into one group of length 1."""
        return CorrelationSums(*(field[members].sum(axis=0, keepdims=True) for field in self))


def cross_correlation_sums(standardized: StandardizedResiduals, include=None) -> CorrelationSums:
    """Sums over the series of one or more groups, for :func:`correlation_from_sums`.

    Parameters
    ----------
    standardized : StandardizedResiduals
        Output of :func:`standardize_residuals`, shape ``(..., N, days)``.
    include : array_like of bool, optional
        Shape ``(..., N)``; series to use (default: all usable).

    Returns
    -------
    CorrelationSums
        Sums with the series axis reduced.
    """
    weight = standardized.usable.astype(float)
    if include is not None:
        weight = weight * np.asarray(include, dtype=bool)
    return CorrelationSums(
        z_sum=_weighted_series_sum(weight, standardized.z),
        valid_sum=_weighted_series_sum(weight, standardized.valid),
        own_z=(weight * standardized.sum_sq).sum(axis=-1),
        own_valid=(weight * standardized.count).sum(axis=-1),
    )


def _weighted_series_sum(weight: np.ndarray, panel: np.ndarray) -> np.ndarray:
    """``sum_i weight_i * panel_i`` over the series axis: ``(..., N)`` x ``(..., N, days)`` -> ``(..., days)``.

    Computed in the panel's dtype (float32 for the 0/1 validity panels, whose sums with 0/1 weights
    are exact integers below 2**24) and returned as float64.
    """
    weight = np.asarray(weight).astype(panel.dtype, copy=False)
    return (weight[..., None, :] @ panel)[..., 0, :].astype(float, copy=False)


def correlation_from_sums(sums: CorrelationSums) -> np.ndarray:
    """``r = (|sum z|^2 - sum |z_i|^2) / (|sum v|^2 - sum n_i)``: the pooled pairwise correlation.

    Parameters
    ----------
    sums : CorrelationSums
        Output of :func:`cross_correlation_sums` (possibly pooled with ``pool``).

    Returns
    -------
    numpy.ndarray
        Shape ``(...)``; NaN when no two usable series overlap.
    """
    cross = (sums.z_sum**2).sum(axis=-1) - sums.own_z
    pairs = (sums.valid_sum**2).sum(axis=-1) - sums.own_valid
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pairs > 0, cross / np.where(pairs > 0, pairs, 1.0), np.nan)


def pooled_cross_correlation(standardized: StandardizedResiduals, include=None) -> np.ndarray:
    """Average pairwise correlation from pre-standardised residuals (see :func:`mean_cross_correlation`).

    Parameters
    ----------
    standardized : StandardizedResiduals
        Output of :func:`standardize_residuals`.
    include : array_like of bool, optional
        Shape ``(..., N)``; series to use (default: all usable).

    Returns
    -------
    numpy.ndarray
        Shape ``(...)``; NaN when fewer than two usable series overlap.
    """
    return correlation_from_sums(cross_correlation_sums(standardized, include))


def mean_cross_correlation(residuals, include=None) -> np.ndarray:
    """Average pairwise correlation of residual series (the ``r`` of Kolari & Pynnönen 2010).

    Each series is standardised by its own mean and SD (ddof 0) over its valid days; then
    ``r = sum_{i != j} z_i . z_j / sum_{i != j} n_ij`` where ``n_ij`` counts the days both series
    are valid. With complete data this is exactly the mean of the off-diagonal Pearson
    correlations; with missing days it is their observation-weighted (pooled) version. It costs
    ``O(N * days)`` instead of forming the ``N x N`` matrix.

    Series are aligned on the day axis as given: for one event that is calendar time; for
    token-events of several events aligned on relative day, pairs from different dates then
    contribute their (near-zero) non-contemporaneous correlation, matching that their event
    windows fall on different calendar days (events less than a window apart are the exception).

    Parameters
    ----------
    residuals : array_like
        Shape ``(..., N, days)``; NaN = missing day.
    include : array_like of bool, optional
        Shape ``(..., N)``; series to use (default: all).

    Returns
    -------
    numpy.ndarray
        Shape ``(...)``; NaN when fewer than two usable series overlap.
    """
    return pooled_cross_correlation(standardize_residuals(residuals), include)


# --------------------------------------------------------------------------------------------
# non-parametric tests


def _tie_averaged(ordered: np.ndarray, ordinal: np.ndarray) -> np.ndarray:
    """Average the ordinal ranks (of sorted rows ``ordered``) over runs of equal values."""
    n = ordered.shape[-1]
    position = np.broadcast_to(np.arange(n), ordered.shape)
    starts_group = np.ones(ordered.shape, dtype=bool)
    starts_group[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    ends_group = np.ones(ordered.shape, dtype=bool)
    ends_group[..., :-1] = starts_group[..., 1:]
    first = np.maximum.accumulate(np.where(starts_group, position, 0), axis=-1)
    last = np.flip(np.minimum.accumulate(np.flip(np.where(ends_group, position, n - 1), -1), axis=-1), -1)
    return (first + last) / 2.0 + 1.0


def _rank_block(block: np.ndarray, out: np.ndarray) -> None:
    """Average ranks of each row of a 2-D block, NaN kept, written into ``out``."""
    n_rows, width = block.shape
    missing = np.isnan(block)
    filled = np.where(missing, np.inf, block)
    # flat positions of each row's sorted elements (much faster than take/put_along_axis)
    flat_order = np.argsort(filled, axis=-1) + (np.arange(n_rows) * width)[:, None]
    ordered = filled.ravel()[flat_order]
    sorted_ranks = np.broadcast_to(np.arange(1.0, width + 1), block.shape)
    if (ordered[:, 1:] == ordered[:, :-1]).any():
        sorted_ranks = _tie_averaged(ordered, sorted_ranks)
    flat_out = np.empty(n_rows * width)
    flat_out[flat_order.ravel()] = sorted_ranks.ravel()
    out[...] = flat_out.reshape(n_rows, width)
    out[missing] = np.nan


def average_ranks(values) -> np.ndarray:
    """Ranks 1..n along the last axis, ties given their average rank, NaN left NaN.

    Equivalent to ``scipy.stats.rankdata(values, axis=-1, nan_policy='omit')`` but several times
    faster on large panels: rows are ranked in cache-sized blocks on a few threads (the result
    does not depend on the number of threads).

    Parameters
    ----------
    values : array_like
        Any shape with at least one axis; ranked along the last axis.

    Returns
    -------
    numpy.ndarray
        Float ranks, same shape.
    """
    rows, shape = _as_rows([values])
    ranks = np.empty((rows[0].shape[0], shape[-1]))

    def rank_rows(start: int, stop: int) -> None:
        _rank_block(rows[0][start:stop], ranks[start:stop])

    _for_row_blocks(rank_rows, ranks.shape[0])
    return ranks.reshape(shape)


def standardized_ranks(values) -> np.ndarray:
    """Corrado ranks scaled to ``U = rank / (T_i + 1) - 1/2``, ``T_i`` = valid days of the series.

    The scaling (Cowan 1992; Kolari & Pynnönen 2011) makes series with different numbers of
    valid days comparable; ``U`` is uniform on (-1/2, 1/2) with mean 0 under the null.

    Parameters
    ----------
    values : array_like
        Shape ``(..., days)``: estimation-window residuals followed by event-window abnormal
        returns of each series; NaN = missing.

    Returns
    -------
    numpy.ndarray
        Same shape, NaN where missing.
    """
    ranks = average_ranks(values)
    valid_days = (~np.isnan(ranks)).sum(axis=-1, keepdims=True)
    return ranks / (valid_days + 1.0) - 0.5


class RankPanel(NamedTuple):
    """Standardised ranks ready for :func:`corrado_rank_z`.

    Attributes
    ----------
    scores : numpy.ndarray
        Shape ``(..., N, days)``; ``U`` from :func:`standardized_ranks`, 0 where missing.
    valid : numpy.ndarray
        Same shape, float32 1.0 where the day has a value, 0.0 elsewhere.
    """

    scores: np.ndarray
    valid: np.ndarray


def rank_panel(*parts) -> RankPanel:
    """Rank each series over the combined estimation + event period (see :func:`standardized_ranks`).

    Parameters
    ----------
    *parts : array_like
        Arrays ``(..., N, days_j)`` joined along the last axis before ranking, typically the
        estimation-window residuals then the event-window abnormal returns; NaN = missing.

    Returns
    -------
    RankPanel
        Zero-filled standardised ranks and validity, shape ``(..., N, sum days_j)``.

    Raises
    ------
    ValueError
        If no array is given or their leading shapes differ.
    """
    if not parts:
        raise ValueError("rank_panel needs at least one array")
    rows, shape = _as_rows(parts)
    n_rows = rows[0].shape[0]
    scores = np.empty((n_rows, shape[-1]))
    valid = np.empty((n_rows, shape[-1]), dtype=np.float32)

    def rank_rows(start: int, stop: int) -> None:
        block = _joined_block(rows, start, stop)
        ranks = scores[start:stop]
        _rank_block(block, ranks)
        present = ~np.isnan(ranks)
        ranks /= present.sum(axis=-1, keepdims=True) + 1.0
        ranks -= 0.5
        ranks[~present] = 0.0
        valid[start:stop] = present

    _for_row_blocks(rank_rows, n_rows)
    return RankPanel(scores.reshape(shape), valid.reshape(shape))


class RankSums(NamedTuple):
    """Additive per-day sums of standardised ranks (pool groups with ``pool``).

    Attributes
    ----------
    score_sum : numpy.ndarray
        ``(..., days)``; ``sum_i w_i U_it``.
    count : numpy.ndarray
        ``(..., days)``; ``sum_i w_i 1[valid_it]``.
    """

    score_sum: np.ndarray
    count: np.ndarray  # type: ignore[assignment]  # the field shadows tuple.count

    def pool(self, members) -> RankSums:
        """Pool the groups ``members`` (positions on the first axis) into one group of length 1."""
        return RankSums(*(field[members].sum(axis=0, keepdims=True) for field in self))


def rank_sums(panel: RankPanel, include=None) -> RankSums:
    """Per-day sums of the standardised ranks of the included series.

    Parameters
    ----------
    panel : RankPanel
        Output of :func:`rank_panel`, shape ``(..., N, days)``.
    include : array_like of bool, optional
        Shape ``(..., N)``; series entering the test (default: all).

    Returns
    -------
    RankSums
        Sums with the series axis reduced.
    """
    weight = np.ones(panel.scores.shape[:-1]) if include is None else np.asarray(include, dtype=float)
    return RankSums(
        score_sum=_weighted_series_sum(weight, panel.scores),
        count=_weighted_series_sum(weight, panel.valid),
    )


def corrado_from_sums(sums: RankSums, window_columns) -> StatResult:
    """Corrado / Campbell-Wasley statistic from per-day rank sums (see :func:`corrado_rank_z`).

    Parameters
    ----------
    sums : RankSums
        Output of :func:`rank_sums` (possibly pooled with ``pool``).
    window_columns : array_like of int
        Day positions of the CAR window.

    Returns
    -------
    StatResult
        Statistic and two-sided normal p-value.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        u_bar = np.where(sums.count > 0, sums.score_sum / np.where(sums.count > 0, sums.count, 1.0), np.nan)
        finite = np.isfinite(u_bar)
        s2 = np.where(finite, u_bar**2, 0.0).sum(axis=-1) / finite.sum(axis=-1)
        in_window = u_bar[..., np.asarray(window_columns)]
        length = np.isfinite(in_window).sum(axis=-1)
        z = np.where(np.isfinite(in_window), in_window, 0.0).sum(axis=-1) / np.sqrt(length * s2)
    z = np.where(length >= 1, z, np.nan)
    return StatResult(z, _normal_p(z))


def corrado_rank_z(panel: RankPanel, window_columns, include=None) -> StatResult:
    """Corrado (1989) rank test, multi-day form of Campbell & Wasley (1993) / Cowan (1992).

    With ``U_it`` from :func:`standardized_ranks` and ``Ubar_t`` the mean over the included series
    valid on day ``t``:
    ``Z = sum_{t in window} Ubar_t / sqrt(L * S^2)``, ``S^2 = mean_t Ubar_t^2`` over every day of
    the combined estimation + event period (the expected value of ``Ubar_t`` is 0). Standard
    normal under the null. Non-parametric: assumes only that each series' returns are
    exchangeable over the combined period (no event-induced variance, no serial dependence);
    cross-correlation is absorbed because ``S`` is computed from the cross-sectional means.

    Parameters
    ----------
    panel : RankPanel
        Output of :func:`rank_panel`, shape ``(..., N, days)``.
    window_columns : array_like of int
        Day positions (last axis) of the CAR window.
    include : array_like of bool, optional
        Shape ``(..., N)``; series entering the test (default: all).

    Returns
    -------
    StatResult
        Statistic and two-sided p-value; NaN when no included series has a valid window day.
    """
    return corrado_from_sums(rank_sums(panel, include), window_columns)


def generalized_sign_z(car, positive_fraction) -> StatResult:
    """Generalized sign test of Cowan (1992).

    ``Z = (w - N p) / sqrt(N p (1 - p))`` where ``w`` is the number of series with a positive
    CAR and ``p`` is the expected fraction of positives, estimated as the mean over the series of
    the fraction of positive abnormal returns in their estimation windows (so a skewed AR
    distribution does not bias the test). Standard normal under the null; assumes independent
    series.

    Parameters
    ----------
    car : array_like
        CARs, series on the last axis; NaN = left out.
    positive_fraction : array_like
        Estimation-window fraction of positive ARs per series (same shape as ``car``).

    Returns
    -------
    StatResult
        Statistic and two-sided p-value; NaN when ``N = 0`` or ``p`` is 0 or 1.
    """
    car, fraction = np.broadcast_arrays(_as_float(car), _as_float(positive_fraction))
    usable = np.isfinite(car) & np.isfinite(fraction)
    count = usable.sum(axis=-1)
    positives = (usable & (car > 0)).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_hat = np.where(usable, fraction, 0.0).sum(axis=-1) / count
        z = (positives - count * p_hat) / np.sqrt(count * p_hat * (1.0 - p_hat))
    z = np.where((count >= 1) & np.isfinite(z), z, np.nan)
    return StatResult(z, _normal_p(z))
