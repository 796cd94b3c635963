"""Known answers for chinabrief.analysis.price_reactions: hourly candles are stamped with their
opening hour, so the price at HH:00 is the close of the candle stamped HH-1 (synthetic prices)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chinabrief.analysis import price_reactions

DAY = pd.Timestamp("2030-03-10")


def hourly(token: str, start: str, closes: list[float]) -> pd.DataFrame:
    """Synthetic hourly candles from ``start`` (opening hours), one close each."""
    stamps = pd.date_range(start, periods=len(closes), freq="h")
    return pd.DataFrame({"timestamp": stamps, "token": token, "close": closes})


def test_the_close_at_a_time_is_the_candle_opening_an_hour_earlier():
    assert price_reactions.candle_closing_at(pd.Timestamp("2030-03-10 00:00")) == pd.Timestamp("2030-03-09 23:00")


def test_24h_to_midnight_compares_the_days_last_candles():
    # 49 candles from 2030-03-09 00:00: close n at the candle opening at hour n
    prices = hourly("AAA", "2030-03-09 00:00", [100.0 + n for n in range(49)])
    daily = pd.DataFrame(
        {
            "token": ["AAA", "AAA"],
            "date": [DAY - pd.Timedelta(days=1), DAY],
            "close": [123.0, 147.0],
            "source": "synthetic",
        }
    )
    out = price_reactions.change_24h(daily, prices, ["AAA"], DAY, hours=(0, 24))
    by = out.set_index("measure")["pct_change"]
    # 00:00 on DAY = close of the 23:00 candle of the 9th (123) vs 24h earlier: the 23:00 candle of the 8th: absent
    assert "24h to 00:00 UTC (hourly close)" not in by.index
    # 24:00 = close of the 23:00 candle of the 10th (100 + 47) vs that of the 9th (100 + 23)
    assert by["24h to 24:00 UTC (hourly close)"] == pytest.approx((147 / 123 - 1) * 100)
    # the daily close-to-close is the same move: the hourly and daily closes agree at the day's end
    assert by["close-to-close (UTC day)"] == pytest.approx(by["24h to 24:00 UTC (hourly close)"])


def test_intraday_reaction_starts_from_the_close_before_the_announcement_hour():
    closes = [100.0] * 10 + [110.0] * 30  # the candle opening at 10:00 closes at 110
    token = hourly("AAA", "2030-03-10 00:00", closes)
    market = hourly("BTC", "2030-03-10 00:00", [200.0] * 10 + [202.0] * 30)
    announced = pd.Timestamp("2030-03-10 10:20")
    out = price_reactions.intraday_reaction(
        pd.concat([token, market]), ["AAA"], "BTC", announced, horizons=(1, 4)
    ).set_index("horizon_h")
    # base: the price at 10:00 = close of the 09:00 candle (100); +1h: close of the 10:00 candle (110)
    assert out.loc[1, "ret"] == pytest.approx(0.10)
    assert out.loc[1, "market_ret"] == pytest.approx(0.01)
    assert out.loc[4, "ar"] == pytest.approx(0.09)


def test_a_token_without_hourly_data_is_left_out():
    market = hourly("BTC", "2030-03-10 00:00", list(np.linspace(100, 110, 30)))
    out = price_reactions.intraday_reaction(market, ["AAA"], "BTC", pd.Timestamp("2030-03-10 05:00"))
    assert out.empty
