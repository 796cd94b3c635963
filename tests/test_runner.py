"""The runner on tiny notebooks: success, a failing cell, a timeout and a dead kernel; per-event
runs sharing a kernel, reset between runs; the product manifest a successful run publishes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from chinabrief.config import Paths
from chinabrief.exceptions import StageFailedError
from chinabrief.pipeline.runner import run, run_stage


def project(tmp_path, *sources: str) -> Paths:
    """A throwaway project whose 01_ingest notebook runs ``sources`` (synthetic test input)."""
    (tmp_path / "notebooks").mkdir()
    nb = new_notebook(
        cells=[new_code_cell(src) for src in sources],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
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
    # no earlier good run: reports/notebooks/ stays empty; the failed notebook goes beside its page
    assert not (tmp_path / "reports/notebooks/01_ingest.ipynb").exists()
    assert status["notebook"] is None and status["failed_notebook"] == "reports/failed/01_ingest.ipynb"
    assert (tmp_path / "reports/failed/01_ingest.ipynb").is_file()
    assert 'href="01_ingest.ipynb"' in (tmp_path / "reports/failed/ingest.html").read_text()
    assert not (tmp_path / "build/staging").exists() or not any((tmp_path / "build/staging").iterdir())
    assert [f.name for f in (tmp_path / "build/kernels").iterdir()] == []  # connection file removed


def test_cell_timeout_fails_the_stage(tmp_path):
    paths = project(tmp_path, "import time\ntime.sleep(30)")
    # the budget covers the warm-up too: on a loaded machine that can be what runs out first
    with pytest.raises(StageFailedError, match="(?i)timeout|timed out|did not become ready within"):
        run_stage(paths, "ingest", {}, cell_timeout=2)


def test_dead_kernel_gets_a_clear_message(tmp_path):
    paths = project(tmp_path, "import os\nos._exit(1)")
    with pytest.raises(StageFailedError, match="kernel died"):
        run_stage(paths, "ingest", {}, cell_timeout=60)


# --- per-event runs: one fresh kernel each -------------------------------------------------------


WARNER = "import warnings\n\ndef warn():\n    warnings.warn('shown by a helper module')\n"


def event_project(tmp_path, *sources: str) -> Paths:
    """A throwaway project whose 05_event_brief notebook has an ``event_id`` parameter (synthetic)."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "warner.py").write_text(WARNER)
    params = new_code_cell('event_id = "none"', metadata={"tags": ["parameters"]})
    nb = new_notebook(
        cells=[params] + [new_code_cell(src) for src in sources],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    nbformat.write(nb, tmp_path / "notebooks" / "05_event_brief.ipynb")
    return Paths(tmp_path)


def executed(tmp_path, event_id: str) -> dict:
    return json.loads((tmp_path / f"reports/notebooks/05_event_brief-{event_id}.ipynb").read_text())


def status(tmp_path, event_id: str) -> dict:
    return json.loads((tmp_path / f"build/status/event_brief-{event_id}.json").read_text())


def stdout_of(nb: dict) -> str:
    return "".join(
        "".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []) if o.get("name") == "stdout"
    )


def stderr_of(nb: dict) -> str:
    return "".join(
        "".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []) if o.get("name") == "stderr"
    )


def test_the_kernel_is_warmed_without_touching_the_namespace(tmp_path):
    """What the notebook imports is imported before its first cell runs, binding no name."""
    paths = project(
        tmp_path,
        "import sys\nprint('chinabrief.data.ingest' in sys.modules, "
        "[n for n in dir() if 'importlib' in n or n == 'chinabrief'])",
        "from chinabrief.data import ingest",
    )
    run_stage(paths, "ingest", {}, cell_timeout=60)
    nb = json.loads((tmp_path / "reports/notebooks/01_ingest.ipynb").read_text())
    assert stdout_of(nb) == "True []\n"


def test_a_kernel_that_cannot_start_is_a_clear_error(tmp_path, monkeypatch):
    paths = project(tmp_path, "print('never runs')")
    monkeypatch.setattr("chinabrief.pipeline.kernels.KERNEL_NAME", "no-such-kernel")
    with pytest.raises(StageFailedError, match="could not start the 'no-such-kernel' kernel.*NoSuchKernel"):
        run(paths, "ingest", {}, cell_timeout=60)


def test_kernels_exit_when_their_runners_are_killed(tmp_path):
    """make sends SIGTERM to the runners of two parallel jobs; their kernels (the running ones and
    the next ones, started meanwhile) must not live on."""
    import signal
    import subprocess
    import sys
    import time

    paths = event_project(
        tmp_path,
        "import os, time\nopen(f'pids-{event_id}', 'w').write(f'{os.getppid()} {os.getpid()}')\ntime.sleep(60)",
    )
    (tmp_path / "params.json").write_text(json.dumps({"parameters": {}, "cell_timeout": 120}))
    runners = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chinabrief",
                "run",
                "event_brief",
                "--params",
                "params.json",
                "--event-id",
                event_id,
                "--event-id",
                f"{event_id}2",
            ],
            cwd=tmp_path,
            env={**os.environ, "CHINABRIEF_ROOT": str(tmp_path)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for event_id in "ab"
    ]
    files = [paths.notebooks / "pids-a", paths.notebooks / "pids-b"]
    deadline = time.monotonic() + 60
    while not all(f.is_file() and f.read_text() for f in files) and time.monotonic() < deadline:
        time.sleep(0.2)
    pids = [int(f.read_text().split()[1]) for f in files]  # the kernel of each event's runner
    for runner in runners:
        runner.send_signal(signal.SIGTERM)
        runner.wait(timeout=30)

    def alive(pid: int) -> bool:  # a zombie (exited, not yet reaped by its new parent) counts as gone
        stat = Path(f"/proc/{pid}/stat")
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (FileNotFoundError, ProcessLookupError):
            return False

    deadline = time.monotonic() + 15
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in pids if alive(p)]
    assert list((tmp_path / "build/kernels").iterdir()) == []  # their connection files are gone too
    assert not (tmp_path / "build/staging").exists() or list((tmp_path / "build/staging").iterdir()) == []


def test_a_warm_up_that_hangs_names_what_it_was_importing(tmp_path, monkeypatch):
    from chinabrief.pipeline import runner as runner_mod

    paths = project(tmp_path, "print('never runs')")
    (tmp_path / "notebooks" / "slow_module.py").write_text("import time\ntime.sleep(30)\n")
    monkeypatch.setattr(runner_mod.depends, "notebook_imports", lambda notebook, package: {"slow_module"})
    monkeypatch.setattr(runner_mod, "KERNEL_READY_SECONDS", 3)
    with pytest.raises(
        StageFailedError, match=r"did not become ready within 3 s \(starting and importing slow_module\)"
    ):
        run(paths, "ingest", {}, cell_timeout=2)


def test_a_full_disk_while_publishing_keeps_the_previous_set(tmp_path, monkeypatch):
    paths = project(tmp_path, "print('first')")
    run_stage(paths, "ingest", {}, cell_timeout=60)
    before = (tmp_path / "reports/notebooks/01_ingest.ipynb").read_bytes()
    (tmp_path / "notebooks/01_ingest.ipynb").write_text(
        nbformat.writes(
            new_notebook(
                cells=[new_code_cell("print('second')")],
                metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            )
        )
    )
    from chinabrief import fileio, publish

    real = fileio.write_json

    def full_at_commit(target, obj):
        if Path(target).name == publish.COMMIT:
            raise OSError(28, "No space left on device", str(target))
        real(target, obj)

    monkeypatch.setattr(publish.fileio, "write_json", full_at_commit)
    with pytest.raises(
        StageFailedError,
        match=r"stage 'ingest' ran, but its products could not be published: "
        r"\[Errno 28\] No space left on device: .*COMMIT.json'\. "
        r"Nothing was published; the previous brief is unchanged\.",
    ):
        run_stage(paths, "ingest", {}, cell_timeout=60)
    assert (tmp_path / "reports/notebooks/01_ingest.ipynb").read_bytes() == before
    assert json.loads((tmp_path / "build/status/ingest.json").read_text())["status"] == "ok"
    assert list((tmp_path / "build/staging").iterdir()) == []


# --- what the index reads: the status record's title, headline and findings ---------------------


def test_the_status_record_carries_the_notebooks_title_and_headline(tmp_path):
    from nbformat.v4 import new_markdown_cell

    paths = project(tmp_path)
    nb = nbformat.read(tmp_path / "notebooks" / "01_ingest.ipynb", as_version=4)
    nb.cells = [
        new_markdown_cell("# Imported & verified\n\nWhat this does."),
        new_code_cell(
            "from IPython.display import Markdown\nMarkdown('12 files \\\\* verified')", metadata={"tags": ["headline"]}
        ),
    ]
    nbformat.write(nb, tmp_path / "notebooks" / "01_ingest.ipynb")
    record = run_stage(paths, "ingest", {}, cell_timeout=60)
    assert record["title"] == "Imported & verified" and record["headline"] == "12 files * verified"
    assert json.loads((tmp_path / "build/status/ingest.json").read_text())["headline"] == "12 files * verified"


def test_a_failed_run_keeps_the_summary_of_the_brief_still_in_place(tmp_path):
    from chinabrief.pipeline.runner import _previous_summary

    paths = Paths(tmp_path)
    (tmp_path / "build/status").mkdir(parents=True)
    (tmp_path / "build/status/x.json").write_text(
        json.dumps({"key": "x", "title": "T", "headline": "H", "findings": ["F"], "status": "ok"})
    )
    assert _previous_summary(paths, "x", "reports/x.html") == {}  # no brief left: nothing to keep
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports/x.html").write_text("brief")
    assert _previous_summary(paths, "x", "reports/x.html") == {"title": "T", "headline": "H", "findings": ["F"]}
    assert _previous_summary(paths, "y", "reports/x.html") == {}


def test_a_successful_run_publishes_its_product_manifest(tmp_path):
    from chinabrief import fileio

    paths = event_project(tmp_path, "print(event_id)")
    run(paths, "event_brief", {}, event_ids=["a"], cell_timeout=60)
    manifest = json.loads((tmp_path / "build/products/event_brief-a.json").read_text())
    assert manifest["key"] == "event_brief-a"
    assert sorted(manifest["files"]) == [
        "build/status/event_brief-a.json",
        "reports/events/a.html",
        "reports/notebooks/05_event_brief-a.ipynb",
    ]
    for rel, meta in manifest["files"].items():
        assert meta["sha256"] == fileio.sha256_file(tmp_path / rel)
        assert meta["size"] == (tmp_path / rel).stat().st_size
    assert (
        "build/products/event_brief-a.json"
        in json.loads((tmp_path / "build/published/event_brief-a.json").read_text())["files"]
    )


def test_a_failed_run_writes_no_manifest_and_keeps_the_last_one(tmp_path):
    paths = event_project(tmp_path, "print(event_id)")
    run(paths, "event_brief", {}, event_ids=["a"], cell_timeout=60)
    before = (tmp_path / "build/products/event_brief-a.json").read_bytes()
    nb = nbformat.read(tmp_path / "notebooks/05_event_brief.ipynb", as_version=4)
    nb.cells.append(new_code_cell("raise RuntimeError('broken')"))
    nbformat.write(nb, tmp_path / "notebooks/05_event_brief.ipynb")
    with pytest.raises(StageFailedError, match="broken"):
        run(paths, "event_brief", {}, event_ids=["a"], cell_timeout=60)
    assert (tmp_path / "build/products/event_brief-a.json").read_bytes() == before
    with pytest.raises(StageFailedError, match="broken"):
        run(paths, "event_brief", {}, event_ids=["b"], cell_timeout=60)
    assert not (tmp_path / "build/products/event_brief-b.json").exists()


def test_runs_sharing_a_kernel_see_nothing_of_each_other(tmp_path):
    paths = event_project(
        tmp_path,
        "print('left over:', 'leftover' in dir(), len(Out))\nleftover = event_id\nleftover",
        "import warner\nwarner.warn()",
    )
    records = run(paths, "event_brief", {}, event_ids=["a", "b", "c"], cell_timeout=60)
    assert [r["key"] for r in records] == ["event_brief-a", "event_brief-b", "event_brief-c"]
    for n, event_id in enumerate(["a", "b", "c"], start=1):
        nb = executed(tmp_path, event_id)
        assert status(tmp_path, event_id)["kernel_run"] == n  # one kernel, three runs
        assert "left over: False 0" in stdout_of(nb)  # no variables, no Out history
        assert "shown by a helper module" in stderr_of(nb)  # the warning is shown again in each run
        counts = [c["execution_count"] for c in nb["cells"] if c["cell_type"] == "code"]
        assert counts == [1, 2, 3, 4], counts  # each run counts from 1 (parameters, injected, two cells)
    assert [f.name for f in (tmp_path / "build/kernels").iterdir()] == []  # the kernel is gone at the end


def test_process_state_one_run_changes_is_restored_for_the_next(tmp_path):
    """Working directory, environment, warning filters, rcParams and pandas options. The state is the
    one saved after the warm-up, which imports what the notebook imports from chinabrief (here what
    brings in matplotlib and pandas, as every brief's notebook does)."""
    paths = event_project(
        tmp_path,
        "from chinabrief.render import figures, tables\n"
        "import os, warnings, matplotlib, pandas as pd\n"
        "print('state:', os.path.basename(os.getcwd()), os.environ.get('LEAK'), len(warnings.filters),\n"
        "      matplotlib.rcParams['lines.linewidth'], pd.get_option('display.max_rows'))",
        "import warner\nwarner.warn()",
        "os.chdir('..'); os.environ['LEAK'] = event_id; warnings.simplefilter('ignore')\n"
        "matplotlib.rcParams['lines.linewidth'] = 9.0; pd.set_option('display.max_rows', 5)",
    )
    run(paths, "event_brief", {}, event_ids=["a", "b"], cell_timeout=60)
    first, second = (executed(tmp_path, e) for e in "ab")
    assert status(tmp_path, "b")["kernel_run"] == 2
    assert stdout_of(first) == stdout_of(second)
    assert "state: notebooks None" in stdout_of(second)
    assert "shown by a helper module" in stderr_of(second)  # the 'ignore' filter did not survive


def test_a_run_after_a_failure_gets_a_fresh_kernel(tmp_path):
    paths = event_project(tmp_path, "if event_id == 'a':\n    raise ValueError('a is broken')")
    with pytest.raises(StageFailedError, match="a is broken"):
        run(paths, "event_brief", {}, event_ids=["a", "b", "c"], cell_timeout=60)
    assert status(tmp_path, "b")["kernel_run"] == 1  # a kernel that saw a failure is not reused
    assert status(tmp_path, "c")["kernel_run"] == 2


def test_one_failing_event_does_not_stop_the_others(tmp_path):
    paths = event_project(tmp_path, "if event_id == 'b':\n    raise ValueError('b is broken')")
    with pytest.raises(StageFailedError, match="b is broken"):
        run(paths, "event_brief", {}, event_ids=["a", "b", "c"], cell_timeout=60)
    assert status(tmp_path, "a")["status"] == "ok" and status(tmp_path, "c")["status"] == "ok"
    assert status(tmp_path, "b")["status"] == "failed"


def test_stale_applies_makes_rule_to_each_events_manifest(tmp_path):
    from chinabrief.pipeline import products
    from chinabrief.pipeline.runner import stale

    paths = event_project(tmp_path)
    prerequisite = tmp_path / "prereq"
    prerequisite.write_text("x")
    os.utime(prerequisite, (2000, 2000))
    for event_id, when in (("old", 1000), ("same", 2000), ("new", 3000)):
        manifest = products.manifest_path(paths, f"event_brief-{event_id}")
        manifest.parent.mkdir(parents=True, exist_ok=True)
        manifest.write_text("{}")
        os.utime(manifest, (when, when))
    assert stale(paths, "event_brief", ["old", "same", "new", "missing"], ["prereq"]) == ["old", "same", "missing"]
