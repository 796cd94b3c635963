"""Known-answer tests of the test statistics (chinabrief.analysis.eventstudy.significance)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from chinabrief.analysis.eventstudy import significance as st

# --------------------------------------------------------------------------------------------
# variance of ARs and CARs


def test_car_variance_market_model_hand_worked():
    # s2 = 0.00012, n = 5, mean_m = 0.03, SSD_m = 0.001 (see test_eventstudy_models)
    one_day = st.car_variance("market_model", 0.00012, 5, 1, 0.05, 0.03, 0.001)
    assert one_day == pytest.approx(0.00012 * (1 + 1 / 5 + 0.02**2 / 0.001), abs=1e-18)  # 0.000192
    assert one_day == pytest.approx(0.000192, abs=1e-18)
    # two days with market 0.02 and 0.04: sum 0.06 = L * mean_m, so the slope term vanishes
    two_days = st.car_variance("market_model", 0.00012, 5, 2, 0.06, 0.03, 0.001)
    assert two_days == pytest.approx(0.00012 * (2 + 4 / 5), abs=1e-18)  # 0.000336


def test_car_variance_equals_sum_of_ar_variances_only_with_covariances():
    """The diagonal alone (sum of var(AR_t)) differs from the full var(CAR)."""
    market = np.array([0.02, 0.04])
    diagonal = st.ar_variance("market_model", 0.00012, 5, market, 0.03, 0.001).sum()
    full = st.car_variance("market_model", 0.00012, 5, 2, market.sum(), 0.03, 0.001)
    assert diagonal == pytest.approx(0.00012 * (2 + 2 / 5 + (0.01**2 + 0.01**2) / 0.001), abs=1e-18)
    assert not math.isclose(diagonal, full, rel_tol=1e-6)


def test_constant_mean_and_market_adjusted_car_variance_hand_worked():
    assert st.car_variance("constant_mean", 0.00025, 5, 3) == pytest.approx(0.00025 * (3 + 9 / 5), abs=1e-18)
    assert st.car_variance("market_adjusted", 0.0001, 5, 4) == pytest.approx(0.0004, abs=1e-18)
    assert st.ar_variance("constant_mean", 0.00025, 5) == pytest.approx(0.00025 * 1.2, abs=1e-18)
    assert st.ar_variance("market_adjusted", 0.0001, 5) == pytest.approx(0.0001, abs=1e-18)


def prediction_error_covariance(x_est: np.ndarray, x_event: np.ndarray, s2: float) -> np.ndarray:
    """Direct matrix formula V = s2 (I + X0 (X'X)^-1 X0')."""
    return s2 * (np.eye(len(x_event)) + x_event @ np.linalg.inv(x_est.T @ x_est) @ x_event.T)


@pytest.mark.parametrize("length", [1, 2, 4, 11])
def test_market_model_variance_matches_matrix_formula(length):
    rng = np.random.default_rng(100 + length)  # SYNTHETIC
    market_est = rng.normal(0.001, 0.03, 90)
    market_event = rng.normal(0.0, 0.05, length)
    s2 = 0.0007
    x_est = np.column_stack([np.ones(90), market_est])
    x_event = np.column_stack([np.ones(length), market_event])
    covariance = prediction_error_covariance(x_est, x_event, s2)
    mean_m, ssd = market_est.mean(), ((market_est - market_est.mean()) ** 2).sum()
    np.testing.assert_allclose(
        st.ar_variance("market_model", s2, 90, market_event, mean_m, ssd), np.diag(covariance), rtol=1e-12
    )
    full = st.car_variance("market_model", s2, 90, length, market_event.sum(), mean_m, ssd)
    assert full == pytest.approx(covariance.sum(), rel=1e-12)


def test_constant_mean_variance_matches_matrix_formula():
    covariance = prediction_error_covariance(np.ones((40, 1)), np.ones((3, 1)), 0.002)
    assert st.car_variance("constant_mean", 0.002, 40, 3) == pytest.approx(covariance.sum(), rel=1e-12)


def test_variance_inputs_are_checked():
    with pytest.raises(ValueError, match="unknown model"):
        st.car_variance("capm", 0.1, 10, 1)
    with pytest.raises(ValueError, match="market model needs"):
        st.car_variance("market_model", 0.1, 10, 1)
    with pytest.raises(ValueError, match="window_length must be >= 1"):
        st.car_variance("market_adjusted", 0.1, 10, 0)


def test_car_t_test_hand_worked():
    result = st.car_t_test(0.028, 0.000192, 3)
    assert result.se == pytest.approx(math.sqrt(0.000192))
    assert result.t == pytest.approx(0.028 / math.sqrt(0.000192))
    assert result.p_value == pytest.approx(2 * stats.t.sf(0.028 / math.sqrt(0.000192), 3))
    assert np.isnan(st.car_t_test(0.01, 0.0001, 0).p_value)


# --------------------------------------------------------------------------------------------
# cross-sectional tests


def test_cross_sectional_t_and_interval_hand_worked():
    cars = np.array([0.01, 0.03, 0.05])  # mean 0.03, sd 0.02
    result = st.cross_sectional_t(cars)
    t = 0.03 / (0.02 / math.sqrt(3))
    assert result.statistic == pytest.approx(t)
    assert result.p_value == pytest.approx(2 * stats.t.sf(t, 2))
    low, high = st.caar_confidence_interval(cars, 0.95)
    half = stats.t.ppf(0.975, 2) * 0.02 / math.sqrt(3)
    assert (low, high) == (pytest.approx(0.03 - half), pytest.approx(0.03 + half))


def test_cross_sectional_t_ignores_nan_and_is_vectorised():
    cars = np.array([[0.01, 0.03, 0.05, np.nan], [0.02, -0.01, 0.04, 0.0]])
    rows = st.cross_sectional_t(cars)
    assert rows.statistic[0] == pytest.approx(st.cross_sectional_t(cars[0, :3]).statistic)
    assert rows.statistic[1] == pytest.approx(st.cross_sectional_t(cars[1]).statistic)
    single = st.cross_sectional_t(np.array([0.02, np.nan]))
    assert np.isnan(single.statistic) and np.isnan(single.p_value)


def test_patell_z_hand_worked():
    scar = np.array([1.0, 2.0, 0.5])
    result = st.patell_z(scar, np.array([8.0, 8.0, 8.0]))
    z = (3.5 / math.sqrt(8 / 6)) / math.sqrt(3)
    assert result.statistic == pytest.approx(z)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(z))
    # each SCAR is scaled by its own sqrt(dof/(dof-2)); dof <= 2 is left out
    mixed = st.patell_z(np.array([1.0, 2.0, 9.0]), np.array([4.0, 10.0, 2.0]))
    assert mixed.statistic == pytest.approx((1 / math.sqrt(2) + 2 / math.sqrt(10 / 8)) / math.sqrt(2))


def test_bmp_hand_worked():
    result = st.bmp_t(np.array([1.0, 2.0, 3.0]))  # mean 2, sd 1
    assert result.statistic == pytest.approx(2 * math.sqrt(3))
    assert result.p_value == pytest.approx(2 * stats.t.sf(2 * math.sqrt(3), 2))


def test_standardized_car():
    assert st.standardized_car(0.03, 0.0004) == pytest.approx(1.5)


def test_kolari_pynnonen_reduces_to_bmp_when_r_is_zero():
    scar = np.array([0.3, 1.2, -0.4, 2.2, 0.9])
    bmp = st.bmp_t(scar)
    adjusted = st.bmp_kp_t(scar, 0.0)
    assert adjusted.statistic == pytest.approx(bmp.statistic, abs=1e-15)
    assert adjusted.p_value == pytest.approx(bmp.p_value, abs=1e-15)


def test_kolari_pynnonen_adjustment_hand_worked():
    assert st.kolari_pynnonen_adjust(3.0, 0.1, 5) == pytest.approx(3 * math.sqrt(0.9 / 1.4))
    scar = np.array([0.3, 1.2, -0.4, 2.2, 0.9])
    adjusted = st.bmp_kp_t(scar, 0.1)
    expected = st.bmp_t(scar).statistic * math.sqrt(0.9 / 1.4)
    assert adjusted.statistic == pytest.approx(expected)
    assert adjusted.p_value == pytest.approx(2 * stats.t.sf(abs(expected), 4))
    assert np.isnan(st.kolari_pynnonen_adjust(3.0, -0.5, 5))  # 1 + 4 r < 0


def test_mean_cross_correlation_complete_data_is_mean_of_pearson():
    rng = np.random.default_rng(3)  # SYNTHETIC, correlated through a common factor
    common = rng.normal(size=120)
    series = 0.6 * common + rng.normal(size=(6, 120))
    corr = np.corrcoef(series)
    expected = corr[~np.eye(6, dtype=bool)].mean()
    assert st.mean_cross_correlation(series) == pytest.approx(expected, abs=1e-12)
    # vectorised over a leading axis, and 'include' drops series
    stacked = np.stack([series, series[::-1]])
    np.testing.assert_allclose(st.mean_cross_correlation(stacked), [expected, expected], atol=1e-12)
    sub = np.corrcoef(series[:4])
    include = np.array([True, True, True, True, False, False])
    assert st.mean_cross_correlation(series, include) == pytest.approx(sub[~np.eye(4, dtype=bool)].mean())


def test_mean_cross_correlation_with_gaps_is_pooled_over_pair_overlaps():
    rng = np.random.default_rng(4)  # SYNTHETIC
    series = rng.normal(size=(4, 30))
    series[0, :5] = np.nan
    series[2, 10:14] = np.nan
    z = []
    for row in series:
        valid = ~np.isnan(row)
        z.append(np.where(valid, (row - row[valid].mean()) / row[valid].std(), np.nan))
    numerator = denominator = 0.0
    for i, j in itertools.permutations(range(4), 2):
        both = ~np.isnan(z[i]) & ~np.isnan(z[j])
        numerator += (z[i][both] * z[j][both]).sum()
        denominator += both.sum()
    assert st.mean_cross_correlation(series) == pytest.approx(numerator / denominator, abs=1e-12)


def test_correlation_sums_pool_like_stacking_series():
    rng = np.random.default_rng(5)  # SYNTHETIC: 3 groups (events) x 4 series x 25 days
    residuals = rng.normal(size=(3, 4, 25)) + rng.normal(size=(3, 1, 25))
    residuals[1, 2, 3] = np.nan
    standardized = st.standardize_residuals(residuals)
    pooled = st.correlation_from_sums(st.cross_correlation_sums(standardized).pool([0, 2]))
    direct = st.mean_cross_correlation(residuals[[0, 2]].reshape(8, 25))
    assert pooled[0] == pytest.approx(direct, abs=1e-12)


# --------------------------------------------------------------------------------------------
# non-parametric tests


def test_average_ranks_match_scipy_with_ties_and_nan():
    rng = np.random.default_rng(6)  # SYNTHETIC
    values = rng.integers(0, 6, size=(5000, 17)).astype(float)
    values[rng.random(values.shape) < 0.1] = np.nan
    expected = stats.rankdata(values, axis=-1, nan_policy="omit")
    np.testing.assert_allclose(st.average_ranks(values), expected, equal_nan=True)


def test_corrado_rank_hand_worked():
    # A ranks [1,3,2,4], B ranks [4,1,3,2]; T = 4 -> U = rank/5 - 1/2
    values = np.array([[0.1, 0.3, 0.2, 0.4], [0.4, 0.1, 0.3, 0.2]])
    np.testing.assert_allclose(st.standardized_ranks(values), [[-0.3, 0.1, -0.1, 0.3], [0.3, -0.3, 0.1, -0.1]])
    panel = st.rank_panel(values)
    # Ubar = [0, -0.1, 0, 0.1], S^2 = mean(Ubar^2) = 0.005
    last_day = st.corrado_rank_z(panel, [3])
    assert last_day.statistic == pytest.approx(0.1 / math.sqrt(0.005))
    assert last_day.p_value == pytest.approx(2 * stats.norm.sf(0.1 / math.sqrt(0.005)))
    two_days = st.corrado_rank_z(panel, [2, 3])
    assert two_days.statistic == pytest.approx(0.1 / math.sqrt(2 * 0.005))  # = 1
    # rank_panel joins parts along the day axis before ranking
    joined = st.rank_panel(values[:, :3], values[:, 3:])
    np.testing.assert_array_equal(joined.scores, panel.scores)


def test_corrado_rank_include_drops_series():
    values = np.array([[0.1, 0.3, 0.2, 0.4], [0.4, 0.1, 0.3, 0.2]])
    only_a = st.corrado_rank_z(st.rank_panel(values), [3], include=np.array([True, False]))
    # Ubar = U_A = [-.3, .1, -.1, .3], S^2 = 0.05
    assert only_a.statistic == pytest.approx(0.3 / math.sqrt(0.05))


def test_generalized_sign_hand_worked():
    cars = np.array([0.1, -0.2, 0.3, 0.05])
    result = st.generalized_sign_z(cars, np.array([0.5, 0.4, 0.5, 0.6]))  # p = 0.5, w = 3, N = 4
    assert result.statistic == pytest.approx((3 - 2) / math.sqrt(4 * 0.25))
    assert result.p_value == pytest.approx(2 * stats.norm.sf(1.0))
    skewed = st.generalized_sign_z(cars, np.full(4, 0.4))  # p = 0.4
    assert skewed.statistic == pytest.approx((3 - 1.6) / math.sqrt(4 * 0.4 * 0.6))


def test_blocked_threaded_panels_equal_one_block(monkeypatch):
    rng = np.random.default_rng(8)  # SYNTHETIC
    residuals = rng.normal(size=(3, 7, 40))
    residuals[rng.random(residuals.shape) < 0.1] = np.nan
    residuals[1, 2] = np.nan  # an unusable series
    monkeypatch.setattr(st, "_BLOCK_ROWS", 10_000)
    whole_std, whole_rank = st.standardize_residuals(residuals), st.rank_panel(residuals[..., :30], residuals[..., 30:])
    monkeypatch.setattr(st, "_BLOCK_ROWS", 2)  # 11 blocks over 21 series, on several threads
    blocked_std, blocked_rank = (
        st.standardize_residuals(residuals),
        st.rank_panel(residuals[..., :30], residuals[..., 30:]),
    )
    for whole, blocked in zip(whole_std + whole_rank, blocked_std + blocked_rank):
        np.testing.assert_array_equal(blocked, whole)
    assert not blocked_std.usable[1, 2] and blocked_std.count[1, 2] == 0
