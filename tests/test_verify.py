"""Reproducibility: a second build from the same inputs, in another folder, gives the same bytes."""

from __future__ import annotations

import pytest

from chinabrief.pipeline import verify
from conftest import ROOT, SNAPSHOT, make


def test_differences_names_changed_and_missing_files():
    assert verify.differences({"a": "1"}, {"a": "1"}) == []
    assert verify.differences({"a": "1", "b": "2"}, {"a": "9"}) == ["differs: a", "only in first build: b"]


def test_checksums_leave_out_the_run_record(tmp_path):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "run.json").write_text("{}")
    (tmp_path / "reports" / "index.html").write_text("x")
    assert list(verify.checksums(tmp_path)) == ["reports/index.html"]


@pytest.mark.slow
def test_two_builds_in_different_folders_are_byte_identical(built, tmp_path):
    second = verify.copy_checkout(ROOT, tmp_path / "second")
    done = make(second, "report", f"SNAPSHOT={SNAPSHOT}")
    assert done.returncode == 0, done.stderr
    # other tests add screenshots and a failed-stage page to the shared build: not build outputs
    first_sums = {
        k: v
        for k, v in verify.checksums(built).items()
        if not k.startswith(("reports/screenshots/", "reports/failed/"))
    }
    assert len(first_sums) > 20
    assert verify.differences(first_sums, verify.checksums(second)) == []
