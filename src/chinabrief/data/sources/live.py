"""Fetch the raw data from the live APIs into ``data/raw``, in the snapshot's layouts.

The live counterpart of :func:`chinabrief.data.sources.snapshot.ingest`: same paths, same kinds,
same manifest keys (``source`` reads ``live``, ``origin`` the URL asked for, never a key).
Everything is downloaded before anything is written, so a failed download leaves ``data/raw``
and its manifest as they were. Reference tables (``data/reference``) are not fetched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import requests

from ...exceptions import InputFormatError, ParameterError, SourceError
from .. import manifest
from . import binance, ccaf, coingecko, http
from .snapshot import kind_of

log = logging.getLogger(__name__)

UNIVERSE_COLUMNS = ("symbol", "coingecko_id", "binance_symbol", "group")
#: Universe groups (or China tiers, ``china_tier``) whose tokens get a CoinGecko export (market caps).
DEFAULT_COINGECKO_GROUPS: tuple[str, ...] = ("core",)


@dataclass(frozen=True)
class PendingFile:
    """A fetched file waiting to be written.

    Attributes
    ----------
    rel_path : str
        Path below ``data/raw``.
    origin : str
        The URL asked for (secrets masked), recorded in the manifest.
    write : callable
        Writes the file atomically below the ``data/raw`` folder it is given.
    """

    rel_path: str
    origin: str
    write: Callable[[Path], object]


def _cell(row: pd.Series, column: str) -> str:
    value = row.get(column)
    return "" if value is None or pd.isna(value) else str(value).strip()


def _check_universe(universe: pd.DataFrame) -> None:
    missing = [c for c in UNIVERSE_COLUMNS if c not in universe.columns]
    if missing:
        raise InputFormatError(f"universe: missing column(s) {', '.join(missing)}")


def binance_downloads(
    universe: pd.DataFrame,
    start: date,
    end: date,
    *,
    base_url: str = binance.DEFAULT_BASE_URL,
    session: requests.Session | None = None,
) -> list[PendingFile]:
    """Fetch daily klines and hourly closes of every universe row with a ``binance_symbol``.

    Parameters
    ----------
    universe : pandas.DataFrame
        ``data/universe.csv``.
    start, end : datetime.date
        First and last UTC day (inclusive).
    base_url : str
        Binance API root.
    session : requests.Session, optional
        Shared HTTP session.

    Returns
    -------
    list of PendingFile
        Two per symbol (daily, hourly close), not yet written.
    """
    downloads = []
    url = binance.klines_url(base_url)
    for _, row in universe.iterrows():
        symbol = _cell(row, "binance_symbol")
        if not symbol:
            continue
        for interval, rel_path, writer in (
            ("1d", binance.daily_path(symbol), binance.write_daily),
            ("1h", binance.hourly_path(symbol), binance.write_hourly_close),
        ):
            klines = binance.fetch_klines(symbol, interval, start, end, base_url=base_url, session=session)
            origin = http.redact_url(url, binance.request_params(symbol, interval, start, end))
            log.info("fetched %d %s klines of %s", len(klines), interval, symbol)
            downloads.append(
                PendingFile(rel_path, origin, lambda raw, w=writer, s=symbol, k=klines: w(raw, s, k))  # type: ignore[misc]
            )
    return downloads


def coingecko_downloads(
    universe: pd.DataFrame,
    start: date,
    end: date,
    *,
    base_url: str | None = None,
    groups: tuple[str, ...] = DEFAULT_COINGECKO_GROUPS,
    session: requests.Session | None = None,
) -> list[PendingFile]:
    """Fetch the CoinGecko market chart of every universe row in ``groups`` with a ``coingecko_id``.

    Parameters
    ----------
    universe : pandas.DataFrame
        ``data/universe.csv``.
    start, end : datetime.date
        First and last UTC day (inclusive).
    base_url : str, optional
        CoinGecko API root; chosen from the environment's key when ``None``.
    groups : tuple of str, default ``("core",)``
        Universe groups to fetch.
    session : requests.Session, optional
        Shared HTTP session.

    Returns
    -------
    list of PendingFile
        One export per token, not yet written.
    """
    downloads = []
    for _, row in universe.iterrows():
        coin_id, symbol = _cell(row, "coingecko_id"), _cell(row, "symbol")
        tier = _cell(row, "china_tier") if "china_tier" in row.index else ""
        if not coin_id or (tier or _cell(row, "group")) not in groups:
            continue
        chart = coingecko.fetch_market_chart(coin_id, start, end, base_url=base_url, session=session)
        frame = coingecko.export_frame(chart, start, end)
        origin = http.redact_url(
            coingecko.market_chart_url(coin_id, base_url), coingecko.market_chart_params(start, end)
        )
        if frame.empty:
            raise SourceError(f"GET {origin}: CoinGecko has no daily point for {coin_id} in {start}..{end}")
        log.info("fetched %d CoinGecko days of %s", len(frame), coin_id)
        downloads.append(
            PendingFile(
                coingecko.export_path(symbol),
                origin,
                lambda raw, s=symbol, f=frame: coingecko.write_export(raw, s, f),  # type: ignore[misc]
            )
        )
    return downloads


def ccaf_downloads(
    *, base_url: str = ccaf.DEFAULT_BASE_URL, session: requests.Session | None = None
) -> list[PendingFile]:
    """Fetch the CCAF country and province downloads.

    Parameters
    ----------
    base_url : str
        CCAF CBECI API root.
    session : requests.Session, optional
        Shared HTTP session.

    Returns
    -------
    list of PendingFile
        One per :data:`chinabrief.data.sources.ccaf.DOWNLOADS` entry, not yet written.
    """
    downloads = []
    for item in ccaf.DOWNLOADS:
        body = ccaf.fetch_csv(item, base_url=base_url, session=session)
        origin = http.redact_url(ccaf.download_url(item, base_url))
        downloads.append(
            PendingFile(item.rel_path, origin, lambda raw, i=item, b=body: ccaf.write_csv(raw, i, b))  # type: ignore[misc]
        )
    return downloads


def fetch_all(
    raw_dir: Path,
    universe: pd.DataFrame,
    start: date,
    end: date,
    *,
    binance_url: str = binance.DEFAULT_BASE_URL,
    coingecko_url: str | None = None,
    ccaf_url: str = ccaf.DEFAULT_BASE_URL,
    coingecko_groups: tuple[str, ...] = DEFAULT_COINGECKO_GROUPS,
    session: requests.Session | None = None,
) -> list[manifest.Entry]:
    """PendingFile every live dataset, write it below ``raw_dir`` and write the manifest.

    Parameters
    ----------
    raw_dir : Path
        ``data/raw``.
    universe : pandas.DataFrame
        ``data/universe.csv`` (columns symbol, coingecko_id, binance_symbol, group).
    start, end : datetime.date
        First and last UTC day (inclusive) of the price data. CCAF files are fetched whole.
    binance_url : str, default ``https://api.binance.com``
        Binance API root.
    coingecko_url : str, optional
        CoinGecko API root; by default the pro root when ``COINGECKO_PRO_API_KEY`` is set, else
        ``https://api.coingecko.com/api/v3``. The key itself is read from the environment only.
    ccaf_url : str, default ``https://ccaf.io/cbeci/api/v1.2.0``
        CCAF CBECI API root.
    coingecko_groups : tuple of str, default ``("core",)``
        Universe groups that get a CoinGecko export.
    session : requests.Session, optional
        HTTP session; one from :func:`chinabrief.data.sources.http.make_session` by default.

    Returns
    -------
    list of manifest.Entry
        One per written file, sorted by path.

    Raises
    ------
    ParameterError
        When ``start`` is after ``end``.
    InputFormatError
        When the universe lacks a column.
    SourceError
        When any download fails; nothing is written then.
    """
    if start > end:
        raise ParameterError(f"live fetch: start {start} is after end {end}")
    _check_universe(universe)
    session = session or http.make_session()
    downloads = [
        *binance_downloads(universe, start, end, base_url=binance_url, session=session),
        *coingecko_downloads(universe, start, end, base_url=coingecko_url, groups=coingecko_groups, session=session),
        *ccaf_downloads(base_url=ccaf_url, session=session),
    ]
    entries = []
    for download in downloads:
        download.write(raw_dir)
        entries.append(manifest.entry_for(raw_dir, download.rel_path, kind_of(download.rel_path), download.origin))
    manifest.write(raw_dir, entries, source="live")
    return sorted(entries, key=lambda entry: entry.path)
