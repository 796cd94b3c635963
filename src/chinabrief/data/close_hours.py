"""Each daily source's effective close hour, measured against Binance hourly closes.

A daily close is a price at one moment: for Binance and Bybit the end of the UTC day, for other
sources perhaps another time zone's midnight. For every daily source and each reference token
with hourly closes (BTC and ETH are in every source), :func:`measure` compares the daily close of
day *D* with the hourly close at *D* 00:00 UTC + *k* hours for *k* = 12 … 36 and keeps the *k*
with the smallest median absolute difference. ``close_hour_utc`` is *k* mod 24 (0 = midnight UTC)
and ``offset_hours`` = *k* − 24: the hours by which the source's day ends before (negative) or
after UTC midnight. Days are also split by European summer time (Europe/Berlin), since a source
that closes at central European midnight closes at 23:00 UTC in winter and 22:00 UTC in summer.

:func:`offsets` gives the offset that applies to a source on a date; :func:`chinabrief.data.event_catalogue.day0_for_close`
turns it into each token's day 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Tokens every daily source has and Binance has hourly closes for.
REFERENCE_TOKENS = ("BTC", "ETH")
#: Candidate day ends, hours after the UTC start of day D.
CANDIDATE_HOURS = range(12, 37)
#: The rows of each source: all days, and the days in and out of European summer time.
PERIODS = ("all days", "EU winter time", "EU summer time")
POOLED = "BTC+ETH"
COLUMNS = [
    "source",
    "token",
    "period",
    "close_hour_utc",
    "offset_hours",
    "median_abs_diff_pct",
    "midnight_median_abs_diff_pct",
    "days_compared",
]


def eu_summer_time(dates: pd.Series) -> pd.Series:
    """Whether central Europe is on summer time at noon UTC of each date."""
    noon = pd.DatetimeIndex(dates) + pd.Timedelta(hours=12)
    local = noon.tz_localize("UTC").tz_convert("Europe/Berlin")
    offsets = np.array([ts.utcoffset().total_seconds() / 3600 for ts in local]) if len(local) else np.array([])
    return pd.Series(offsets > 1.5, index=dates.index if isinstance(dates, pd.Series) else None)


def _close_at(hourly: pd.Series, when: pd.DatetimeIndex) -> np.ndarray:
    """Hourly close at each time ``when`` (the candle that opens an hour earlier)."""
    return hourly.reindex(when - pd.Timedelta(hours=1)).to_numpy()


def _differences(daily: pd.DataFrame, hourly: pd.Series) -> pd.DataFrame:
    """Per day (rows) and candidate hour (columns): |daily close / hourly close − 1|, percent."""
    dates = pd.DatetimeIndex(daily["date"])
    out = {}
    for k in CANDIDATE_HOURS:
        ref = _close_at(hourly, dates + pd.Timedelta(hours=k))
        out[k] = np.abs(daily["close"].to_numpy() / ref - 1.0) * 100.0
    return pd.DataFrame(out, index=daily.index)


def _best(diffs: pd.DataFrame) -> tuple[int, float, float, int]:
    """The best candidate hour, its median difference, the median at UTC midnight, days compared."""
    complete = diffs.dropna()
    if complete.empty:
        return -1, np.nan, np.nan, 0
    medians = complete.median()
    k = int(medians.idxmin())
    return k, float(medians[k]), float(medians[24]), int(len(complete))


def measure(
    all_daily: pd.DataFrame, all_hourly: pd.DataFrame, reference: tuple[str, ...] = REFERENCE_TOKENS
) -> pd.DataFrame:
    """Measure every daily source's close hour against the hourly closes.

    Parameters
    ----------
    all_daily : pandas.DataFrame
        Daily rows of every source (``date, token, close, source``).
    all_hourly : pandas.DataFrame
        Hourly closes (``timestamp, token, close``), ``timestamp`` the hour's UTC start.
    reference : tuple of str
        Tokens compared (those with hourly closes are used).

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`: per source, one row per reference token and one pooled (``BTC+ETH``)
        for each period of :data:`PERIODS`; sources without overlap are absent.

    Examples
    --------
    A synthetic source whose 'day' ends at 22:00 UTC (two hours early):

    >>> hours = pd.date_range("2024-01-01", periods=24 * 40, freq="h")
    >>> hourly = pd.DataFrame({"timestamp": hours, "token": "BTC", "close": 100 + np.arange(len(hours)) % 37})
    >>> days = pd.date_range("2024-01-02", periods=35, freq="D")
    >>> closes = hourly.set_index("timestamp")["close"].reindex(days + pd.Timedelta(hours=21)).to_numpy()
    >>> daily = pd.DataFrame({"date": days, "token": "BTC", "close": closes, "source": "early"})
    >>> row = measure(daily, hourly).query("token == 'BTC+ETH' and period == 'all days'").iloc[0]
    >>> int(row.close_hour_utc), int(row.offset_hours)
    (22, -2)
    """
    rows = []
    hourly_by_token = {
        t: g.set_index("timestamp")["close"].sort_index()
        for t, g in all_hourly[all_hourly["token"].isin(reference)].groupby("token")
    }
    for source, part in all_daily[all_daily["token"].isin(list(hourly_by_token))].groupby("source", sort=True):
        per_token = []
        for token, daily in part.groupby("token", sort=True):
            hourly = hourly_by_token[token]
            daily = daily[daily["date"].between(hourly.index.min().normalize(), hourly.index.max())]
            if daily.empty:
                continue
            diffs = _differences(daily.reset_index(drop=True), hourly)
            diffs["summer"] = eu_summer_time(daily["date"].reset_index(drop=True)).to_numpy()
            per_token.append((token, diffs))
        if per_token:
            per_token.append((POOLED, pd.concat([d for _, d in per_token], ignore_index=True)))
        for token, diffs in per_token:
            for period in PERIODS:
                chosen = diffs if period == "all days" else diffs[diffs["summer"].eq(period == "EU summer time")]
                k, best, midnight, days = _best(chosen.drop(columns="summer"))
                if days == 0:
                    continue
                rows.append(
                    {
                        "source": source,
                        "token": token,
                        "period": period,
                        "close_hour_utc": k % 24,
                        "offset_hours": k - 24,
                        "median_abs_diff_pct": best,
                        "midnight_median_abs_diff_pct": midnight,
                        "days_compared": days,
                    }
                )
    if not rows:
        return empty()
    return pd.DataFrame(rows, columns=COLUMNS)


def empty() -> pd.DataFrame:
    """A typed table without rows."""
    types = {
        "source": "str",
        "token": "str",
        "period": "str",
        "close_hour_utc": "int64",
        "offset_hours": "int64",
        "median_abs_diff_pct": "float64",
        "midnight_median_abs_diff_pct": "float64",
        "days_compared": "int64",
    }
    return pd.DataFrame({c: pd.Series(dtype=types[c]) for c in COLUMNS})


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per source (pooled reference tokens): close hour over all days, in winter and summer time."""
    pooled = table[table["token"].eq(POOLED)]
    if pooled.empty:
        return pd.DataFrame(
            columns=[
                "source",
                "close_hour_utc",
                "winter_close_hour_utc",
                "summer_close_hour_utc",
                "median_abs_diff_pct",
                "midnight_median_abs_diff_pct",
                "days_compared",
            ]
        )
    wide = pooled.pivot_table(index="source", columns="period", values="close_hour_utc", aggfunc="first")
    alldays = pooled[pooled["period"].eq("all days")].set_index("source")
    out = pd.DataFrame(
        {
            "close_hour_utc": alldays["close_hour_utc"],
            "winter_close_hour_utc": wide.get("EU winter time"),
            "summer_close_hour_utc": wide.get("EU summer time"),
            "median_abs_diff_pct": alldays["median_abs_diff_pct"],
            "midnight_median_abs_diff_pct": alldays["midnight_median_abs_diff_pct"],
            "days_compared": alldays["days_compared"],
        }
    )
    return out.reset_index()


def offsets(table: pd.DataFrame, sources: pd.DataFrame, dates: pd.Series) -> pd.DataFrame:
    """Hours by which each cell's source ends its day after (+) or before (−) UTC midnight on its row's date.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`measure`'s table.
    sources : pandas.DataFrame
        Source names (rows: dates, columns: tokens); a missing source counts as UTC midnight.
    dates : pandas.Series
        One date per row of ``sources``.

    Returns
    -------
    pandas.DataFrame
        Same shape as ``sources``, whole hours. The pooled measurement of the date's period
        (European winter or summer time) when the source has one, else its all-days one; 0 for a
        source not measured.

    Examples
    --------
    >>> t = pd.DataFrame({"source": "u", "token": POOLED, "period": ["all days", "EU winter time", "EU summer time"],
    ...                   "offset_hours": [-2, -1, -2]})
    >>> days = pd.Series(pd.to_datetime(["2025-01-15", "2025-07-15"]))
    >>> offsets(t, pd.DataFrame({"X": ["u", "u"], "Y": ["b", None]}), days)["X"].tolist()
    [-1, -2]
    """
    pooled = table[table["token"].eq(POOLED)]
    lookup = {(r.source, r.period): int(r.offset_hours) for r in pooled.itertuples()}
    summer = eu_summer_time(pd.Series(pd.DatetimeIndex(dates))).to_numpy()
    periods = np.where(summer, "EU summer time", "EU winter time")

    def one(source, period) -> int:
        if not isinstance(source, str):
            return 0
        return lookup.get((source, period), lookup.get((source, "all days"), 0))

    values = [[one(src, period) for src in row] for row, period in zip(sources.to_numpy(), periods)]
    return pd.DataFrame(values, index=sources.index, columns=sources.columns, dtype="int64")
