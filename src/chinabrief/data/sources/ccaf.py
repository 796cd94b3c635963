"""CCAF CBECI mining map downloads (CSV), stored byte for byte as served.

The header is checked against the columns the snapshot's copies have, so a changed download
format fails here, naming the URL and the missing column, instead of deep inside a notebook.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import requests

from ... import fileio
from ...exceptions import SourceError
from . import http

DEFAULT_BASE_URL = "https://ccaf.io/cbeci/api/v1.2.0"


@dataclass(frozen=True)
class Download:
    """One CCAF download and where it is stored.

    Attributes
    ----------
    endpoint : str
        Path below the API root, e.g. ``download/mining_countries``.
    rel_path : str
        Path below ``data/raw``.
    kind : str
        Dataset kind (as in :data:`chinabrief.data.sources.snapshot.KINDS`).
    columns : tuple of str
        Header columns the file must have.
    """

    endpoint: str
    rel_path: str
    kind: str
    columns: tuple[str, ...]


COUNTRIES = Download(
    endpoint="download/mining_countries",
    rel_path="mining/ccaf_mining_countries.csv",
    kind="ccaf_mining_countries",
    columns=("date", "country", "monthly_hashrate_%", "monthly_absolute_hashrate_EH/S"),
)
PROVINCES = Download(
    endpoint="download/mining_provinces",
    rel_path="mining/ccaf_mining_provinces_cn.csv",
    kind="ccaf_mining_provinces",
    columns=("Date", "Province", "Share of Chinese hashrate"),
)
DOWNLOADS: tuple[Download, ...] = (COUNTRIES, PROVINCES)


def download_url(download: Download, base_url: str = DEFAULT_BASE_URL) -> str:
    """Return the URL of ``download`` below ``base_url``."""
    return f"{base_url.rstrip('/')}/{download.endpoint}"


def check_header(body: bytes, download: Download, url: str) -> None:
    """Raise unless the CSV ``body`` has every column ``download`` requires.

    Parameters
    ----------
    body : bytes
        The CSV as served (UTF-8, a byte-order mark allowed).
    download : Download
        What it should be.
    url : str
        Where it came from, for the message.

    Raises
    ------
    SourceError
        Naming the URL, the missing column(s) and the header found.
    """
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"GET {url}: the CSV is not UTF-8 ({exc})") from None
    first_line = text.splitlines()[0] if text.strip() else ""
    header = [name.strip() for name in next(csv.reader(io.StringIO(first_line)), [])]
    missing = [column for column in download.columns if column not in header]
    if missing:
        raise SourceError(
            f"GET {url}: the CSV lacks column(s) {', '.join(repr(c) for c in missing)} "
            f"(header read: {header}); CCAF may have changed the download format"
        )
    if len(text.splitlines()) < 2:
        raise SourceError(f"GET {url}: the CSV has a header but no rows")


def fetch_csv(
    download: Download,
    *,
    base_url: str = DEFAULT_BASE_URL,
    session: requests.Session | None = None,
) -> bytes:
    """Fetch one CCAF download and check its header.

    Parameters
    ----------
    download : Download
        :data:`COUNTRIES` or :data:`PROVINCES`.
    base_url : str, default ``https://ccaf.io/cbeci/api/v1.2.0``
        API root.
    session : requests.Session, optional
        From :func:`chinabrief.data.sources.http.make_session`; the shared default otherwise.

    Returns
    -------
    bytes
        The body as served.

    Raises
    ------
    SourceError
        On an HTTP failure or a header without the expected columns.
    """
    url = download_url(download, base_url)
    body = http.fetch(url, session=session).content
    check_header(body, download, http.redact_url(url))
    return body


def write_csv(raw_dir: Path, download: Download, body: bytes) -> str:
    """Write a fetched body atomically to ``download.rel_path`` below ``raw_dir``; return that path."""
    fileio.write_bytes(raw_dir / download.rel_path, body)
    return download.rel_path
