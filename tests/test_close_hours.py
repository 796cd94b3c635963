"""Each source's close hour, and the day-0 rule that follows it: known answers on synthetic series.

Every series here is synthetic (a seeded random walk), labelled as such.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chinabrief.analysis.eventstudy import run_event_study
from chinabrief.data import close_hours
from chinabrief.data import event_catalogue as events

HOURS = pd.date_range("2024-01-01", "2024-12-31 23:00", freq="h")


def hourly_walk(seed: int = 7) -> pd.DataFrame:
    """Synthetic hourly closes of BTC and ETH (timestamp = the hour's UTC start)."""
    rng = np.random.default_rng(seed)
    frames = []
    for token, start in (("BTC", 40000.0), ("ETH", 2500.0)):
        close = start * np.exp(np.cumsum(rng.normal(0, 0.004, len(HOURS))))
        frames.append(pd.DataFrame({"timestamp": HOURS, "token": token, "close": close}))
    return pd.concat(frames, ignore_index=True)


def daily_closing_at(hourly: pd.DataFrame, offset_hours, source: str = "synthetic") -> pd.DataFrame:
    """Synthetic daily closes of a source whose day D ends at D+24h+offset (offset may vary by day)."""
    days = pd.date_range("2024-01-05", "2024-12-25", freq="D")
    offset = offset_hours(days) if callable(offset_hours) else np.full(len(days), offset_hours)
    frames = []
    for token, part in hourly.groupby("token"):
        series = part.set_index("timestamp")["close"]
        end = days + pd.to_timedelta(24 + offset, unit="h")
        frames.append(
            pd.DataFrame(
                {
                    "date": days,
                    "token": token,
                    "source": source,
                    "close": series.reindex(end - pd.Timedelta(hours=1)).to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("offset", [0, -1, -2, -5, 3])
def test_a_series_shifted_by_known_hours_is_found(offset):
    hourly = hourly_walk()
    table = close_hours.measure(daily_closing_at(hourly, offset), hourly)
    pooled = table[table["token"].eq(close_hours.POOLED) & table["period"].eq("all days")].iloc[0]
    assert pooled["offset_hours"] == offset
    assert pooled["close_hour_utc"] == offset % 24
    assert pooled["median_abs_diff_pct"] == pytest.approx(0.0)
    if offset:
        assert pooled["midnight_median_abs_diff_pct"] > 0.1


def test_a_source_at_central_european_midnight_is_found_in_both_seasons():
    hourly = hourly_walk()
    cet = lambda days: np.where(close_hours.eu_summer_time(pd.Series(days)).to_numpy(), -2, -1)  # noqa: E731
    table = close_hours.measure(daily_closing_at(hourly, cet), hourly)
    summary = close_hours.summary(table).iloc[0]
    assert (summary["winter_close_hour_utc"], summary["summer_close_hour_utc"]) == (23, 22)
    got = close_hours.offsets(
        table, pd.DataFrame({"X": ["synthetic", "synthetic"]}), pd.Series(pd.to_datetime(["2024-02-01", "2024-08-01"]))
    )
    assert got["X"].tolist() == [-1, -2]


def test_sources_without_hourly_overlap_are_absent_and_unmeasured_sources_count_as_midnight():
    hourly = hourly_walk()
    daily = daily_closing_at(hourly, -1).assign(date=lambda f: f["date"] + pd.Timedelta(days=800))
    assert close_hours.measure(daily, hourly).empty
    got = close_hours.offsets(
        close_hours.empty(), pd.DataFrame({"X": ["nowhere"]}), pd.Series([pd.Timestamp("2025-01-01")])
    )
    assert got.iloc[0, 0] == 0


def test_the_day0_rule_moves_with_the_close():
    cat = pd.DataFrame(
        {
            "event_id": ["a", "b", "c"],
            "date": pd.to_datetime(["2025-04-09", "2025-05-06", "2025-05-07"]),
            "hour_utc": [17.0, 22.0, np.nan],
        }
    )
    cat = events.assign_day0(cat, 18)
    offsets = pd.DataFrame({"UTC": [0, 0, 0], "CET": [-2, -2, -2]}, index=["a", "b", "c"])
    shifts = events.day0_shifts(cat, 18, offsets)
    # 17:00 UTC is before the UTC cutoff (18:00) but after the CET-summer one (16:00): the next day
    assert shifts.to_dict() == {"UTC": {"a": 0, "b": 0, "c": 0}, "CET": {"a": 1, "b": 0, "c": 0}}


def test_a_shifted_token_is_measured_on_its_own_day0():
    """Synthetic returns: token A reacts one day after the event's day 0, token B on it."""
    rng = np.random.default_rng(3)
    days = pd.date_range("2025-01-01", "2025-06-30", freq="D")
    returns = pd.DataFrame(rng.normal(0, 0.01, (len(days), 3)), index=days, columns=["A", "B", "BTC"])
    day0 = pd.Timestamp("2025-05-01")
    returns.loc[day0 + pd.Timedelta(days=1), "A"] += 0.2
    returns.loc[day0, "B"] += 0.2
    ev = pd.DataFrame({"event_id": ["e"], "day0": [day0], "category": ["escalation"]})
    shift = pd.DataFrame({"A": [1]}, index=["e"])
    kwargs = dict(models=["market_adjusted"], event_windows=[(0, 0)], exclude_event_days=False)
    moved = run_event_study(returns, ev, ["A", "B"], day0_shift=shift, **kwargs)
    plain = run_event_study(returns, ev, ["A", "B"], **kwargs)
    car = moved.car.set_index("token")["car"]
    expected = returns.loc[day0 + pd.Timedelta(days=1), "A"] - returns.loc[day0 + pd.Timedelta(days=1), "BTC"]
    assert car["A"] == pytest.approx(expected)
    assert car["B"] == pytest.approx(plain.car.set_index("token")["car"]["B"])
    ar = moved.abnormal_returns
    assert ar.loc[ar["token"].eq("A") & ar["rel_day"].eq(0), "date"].iloc[0] == day0 + pd.Timedelta(days=1)
    assert ar.loc[ar["token"].eq("B") & ar["rel_day"].eq(0), "date"].iloc[0] == day0


def test_a_fractional_shift_is_an_error():
    days = pd.date_range("2025-01-01", "2025-06-30", freq="D")
    returns = pd.DataFrame(0.01, index=days, columns=["A", "BTC"])
    ev = pd.DataFrame({"event_id": ["e"], "day0": [pd.Timestamp("2025-05-01")], "category": ["escalation"]})
    with pytest.raises(ValueError, match="whole days"):
        run_event_study(returns, ev, ["A"], day0_shift=pd.DataFrame({"A": [0.5]}, index=["e"]))


@pytest.mark.parametrize("cutoff", [18, 20, 22])
def test_day0_shifts_for_every_token_follow_day0_for_close(cutoff):
    """The (event, token) shifts equal the one-token rule applied token by token (SYNTHETIC catalogue)."""
    rng = np.random.default_rng(cutoff)
    cat = pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(40)],
            "date": pd.to_datetime("2025-01-01") + pd.to_timedelta(rng.integers(0, 300, 40), unit="D"),
            "hour_utc": np.where(rng.random(40) < 0.3, np.nan, rng.integers(0, 24, 40) + rng.choice([0, 0.5], 40)),
        }
    )
    cat = events.assign_day0(cat, cutoff)
    offsets = pd.DataFrame(rng.choice([0, -2, -1, 1, 2], (40, 4)), index=cat["event_id"], columns=list("ABCD"))
    shifts = events.day0_shifts(cat, cutoff, offsets)
    for token in offsets.columns:
        own = events.day0_for_close(cat, cutoff, offsets[token].to_numpy())
        expected = (own.to_numpy() - cat["day0"].to_numpy()) // np.timedelta64(1, "D")
        assert shifts[token].tolist() == expected.tolist()
