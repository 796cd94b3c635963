"""Normal-return models, vectorised over events x tokens x days.

Every function works on 3-D arrays shaped ``(event, token, day)`` with NaN for a missing
return (or a day dropped from the estimation window). The market array may have a token axis of
length 1 (one benchmark for every token, e.g. BTC) or of full length (a benchmark that differs per
token, e.g. the equal-weighted index excluding the token itself); it is broadcast.

A day enters the estimation of a token-event when every return the model needs is present:

* ``market_model`` and ``market_adjusted``: the token's and the market's return;
* ``constant_mean``: the token's return only.

Residual variance conventions (``s2`` below):

* ``market_model``: ``s2 = SSR / (n - 2)`` (OLS, two parameters), t dof ``n - 2``.
* ``constant_mean``: ``s2 = sum((R - mean R)^2) / (n - 1)``, t dof ``n - 1``.
* ``market_adjusted``: the sample variance of the estimation-window abnormal returns
  ``R - Rm`` about their mean, ``ddof = 1``, t dof ``n - 1``. ddof 1 (rather than 0) treats the
  mean of ``R - Rm`` as estimated, the usual Brown-Warner (1985) convention; it is the
  unbiased estimator of the AR variance.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

#: Names of the normal-return models, as used in every output table.
MODELS: tuple[str, ...] = ("market_adjusted", "market_model", "constant_mean")


@dataclass(frozen=True)
class NormalReturnFit:
    """Estimation-window fit of one normal-return model for every token-event.

    Attributes
    ----------
    model : str
        One of :data:`MODELS`.
    alpha, beta : numpy.ndarray
        Shape ``(event, token)``. ``market_adjusted``: 0 and 1; ``constant_mean``: the mean
        return and 0; ``market_model``: OLS intercept and slope.
    resid_var : numpy.ndarray
        Residual variance ``s2`` (see the module docstring for the ddof).
    n_est : numpy.ndarray
        Number of valid estimation-window observations, int.
    dof : numpy.ndarray
        Degrees of freedom of ``s2``: ``n_est - 2`` (market model) or ``n_est - 1``.
    market_mean : numpy.ndarray
        Mean market return over the valid estimation days (NaN for ``constant_mean``).
    market_ssd : numpy.ndarray
        Sum of squared deviations of the market return about ``market_mean`` over the valid
        estimation days (NaN for ``constant_mean``).
    positive_fraction : numpy.ndarray
        Fraction of valid estimation-window residuals that are > 0 (for the generalized sign test).
    residuals : numpy.ndarray
        Shape ``(event, token, day)``; estimation-window residuals (abnormal returns), NaN where
        the day was not used.
    """

    model: str
    alpha: np.ndarray
    beta: np.ndarray
    resid_var: np.ndarray
    n_est: np.ndarray
    dof: np.ndarray
    market_mean: np.ndarray
    market_ssd: np.ndarray
    positive_fraction: np.ndarray
    residuals: np.ndarray


def check_model(model: str) -> str:
    """Return ``model`` if it names a known normal-return model.

    Parameters
    ----------
    model : str
        Candidate model name.

    Returns
    -------
    str
        The same name.

    Raises
    ------
    ValueError
        If the name is not one of :data:`MODELS`.
    """
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose from {', '.join(MODELS)}")
    return model


def _valid_days(returns: np.ndarray, market: np.ndarray | None) -> np.ndarray:
    """Boolean mask of days with every return the model needs."""
    valid = ~np.isnan(returns)
    if market is not None:
        valid = valid & ~np.isnan(market)
    return valid


def _masked_mean(values: np.ndarray, valid: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Mean over the last axis of ``values`` where ``valid``; NaN where ``count`` is 0."""
    total = np.where(valid, values, 0.0).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return total / count


def _deviations(values: np.ndarray, mean: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``values - mean`` on valid days, 0 elsewhere."""
    return np.where(valid, values - mean[..., None], 0.0)


def _positive_fraction(residuals: np.ndarray, count: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (residuals > 0).sum(axis=-1) / count


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Elementwise division giving NaN (not inf) where the denominator is <= 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)


def _market_moments(market: np.ndarray, valid: np.ndarray, count: np.ndarray):
    market = np.broadcast_to(market, valid.shape)
    mean = _masked_mean(market, valid, count)
    dev = _deviations(market, mean, valid)
    ssd = np.einsum("ijk,ijk->ij", dev, dev)
    return mean, dev, ssd


def fit_market_model(est_returns: np.ndarray, est_market: np.ndarray) -> NormalReturnFit:
    """Fit ``R = alpha + beta * Rm + e`` by OLS for every token-event at once.

    Parameters
    ----------
    est_returns : numpy.ndarray
        Shape ``(event, token, day)``; estimation-window token returns, NaN if missing.
    est_market : numpy.ndarray
        Shape ``(event, token or 1, day)``; estimation-window market returns, NaN if missing.

    Returns
    -------
    NormalReturnFit
        ``s2 = SSR / (n - 2)``; alpha, beta, s2 are NaN where ``n < 3`` or the market is constant.
    """
    valid = _valid_days(est_returns, est_market)
    count = valid.sum(axis=-1)
    market_mean, dm, ssd = _market_moments(est_market, valid, count)
    ret_mean = _masked_mean(est_returns, valid, count)
    dr = _deviations(est_returns, ret_mean, valid)
    beta = _divide(np.einsum("ijk,ijk->ij", dm, dr), ssd)
    alpha = ret_mean - beta * market_mean
    fitted_error = dr - beta[..., None] * dm  # r - alpha - beta * m on valid days, 0 elsewhere
    ssr = np.einsum("ijk,ijk->ij", fitted_error, fitted_error)
    residuals = np.where(valid, fitted_error, np.nan)
    dof = count - 2
    return NormalReturnFit(
        model="market_model",
        alpha=alpha,
        beta=beta,
        resid_var=np.where(np.isnan(beta), np.nan, _divide(ssr, dof)),
        n_est=count,
        dof=dof,
        market_mean=market_mean,
        market_ssd=ssd,
        positive_fraction=_positive_fraction(residuals, count),
        residuals=residuals,
    )


def fit_market_adjusted(est_returns: np.ndarray, est_market: np.ndarray) -> NormalReturnFit:
    """Market-adjusted model: expected return = market return (alpha 0, beta 1).

    Parameters
    ----------
    est_returns : numpy.ndarray
        Shape ``(event, token, day)``; estimation-window token returns, NaN if missing.
    est_market : numpy.ndarray
        Shape ``(event, token or 1, day)``; estimation-window market returns, NaN if missing.

    Returns
    -------
    NormalReturnFit
        ``s2`` is the sample variance (ddof 1) of ``R - Rm`` over the valid estimation days.
    """
    valid = _valid_days(est_returns, est_market)
    count = valid.sum(axis=-1)
    market_mean, _, ssd = _market_moments(est_market, valid, count)
    residuals = np.where(valid, est_returns - est_market, np.nan)
    ar_mean = _masked_mean(residuals, valid, count)
    dev = _deviations(residuals, ar_mean, valid)
    dof = count - 1
    return NormalReturnFit(
        model="market_adjusted",
        alpha=np.zeros(count.shape),
        beta=np.ones(count.shape),
        resid_var=_divide(np.einsum("ijk,ijk->ij", dev, dev), dof),
        n_est=count,
        dof=dof,
        market_mean=market_mean,
        market_ssd=ssd,
        positive_fraction=_positive_fraction(residuals, count),
        residuals=residuals,
    )


def fit_constant_mean(est_returns: np.ndarray, est_market: np.ndarray | None = None) -> NormalReturnFit:
    """Constant-mean model: expected return = the token's mean estimation-window return.

    Parameters
    ----------
    est_returns : numpy.ndarray
        Shape ``(event, token, day)``; estimation-window token returns, NaN if missing.
    est_market : numpy.ndarray, optional
        Ignored (accepted so every fit function has the same signature).

    Returns
    -------
    NormalReturnFit
        ``alpha`` = mean return, ``beta`` = 0, ``s2`` = sample variance (ddof 1);
        ``market_mean`` and ``market_ssd`` are NaN.
    """
    valid = _valid_days(est_returns, None)
    count = valid.sum(axis=-1)
    mean = _masked_mean(est_returns, valid, count)
    dev = _deviations(est_returns, mean, valid)
    residuals = np.where(valid, dev, np.nan)
    dof = count - 1
    nan = np.full(count.shape, np.nan)
    return NormalReturnFit(
        model="constant_mean",
        alpha=mean,
        beta=np.zeros(count.shape),
        resid_var=_divide(np.einsum("ijk,ijk->ij", dev, dev), dof),
        n_est=count,
        dof=dof,
        market_mean=nan,
        market_ssd=nan.copy(),
        positive_fraction=_positive_fraction(residuals, count),
        residuals=residuals,
    )


_FITTERS = {
    "market_model": fit_market_model,
    "market_adjusted": fit_market_adjusted,
    "constant_mean": fit_constant_mean,
}


def fit_normal_returns(model: str, est_returns: np.ndarray, est_market: np.ndarray) -> NormalReturnFit:
    """Fit the named normal-return model.

    Parameters
    ----------
    model : str
        One of :data:`MODELS`.
    est_returns : numpy.ndarray
        Shape ``(event, token, day)``; estimation-window token returns.
    est_market : numpy.ndarray
        Shape ``(event, token or 1, day)``; estimation-window market returns.

    Returns
    -------
    NormalReturnFit
        The fit.

    Raises
    ------
    ValueError
        If ``model`` is unknown or the arrays are not 3-D / do not broadcast.
    """
    check_model(model)
    _check_shapes(est_returns, est_market)
    return _fit_in_event_blocks(_FITTERS[model], est_returns, est_market)


#: Target rows (token-events) per block, so a block's temporaries stay in cache.
_BLOCK_ROWS = 256
_THREADS = max(1, min(4, os.cpu_count() or 1))


def _fit_in_event_blocks(fitter, est_returns: np.ndarray, est_market: np.ndarray) -> NormalReturnFit:
    """Run ``fitter`` on blocks of events on a few threads and join the results.

    Every quantity is computed per token-event, so the result is identical to a single call
    whatever the block size or thread count.
    """
    n_events, n_tokens = est_returns.shape[:2]
    events_per_block = max(1, _BLOCK_ROWS // max(n_tokens, 1))
    starts = list(range(0, n_events, events_per_block))
    if len(starts) == 1:
        return fitter(est_returns, est_market)

    def fit_block(start: int) -> NormalReturnFit:
        block = slice(start, start + events_per_block)
        return fitter(est_returns[block], est_market[block])

    first = fit_block(0)
    names = [name for name in NormalReturnFit.__dataclass_fields__ if name != "model"]
    joined = {
        name: np.empty((n_events,) + getattr(first, name).shape[1:], dtype=getattr(first, name).dtype) for name in names
    }

    def fit_and_store(start: int, part: NormalReturnFit | None = None) -> None:
        part = fit_block(start) if part is None else part
        block = slice(start, start + events_per_block)
        for name in names:  # copied while the block is still in cache
            joined[name][block] = getattr(part, name)

    fit_and_store(0, first)
    with ThreadPoolExecutor(_THREADS) as pool:
        list(pool.map(fit_and_store, starts[1:]))
    return NormalReturnFit(model=first.model, **joined)


def _check_shapes(returns: np.ndarray, market: np.ndarray) -> None:
    if returns.ndim != 3 or market.ndim != 3:
        raise ValueError(f"returns and market must be 3-D (event, token, day); got {returns.shape} and {market.shape}")
    try:
        np.broadcast_shapes(returns.shape, market.shape)
    except ValueError:
        raise ValueError(f"market shape {market.shape} does not broadcast to returns shape {returns.shape}") from None


def expected_returns(fit: NormalReturnFit, market: np.ndarray) -> np.ndarray:
    """Normal (expected) returns on the event days.

    Parameters
    ----------
    fit : NormalReturnFit
        Estimation-window fit, arrays ``(event, token)``.
    market : numpy.ndarray
        Shape ``(event, token or 1, day)``; event-window market returns.

    Returns
    -------
    numpy.ndarray
        Shape ``(event, token, day)``. ``constant_mean`` ignores the market (its expected return
        exists even when the market return is missing).
    """
    n_days = market.shape[-1]
    if fit.model == "constant_mean":
        return np.repeat(fit.alpha[..., None], n_days, axis=-1)
    return fit.alpha[..., None] + fit.beta[..., None] * market


def abnormal_returns(fit: NormalReturnFit, returns: np.ndarray, market: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expected and abnormal returns ``AR = R - E[R]`` on the event days.

    Parameters
    ----------
    fit : NormalReturnFit
        Estimation-window fit.
    returns : numpy.ndarray
        Shape ``(event, token, day)``; event-window token returns.
    market : numpy.ndarray
        Shape ``(event, token or 1, day)``; event-window market returns.

    Returns
    -------
    expected : numpy.ndarray
        Shape ``(event, token, day)``.
    abnormal : numpy.ndarray
        Shape ``(event, token, day)``; NaN where a needed return is missing.
    """
    _check_shapes(returns, market)
    expected = expected_returns(fit, market)
    return expected, returns - expected
