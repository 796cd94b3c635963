"""Binance spot klines (``/api/v3/klines``), stored in the snapshot's CSV layouts.

Public endpoint, no key. One call returns at most 1000 klines, so a range is read page by
page, each page starting just after the last ``open_time`` received. Candles still open when
fetched (``close_time`` in the future) are dropped, so a stored day is always a complete day.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import requests

from ... import fileio
from ...exceptions import SourceError
from . import http

DEFAULT_BASE_URL = "https://api.binance.com"
KLINES_PATH = "/api/v3/klines"
#: Most klines Binance returns in one call.
MAX_LIMIT = 1000
#: Supported intervals and their length in milliseconds.
INTERVAL_MS: dict[str, int] = {"1h": 3_600_000, "1d": 86_400_000}

#: The twelve fields of a kline, in Binance's order (the snapshot's daily columns).
KLINE_COLUMNS: tuple[str, ...] = (
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_asset_volume",
    "trades",
    "taker_buy_base",
    "taker_buy_quote",
    "ignore",
)
FLOAT_COLUMNS = ("open", "high", "low", "close", "volume", "quote_asset_volume", "taker_buy_base", "taker_buy_quote")
INT_COLUMNS = ("close_time", "trades")

DAILY_KIND = "binance_spot_1d"
HOURLY_KIND = "binance_spot_1h_close"
#: Timestamp formats of the snapshot's ``open_time`` columns.
DAILY_TIME_FORMAT = "%Y-%m-%d %H:%M:%S+00:00"
HOURLY_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def klines_url(base_url: str = DEFAULT_BASE_URL) -> str:
    """Return the klines endpoint below ``base_url``."""
    return base_url.rstrip("/") + KLINES_PATH


def daily_path(symbol: str) -> str:
    """Return the raw path (below ``data/raw``) of a symbol's daily klines."""
    return f"prices/{DAILY_KIND}/{symbol}.csv"


def hourly_path(symbol: str) -> str:
    """Return the raw path (below ``data/raw``) of a symbol's hourly closes."""
    return f"prices/{HOURLY_KIND}/{symbol}_1h_close.csv"


def range_ms(start: date, end: date) -> tuple[int, int]:
    """Return the first and last millisecond (UTC) of the inclusive day range ``start..end``."""
    first = datetime(start.year, start.month, start.day, tzinfo=UTC)
    after = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
    return int(first.timestamp() * 1000), int(after.timestamp() * 1000) - 1


def request_params(symbol: str, interval: str, start: date, end: date) -> dict[str, Any]:
    """Return the query of the first klines call for a range (also used as the recorded origin)."""
    start_ms, end_ms = range_ms(start, end)
    return {"symbol": symbol, "interval": interval, "startTime": start_ms, "endTime": end_ms}


def fetch_klines(
    symbol: str,
    interval: str,
    start: date,
    end: date,
    *,
    base_url: str = DEFAULT_BASE_URL,
    session: requests.Session | None = None,
    limit: int = MAX_LIMIT,
) -> list[list[Any]]:
    """Fetch every closed kline of ``symbol`` opening in the UTC days ``start..end``.

    Parameters
    ----------
    symbol : str
        Binance symbol, e.g. ``TRXUSDT``.
    interval : {'1d', '1h'}
        Kline length.
    start, end : datetime.date
        First and last UTC day (inclusive).
    base_url : str, default ``https://api.binance.com``
        API root (tests point it at a local server).
    session : requests.Session, optional
        From :func:`chinabrief.data.sources.http.make_session`; the shared default otherwise.
    limit : int, default 1000
        Klines per call (1..1000); smaller values only make more calls.

    Returns
    -------
    list of list
        Klines as Binance sends them, ascending by ``open_time``, without duplicates.

    Raises
    ------
    SourceError
        On an HTTP failure, an answer that is not a list of 12-field klines, a page that does not
        move forward, or when no closed kline exists in the range.
    """
    if interval not in INTERVAL_MS:
        raise SourceError(f"Binance interval {interval!r} not supported (use one of {sorted(INTERVAL_MS)})")
    if not 1 <= limit <= MAX_LIMIT:
        raise SourceError(f"Binance klines limit must be 1..{MAX_LIMIT}, not {limit}")
    url = klines_url(base_url)
    params = request_params(symbol, interval, start, end)
    end_ms = params["endTime"]
    now_ms = int(time.time() * 1000)
    rows: list[list[Any]] = []
    next_start = params["startTime"]
    while next_start <= end_ms:
        page_params = {**params, "startTime": next_start, "limit": limit}
        page = http.get(url, page_params, session=session)
        _check_page(page, http.redact_url(url, page_params))
        if not page:
            break
        last_open = int(page[-1][0])
        if last_open < next_start:
            raise SourceError(
                f"GET {http.redact_url(url, page_params)}: page ends at open_time {last_open}, "
                f"before startTime {next_start}; stopping so the download cannot loop forever"
            )
        rows.extend(page)
        if len(page) < limit:
            break
        next_start = last_open + 1
    closed = [row for row in _unique_ascending(rows) if int(row[6]) < now_ms]
    if not closed:
        raise SourceError(
            f"GET {http.redact_url(url, params)}: Binance has no closed {interval} kline for "
            f"{symbol} between {start} and {end}"
        )
    return closed


def _check_page(page: Any, shown_url: str) -> None:
    if not isinstance(page, list):
        raise SourceError(f"GET {shown_url}: expected a JSON list of klines, got {type(page).__name__}")
    for row in page:
        if not isinstance(row, list) or len(row) < len(KLINE_COLUMNS):
            raise SourceError(
                f"GET {shown_url}: a kline is not a list of {len(KLINE_COLUMNS)} fields: {str(row)[:120]}"
            )


def _unique_ascending(rows: list[list[Any]]) -> list[list[Any]]:
    by_open = {int(row[0]): row for row in rows}
    return [by_open[key] for key in sorted(by_open)]


def klines_frame(klines: list[list[Any]]) -> pd.DataFrame:
    """Type Binance's klines: ``open_time`` as UTC timestamps, prices and volumes as floats.

    Parameters
    ----------
    klines : list of list
        As returned by :func:`fetch_klines`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`KLINE_COLUMNS`.
    """
    frame = pd.DataFrame([row[: len(KLINE_COLUMNS)] for row in klines], columns=list(KLINE_COLUMNS))
    frame["open_time"] = pd.to_datetime(frame["open_time"].astype("int64"), unit="ms", utc=True)
    for column in FLOAT_COLUMNS:
        frame[column] = frame[column].astype(float)
    for column in INT_COLUMNS:
        frame[column] = frame[column].astype("int64")
    frame["ignore"] = pd.to_numeric(frame["ignore"])
    return frame


def daily_frame(klines: list[list[Any]]) -> pd.DataFrame:
    """Return daily klines in the snapshot's ``binance_spot_1d`` layout.

    ``open_time`` reads ``YYYY-MM-DD HH:MM:SS+00:00``; the snapshot's three trailing empty
    ``open_time`` duplicates are not written.
    """
    frame = klines_frame(klines)
    frame["open_time"] = frame["open_time"].dt.strftime(DAILY_TIME_FORMAT)
    return frame


def hourly_close_frame(klines: list[list[Any]]) -> pd.DataFrame:
    """Return hourly klines in the snapshot's ``binance_spot_1h_close`` layout (open_time, close)."""
    frame = klines_frame(klines)[["open_time", "close"]]
    frame["open_time"] = frame["open_time"].dt.strftime(HOURLY_TIME_FORMAT)
    return frame


def write_daily(raw_dir: Path, symbol: str, klines: list[list[Any]]) -> str:
    """Write daily klines atomically to :func:`daily_path` below ``raw_dir``; return that path."""
    rel_path = daily_path(symbol)
    fileio.write_csv(raw_dir / rel_path, daily_frame(klines))
    return rel_path


def write_hourly_close(raw_dir: Path, symbol: str, klines: list[list[Any]]) -> str:
    """Write hourly closes atomically to :func:`hourly_path` below ``raw_dir``; return that path."""
    rel_path = hourly_path(symbol)
    fileio.write_csv(raw_dir / rel_path, hourly_close_frame(klines))
    return rel_path
