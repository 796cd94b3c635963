"""Tests of the event-study orchestration (chinabrief.analysis.eventstudy.study) and windows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from chinabrief.analysis.eventstudy import (
    ABNORMAL_RETURN_COLUMNS,
    CAAR_COLUMNS,
    CAAR_TESTS,
    CAR_COLUMNS,
    EXCLUSION_COLUMNS,
    build_event_windows,
    compute_statistics,
    fit_models,
    mean_cross_correlation,
    prepare_event_study,
    run_event_study,
)
from chinabrief.analysis.eventstudy import significance as st

TOKENS = ["TRX", "NEO", "VET", "CFX", "OKB"]


# --------------------------------------------------------------------------------------------
# fixtures


def hand_worked_inputs():
    """3 tokens, 5-day estimation window (-5, -1), event window (0, 0); day 0 = 2025-04-07.

    Estimation days 2025-04-02 .. 04-06:
      BTC = [.01, .02, .03, .04, .05]; AAA = [.02, .01, .04, .03, .05]; BBB = 2 x AAA; CCC = AAA + .01
    Market model (see test_eventstudy_models): AAA alpha .006 beta .8 s2 .00012;
      BBB alpha .012 beta 1.6 s2 .00048; CCC alpha .016 beta .8 s2 .00012.
    Day 0: BTC .02, AAA .05 -> AR .028; BBB .10 -> AR .056; CCC .03 -> AR -.002.
    var(AR_0) = s2 (1 + 1/5 + (.02 - .03)^2 / .001) = 1.3 s2.
    """
    index = pd.date_range("2025-04-01", "2025-04-08", freq="D")
    market = [np.nan, 0.01, 0.02, 0.03, 0.04, 0.05, 0.02, 0.0]
    token = np.array([np.nan, 0.02, 0.01, 0.04, 0.03, 0.05, 0.05, 0.0])
    returns = pd.DataFrame(
        {"BTC": market, "AAA": token, "BBB": 2 * token, "CCC": np.r_[token[:6] + 0.01, 0.03, 0.0]},
        index=index,
    )
    events = pd.DataFrame({"event_id": ["ev"], "day0": [pd.Timestamp("2025-04-07")], "category": ["escalation"]})
    return returns, events


def run_hand_worked(**overrides):
    returns, events = hand_worked_inputs()
    settings = dict(
        tokens=["AAA", "BBB", "CCC"],
        models=["market_model"],
        estimation_window=(-5, -1),
        min_estimation_obs=5,
        event_windows=[(0, 0)],
    )
    settings.update(overrides)
    return run_event_study(returns, events, **settings)


def synthetic_returns(seed: int = 11) -> pd.DataFrame:
    """SYNTHETIC seeded daily returns for 5 tokens + BTC + ETH over 2024-2025, with a few gaps."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-06-01", "2025-12-31", freq="D")
    btc = rng.normal(0.0005, 0.03, len(index))
    data = {"BTC": btc, "ETH": 0.9 * btc + rng.normal(0, 0.02, len(index))}
    for i, token in enumerate(TOKENS):
        data[token] = 0.001 * i + (0.6 + 0.2 * i) * btc + rng.normal(0, 0.04, len(index))
    returns = pd.DataFrame(data, index=index)
    returns.loc["2025-02-10":"2025-02-12", "VET"] = np.nan
    return returns


def synthetic_events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": ["e1", "e2", "e3", "e4"],
            "day0": pd.to_datetime(["2025-02-01", "2025-04-02", "2025-04-09", "2025-10-10"]),
            "category": ["escalation", "escalation", "de-escalation", "escalation"],
        }
    )


@pytest.fixture(scope="module")
def synthetic_result():
    return run_event_study(synthetic_returns(), synthetic_events(), TOKENS, exclude_event_days=False)


# --------------------------------------------------------------------------------------------
# hand-worked example


def test_hand_worked_car_table():
    car = run_hand_worked().car.set_index("token")
    np.testing.assert_allclose(car.loc[["AAA", "BBB", "CCC"], "car"], [0.028, 0.056, -0.002], atol=1e-14)
    np.testing.assert_allclose(car["se"], np.sqrt([0.000156, 0.000624, 0.000156]), rtol=1e-12)
    t_values = np.array([0.028, 0.056, -0.002]) / np.sqrt([0.000156, 0.000624, 0.000156])
    np.testing.assert_allclose(car["t"], t_values, rtol=1e-12)
    np.testing.assert_allclose(car["p"], 2 * stats.t.sf(np.abs(t_values), 3), rtol=1e-10)
    assert (car["n_est"] == 5).all()
    assert set(car["model"]) == {"market_model"} and set(car["benchmark"]) == {"BTC"}


def test_hand_worked_abnormal_return_row():
    table = run_hand_worked().abnormal_returns
    row = table[(table.token == "AAA") & (table.rel_day == 0)].iloc[0]
    assert row["date"] == pd.Timestamp("2025-04-07")
    assert (row["ret"], row["market_ret"]) == (0.05, 0.02)
    assert row["expected_ret"] == pytest.approx(0.022, abs=1e-14)
    assert row["ar"] == pytest.approx(0.028, abs=1e-14)


def test_hand_worked_caar_tests():
    caar = run_hand_worked().caar
    event = caar[caar.scope_type == "event"].set_index("test")
    cars = np.array([0.028, 0.056, -0.002])
    scars = cars / np.sqrt([0.000156, 0.000624, 0.000156])
    mean, sd = cars.mean(), cars.std(ddof=1)
    np.testing.assert_allclose(event["caar"], 0.082 / 3, atol=1e-14)
    assert (event["n_tokens"] == 3).all()
    assert event.loc["cross_sectional_t", "statistic"] == pytest.approx(mean / (sd / math.sqrt(3)), rel=1e-12)
    half = stats.t.ppf(0.975, 2) * sd / math.sqrt(3)
    assert event.loc["cross_sectional_t", "ci_low"] == pytest.approx(mean - half, rel=1e-12)
    assert event.loc["cross_sectional_t", "ci_high"] == pytest.approx(mean + half, rel=1e-12)
    # Patell: each SCAR / sqrt(dof/(dof-2)) = SCAR / sqrt(3), summed, / sqrt(N = 3)
    assert event.loc["patell_z", "statistic"] == pytest.approx(scars.sum() / 3, rel=1e-12)
    assert event.loc["bmp", "statistic"] == pytest.approx(scars.mean() / (scars.std(ddof=1) / math.sqrt(3)), rel=1e-12)
    # one event in the category: the category rows repeat the event rows
    category = caar[caar.scope_type == "category"].set_index("test")
    assert list(category["scope"].unique()) == ["escalation"]
    np.testing.assert_allclose(category["statistic"], event["statistic"], rtol=1e-12)


# --------------------------------------------------------------------------------------------
# agreement with statsmodels (SYNTHETIC data)


def test_market_model_cars_agree_with_statsmodels(synthetic_result):
    returns, events = synthetic_returns(), synthetic_events()
    car = synthetic_result.car[synthetic_result.car.model == "market_model"]
    ar_table = synthetic_result.abnormal_returns
    ar_table = ar_table[ar_table.model == "market_model"]
    checked = 0
    for event_id, day0 in zip(events.event_id, events.day0):
        row0 = returns.index.get_loc(day0)
        estimation = returns.iloc[row0 - 120 : row0 - 10]
        for token in TOKENS:
            data = estimation[[token, "BTC"]].dropna()
            ols = sm.OLS(data[token].to_numpy(), sm.add_constant(data["BTC"].to_numpy())).fit()
            ours = car[(car.event_id == event_id) & (car.token == token)]
            ars = ar_table[(ar_table.event_id == event_id) & (ar_table.token == token)].set_index("rel_day")
            for _, window in ours.iterrows():
                days = returns.iloc[row0 + window.window_start : row0 + window.window_end + 1]
                x_event = sm.add_constant(days["BTC"].to_numpy(), has_constant="add")
                abnormal = days[token].to_numpy() - ols.predict(x_event)
                ones = np.ones(len(days))
                variance = ols.scale * (len(days) + ones @ x_event @ ols.normalized_cov_params @ x_event.T @ ones)
                assert window.car == pytest.approx(abnormal.sum(), abs=1e-10)
                assert window.se == pytest.approx(math.sqrt(variance), abs=1e-10)
                assert window.t == pytest.approx(abnormal.sum() / math.sqrt(variance), abs=1e-10)
                assert window.p == pytest.approx(2 * stats.t.sf(abs(window.t), ols.df_resid), abs=1e-10)
                assert window.n_est == ols.nobs
                rel = range(window.window_start, window.window_end + 1)
                np.testing.assert_allclose(ars.loc[list(rel), "ar"], abnormal, atol=1e-10)
                checked += 1
    assert checked > 80


def test_constant_mean_and_market_adjusted_se_follow_their_formulas(synthetic_result):
    returns = synthetic_returns()
    row0 = returns.index.get_loc(pd.Timestamp("2025-04-02"))
    estimation = returns.iloc[row0 - 120 : row0 - 10]
    car = synthetic_result.car.set_index(["event_id", "token", "model", "window_start", "window_end"])
    token = estimation["NEO"]
    s2 = token.var(ddof=1)
    assert car.loc[("e2", "NEO", "constant_mean", 0, 3), "se"] == pytest.approx(
        math.sqrt(s2 * (4 + 16 / 110)), rel=1e-12
    )
    adjusted = (estimation["NEO"] - estimation["BTC"]).var(ddof=1)
    assert car.loc[("e2", "NEO", "market_adjusted", -5, 5), "se"] == pytest.approx(math.sqrt(11 * adjusted), rel=1e-12)
    window = returns.iloc[row0 - 1 : row0 + 2]
    assert car.loc[("e2", "NEO", "market_adjusted", -1, 1), "car"] == pytest.approx(
        (window["NEO"] - window["BTC"]).sum(), abs=1e-14
    )
    assert car.loc[("e2", "NEO", "constant_mean", -1, 1), "car"] == pytest.approx(
        (window["NEO"] - token.mean()).sum(), abs=1e-14
    )


# --------------------------------------------------------------------------------------------
# aggregation


def test_category_scope_pools_all_token_events(synthetic_result):
    car = synthetic_result.car
    caar = synthetic_result.caar
    pick = (car.model == "market_model") & (car.window_start == 0) & (car.window_end == 1)
    escalation = car[pick & car.event_id.isin(["e1", "e2", "e4"])]
    rows = caar[
        (caar.scope == "escalation")
        & (caar.model == "market_model")
        & (caar.window_start == 0)
        & (caar.window_end == 1)
    ].set_index("test")
    assert len(escalation) == 15
    assert (rows["n_tokens"] == 15).all()
    assert (rows["n_events"] == 3).all()
    assert rows.loc["cross_sectional_t", "caar"] == pytest.approx(escalation["car"].mean(), abs=1e-14)
    assert rows.loc["cross_sectional_t", "statistic"] == pytest.approx(
        st.cross_sectional_t(escalation["car"].to_numpy()).statistic, rel=1e-12
    )
    scar = (escalation["car"] / escalation["se"]).to_numpy()
    assert rows.loc["bmp", "statistic"] == pytest.approx(st.bmp_t(scar).statistic, rel=1e-12)


def test_category_kp_uses_cross_correlation_of_all_pooled_series(synthetic_result):
    prepared = prepare_event_study(synthetic_returns(), synthetic_events(), TOKENS, exclude_event_days=False)
    residuals = fit_models(prepared, ["market_model"])["market_model"].fit.residuals
    pooled = residuals[[0, 1, 3]].reshape(15, -1)
    rbar = mean_cross_correlation(pooled)
    car = synthetic_result.car
    window = car[
        (car.model == "market_model")
        & (car.window_start == -1)
        & (car.window_end == 1)
        & car.event_id.isin(["e1", "e2", "e4"])
    ]
    scar = (window["car"] / window["se"]).to_numpy()
    caar = synthetic_result.caar
    row = caar[
        (caar.scope == "escalation")
        & (caar.model == "market_model")
        & (caar.test == "bmp_kp")
        & (caar.window_start == -1)
        & (caar.window_end == 1)
    ].iloc[0]
    assert row["statistic"] == pytest.approx(st.bmp_kp_t(scar, rbar).statistic, rel=1e-10)
    # per event the KP correlation is that of the event's own tokens
    event_row = caar[
        (caar.scope == "e2")
        & (caar.model == "market_model")
        & (caar.test == "bmp_kp")
        & (caar.window_start == -1)
        & (caar.window_end == 1)
    ].iloc[0]
    e2 = window[window.event_id == "e2"]
    expected = st.bmp_kp_t((e2["car"] / e2["se"]).to_numpy(), mean_cross_correlation(residuals[1]))
    assert event_row["statistic"] == pytest.approx(expected.statistic, rel=1e-10)


def test_equal_weighted_benchmark_excludes_the_token_itself():
    returns, events = hand_worked_inputs()
    result = run_event_study(
        returns,
        events,
        ["AAA", "BBB", "CCC"],
        benchmark="EW",
        models=["market_adjusted"],
        estimation_window=(-5, -1),
        min_estimation_obs=5,
        event_windows=[(0, 0)],
    )
    table = result.abnormal_returns.set_index("token")
    # day 0: AAA .05, BBB .10, CCC .03
    assert table.loc["AAA", "market_ret"] == pytest.approx((0.10 + 0.03) / 2)
    assert table.loc["BBB", "market_ret"] == pytest.approx((0.05 + 0.03) / 2)
    assert table.loc["CCC", "ar"] == pytest.approx(0.03 - 0.075)
    assert set(result.car["benchmark"]) == {"EW"}


# --------------------------------------------------------------------------------------------
# exclusions


def test_too_few_estimation_returns_excluded_with_reason():
    returns, events = synthetic_returns(), synthetic_events()
    row0 = returns.index.get_loc(pd.Timestamp("2025-04-09"))
    returns.iloc[row0 - 120 : row0 - 51, returns.columns.get_loc("CFX")] = np.nan  # 69 of 110 days gone
    result = run_event_study(returns, events, TOKENS, models=["market_model"], exclude_event_days=False)
    reasons = result.exclusions[(result.exclusions.event_id == "e3") & (result.exclusions.token == "CFX")]
    assert reasons["reason"].tolist() == ["only 41 valid returns in estimation window, minimum 60"]
    assert reasons["model"].tolist() == ["market_model"]
    assert reasons["window_start"].isna().all()
    assert not ((result.car.event_id == "e3") & (result.car.token == "CFX")).any()
    assert not ((result.abnormal_returns.event_id == "e3") & (result.abnormal_returns.token == "CFX")).any()
    assert ((result.car.event_id == "e4") & (result.car.token == "CFX")).any()
    assert (result.caar[(result.caar.scope == "e3")]["n_tokens"] == 4).all()


def test_no_price_data_in_event_window_excluded_with_reason():
    returns, events = synthetic_returns(), synthetic_events()
    returns.loc["2025-10-05":"2025-10-15", "OKB"] = np.nan
    result = run_event_study(returns, events, TOKENS, models=["constant_mean"], exclude_event_days=False)
    reasons = result.exclusions[(result.exclusions.event_id == "e4") & (result.exclusions.token == "OKB")]
    assert reasons["reason"].tolist() == ["no price data in event window (-5, 5)"]


def test_missing_day_excludes_only_the_windows_containing_it(synthetic_result):
    # VET lacks 2025-02-10..12 = rel_day 9..11 of e1 (outside every window): nothing excluded
    assert synthetic_result.exclusions.empty
    returns, events = synthetic_returns(), synthetic_events()
    returns.loc["2025-10-12", "TRX"] = np.nan  # rel_day 2 of e4
    result = run_event_study(returns, events, TOKENS, models=["market_model"], exclude_event_days=False)
    dropped = result.exclusions[result.exclusions.token == "TRX"]
    assert (dropped["event_id"] == "e4").all()
    assert sorted(zip(dropped.window_start, dropped.window_end)) == [(-5, 5), (0, 3)]
    assert dropped["reason"].str.contains("missing abnormal return on rel_day 2 in event window").all()
    kept = result.car[(result.car.token == "TRX") & (result.car.event_id == "e4")]
    assert sorted(zip(kept.window_start, kept.window_end)) == [(-1, 1), (0, 0), (0, 1)]


def test_exclude_event_days_removes_other_event_days_from_estimation():
    returns, events = synthetic_returns(), synthetic_events()
    # e1's day 0 (2025-02-01) lies in the estimation windows (-120, -11) of e2 (04-02) and e3 (04-09);
    # no other event day lies in any estimation window.
    kept = run_event_study(returns, events, TOKENS, models=["market_model"], exclude_event_days=False).car
    dropped = run_event_study(returns, events, TOKENS, models=["market_model"], exclude_event_days=True).car

    def n_est(table, event_id):
        return table[(table.event_id == event_id) & (table.token == "NEO")]["n_est"].iloc[0]

    assert n_est(kept, "e2") == 110 and n_est(dropped, "e2") == 109  # 2025-02-01 dropped
    assert n_est(kept, "e3") == 110 and n_est(dropped, "e3") == 109  # 2025-02-01 again
    assert n_est(dropped, "e1") == 110 and n_est(dropped, "e4") == 110  # no other event day inside

    def neo_e2(t):
        return t[(t.event_id == "e2") & (t.token == "NEO") & (t.window_end == 0)]["car"].iloc[0]

    assert neo_e2(kept) != neo_e2(dropped)


# --------------------------------------------------------------------------------------------
# output contract


def test_output_contract(synthetic_result):
    assert list(synthetic_result.abnormal_returns.columns) == ABNORMAL_RETURN_COLUMNS
    assert CAR_COLUMNS == [
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
    assert list(synthetic_result.car.columns) == CAR_COLUMNS
    assert list(synthetic_result.caar.columns[:9]) == [
        "scope",
        "model",
        "window_start",
        "window_end",
        "n_tokens",
        "caar",
        "test",
        "statistic",
        "p",
    ]
    assert list(synthetic_result.caar.columns) == CAAR_COLUMNS
    assert list(synthetic_result.exclusions.columns[:4]) == ["event_id", "token", "model", "reason"]
    assert list(synthetic_result.exclusions.columns) == EXCLUSION_COLUMNS
    assert set(synthetic_result.car["model"]) == {"market_adjusted", "market_model", "constant_mean"}
    assert set(synthetic_result.caar["test"]) == set(CAAR_TESTS)
    assert set(synthetic_result.caar["scope"]) == {"e1", "e2", "e3", "e4", "escalation", "de-escalation"}
    assert synthetic_result.abnormal_returns["rel_day"].between(-5, 5).all()
    assert synthetic_result.car["window_start"].dtype.kind == "i"
    # 4 events x 5 tokens x 3 models x 5 windows
    assert len(synthetic_result.car) == 300
    assert len(synthetic_result.caar) == (4 + 2) * 3 * 5 * 6
    params = synthetic_result.params
    for key in (
        "tokens",
        "benchmark",
        "models",
        "estimation_window",
        "min_estimation_obs",
        "event_windows",
        "exclude_event_days",
        "confidence_level",
    ):
        assert key in params, key
    assert params["estimation_window"] == [-120, -11] and params["min_estimation_obs"] == 60


def test_steps_equal_one_call_and_are_deterministic(synthetic_result):
    prepared = prepare_event_study(synthetic_returns(), synthetic_events(), TOKENS, exclude_event_days=False)
    stepwise = compute_statistics(prepared, fit_models(prepared))
    for name in ("abnormal_returns", "car", "caar", "exclusions"):
        pd.testing.assert_frame_equal(getattr(stepwise, name), getattr(synthetic_result, name))


# --------------------------------------------------------------------------------------------
# bad inputs


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"models": ["capm"]}, "unknown model 'capm'"),
        ({"models": []}, "models is empty"),
        ({"estimation_window": (-11, -120)}, r"estimation window \(-11, -120\) starts after it ends"),
        ({"event_windows": [(0, 0), (3, 1)]}, r"event window \(3, 1\) starts after it ends"),
        ({"estimation_window": (-120, 0)}, "must end before the earliest event window"),
        ({"benchmark": "XRP"}, "benchmark 'XRP' not in returns columns"),
        ({"benchmark": "TRX"}, "benchmark 'TRX' is also a studied token"),
        ({"tokens": ["TRX", "DOGE"]}, "token.* not in returns columns: DOGE"),
        ({"tokens": ["trx"]}, "upper-case"),
        ({"tokens": "TRX"}, "tokens must be a list of symbols"),
        ({"tokens": ["TRX"], "benchmark": "EW"}, "EW benchmark needs at least 2 tokens"),
        ({"min_estimation_obs": 200}, "min_estimation_obs must be between 5 and the estimation window length 110"),
        ({"event_windows": [(0, 0.5)]}, "integer day offsets"),
    ],
)
def test_bad_settings_raise_value_error(overrides, message):
    settings = {"tokens": TOKENS}
    settings.update(overrides)
    with pytest.raises(ValueError, match=message):
        run_event_study(synthetic_returns(), synthetic_events(), **settings)


def test_event_outside_the_data_range_raises():
    events = synthetic_events()
    events.loc[3, "day0"] = pd.Timestamp("2026-03-01")
    with pytest.raises(ValueError, match=r"outside the data range 2024-06-01 \.\. 2025-12-31: 2026-03-01"):
        run_event_study(synthetic_returns(), events, TOKENS)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r, e: (r.drop(pd.Timestamp("2025-01-05")), e), "complete daily calendar"),
        (lambda r, e: (r.tz_localize("UTC"), e), "tz-naive"),
        (lambda r, e: (r.reset_index(drop=True), e), "DatetimeIndex"),
        (lambda r, e: (r, e.drop(columns="category")), "lacks column"),
        (lambda r, e: (r, e.assign(event_id="same")), "event_id not unique"),
        (lambda r, e: (r, e.iloc[:0]), "events is empty"),
        (lambda r, e: (r, e.assign(day0=e.day0 + pd.Timedelta(hours=21))), "midnight"),
    ],
)
def test_bad_data_raise_value_error(mutate, message):
    returns, events = mutate(synthetic_returns(), synthetic_events())
    with pytest.raises(ValueError, match=message):
        run_event_study(returns, events, TOKENS)


# --------------------------------------------------------------------------------------------
# windows


def test_build_event_windows_rows_and_masks():
    index = pd.date_range("2025-01-01", periods=30, freq="D")
    windows = build_event_windows(
        index,
        [pd.Timestamp("2025-01-05"), pd.Timestamp("2025-01-25")],
        (-6, -2),
        [(0, 0), (-1, 3)],
        exclude_event_days=[pd.Timestamp("2025-01-21"), pd.Timestamp("2024-01-01")],
    )
    np.testing.assert_array_equal(windows.day0_rows, [4, 24])
    np.testing.assert_array_equal(windows.estimation_rows, [[-2, -1, 0, 1, 2], [18, 19, 20, 21, 22]])
    np.testing.assert_array_equal(
        windows.estimation_usable, [[False, False, True, True, True], [True, True, False, True, True]]
    )
    np.testing.assert_array_equal(windows.event_offsets, [-1, 0, 1, 2, 3])
    np.testing.assert_array_equal(windows.event_in_range[1], [True, True, True, True, True])
    np.testing.assert_array_equal(windows.window_columns((0, 0)), [1])
    np.testing.assert_array_equal(windows.window_columns((-1, 3)), [0, 1, 2, 3, 4])
    with pytest.raises(ValueError, match="outside the event span"):
        windows.window_columns((0, 4))
