"""publish.py: a set is published whole or not at all, a killed apply is completed, stale files go."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from chinabrief import publish
from chinabrief.config import Paths
from chinabrief.exceptions import PublishError


def stage(paths: Paths, key: str, files: dict[str, str], **kwargs) -> publish.Transaction:
    """Stage ``files`` (repository-relative path → text) in a new transaction."""
    transaction = publish.Transaction(paths, key, **kwargs).begin()
    for rel, text in files.items():
        target = transaction.path(paths.root / rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return transaction


def read(paths: Paths, *rels: str) -> list[str | None]:
    return [(paths.root / r).read_text() if (paths.root / r).exists() else None for r in rels]


def test_publish_moves_the_set_in_and_records_it(tmp_path):
    paths = Paths(tmp_path)
    stage(paths, "prepare", {"data/processed/a.csv": "a1", "reports/b.html": "b1"}).publish()
    assert read(paths, "data/processed/a.csv", "reports/b.html") == ["a1", "b1"]
    assert publish.published(paths, "prepare") == ["data/processed/a.csv", "reports/b.html"]
    assert not (tmp_path / "build/staging/prepare").exists()


def test_nothing_moves_before_the_commit_marker(tmp_path):
    paths = Paths(tmp_path)
    stage(paths, "prepare", {"data/processed/a.csv": "old"}).publish()
    stage(paths, "prepare", {"data/processed/a.csv": "new"})  # staged, never committed (a kill)
    publish.settle(paths)  # readers only complete committed transactions
    assert read(paths, "data/processed/a.csv") == ["old"]
    # this process wrote it and is alive: recover leaves it; as a dead owner's, it is discarded
    (tmp_path / "build/staging/prepare/OWNER").write_text('{"pid": 999999999, "started": "1"}\n')
    publish.recover(paths)
    assert not (tmp_path / "build/staging/prepare").exists()
    assert read(paths, "data/processed/a.csv") == ["old"]


def test_a_kill_part_way_through_apply_is_completed_on_recovery(tmp_path, monkeypatch):
    paths = Paths(tmp_path)
    stage(paths, "prepare", {f"data/processed/{n}.csv": "old" for n in "abc"}).publish()
    transaction = stage(paths, "prepare", {f"data/processed/{n}.csv": "new" for n in "abc"})
    transaction.commit()
    moves = []
    real = os.replace

    def dies_on_second(src, dst):
        moves.append(dst)
        if len(moves) == 2:
            raise KeyboardInterrupt  # stands for the kill
        real(src, dst)

    monkeypatch.setattr(publish.os, "replace", dies_on_second)
    with pytest.raises(KeyboardInterrupt):
        transaction.apply()
    monkeypatch.setattr(publish.os, "replace", real)
    assert read(paths, *(f"data/processed/{n}.csv" for n in "abc")) == ["new", "old", "old"]  # mixed on disk
    (tmp_path / "build/staging/prepare/OWNER").write_text('{"pid": 999999999, "started": "1"}\n')
    publish.settle(paths)  # what prepare.load calls first: the reader sees the new set, whole
    assert read(paths, *(f"data/processed/{n}.csv" for n in "abc")) == ["new", "new", "new"]
    assert not (tmp_path / "build/staging/prepare").exists()


def test_a_full_disk_before_the_marker_leaves_the_previous_set(tmp_path, monkeypatch):
    paths = Paths(tmp_path)
    stage(paths, "prepare", {"data/processed/a.csv": "old", "data/processed/b.csv": "old"}).publish()
    transaction = stage(paths, "prepare", {"data/processed/a.csv": "new", "data/processed/b.csv": "new"})

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device", "build/staging/prepare/COMMIT.json")

    monkeypatch.setattr(publish.fileio, "write_json", full)
    with pytest.raises(OSError, match="No space left"):
        transaction.commit()
    transaction.abort()
    assert read(paths, "data/processed/a.csv", "data/processed/b.csv") == ["old", "old"]


def test_a_new_set_removes_the_files_the_previous_one_had_and_it_has_not(tmp_path):
    paths = Paths(tmp_path)
    stage(paths, "ingest", {"data/raw/prices/TRXUSDT.csv": "t", "data/raw/prices/NEOUSDT.csv": "n"}).publish()
    (tmp_path / "data/raw/README.md").write_text("tracked, not a product")
    stage(paths, "ingest", {"data/raw/prices/TRXUSDT.csv": "t2"}).publish()  # NEO no longer selected
    assert read(paths, "data/raw/prices/TRXUSDT.csv", "data/raw/prices/NEOUSDT.csv") == ["t2", None]
    assert read(paths, "data/raw/README.md") == ["tracked, not a product"]


def test_a_failure_set_is_added_beside_the_kept_brief_and_removed_by_the_next_success(tmp_path):
    paths = Paths(tmp_path)
    stage(paths, "mining_share", {"reports/mining-share.html": "good", "reports/notebooks/04.ipynb": "nb"}).publish()
    stage(paths, "mining_share", {"reports/failed/mining_share.html": "failed"}).publish(keep_previous=True)
    assert read(
        paths, "reports/mining-share.html", "reports/notebooks/04.ipynb", "reports/failed/mining_share.html"
    ) == ["good", "nb", "failed"]
    stage(paths, "mining_share", {"reports/mining-share.html": "good2", "reports/notebooks/04.ipynb": "nb2"}).publish()
    assert read(paths, "reports/failed/mining_share.html") == [None]


def test_a_scoped_transaction_replaces_only_its_folder(tmp_path):
    paths = Paths(tmp_path)
    stage(paths, "prepare", {"data/processed/a.csv": "a", "reports/data-quality.html": "q"}).publish()
    stage(paths, "prepare", {"data/processed/b.csv": "b"}, scope="data/processed").publish()
    assert read(paths, "data/processed/a.csv", "data/processed/b.csv", "reports/data-quality.html") == [None, "b", "q"]
    assert publish.published(paths, "prepare") == ["data/processed/b.csv", "reports/data-quality.html"]


def test_retire_removes_a_whole_set_and_its_record(tmp_path):
    paths = Paths(tmp_path)
    stage(paths, "event_brief-x", {"reports/events/x.html": "x", "build/status/event_brief-x.json": "{}"}).publish()
    (tmp_path / "reports/failed").mkdir(parents=True)
    (tmp_path / "reports/failed/event_brief-x.html").write_text("from a build without records")
    publish.retire(paths, "event_brief-x", also=[tmp_path / "reports/failed/event_brief-x.html"])
    assert not any((tmp_path / "reports").rglob("*.html"))
    assert publish.published_keys(paths) == [] and not (tmp_path / "build/status/event_brief-x.json").exists()


def test_writing_outside_a_runner_publishes_when_the_block_succeeds(tmp_path):
    paths = Paths(tmp_path)
    with publish.writing(paths, paths.processed, "prepare") as out:
        (out / "a.csv").write_text("a")
        assert not (tmp_path / "data/processed/a.csv").exists()  # not before the block ends
    assert read(paths, "data/processed/a.csv") == ["a"]
    with pytest.raises(ValueError):
        with publish.writing(paths, paths.processed, "prepare") as out:
            (out / "a.csv").write_text("half")
            raise ValueError("a schema rule")
    assert read(paths, "data/processed/a.csv") == ["a"]
    assert not (tmp_path / "build/staging/prepare").exists()


def test_writing_inside_a_runner_goes_to_the_runs_staging_folder(tmp_path, monkeypatch):
    paths = Paths(tmp_path)
    monkeypatch.setenv(publish.STAGING_ENV, str(tmp_path / "build/staging/prepare/files"))
    with publish.writing(paths, paths.processed, "prepare") as out:
        (out / "a.csv").write_text("a")
    assert (tmp_path / "build/staging/prepare/files/data/processed/a.csv").is_file()
    assert not (tmp_path / "data/processed/a.csv").exists()  # the runner publishes it with the brief


def test_nothing_is_published_outside_the_repository(tmp_path):
    paths = Paths(tmp_path / "repo")
    with pytest.raises(PublishError, match="outside the repository"):
        publish.Transaction(paths, "ingest").path(tmp_path / "elsewhere.csv")


def test_commit_marker_lists_the_status_record_last(tmp_path):
    paths = Paths(tmp_path)
    transaction = stage(paths, "k", {"build/status/k.json": "{}", "reports/z.html": "z"})
    transaction.commit()
    commit = json.loads((tmp_path / "build/staging/k/COMMIT.json").read_text())
    assert commit["files"] == ["reports/z.html", "build/status/k.json"]


def test_a_dead_owners_committed_transaction_is_applied_by_another_process(tmp_path):
    paths = Paths(tmp_path)
    transaction = stage(paths, "k", {"reports/z.html": "z"})
    transaction.commit()  # then this "process" dies: a child process recovers
    (tmp_path / "build/staging/k/OWNER").write_text('{"pid": 999999999, "started": "1"}\n')
    code = (
        "from chinabrief import publish; from chinabrief.config import Paths; import sys; "
        "publish.recover(Paths(__import__('pathlib').Path(sys.argv[1])))"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)
    assert read(paths, "reports/z.html") == ["z"]
