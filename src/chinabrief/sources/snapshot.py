"""Import the read-only data snapshot (``../shared/data``) into ``data/raw``.

Each file is verified against the snapshot's ``SHA256SUMS`` before it is copied; nothing is ever
written into the snapshot.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from .. import fileio, manifest
from ..exceptions import ChecksumError, InputFormatError, SnapshotMissingError

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


def read_sums(snapshot: Path) -> dict[str, str]:
    """Parse ``SHA256SUMS`` into ``{relative path: sha256}``.

    Raises
    ------
    SnapshotMissingError
        When the folder or its ``SHA256SUMS`` is missing.
    InputFormatError
        When a line is not ``<64 hex>  <path>``.
    """
    sums_path = snapshot / SUMS_FILE
    if not snapshot.is_dir() or not sums_path.is_file():
        raise SnapshotMissingError(
            f"no data snapshot at {snapshot} (expected {SUMS_FILE} there). "
            "Point SNAPSHOT at the snapshot folder, e.g. `make report SNAPSHOT=/path/to/shared/data`."
        )
    sums: dict[str, str] = {}
    for number, line in enumerate(sums_path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or len(parts[0]) != 64:
            raise InputFormatError(f"{sums_path}: line {number} is not '<sha256>  <path>': {line!r}")
        sums[parts[1].strip().removeprefix("*").removeprefix("./")] = parts[0].lower()
    return sums


def verify(snapshot: Path, rel_path: str, expected: str) -> None:
    """Check one snapshot file against its expected SHA-256; raise :class:`ChecksumError` if not."""
    file = snapshot / rel_path
    if not file.is_file():
        raise ChecksumError(f"{file}: listed in {SUMS_FILE} but missing")
    fileio.require_sha256(file, expected, SUMS_FILE, "the file was changed or truncated — restore the snapshot")


def ingest(snapshot: Path, raw_dir: Path) -> list[manifest.Entry]:
    """Verify every data file of the snapshot, copy it into ``raw_dir`` and write the manifest.

    Parameters
    ----------
    snapshot : Path
        The snapshot folder (holds ``SHA256SUMS``). Only read.
    raw_dir : Path
        ``data/raw``. Files are copied to the same relative paths, each atomically; the manifest
        is written last, so a failure leaves the previous manifest in place.

    Returns
    -------
    list of manifest.Entry
        One per copied file.
    """
    sums = read_sums(snapshot)
    wanted = {rel: sha for rel, sha in sums.items() if not rel.endswith("README.md")}
    for rel, sha in sorted(wanted.items()):  # verify everything before copying anything
        kind_of(rel)
        verify(snapshot, rel, sha)
    entries = []
    for rel in sorted(wanted):
        with fileio.atomic_path(raw_dir / rel) as tmp:
            shutil.copyfile(snapshot / rel, tmp)
        entries.append(manifest.entry_for(raw_dir, rel, kind_of(rel), f"snapshot:{rel}"))
        if entries[-1].sha256 != wanted[rel]:
            raise ChecksumError(f"{raw_dir / rel}: copy does not match the snapshot's checksum")
    manifest.write(raw_dir, entries, source="snapshot")
    return entries
