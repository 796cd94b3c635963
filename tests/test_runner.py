"""The runner on tiny notebooks: success, a failing cell, a timeout and a dead kernel."""
from __future__ import annotations

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from chinabrief.config import Paths
from chinabrief.exceptions import StageFailedError
from chinabrief.runner import run_stage


def project(tmp_path, *sources: str) -> Paths:
    """A throwaway project whose 01_ingest notebook runs ``sources`` (synthetic test input)."""
    (tmp_path / "notebooks").mkdir()
    nb = new_notebook(cells=[new_code_cell(src) for src in sources],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, tmp_path / "notebooks" / "01_ingest.ipynb")
    return Paths(tmp_path)


def test_success_writes_normalised_notebook_and_status(tmp_path):
    paths = project(tmp_path, "print('hello')")
    record = run_stage(paths, "ingest", {}, cell_timeout=60)
    assert record["status"] == "ok"
    executed = json.loads((tmp_path / "reports/notebooks/01_ingest.ipynb").read_text())
    assert "".join(executed["cells"][-1]["outputs"][0]["text"]) == "hello\n"
    assert json.loads((tmp_path / "build/status/ingest.json").read_text())["status"] == "ok"


def test_failing_cell_names_cell_and_error(tmp_path):
    paths = project(tmp_path, "x = 1", "raise ValueError('bad input in cell two')")
    with pytest.raises(StageFailedError, match=r"cell \d+ .*ValueError: bad input in cell two"):
        run_stage(paths, "ingest", {}, cell_timeout=60)
    status = json.loads((tmp_path / "build/status/ingest.json").read_text())
    assert status["status"] == "failed" and "bad input" in status["error"]
    assert (tmp_path / "reports/notebooks/01_ingest.ipynb").is_file()


def test_cell_timeout_fails_the_stage(tmp_path):
    paths = project(tmp_path, "import time\ntime.sleep(30)")
    with pytest.raises(StageFailedError, match="(?i)timeout|timed out"):
        run_stage(paths, "ingest", {}, cell_timeout=2)


def test_dead_kernel_gets_a_clear_message(tmp_path):
    paths = project(tmp_path, "import os\nos._exit(1)")
    with pytest.raises(StageFailedError, match="kernel died"):
        run_stage(paths, "ingest", {}, cell_timeout=60)
