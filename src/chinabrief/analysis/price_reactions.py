"""Event-window views around one day 0: price paths, 24-hour changes, intraday reactions.

The full event study (models, estimation windows, test statistics) is in ``eventstudy``; these
are the simple, descriptive views the briefs show next to it.
"""

from __future__ import annotations

import pandas as pd


def wide_returns(returns: pd.DataFrame, column: str = "ret") -> pd.DataFrame:
    """Long returns (date, token, ret) → wide (complete daily calendar × tokens), NaN where missing."""
    wide = returns.pivot_table(index="date", columns="token", values=column, aggfunc="first")
    full = pd.date_range(wide.index.min(), wide.index.max(), freq="D")
    return wide.reindex(full).rename_axis("date")


def indexed_prices(
    prices_daily: pd.DataFrame, tokens: list[str], day0: pd.Timestamp, window: tuple[int, int] = (-5, 5)
) -> pd.DataFrame:
    """Closes around ``day0`` indexed to 100 at the close of day −1 (rel_day × token)."""
    wide = prices_daily.pivot_table(index="date", columns="token", values="close", aggfunc="first")
    days = pd.date_range(day0 + pd.Timedelta(days=window[0] - 1), day0 + pd.Timedelta(days=window[1]), freq="D")
    part = wide.reindex(days)[[t for t in tokens if t in wide.columns]]
    base = part.loc[day0 - pd.Timedelta(days=1)]
    out = part / base * 100.0
    out.index = range(window[0] - 1, window[1] + 1)
    return out.rename_axis("rel_day")


#: Hourly candles are stamped with their opening hour: the candle stamped T closes at T + 1h.
CANDLE = pd.Timedelta(hours=1)


def candle_closing_at(when: pd.Timestamp) -> pd.Timestamp:
    """The stamp (opening hour) of the hourly candle whose close is the price at ``when``."""
    return when - CANDLE


def change_24h(
    prices_daily: pd.DataFrame,
    prices_hourly: pd.DataFrame,
    tokens: list[str],
    day: pd.Timestamp,
    hours: tuple[int, ...] = (0, 6, 12, 18, 24),
) -> pd.DataFrame:
    """24-hour price changes on ``day``: daily close-to-close and from hourly closes at several hours.

    ``hours`` are clock times on ``day`` (0 = its midnight start, 24 = its end): the change to
    ``HH:00`` compares the price at that moment (the close of the candle opening an hour earlier)
    with the price 24 hours before it.

    Returns
    -------
    pandas.DataFrame
        token, measure, pct_change, source. ``measure`` is ``close-to-close`` (close of ``day`` vs
        the day before) or ``24h to HH:00 UTC`` (the price at that time vs 24 hours earlier).
    """
    rows = []
    daily = prices_daily.set_index(["token", "date"])
    for token in tokens:
        try:
            now, before = daily.loc[(token, day)], daily.loc[(token, day - pd.Timedelta(days=1))]
            rows.append(
                {
                    "token": token,
                    "measure": "close-to-close (UTC day)",
                    "pct_change": (now["close"] / before["close"] - 1) * 100,
                    "source": now["source"],
                }
            )
        except KeyError:
            rows.append(
                {"token": token, "measure": "close-to-close (UTC day)", "pct_change": float("nan"), "source": "no data"}
            )
        hourly = prices_hourly[prices_hourly["token"].eq(token)].set_index("timestamp")["close"]
        for hour in hours:
            end = candle_closing_at(day + pd.Timedelta(hours=hour))
            start = end - pd.Timedelta(hours=24)
            if end in hourly.index and start in hourly.index:
                pct = (hourly[end] / hourly[start] - 1) * 100
                rows.append(
                    {
                        "token": token,
                        "measure": f"24h to {hour:02d}:00 UTC (hourly close)",
                        "pct_change": pct,
                        "source": "binance_spot",
                    }
                )
    return pd.DataFrame(rows, columns=["token", "measure", "pct_change", "source"])


INTRADAY_HORIZONS = (1, 4, 12, 24)


def intraday_reaction(
    prices_hourly: pd.DataFrame,
    tokens: list[str],
    benchmark: str,
    announced: pd.Timestamp,
    horizons: tuple[int, ...] = INTRADAY_HORIZONS,
) -> pd.DataFrame:
    """Cumulative hourly reaction to an announcement with a known UTC time.

    The base price is the last hourly close before the announcement's hour (the close of the
    candle that ends at the start of that hour); the reaction at +h hours compares the close h
    hours later with it. AR = token return − benchmark return over the same hours.

    Returns
    -------
    pandas.DataFrame
        token, horizon_h, ret, market_ret, ar (fractions); tokens without hourly data are absent.
    """
    start = announced.floor("h")
    wide = prices_hourly.pivot_table(index="timestamp", columns="token", values="close", aggfunc="first")
    if benchmark not in wide.columns:
        return pd.DataFrame(columns=["token", "horizon_h", "ret", "market_ret", "ar"])

    def close_at(when: pd.Timestamp) -> pd.Series:
        key = candle_closing_at(when)
        return wide.loc[key] if key in wide.index else pd.Series(dtype=float)

    base = close_at(start)
    rows = []
    for h in horizons:
        later = close_at(start + pd.Timedelta(hours=h))
        if later.empty or base.empty:
            continue
        market = later.get(benchmark) / base.get(benchmark) - 1
        for token in tokens:
            if token in wide.columns and pd.notna(base.get(token)) and pd.notna(later.get(token)):
                ret = later[token] / base[token] - 1
                rows.append({"token": token, "horizon_h": h, "ret": ret, "market_ret": market, "ar": ret - market})
    return pd.DataFrame(rows, columns=["token", "horizon_h", "ret", "market_ret", "ar"])
