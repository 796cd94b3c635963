"""Import the read-only data snapshot (``../shared/data``) into ``data/raw``.

Each file is verified against the snapshot's ``SHA256SUMS`` before it is copied; nothing is ever
written into the snapshot. The snapshot is a box: every listed path is normalised and must stay
inside the snapshot folder (no ``..`` out of it, no absolute path, no symlink leading out), or
the import stops naming the ``SHA256SUMS`` line. Files the snapshot holds but does not list are
not imported; they are recorded as ignored in ``data/raw/MANIFEST.json``.
"""

from __future__ import annotations

import os
import posixpath
import shutil
from dataclasses import dataclass
from pathlib import Path

from ... import fileio
from ...exceptions import ChecksumError, InputFormatError, SnapshotMissingError
from .. import manifest

SUMS_FILE = "SHA256SUMS"

#: Snapshot folder or file → dataset kind, most specific first.
KINDS: dict[str, str] = {
    "prices/binance_spot_1d/": "binance_spot_1d",
    "prices/binance_spot_1h_close/": "binance_spot_1h_close",
    "prices/bybit_usdt_perp_1d/": "bybit_usdt_perp_1d",
    "prices/coingecko_export/": "coingecko_export",
    "prices/unattributed_1d/": "unattributed_1d",
    "mining/ccaf_mining_countries_v1.1.0_to_2021-04.csv": "ccaf_mining_countries_v110",
    "mining/ccaf_mining_countries.csv": "ccaf_mining_countries",
    "mining/ccaf_mining_provinces_cn.csv": "ccaf_mining_provinces",
    "reference/": "reference",
}

#: What each kind is, for the manifest and the briefs' data sections.
DESCRIPTIONS: dict[str, str] = {
    "binance_spot_1d": "Binance spot daily klines (/api/v3/klines, 1d), USDT quote",
    "binance_spot_1h_close": "Binance spot hourly closes, USDT quote",
    "bybit_usdt_perp_1d": "Bybit USDT perpetual futures daily klines (/v5/market/kline, linear, D)",
    "coingecko_export": "CoinGecko 'usd-max' CSV export (price, market cap, volume at 00:00 UTC)",
    "unattributed_1d": "daily OHLC of unstated origin (medium trust)",
    "ccaf_mining_countries": "CCAF CBECI mining map: monthly hashrate share by country (v1.2.0 download)",
    "ccaf_mining_countries_v110": "CCAF CBECI mining map, older v1.1.0 download format",
    "ccaf_mining_provinces": "CCAF CBECI mining map: share of China's hashrate by province",
    "reference": "the project's compilation of published facts",
}


def kind_of(rel_path: str) -> str:
    """Return the dataset kind of a snapshot path, or raise for a file we do not know."""
    for prefix, kind in KINDS.items():
        if rel_path == prefix or (prefix.endswith("/") and rel_path.startswith(prefix)):
            return kind
    raise InputFormatError(f"{rel_path}: not a known snapshot dataset (known: {', '.join(KINDS)})")


@dataclass(frozen=True)
class Listed:
    """One line of ``SHA256SUMS``: a normalised path inside the snapshot and its digest."""

    path: str
    sha256: str
    line: int


def _normalise(raw: str, where: str) -> str:
    """Normalise a listed path (POSIX); raise unless it stays inside the snapshot folder."""
    text = raw.strip().removeprefix("*")
    if not text:
        raise InputFormatError(f"{where}: no path after the checksum")
    if text.startswith(("/", "\\")) or (len(text) > 1 and text[1] == ":"):
        raise InputFormatError(
            f"{where}: path {raw.strip()!r} is absolute (rule: every listed path is relative to the snapshot folder)"
        )
    if "\\" in text or "\0" in text:
        raise InputFormatError(f"{where}: path {raw.strip()!r} holds a backslash or NUL (rule: POSIX paths)")
    norm = posixpath.normpath(text)
    if norm == ".." or norm.startswith("../") or norm == ".":
        raise InputFormatError(
            f"{where}: path {raw.strip()!r} leaves the snapshot folder (normalised: {norm!r}; "
            "rule: every listed path stays inside the snapshot)"
        )
    return norm


def read_listing(snapshot: Path) -> list[Listed]:
    """Parse ``SHA256SUMS``: one :class:`Listed` per line, paths normalised and checked to stay inside.

    Raises
    ------
    SnapshotMissingError
        When the folder or its ``SHA256SUMS`` is missing.
    InputFormatError
        Naming ``SHA256SUMS:<line>`` when a line is not ``<64 hex>  <path>``, when its path is
        absolute or leads out of the snapshot (``..``, or a symlink pointing outside), or when a
        path is listed twice.
    """
    sums_path = snapshot / SUMS_FILE
    if not snapshot.is_dir() or not sums_path.is_file():
        raise SnapshotMissingError(
            f"no data snapshot at {snapshot} (expected {SUMS_FILE} there). "
            "Point SNAPSHOT at the snapshot folder, e.g. `make report SNAPSHOT=/path/to/shared/data`."
        )
    box = snapshot.resolve()
    listed: dict[str, Listed] = {}
    try:
        text = sums_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputFormatError(f"{sums_path}: not UTF-8 text ({exc})") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{sums_path}:{number}"
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or len(parts[0]) != 64 or any(c not in "0123456789abcdefABCDEF" for c in parts[0]):
            raise InputFormatError(f"{where}: line is not '<sha256>  <path>': {line!r}")
        rel = _normalise(parts[1], where)
        target = (box / rel).resolve()
        if not target.is_relative_to(box):
            raise InputFormatError(
                f"{where}: path {parts[1].strip()!r} resolves to {target}, outside the snapshot "
                f"{box} (a symlink leads out; rule: every listed path stays inside the snapshot)"
            )
        if rel in listed and listed[rel].sha256 != parts[0].lower():
            raise InputFormatError(
                f"{where}: path {rel!r} is listed again with another checksum (first at line {listed[rel].line})"
            )
        listed.setdefault(rel, Listed(rel, parts[0].lower(), number))
    return list(listed.values())


def read_sums(snapshot: Path) -> dict[str, str]:
    """Parse ``SHA256SUMS`` into ``{normalised relative path: sha256}`` (see :func:`read_listing`)."""
    return {item.path: item.sha256 for item in read_listing(snapshot)}


def unlisted(snapshot: Path, listing: list[Listed]) -> list[str]:
    """Files (or symlinks) below ``snapshot`` that ``SHA256SUMS`` does not list, POSIX paths, sorted.

    Symlinked folders are not followed (a link out of the snapshot is never walked).
    """
    known = {item.path for item in listing} | {SUMS_FILE}
    found = []
    for folder, dirs, files in os.walk(snapshot, followlinks=False):
        base = Path(folder).relative_to(snapshot)
        names = files + [d for d in dirs if (Path(folder) / d).is_symlink()]
        for name in names:
            rel = (base / name).as_posix()
            if rel not in known:
                found.append(rel)
    return sorted(found)


def verify(snapshot: Path, rel_path: str, expected: str, line: int | None = None) -> None:
    """Check one snapshot file against its expected SHA-256; raise :class:`ChecksumError` if not."""
    file = snapshot / rel_path
    where = f"{SUMS_FILE}:{line}" if line else SUMS_FILE
    if not file.is_file():
        raise ChecksumError(f"{file}: listed in {where} but missing")
    fileio.require_sha256(file, expected, where, "the file was changed or truncated — restore the snapshot")


def ingest(snapshot: Path, raw_dir: Path) -> list[manifest.Entry]:
    """Verify every data file of the snapshot, copy it into ``raw_dir`` and write the manifest.

    Parameters
    ----------
    snapshot : Path
        The snapshot folder (holds ``SHA256SUMS``). Only read.
    raw_dir : Path
        ``data/raw``. Files are copied to the same (normalised) relative paths, each atomically
        and never outside ``raw_dir``; the manifest is written last, so a failure leaves the
        previous manifest in place. It also records the snapshot's unlisted files as ignored.

    Returns
    -------
    list of manifest.Entry
        One per copied file.
    """
    listing = read_listing(snapshot)
    wanted = [item for item in listing if not item.path.endswith("README.md")]
    for item in sorted(wanted, key=lambda i: i.path):  # verify everything before copying anything
        try:
            kind_of(item.path)
        except InputFormatError as exc:
            raise InputFormatError(f"{snapshot / SUMS_FILE}:{item.line}: {exc}") from None
        verify(snapshot, item.path, item.sha256, item.line)
    box = raw_dir.resolve()
    entries = []
    for item in sorted(wanted, key=lambda i: i.path):
        target = raw_dir / item.path
        if not target.resolve().is_relative_to(box):  # a symlink planted in data/raw
            raise InputFormatError(f"{target}: resolves outside {raw_dir} (rule: ingestion writes only below data/raw)")
        with fileio.atomic_path(target) as tmp:
            shutil.copyfile(snapshot / item.path, tmp)
        entries.append(manifest.entry_for(raw_dir, item.path, kind_of(item.path), f"snapshot:{item.path}"))
        if entries[-1].sha256 != item.sha256:
            raise ChecksumError(f"{raw_dir / item.path}: copy does not match the snapshot's checksum")
    ignored = [{"path": p, "reason": f"not listed in {SUMS_FILE}"} for p in unlisted(snapshot, listing)]
    ignored += [{"path": i.path, "reason": "documentation (listed, not data)"} for i in listing if i not in wanted]
    manifest.write(raw_dir, entries, source="snapshot", ignored=sorted(ignored, key=lambda r: r["path"]))
    return entries
