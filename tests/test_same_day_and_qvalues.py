"""chinabrief.analysis.token_event_study: events sharing a day 0 are one observation; q-values beside p-values.

The panel is SYNTHETIC (seeded NumPy)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chinabrief.analysis import token_event_study
from chinabrief.analysis.eventstudy.multiple import bh_qvalues


def tables(seed: int = 2):
    rng = np.random.default_rng(seed)
    days = pd.date_range("2023-01-01", periods=400, freq="D")
    market = rng.normal(0, 0.03, len(days))
    rows = [pd.DataFrame({"date": days, "token": "BTC", "ret": market})]
    for i, token in enumerate(["AAA", "BBB", "CCC"]):
        rows.append(
            pd.DataFrame({"date": days, "token": token, "ret": market * (1 + 0.2 * i) + rng.normal(0, 0.02, len(days))})
        )
    events = pd.DataFrame(
        {
            "event_id": ["e1", "e2", "e3", "e4"],
            "day0": pd.to_datetime(["2023-07-01", "2023-07-01", "2023-08-15", "2023-10-01"]),
            "category": ["escalation", "escalation", "escalation", "talks"],
            "label": ["One", "Two", "Three", "Four"],
        }
    )
    return {"returns": pd.concat(rows, ignore_index=True), "events": events}


def run(t):
    return token_event_study.run(
        t,
        tokens=["AAA", "BBB", "CCC"],
        benchmark="BTC",
        models=["market_model"],
        estimation_window=[-120, -11],
        min_estimation_obs=60,
        event_windows=[[-1, 1]],
        exclude_event_days=True,
        cutoff_hour_utc=20,
    )


def test_same_day_events_count_once_in_every_statistic():
    t = tables()
    result = run(t)
    assert set(result.car["event_id"]) == {"e1", "e3", "e4"}
    esc = result.caar[result.caar["scope"].eq("escalation") & result.caar["test"].eq("cross_sectional_t")].iloc[0]
    assert esc["n_events"] == 2 and esc["n_tokens"] == 2 * 3  # not 3 events and 9 token-events
    # the merged observation's CAAR equals the average of its token CARs, counted once
    cars = result.car.set_index(["event_id", "token"])["car"]
    assert esc["caar"] == pytest.approx(cars.loc[["e1", "e3"]].mean())
    assert result.params["merged_events"] == {"e1": ["e1", "e2"]}
    assert token_event_study.observation_id(result, "e2") == "e1"
    assert token_event_study.observation_labels(result, t["events"])["e1"] == "One + Two"
    merged = token_event_study.merged_table(result, t["events"])
    assert merged["events"].tolist() == ["One + Two"] and merged["n_merged"].tolist() == [2]


def test_merging_changes_nothing_for_distinct_days():
    t = tables()
    t["events"].loc[1, "day0"] = pd.Timestamp("2023-09-01")
    result = run(t)
    assert set(result.car["event_id"]) == {"e1", "e2", "e3", "e4"} and result.params["merged_events"] == {}


def test_q_values_sit_beside_p_values():
    result = run(tables())
    car = result.car
    assert car.columns.get_loc("q") == car.columns.get_loc("p") + 1
    assert np.allclose(car["q"], bh_qvalues(car["p"]))  # one model and window: one family
    events = result.caar[result.caar["scope_type"].eq("event")]
    for _, family in events.groupby("test"):
        assert np.allclose(family["q"], bh_qvalues(family["p"]), equal_nan=True)
    assert result.caar.loc[result.caar["scope_type"].eq("category"), "q"].isna().all()
