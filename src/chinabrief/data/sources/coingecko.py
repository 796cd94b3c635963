"""CoinGecko market charts and category members, stored in the snapshot's export layout.

The API key comes only from the environment: ``COINGECKO_PRO_API_KEY`` (sent as
``x-cg-pro-api-key``; the default root becomes ``pro-api.coingecko.com``) or
``COINGECKO_API_KEY`` (a demo key, sent as ``x-cg-demo-api-key``). It travels in a header only,
so it never enters a URL, a message, a log line, a stored file or the manifest.

Without a paid key CoinGecko serves only the last 365 days; asking for older data answers
HTTP 401 with ``error_code`` 10012, reported here as a :class:`SourceError` that says so.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import requests

from ... import fileio
from ...exceptions import SourceError
from . import http

DEFAULT_BASE_URL = "https://api.coingecko.com/api/v3"
PRO_BASE_URL = "https://pro-api.coingecko.com/api/v3"
DEMO_KEY_ENV = "COINGECKO_API_KEY"
PRO_KEY_ENV = "COINGECKO_PRO_API_KEY"
DEMO_KEY_HEADER = "x-cg-demo-api-key"
PRO_KEY_HEADER = "x-cg-pro-api-key"
#: CoinGecko's error code for "older than the 365 days the public/demo tier serves".
TIME_RANGE_ERROR_CODE = 10012
#: Error codes for a key sent to the wrong root (pro key on the public root, or the reverse).
WRONG_ROOT_ERROR_CODES = frozenset({10010, 10011})

KIND = "coingecko_export"
EXPORT_COLUMNS = ("snapped_at", "price", "market_cap", "total_volume")
SNAPPED_AT_FORMAT = "%Y-%m-%d 00:00:00 UTC"
#: A point counts as a day's snapshot when taken less than this long after 00:00 UTC.
SNAPSHOT_TOLERANCE = pd.Timedelta(hours=1)
CATEGORY = "made-in-china"
MARKETS_PER_PAGE = 250
MAX_MARKET_PAGES = 20

KEY_HELP = (
    f"Set {DEMO_KEY_ENV} (a free demo key, still limited to 365 days) or {PRO_KEY_ENV} "
    "(a paid key, full history) in the environment; see https://www.coingecko.com/en/api/pricing"
)


def api_key_header() -> dict[str, str]:
    """Return the API-key header taken from the environment (empty when no key is set).

    A pro key (``COINGECKO_PRO_API_KEY``) wins over a demo key (``COINGECKO_API_KEY``).

    Returns
    -------
    dict
        ``{"x-cg-pro-api-key": ...}``, ``{"x-cg-demo-api-key": ...}`` or ``{}``.
    """
    pro = os.environ.get(PRO_KEY_ENV, "").strip()
    if pro:
        return {PRO_KEY_HEADER: pro}
    demo = os.environ.get(DEMO_KEY_ENV, "").strip()
    return {DEMO_KEY_HEADER: demo} if demo else {}


def default_base_url() -> str:
    """Return the API root matching the environment's key: the pro root for a pro key."""
    return PRO_BASE_URL if PRO_KEY_HEADER in api_key_header() else DEFAULT_BASE_URL


def export_path(symbol: str) -> str:
    """Return the raw path (below ``data/raw``) of a token's export, e.g. ``trx-usd-max.csv``."""
    return f"prices/{KIND}/{symbol.lower()}-usd-max.csv"


def market_chart_url(coin_id: str, base_url: str | None = None) -> str:
    """Return the ``market_chart/range`` endpoint of ``coin_id``."""
    return f"{(base_url or default_base_url()).rstrip('/')}/coins/{coin_id}/market_chart/range"


def market_chart_params(start: date, end: date) -> dict[str, Any]:
    """Return the query for the UTC days ``start..end`` (UNIX seconds; ``to`` just before ``end + 1``)."""
    first = datetime(start.year, start.month, start.day, tzinfo=UTC)
    after = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
    return {"vs_currency": "usd", "from": int(first.timestamp()), "to": int(after.timestamp()) - 1}


def _get(url: str, params: dict[str, Any], session: requests.Session | None) -> Any:
    """GET with the environment's key, explaining CoinGecko's plan and key errors."""
    try:
        return http.get(url, params, api_key_header(), session=session)
    except http.HTTPStatusError as exc:
        code = _error_code(exc.payload)
        if code == TIME_RANGE_ERROR_CODE:
            raise SourceError(
                f"CoinGecko refused {exc.url} (HTTP {exc.status}, error_code {code}): without a paid "
                "plan CoinGecko serves only the last 365 days of history. Ask for a later start "
                f"date, or use a paid key. {KEY_HELP}. ({exc})"
            ) from None
        if code in WRONG_ROOT_ERROR_CODES:
            raise SourceError(
                f"CoinGecko refused {exc.url} (HTTP {exc.status}, error_code {code}): the key does "
                f"not match the API root. A pro key ({PRO_KEY_ENV}) needs {PRO_BASE_URL}, a demo "
                f"key ({DEMO_KEY_ENV}) needs {DEFAULT_BASE_URL}. ({exc})"
            ) from None
        raise


def _error_code(payload: Any) -> int | None:
    if not isinstance(payload, dict):
        return None
    status = payload.get("status")
    error = payload.get("error")
    if isinstance(error, dict) and isinstance(error.get("status"), dict):
        status = error["status"]
    code = status.get("error_code") if isinstance(status, dict) else None
    try:
        return int(code) if code is not None else None
    except (TypeError, ValueError):
        return None


def fetch_market_chart(
    coin_id: str,
    start: date,
    end: date,
    *,
    base_url: str | None = None,
    session: requests.Session | None = None,
) -> dict[str, list[list[float]]]:
    """Fetch prices, market caps and volumes of ``coin_id`` over the UTC days ``start..end``.

    Parameters
    ----------
    coin_id : str
        CoinGecko id, e.g. ``tron``.
    start, end : datetime.date
        First and last UTC day (inclusive).
    base_url : str, optional
        API root; by default the pro root when ``COINGECKO_PRO_API_KEY`` is set, else the public one.
    session : requests.Session, optional
        From :func:`chinabrief.data.sources.http.make_session`; the shared default otherwise.

    Returns
    -------
    dict
        CoinGecko's answer: ``prices``, ``market_caps``, ``total_volumes``, each a list of
        ``[unix ms, value]``.

    Raises
    ------
    SourceError
        On an HTTP failure (the 365-day limit of the free tier explained), or a malformed answer.
    """
    url = market_chart_url(coin_id, base_url)
    params = market_chart_params(start, end)
    payload = _get(url, params, session)
    shown = http.redact_url(url, params)
    if not isinstance(payload, dict) or not all(
        isinstance(payload.get(key), list) for key in ("prices", "market_caps", "total_volumes")
    ):
        raise SourceError(f"GET {shown}: expected prices, market_caps and total_volumes lists")
    for key in ("prices", "market_caps", "total_volumes"):
        for point in payload[key]:
            if not isinstance(point, list) or len(point) != 2:
                raise SourceError(f"GET {shown}: a {key} point is not [time, value]: {str(point)[:80]}")
    return payload


def export_frame(chart: dict[str, list[list[float]]], start: date, end: date) -> pd.DataFrame:
    """Turn a market chart into the snapshot's ``coingecko_export`` layout, one row per day.

    For each UTC day the earliest point taken within :data:`SNAPSHOT_TOLERANCE` after
    00:00 UTC is kept (CoinGecko's daily points sit at 00:00; for short ranges it sends hourly
    points). Days without such a point, e.g. today's intraday "latest" point, are left out.

    Parameters
    ----------
    chart : dict
        As returned by :func:`fetch_market_chart`.
    start, end : datetime.date
        Days to keep (inclusive).

    Returns
    -------
    pandas.DataFrame
        Columns ``snapped_at`` (``YYYY-MM-DD 00:00:00 UTC``), price, market_cap, total_volume.
    """
    series = []
    for key, column in (("prices", "price"), ("market_caps", "market_cap"), ("total_volumes", "total_volume")):
        points = pd.DataFrame(chart[key], columns=["ms", column])
        series.append(points.drop_duplicates("ms", keep="last").set_index("ms")[column])
    frame = pd.concat(series, axis=1).sort_index()
    frame.index = pd.to_datetime(frame.index.astype("int64"), unit="ms", utc=True)
    day = frame.index.floor("D")
    frame = frame[(frame.index - day) < SNAPSHOT_TOLERANCE]
    frame = frame[~frame.index.floor("D").duplicated(keep="first")]
    days = frame.index.floor("D")
    keep = (days >= pd.Timestamp(start, tz="UTC")) & (days <= pd.Timestamp(end, tz="UTC"))
    frame = frame[keep]
    out = frame.reset_index(drop=True).astype(float)
    out.insert(0, "snapped_at", days[keep].strftime(SNAPPED_AT_FORMAT))
    return out[list(EXPORT_COLUMNS)]


def write_export(raw_dir: Path, symbol: str, frame: pd.DataFrame) -> str:
    """Write an export frame atomically to :func:`export_path` below ``raw_dir``; return that path."""
    rel_path = export_path(symbol)
    fileio.write_csv(raw_dir / rel_path, frame)
    return rel_path


def fetch_category_members(
    category: str = CATEGORY,
    *,
    base_url: str | None = None,
    session: requests.Session | None = None,
    per_page: int = MARKETS_PER_PAGE,
) -> list[dict[str, Any]]:
    """Return the coins CoinGecko lists in ``category``, largest market cap first.

    Reads ``/coins/markets?vs_currency=usd&category=...`` page by page. Nothing is written.

    Parameters
    ----------
    category : str, default ``made-in-china``
        CoinGecko category id.
    base_url : str, optional
        API root, as for :func:`fetch_market_chart`.
    session : requests.Session, optional
        From :func:`chinabrief.data.sources.http.make_session`; the shared default otherwise.
    per_page : int, default 250
        Coins per call (CoinGecko's maximum is 250).

    Returns
    -------
    list of dict
        One per coin: ``id``, ``symbol``, ``name``, ``market_cap`` (``None`` when unknown).

    Raises
    ------
    SourceError
        On an HTTP failure, an answer that is not a list of coins, or more than
        :data:`MAX_MARKET_PAGES` pages.
    """
    url = f"{(base_url or default_base_url()).rstrip('/')}/coins/markets"
    members: list[dict[str, Any]] = []
    for page_number in range(1, MAX_MARKET_PAGES + 1):
        params = {
            "vs_currency": "usd",
            "category": category,
            "order": "market_cap_desc",
            "per_page": per_page,
            "page": page_number,
        }
        page = _get(url, params, session)
        if not isinstance(page, list) or not all(isinstance(c, dict) and "id" in c for c in page):
            raise SourceError(f"GET {http.redact_url(url, params)}: expected a JSON list of coins")
        members += [
            {"id": c["id"], "symbol": c.get("symbol"), "name": c.get("name"), "market_cap": c.get("market_cap")}
            for c in page
        ]
        if len(page) < per_page:
            return members
    raise SourceError(
        f"GET {http.redact_url(url)}: category {category!r} still had coins after "
        f"{MAX_MARKET_PAGES} pages of {per_page}; stopping"
    )
