"""Stage 01: acquire raw data (snapshot import or live APIs) into ``data/raw`` with a manifest."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from .. import publish
from ..config import Paths
from ..text import Markdown
from . import manifest, universe
from .sources import snapshot as snapshot_source

#: The live download covers the study's year and its estimation windows.
LIVE_START = dt.date(2024, 6, 1)
LIVE_END = dt.date(2025, 12, 31)


def run(paths: Paths, *, snapshot: str, source: str, tokens: list[str], include_extended: bool) -> list[manifest.Entry]:
    """Import the snapshot, or fetch the live sources, into ``data/raw``.

    Parameters
    ----------
    paths : Paths
        Project paths.
    snapshot : str
        Snapshot folder, relative to the project root (used when ``source == "snapshot"``).
    source : {"snapshot", "live"}
        Where to read from.
    tokens, include_extended
        The token selection (the live download fetches only these and the benchmarks).

    Returns
    -------
    list of manifest.Entry
    """
    # data/raw and its manifest are one set: published together when every file is in (publish.py)
    with publish.writing(paths, paths.raw, "ingest") as raw:
        if source == "snapshot":
            return snapshot_source.ingest(paths.resolve(snapshot), raw)
        from .sources import live  # imported only for live runs

        table = universe.load(paths.universe)
        keep = set(tokens) | set(universe.symbols(table, "benchmark"))
        if include_extended:
            keep |= set(universe.symbols(table, "china_linked", "extended"))
        return live.fetch_all(raw, table[table["symbol"].isin(keep)], LIVE_START, LIVE_END)


def summary(entries: list[manifest.Entry]) -> pd.DataFrame:
    """Files, bytes and a description per dataset kind."""
    frame = pd.DataFrame([e.__dict__ for e in entries])
    out = frame.groupby("kind").agg(files=("path", "size"), bytes=("bytes", "sum")).reset_index()
    out["what"] = out["kind"].map(snapshot_source.DESCRIPTIONS).fillna("")
    out["megabytes"] = out.pop("bytes") / 1e6
    return out[["kind", "what", "files", "megabytes"]]


def note(entries: list[manifest.Entry], *, source: str, snapshot: str) -> Markdown:
    """What was imported, from where, and where the manifest is (one paragraph).

    Examples
    --------
    >>> e = [manifest.Entry("a.csv", "0" * 64, 2_500_000, "k", "snapshot:a.csv")]
    >>> note(e, source="snapshot", snapshot="../data").items[0]
    '1 file (2.5 MB) imported from the snapshot at ../data, each verified against its SHA256SUMS; listed in data/raw/MANIFEST.json.'
    """
    size = sum(e.bytes for e in entries) / 1e6
    files = f"{len(entries):,d} file{'' if len(entries) == 1 else 's'} ({size:,.1f} MB)"
    if source == "snapshot":
        text = (
            f"{files} imported from the snapshot at {snapshot}, each verified against its SHA256SUMS; "
            f"listed in data/raw/{manifest.MANIFEST_NAME}."
        )
    else:
        text = (
            f"{files} fetched from the live APIs; listed, with their checksums, in data/raw/{manifest.MANIFEST_NAME}."
        )
    return Markdown.paragraph(text)
