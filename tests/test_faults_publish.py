"""Faults against publication (issue 12, items 5 and 6), each on its own copy of a built checkout.

Every case checks the exact message, that the last good set (briefs, executed notebooks, processed
tables) is byte-identical afterwards, and that a rebuild gives the good build's bytes again.
The full disk is simulated by tests/faults/sitecustomize.py (test-only, loaded through PYTHONPATH).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from chinabrief.locks import Holder
from chinabrief.pipeline import verify
from conftest import ROOT, SNAPSHOT, make, make_env

pytestmark = pytest.mark.slow

SNAP = f"SNAPSHOT={SNAPSHOT}"
FAULTS = ROOT / "tests" / "faults"
MINING_NOTEBOOK = "notebooks/04_mining_share.ipynb"
#: Touched to make the mining stage run again (touching its notebook alone would only re-export it:
#: a notebook whose code is unchanged keeps its outputs, see chinabrief.pipeline.reuse).
MINING_MODULE = "src/chinabrief/analysis/mining_share.py"


def kept(sums: dict[str, str]) -> dict[str, str]:
    """The last good set: everything compared but the index and the failure pages."""
    return {k: v for k, v in sums.items() if k != "reports/index.html" and not k.startswith("reports/failed/")}


@pytest.fixture(scope="module")
def good(built, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A copy of the built checkout in its default state, and its checksums."""
    copy = tmp_path_factory.mktemp("faults") / "good"
    shutil.copytree(built, copy, symlinks=True)
    done = make(copy, "report", SNAP)  # whatever other tests left: back to the default parameters
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (copy / "reports/failed").exists() or not any((copy / "reports/failed").iterdir())
    return copy, verify.checksums(copy)


@pytest.fixture
def case(good, tmp_path) -> Path:
    """This case's own copy of the good checkout (times preserved, so make's view is the same)."""
    copy = tmp_path / "repo"
    shutil.copytree(good[0], copy, symlinks=True)
    return copy


def start_make(copy: Path, *args: str) -> subprocess.Popen:
    """``make`` in the background, in its own process group (as a terminal's foreground job)."""
    return subprocess.Popen(
        ["make", *args],
        cwd=copy,
        env=make_env(copy),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for(what: str, predicate, proc: subprocess.Popen, timeout: float = 300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc.poll() is not None:
            pytest.fail(f"make ended before {what}:\n{proc.stdout.read()}\n{proc.stderr.read()}")
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def runner_of(copy: Path, key: str) -> int | None:
    """The PID of the runner publishing ``key`` (from its transaction's OWNER), once it runs."""
    try:
        return Holder.parse((copy / "build/staging" / key / "OWNER").read_text()).pid
    except (OSError, AttributeError):
        return None


def staged_tables(copy: Path, key: str, folder: str) -> list[Path]:
    files = copy / "build/staging" / key / "files" / folder
    return [f for f in files.glob("*.csv")] if files.is_dir() else []


def kernel_processes(copy: Path) -> list[str]:
    """Command lines of running kernels started from this copy (they name their connection file)."""
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        text = [c.decode(errors="replace") for c in cmd if c]
        if any("ipykernel" in c for c in text) and any(str(copy) in c for c in text):
            out.append(" ".join(text))
    return out


def leftovers(copy: Path) -> list[str]:
    """Staging folders and connection files left behind."""
    return sorted(
        p.relative_to(copy).as_posix()
        for folder in ("build/staging", "build/kernels")
        if (copy / folder).is_dir()
        for p in (copy / folder).iterdir()
    )


def recover_and_compare(copy: Path, good_sums: dict[str, str]) -> None:
    done = make(copy, "report", SNAP)
    assert done.returncode == 0, done.stdout + done.stderr
    assert verify.differences(good_sums, verify.checksums(copy)) == []  # byte-identical recovery
    assert leftovers(copy) == []


def break_mining_notebook(copy: Path) -> str:
    notebook = copy / MINING_NOTEBOOK
    original = notebook.read_text()
    nb = json.loads(original)
    nb["cells"].append(
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "boom",
            "metadata": {},
            "outputs": [],
            "source": "raise RuntimeError('deliberate failure for the fault tests')",
        }
    )
    notebook.write_text(json.dumps(nb))
    return original


def test_full_disk_part_way_through_prepare_leaves_the_previous_tables(case, good):
    (case / "build/products/ingest.json").touch()  # prepare runs again
    done = make(
        case,
        "report",
        SNAP,
        env_extra={
            "PYTHONPATH": f"{case / 'src'}{os.pathsep}{FAULTS}",
            "CHINABRIEF_TEST_ENOSPC": "data/processed/:3",  # the third table put in place: returns.parquet
        },
    )
    assert done.returncode != 0
    assert "[chinabrief] error: stage 'prepare' failed: notebook notebooks/02_prepare.ipynb" in done.stderr
    assert "the disk is full (no space left on the device) [ENOSPC]" in done.stderr
    assert "data/processed/returns.parquet" in done.stderr
    assert "Executed notebook kept at reports/failed/02_prepare.ipynb" in done.stderr
    sums = verify.checksums(case)
    assert kept(sums) == kept(good[1])  # every table (none new, none mixed) and every brief unchanged
    assert "reports/failed/02_prepare.ipynb" in sums and "reports/failed/prepare.html" in sums
    assert 'href="failed/prepare.html"' in (case / "reports/index.html").read_text()
    assert leftovers(case) == []
    recover_and_compare(case, good[1])


def test_sigkill_of_the_runner_mid_stage_leaves_the_previous_set(case, good):
    (case / MINING_MODULE).touch()  # mining_share runs again
    proc = start_make(case, "report", SNAP)
    wait_for("mining tables being staged", lambda: staged_tables(case, "mining_share", "data/processed/mining"), proc)
    os.kill(runner_of(case, "mining_share"), signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "Killed" in err
    assert verify.checksums(case) == good[1]  # nothing published: not a table, not the brief, not the index
    assert "build/staging/mining_share" in leftovers(case)  # found and discarded by the next start
    for _ in range(100):  # the kernel exits on its own when its parent is gone
        if not kernel_processes(case):
            break
        time.sleep(0.1)
    assert kernel_processes(case) == []
    recover_and_compare(case, good[1])


def test_a_failed_stage_keeps_the_notebook_its_brief_links(case, good):
    original = break_mining_notebook(case)
    done = make(case, "report", SNAP)
    assert done.returncode != 0
    assert "RuntimeError: deliberate failure for the fault tests" in done.stderr
    assert (
        "Executed notebook kept at reports/failed/04_mining_share.ipynb; the previous brief is unchanged" in done.stderr
    )
    assert kept(verify.checksums(case)) == kept(good[1])  # brief, its notebook, its tables
    brief = (case / "reports/mining-share.html").read_text()
    assert (
        'href="notebooks/04_mining_share.ipynb"' in brief
        and (case / "reports/notebooks/04_mining_share.ipynb").is_file()
    )
    assert "deliberate failure" not in (case / "reports/notebooks/04_mining_share.ipynb").read_text()
    assert "deliberate failure" in (case / "reports/failed/04_mining_share.ipynb").read_text()
    assert 'href="04_mining_share.ipynb"' in (case / "reports/failed/mining_share.html").read_text()
    index = (case / "reports/index.html").read_text()
    assert 'href="failed/mining_share.html"' in index and 'href="notebooks/04_mining_share.ipynb"' in index
    status = json.loads((case / "build/status/mining_share.json").read_text())
    assert status["notebook"] == "reports/notebooks/04_mining_share.ipynb"
    assert status["failed_notebook"] == "reports/failed/04_mining_share.ipynb"
    (case / MINING_NOTEBOOK).write_text(original)
    recover_and_compare(case, good[1])
    assert not (case / "reports/failed").exists() or not any((case / "reports/failed").iterdir())


def test_changing_events_removes_the_products_of_dropped_events(case, good):
    keep = ["2025-04-02-liberation-day", "2025-10-30-busan-meeting"]
    dropped = "2025-05-06-geneva-talks-announced"
    done = make(case, "report", SNAP, f"EVENTS={','.join(keep)}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"[chinabrief] index: removed the brief of {dropped} (not in focus_events)" in done.stdout
    assert sorted(p.stem for p in (case / "reports/events").glob("*.html")) == keep
    assert sorted(p.name for p in (case / "reports/notebooks").glob("05_event_brief-*")) == [
        f"05_event_brief-{e}.ipynb" for e in keep
    ]
    assert sorted(p.stem for p in (case / "build/status").glob("event_brief-*.json")) == [
        f"event_brief-{e}" for e in keep
    ]
    index = (case / "reports/index.html").read_text()
    assert f'id="card-event_brief-{dropped}"' not in index and f'id="card-event_brief-{keep[0]}"' in index
    for e in keep:  # the kept briefs are untouched
        rel = f"reports/events/{e}.html"
        assert verify.checksums(case)[rel] == good[1][rel]
    recover_and_compare(case, good[1])


def test_a_second_make_stops_naming_the_first_and_never_interleaves(case, good):
    params_before = {p.name: p.read_bytes() for p in (case / "build/params").iterdir()}
    (case / MINING_MODULE).touch()
    first = start_make(case, "report", SNAP)
    wait_for("the first build's mining stage", lambda: runner_of(case, "mining_share"), first)
    second = make(case, "report", SNAP, "EVENTS=2025-04-02-liberation-day", "TOKENS=TRX,NEO")
    assert second.returncode != 0
    assert (
        f"[chinabrief] error: another build is running in this checkout: PID {first.pid} "
        f"(make report {SNAP}) holds build/lock"
    ) in second.stderr
    assert {p.name: p.read_bytes() for p in (case / "build/params").iterdir()} == params_before
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out + err
    assert verify.differences(good[1], verify.checksums(case)) == []
    recover_and_compare(case, good[1])  # and the lock is free again


def test_sigterm_removes_the_kernels_and_their_connection_files(case, good):
    (case / MINING_MODULE).touch()
    proc = start_make(case, "report", SNAP)
    files = wait_for("a connection file", lambda: list((case / "build/kernels").glob("kernel-*.json")), proc)
    runner = wait_for("the mining stage", lambda: runner_of(case, "mining_share"), proc)
    assert oct(files[0].stat().st_mode & 0o777) == "0o600" and '"key"' in files[0].read_text()
    kernels = wait_for("the kernel", lambda: kernel_processes(case), proc)
    assert all(f"{case}/build/kernels/kernel-" in k for k in kernels)  # nowhere else (no ~/.local)
    os.kill(runner, signal.SIGTERM)  # what make sends its jobs when it is terminated
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert (
        "[chinabrief] interrupted (SIGTERM): stage 'mining_share' stopped; what it had not published "
        "is discarded, the previous briefs are unchanged"
    ) in err
    assert "Traceback" not in err
    assert leftovers(case) == [] and kernel_processes(case) == []
    assert verify.checksums(case) == good[1]
    recover_and_compare(case, good[1])


def test_ctrl_c_prints_one_line_naming_the_stage(case, good):
    (case / MINING_MODULE).touch()
    proc = start_make(case, "report", SNAP)
    wait_for("mining tables being staged", lambda: staged_tables(case, "mining_share", "data/processed/mining"), proc)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the whole foreground process group
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    ours = [line for line in err.splitlines() if line.startswith("[chinabrief]")]
    assert ours == [
        "[chinabrief] interrupted (Ctrl-C): stage 'mining_share' stopped; what it had not "
        "published is discarded, the previous briefs are unchanged"
    ]
    others = [line for line in err.splitlines() if line.strip() and not line.startswith("[chinabrief]")]
    assert len(others) <= 1 and all(line.startswith("make: ***") for line in others), err  # make's own line
    assert leftovers(case) == [] and kernel_processes(case) == []
    assert verify.checksums(case) == good[1]
    recover_and_compare(case, good[1])
