"""Tests of chinabrief.data.sources.snapshot: verified import of a (synthetic) snapshot into data/raw.

The fake snapshot is written into tmp_path: a few small files in the real folder layout and a
``SHA256SUMS`` computed here.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from chinabrief.data.sources import snapshot
from chinabrief.exceptions import ChecksumError, InputFormatError, SnapshotMissingError

FILES = {
    # CRLF line ends and a non-UTF-8 byte: the copy must keep the bytes exactly
    "prices/binance_spot_1d/TRXUSDT.csv": b"open_time,close\r\n2025-01-01 00:00:00+00:00,0.25\r\n\xff\r\n",
    "prices/unattributed_1d/OKB.csv": b"ticker,date,open,high,low,close\nOKB,2025-01-01,1,2,0.5,1.5\n",
    "mining/ccaf_mining_countries.csv": b"date,country,monthly_hashrate_%\n2020-01-01,Atlantis,60%\n",
    "reference/facts.csv": b"a,b\n1,2\n",
    "README.md": b"# synthetic snapshot\n",
}


def sums_text(files: dict[str, bytes], prefix: str = "./") -> str:
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {prefix}{rel}\n" for rel, data in sorted(files.items()))


def make_snapshot(root: Path, files: dict[str, bytes] = FILES, sums: str | None = None) -> Path:
    folder = root / "snapshot"
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    (folder / snapshot.SUMS_FILE).write_text(sums_text(files) if sums is None else sums)
    return folder


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file below ``folder`` with its size and modification time (ns)."""
    out = {}
    for dirpath, _, names in os.walk(folder):
        for name in names:
            path = Path(dirpath) / name
            stat = path.stat()
            out[path.relative_to(folder).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return out


def files_below(folder: Path) -> list[str]:
    return sorted(listing(folder)) if folder.exists() else []


def test_ingest_copies_bytes_exactly_and_writes_the_manifest(tmp_path):
    snap = make_snapshot(tmp_path)
    raw = tmp_path / "raw"
    entries = snapshot.ingest(snap, raw)

    data_files = sorted(rel for rel in FILES if rel != "README.md")
    assert [e.path for e in entries] == data_files
    for rel in data_files:
        assert (raw / rel).read_bytes() == FILES[rel]
    assert not (raw / "README.md").exists()  # documentation is not data

    written = json.loads((raw / "MANIFEST.json").read_text())
    assert written["source"] == "snapshot"
    assert [f["path"] for f in written["files"]] == data_files  # sorted by path
    by_path = {f["path"]: f for f in written["files"]}
    trx = by_path["prices/binance_spot_1d/TRXUSDT.csv"]
    assert set(trx) == {"path", "sha256", "bytes", "kind", "origin"}
    assert trx["sha256"] == hashlib.sha256(FILES["prices/binance_spot_1d/TRXUSDT.csv"]).hexdigest()
    assert trx["bytes"] == len(FILES["prices/binance_spot_1d/TRXUSDT.csv"])
    assert trx["kind"] == "binance_spot_1d"
    assert trx["origin"] == "snapshot:prices/binance_spot_1d/TRXUSDT.csv"
    assert by_path["mining/ccaf_mining_countries.csv"]["kind"] == "ccaf_mining_countries"
    assert by_path["prices/unattributed_1d/OKB.csv"]["kind"] == "unattributed_1d"
    assert by_path["reference/facts.csv"]["kind"] == "reference"
    assert files_below(raw) == sorted(data_files + ["MANIFEST.json"])  # no temporary files left


def test_ingest_twice_gives_the_same_manifest_bytes(tmp_path):
    snap = make_snapshot(tmp_path)
    snapshot.ingest(snap, tmp_path / "a")
    snapshot.ingest(snap, tmp_path / "b")
    assert (tmp_path / "a" / "MANIFEST.json").read_bytes() == (tmp_path / "b" / "MANIFEST.json").read_bytes()


def test_sums_without_dot_slash_prefix(tmp_path):
    snap = make_snapshot(tmp_path, sums=sums_text(FILES, prefix=""))
    assert len(snapshot.ingest(snap, tmp_path / "raw")) == len(FILES) - 1


def test_snapshot_folder_is_not_modified(tmp_path):
    snap = make_snapshot(tmp_path)
    before = listing(snap)
    snapshot.ingest(snap, tmp_path / "raw")
    assert listing(snap) == before


@pytest.mark.parametrize("damage", ["changed", "truncated"])
def test_checksum_mismatch_names_the_file_and_writes_nothing(tmp_path, damage):
    snap = make_snapshot(tmp_path)
    target = snap / "prices/unattributed_1d/OKB.csv"
    data = FILES["prices/unattributed_1d/OKB.csv"]
    target.write_bytes(data.replace(b"1.5", b"9.5") if damage == "changed" else data[:20])
    raw = tmp_path / "raw"
    with pytest.raises(ChecksumError) as info:
        snapshot.ingest(snap, raw)
    assert "prices/unattributed_1d/OKB.csv" in str(info.value)
    assert "does not match SHA256SUMS" in str(info.value)
    assert files_below(raw) == []  # no MANIFEST, no partial copies, not even the good files


def test_failed_ingest_keeps_the_previous_raw_data(tmp_path):
    snap = make_snapshot(tmp_path)
    raw = tmp_path / "raw"
    snapshot.ingest(snap, raw)
    before = {rel: (raw / rel).read_bytes() for rel in files_below(raw)}
    (snap / "mining/ccaf_mining_countries.csv").write_bytes(b"tampered\n")
    with pytest.raises(ChecksumError, match="ccaf_mining_countries.csv"):
        snapshot.ingest(snap, raw)
    assert {rel: (raw / rel).read_bytes() for rel in files_below(raw)} == before


def test_file_listed_but_missing(tmp_path):
    snap = make_snapshot(tmp_path)
    (snap / "reference/facts.csv").unlink()
    with pytest.raises(ChecksumError, match=r"reference/facts.csv: listed in SHA256SUMS:\d+ but missing"):
        snapshot.ingest(snap, tmp_path / "raw")
    assert files_below(tmp_path / "raw") == []


def test_missing_snapshot_says_how_to_set_SNAPSHOT(tmp_path):
    with pytest.raises(SnapshotMissingError) as info:
        snapshot.ingest(tmp_path / "nowhere", tmp_path / "raw")
    assert "SNAPSHOT" in str(info.value) and "make report SNAPSHOT=" in str(info.value)
    assert str(tmp_path / "nowhere") in str(info.value)
    assert not (tmp_path / "raw").exists()


def test_folder_without_sha256sums_is_not_a_snapshot(tmp_path):
    snap = make_snapshot(tmp_path)
    (snap / snapshot.SUMS_FILE).unlink()
    with pytest.raises(SnapshotMissingError, match="expected SHA256SUMS"):
        snapshot.ingest(snap, tmp_path / "raw")


def test_unknown_dataset_path(tmp_path):
    files = {**FILES, "prices/somewhere_else/X.csv": b"x\n"}
    snap = make_snapshot(tmp_path, files)
    with pytest.raises(InputFormatError, match=r"prices/somewhere_else/X.csv: not a known snapshot dataset"):
        snapshot.ingest(snap, tmp_path / "raw")
    assert files_below(tmp_path / "raw") == []


def test_malformed_sums_line_names_the_line(tmp_path):
    snap = make_snapshot(tmp_path, sums=sums_text(FILES) + "\nnot-a-hash  prices/x.csv\n")
    with pytest.raises(InputFormatError, match=r"SHA256SUMS:7: line is not '<sha256>  <path>'"):
        snapshot.read_sums(snap)


def test_kind_of():
    assert snapshot.kind_of("mining/ccaf_mining_countries_v1.1.0_to_2021-04.csv") == "ccaf_mining_countries_v110"
    assert snapshot.kind_of("prices/binance_spot_1h_close/NEOUSDT_1h_close.csv") == "binance_spot_1h_close"
    with pytest.raises(InputFormatError):
        snapshot.kind_of("mining/ccaf_mining_countries.csv.bak")


# --- the snapshot is a box -----------------------------------------------------------------------
def test_listed_paths_are_normalised(tmp_path):
    files = {"prices/unattributed_1d/OKB.csv": FILES["prices/unattributed_1d/OKB.csv"]}
    digest = hashlib.sha256(files["prices/unattributed_1d/OKB.csv"]).hexdigest()
    snap = make_snapshot(tmp_path, files, sums=f"{digest}  ./prices/binance_spot_1d/../unattributed_1d/./OKB.csv\n")
    assert snapshot.read_sums(snap) == {"prices/unattributed_1d/OKB.csv": digest}


def test_a_path_listed_twice_with_two_checksums(tmp_path):
    snap = make_snapshot(tmp_path, sums=f"{'a' * 64}  ./x.csv\n{'b' * 64}  x.csv\n")
    with pytest.raises(
        InputFormatError, match=r"SHA256SUMS:2: path 'x.csv' is listed again with another checksum \(first at line 1\)"
    ):
        snapshot.read_sums(snap)


def test_a_checksum_that_is_not_hex(tmp_path):
    snap = make_snapshot(tmp_path, sums=f"{'g' * 64}  ./x.csv\n")
    with pytest.raises(InputFormatError, match=r"SHA256SUMS:1: line is not '<sha256>  <path>'"):
        snapshot.read_sums(snap)


def test_an_unknown_dataset_names_its_sums_line(tmp_path):
    files = {**FILES, "notes/extra.csv": b"x\n"}
    snap = make_snapshot(tmp_path, files)
    line = sorted(files).index("notes/extra.csv") + 1
    with pytest.raises(InputFormatError, match=rf"SHA256SUMS:{line}: notes/extra.csv: not a known snapshot dataset"):
        snapshot.ingest(snap, tmp_path / "raw")
