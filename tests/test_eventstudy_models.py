"""Known-answer tests of the normal-return models (chinabrief.analysis.eventstudy.models).

Hand-worked example used throughout (one event, estimation window of 5 days):

    market  m = [0.01, 0.02, 0.03, 0.04, 0.05]      mean 0.03, sum of squared deviations 0.001
    token   r = [0.02, 0.01, 0.04, 0.03, 0.05]      mean 0.03
    Sxy = 0.0008 -> beta = 0.8, alpha = 0.03 - 0.8 * 0.03 = 0.006
    residuals = [0.006, -0.012, 0.010, -0.008, 0.004], SSR = 0.00036, s2 = SSR / 3 = 0.00012
    event day: m = 0.02, r = 0.05 -> expected 0.022, AR 0.028
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from chinabrief.analysis.eventstudy import models
from chinabrief.analysis.eventstudy.models import (
    abnormal_returns,
    fit_constant_mean,
    fit_market_adjusted,
    fit_market_model,
    fit_normal_returns,
)

MARKET = np.array([0.01, 0.02, 0.03, 0.04, 0.05])
TOKEN = np.array([0.02, 0.01, 0.04, 0.03, 0.05])


def as_cube(*series: np.ndarray) -> np.ndarray:
    """(1 event, len(series) tokens, days)."""
    return np.stack(series)[None, :, :]


def test_market_model_hand_worked_example():
    fit = fit_market_model(as_cube(TOKEN), as_cube(MARKET))
    assert fit.beta[0, 0] == pytest.approx(0.8, abs=1e-14)
    assert fit.alpha[0, 0] == pytest.approx(0.006, abs=1e-14)
    assert fit.resid_var[0, 0] == pytest.approx(0.00012, abs=1e-15)
    assert fit.n_est[0, 0] == 5 and fit.dof[0, 0] == 3
    assert fit.market_mean[0, 0] == pytest.approx(0.03, abs=1e-15)
    assert fit.market_ssd[0, 0] == pytest.approx(0.001, abs=1e-15)
    np.testing.assert_allclose(fit.residuals[0, 0], [0.006, -0.012, 0.010, -0.008, 0.004], atol=1e-14)
    assert fit.positive_fraction[0, 0] == pytest.approx(3 / 5)

    expected, abnormal = abnormal_returns(fit, as_cube(np.array([0.05])), as_cube(np.array([0.02])))
    assert expected[0, 0, 0] == pytest.approx(0.022, abs=1e-14)
    assert abnormal[0, 0, 0] == pytest.approx(0.028, abs=1e-14)


def test_market_model_three_tokens_vectorised_with_missing_day():
    """Token B = 2 x token A; token C = token A with day 3 missing (worked by hand in the comments)."""
    token_c = TOKEN.copy()
    token_c[2] = np.nan
    fit = fit_market_model(as_cube(TOKEN, 2 * TOKEN, token_c), as_cube(MARKET))
    # B: beta and alpha double, s2 quadruples
    np.testing.assert_allclose(fit.beta[0], [0.8, 1.6, 0.8], atol=1e-14)
    # C without day 3: m = [.01,.02,.04,.05] mean .03; r = [.02,.01,.03,.05] mean .0275;
    # Sxy = .0008, Sxx = .001 -> beta .8, alpha = .0275 - .024 = .0035;
    # residuals [.0085, -.0095, -.0055, .0065], SSR = 235e-6, s2 = SSR / 2
    np.testing.assert_allclose(fit.alpha[0], [0.006, 0.012, 0.0035], atol=1e-14)
    np.testing.assert_allclose(fit.resid_var[0], [0.00012, 0.00048, 117.5e-6], atol=1e-15)
    np.testing.assert_array_equal(fit.n_est[0], [5, 5, 4])
    assert np.isnan(fit.residuals[0, 2, 2])
    np.testing.assert_allclose(fit.residuals[0, 2, [0, 1, 3, 4]], [0.0085, -0.0095, -0.0055, 0.0065], atol=1e-14)


def test_constant_mean_hand_worked_example():
    fit = fit_constant_mean(as_cube(TOKEN), as_cube(MARKET))
    # deviations [-.01, -.02, .01, 0, .02], sum of squares .001, ddof 1 -> .00025
    assert fit.alpha[0, 0] == pytest.approx(0.03, abs=1e-15)
    assert fit.beta[0, 0] == 0.0
    assert fit.resid_var[0, 0] == pytest.approx(0.00025, abs=1e-15)
    assert fit.dof[0, 0] == 4
    # the expected return ignores the market, even when it is missing
    expected, abnormal = abnormal_returns(fit, as_cube(np.array([0.05, 0.01])), as_cube(np.array([np.nan, 0.5])))
    np.testing.assert_allclose(expected[0, 0], [0.03, 0.03], atol=1e-15)
    np.testing.assert_allclose(abnormal[0, 0], [0.02, -0.02], atol=1e-15)


def test_constant_mean_does_not_need_the_market():
    market = MARKET.copy()
    market[0] = np.nan
    fit = fit_constant_mean(as_cube(TOKEN), as_cube(market))
    assert fit.n_est[0, 0] == 5


def test_market_adjusted_hand_worked_example():
    fit = fit_market_adjusted(as_cube(TOKEN), as_cube(MARKET))
    # AR = r - m = [.01, -.01, .01, -.01, 0], mean 0, sum of squares .0004, ddof 1 -> .0001
    assert fit.resid_var[0, 0] == pytest.approx(0.0001, abs=1e-16)
    assert (fit.alpha[0, 0], fit.beta[0, 0]) == (0.0, 1.0)
    assert fit.dof[0, 0] == 4
    np.testing.assert_allclose(fit.residuals[0, 0], [0.01, -0.01, 0.01, -0.01, 0.0], atol=1e-15)
    _, abnormal = abnormal_returns(fit, as_cube(np.array([0.05])), as_cube(np.array([0.02])))
    assert abnormal[0, 0, 0] == pytest.approx(0.03, abs=1e-15)


def synthetic_cubes(seed: int = 7, n_events: int = 3, n_tokens: int = 4, n_days: int = 80):
    """SYNTHETIC seeded data: per-token market (as for the EW benchmark) and a few gaps."""
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0, 0.03, (n_events, n_tokens, n_days))
    beta = rng.uniform(0.3, 1.7, (n_events, n_tokens, 1))
    returns = 0.001 + beta * market + rng.normal(0.0, 0.02, (n_events, n_tokens, n_days))
    returns[rng.random(returns.shape) < 0.05] = np.nan
    market[rng.random(market.shape) < 0.03] = np.nan
    return returns, market


def test_market_model_agrees_with_statsmodels_ols():
    returns, market = synthetic_cubes()
    event_returns, event_market = synthetic_cubes(seed=8, n_days=11)
    fit = fit_market_model(returns, market)
    _, abnormal = abnormal_returns(fit, event_returns, event_market)
    for e in range(returns.shape[0]):
        for k in range(returns.shape[1]):
            keep = ~np.isnan(returns[e, k]) & ~np.isnan(market[e, k])
            ols = sm.OLS(returns[e, k, keep], sm.add_constant(market[e, k, keep])).fit()
            assert fit.alpha[e, k] == pytest.approx(ols.params[0], abs=1e-10)
            assert fit.beta[e, k] == pytest.approx(ols.params[1], abs=1e-10)
            assert fit.resid_var[e, k] == pytest.approx(ols.scale, abs=1e-10)
            assert fit.n_est[e, k] == ols.nobs
            np.testing.assert_allclose(fit.residuals[e, k, keep], ols.resid, atol=1e-10)
            predicted = ols.params[0] + ols.params[1] * event_market[e, k]
            np.testing.assert_allclose(abnormal[e, k], event_returns[e, k] - predicted, atol=1e-10)


def test_one_market_series_broadcasts_like_a_full_cube():
    returns, market = synthetic_cubes()
    shared = market[:, :1, :]
    narrow = fit_market_model(returns, shared)
    wide = fit_market_model(returns, np.repeat(shared, returns.shape[1], axis=1))
    np.testing.assert_array_equal(narrow.beta, wide.beta)
    np.testing.assert_array_equal(narrow.resid_var, wide.resid_var)


@pytest.mark.parametrize("model", models.MODELS)
def test_blocked_threaded_fit_equals_single_call(monkeypatch, model):
    returns, market = synthetic_cubes(n_events=9, n_tokens=3)
    whole = models._FITTERS[model](returns, market)
    monkeypatch.setattr(models, "_BLOCK_ROWS", 4)  # 1 event (3 tokens) per block -> 9 blocks
    blocked = fit_normal_returns(model, returns, market)
    for name in ("alpha", "beta", "resid_var", "n_est", "dof", "positive_fraction", "residuals"):
        np.testing.assert_array_equal(getattr(blocked, name), getattr(whole, name), err_msg=name)


def test_constant_market_gives_undefined_market_model():
    fit = fit_market_model(as_cube(TOKEN), as_cube(np.full(5, 0.01)))
    assert np.isnan(fit.beta[0, 0]) and np.isnan(fit.resid_var[0, 0])


def test_unknown_model_raises():
    with pytest.raises(ValueError, match="unknown model 'fama_french'.*market_adjusted"):
        fit_normal_returns("fama_french", as_cube(TOKEN), as_cube(MARKET))


def test_non_3d_input_raises():
    with pytest.raises(ValueError, match="3-D"):
        fit_normal_returns("market_model", TOKEN[None, :], MARKET[None, :])


def test_market_shape_that_does_not_broadcast_raises():
    with pytest.raises(ValueError, match="does not broadcast"):
        fit_normal_returns("market_model", np.zeros((2, 3, 5)), np.zeros((2, 2, 5)))
