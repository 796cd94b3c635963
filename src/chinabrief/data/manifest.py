"""``data/raw/MANIFEST.json``: what ingestion acquired, file by file.

Every raw file, from the snapshot or a live API, gets one entry with the same keys, so later
stages cannot tell the two apart.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import fileio

MANIFEST_NAME = "MANIFEST.json"


@dataclass(frozen=True)
class Entry:
    """One raw file.

    Attributes
    ----------
    path : str
        Path below ``data/raw`` (POSIX), e.g. ``prices/binance_spot_1d/TRXUSDT.csv``.
    sha256 : str
        Hex SHA-256 of the bytes as stored.
    bytes : int
        Size in bytes.
    kind : str
        What it is (a dataset name such as ``binance_spot_1d``).
    origin : str
        Where it came from: ``snapshot:<path>`` or the URL fetched (never with an API key).
    """

    path: str
    sha256: str
    bytes: int
    kind: str
    origin: str


def entry_for(raw_dir: Path, rel_path: str, kind: str, origin: str) -> Entry:
    """Build the entry of a file already written below ``raw_dir``."""
    file = raw_dir / rel_path
    return Entry(rel_path, fileio.sha256_file(file), file.stat().st_size, kind, origin)


def write(raw_dir: Path, entries: list[Entry], source: str, ignored: list[dict] | None = None) -> Path:
    """Write the manifest (sorted by path, so its bytes are stable) atomically.

    Parameters
    ----------
    raw_dir : Path
        ``data/raw``.
    entries : list of Entry
        The files acquired.
    source : str
        ``snapshot`` or ``live``.
    ignored : list of dict, optional
        Files of the source that were not imported, each ``{"path", "reason"}`` (recorded under
        ``ignored``; shown in the data-quality brief).
    """
    target = raw_dir / MANIFEST_NAME
    fileio.write_json(
        target,
        {
            "source": source,
            "files": [asdict(e) for e in sorted(entries, key=lambda e: e.path)],
            "ignored": list(ignored or []),
        },
    )
    return target


def read(raw_dir: Path) -> list[Entry]:
    """Read the manifest's entries."""
    data = json.loads((raw_dir / MANIFEST_NAME).read_text())
    return [Entry(**item) for item in data["files"]]


def read_ignored(raw_dir: Path):
    """The files ingestion ignored (``path``, ``reason``), as a DataFrame (empty when none)."""
    import pandas as pd

    data = json.loads((raw_dir / MANIFEST_NAME).read_text())
    return pd.DataFrame(data.get("ignored", []), columns=["path", "reason"])
