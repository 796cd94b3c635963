"""Tests of ``python -m chinabrief params`` run as `make` runs it, in a throw-away project root
(a copy of params.yaml and the Makefile) with a synthetic snapshot folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chinabrief.pipeline import params, stages

ROOT = Path(__file__).resolve().parents[1]
OLD = 1_000_000_000  # an mtime (2001) no run can produce by rewriting a file


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(ROOT / "params.yaml", root / "params.yaml")
    shutil.copy(ROOT / "Makefile", root / "Makefile")
    (root / "data/events").mkdir(parents=True)
    shutil.copy(ROOT / "data/events/us_china_trade_2025.csv", root / "data/events/us_china_trade_2025.csv")
    shutil.copy(ROOT / "data/universe.csv", root / "data/universe.csv")
    shutil.copytree(ROOT / "data/articles", root / "data/articles")
    return root


@pytest.fixture
def fake_snapshot(tmp_path: Path) -> Path:
    """A synthetic snapshot folder: only what `params` checks (the folder and its SHA256SUMS)."""
    folder = tmp_path / "snap"
    folder.mkdir()
    (folder / "SHA256SUMS").write_text("")
    return folder


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CHINABRIEF_ROOT": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "chinabrief", "params", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_snapshot_exits_1_with_how_to_set_SNAPSHOT(project, tmp_path):
    out_dir = tmp_path / "params"
    result = run(project, "--dir", str(out_dir), "--set", f"snapshot={tmp_path / 'nowhere'}")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.startswith("[chinabrief] error: no data snapshot at")
    assert "Point SNAPSHOT at the snapshot folder" in result.stderr
    assert "make report SNAPSHOT=" in result.stderr
    assert not out_dir.exists()  # nothing written


def test_unknown_parameter_exits_1_listing_valid_names(project, fake_snapshot, tmp_path):
    result = run(
        project, "--dir", str(tmp_path / "params"), "--set", f"snapshot={fake_snapshot}", "--set", "tokenz=TRX"
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "tokenz" in result.stderr and "Valid parameters:" in result.stderr
    assert "cutoff_hour_utc: int" in result.stderr


def test_writes_stage_files_and_params_mk(project, fake_snapshot, tmp_path):
    out_dir = tmp_path / "params"
    result = run(project, "--dir", str(out_dir), "--set", f"snapshot={fake_snapshot}", "--set", "tokens=TRX,NEO")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(
        [f"{stage}.json" for stage in stages.STAGES] + ["params.mk"]
    )
    expected = params.load(project / "params.yaml", [f"snapshot={fake_snapshot}", "tokens=TRX,NEO"])
    for stage in stages.STAGES:
        written = json.loads((out_dir / f"{stage}.json").read_text())
        assert written == {"parameters": params.for_stage(expected, stage), "cell_timeout": 600}
    assert json.loads((out_dir / "ingest.json").read_text())["parameters"]["tokens"] == ["TRX", "NEO"]
    lines = (out_dir / "params.mk").read_text().splitlines()
    assert "FOCUS_EVENTS := " + " ".join(params.DEFAULT_FOCUS_EVENTS) in lines


def test_same_values_do_not_rewrite_the_files(project, fake_snapshot, tmp_path):
    out_dir = tmp_path / "params"
    args = ("--dir", str(out_dir), "--set", f"snapshot={fake_snapshot}")
    assert run(project, *args).returncode == 0
    files = sorted(out_dir.iterdir())
    for path in files:
        os.utime(path, ns=(OLD * 10**9, OLD * 10**9))
    assert run(project, *args).returncode == 0
    assert {p.name: p.stat().st_mtime_ns for p in files} == {p.name: OLD * 10**9 for p in files}


def test_a_changed_value_rewrites_only_the_stages_that_use_it(project, fake_snapshot, tmp_path):
    out_dir = tmp_path / "params"
    args = ("--dir", str(out_dir), "--set", f"snapshot={fake_snapshot}")
    assert run(project, *args).returncode == 0
    for path in out_dir.iterdir():
        os.utime(path, ns=(OLD * 10**9, OLD * 10**9))
    assert run(project, *args, "--set", "mining_month=2021-06").returncode == 0
    rewritten = sorted(p.name for p in out_dir.glob("*.json") if p.stat().st_mtime_ns != OLD * 10**9)
    assert rewritten == ["mining_share.json"]  # (params.mk may carry a digest of the stage files)
    assert json.loads((out_dir / "mining_share.json").read_text())["parameters"]["mining_month"] == "2021-06"


def test_focus_events_override_changes_params_mk(project, fake_snapshot, tmp_path):
    out_dir = tmp_path / "params"
    result = run(
        project,
        "--dir",
        str(out_dir),
        "--set",
        f"snapshot={fake_snapshot}",
        "--set",
        "focus_events=2025-04-02-liberation-day,2025-10-30-busan-meeting",
    )
    assert result.returncode == 0, result.stderr
    lines = (out_dir / "params.mk").read_text().splitlines()
    assert "FOCUS_EVENTS := 2025-04-02-liberation-day 2025-10-30-busan-meeting" in lines
    assert sum(line.startswith("FOCUS_EVENTS") for line in lines) == 1


def test_unknown_focus_event_exits_1_before_any_kernel(project, fake_snapshot, tmp_path):
    result = run(
        project,
        "--dir",
        str(tmp_path / "params"),
        "--set",
        f"snapshot={fake_snapshot}",
        "--set",
        "focus_events=2025-04-02-liberation-day,2025-01-20-inauguration",
    )
    assert result.returncode == 1
    assert "'2025-01-20-inauguration'" in result.stderr and "us_china_trade_2025.csv" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "params" / "params.mk").exists()
