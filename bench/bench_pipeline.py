"""Benchmark of the build pipeline (Make + papermill kernels) against one plain Python process.

Builds run in fresh copies of the checkout (``chinabrief.pipeline.verify.copy_checkout``: tracked and
untracked files, ``.venv`` symlinked) under ``build/bench/``, on the real data snapshot:

(a) cold build: ``make report`` in a fresh copy (venv present, no outputs);
(b) no-op build: a second ``make report`` (should run no notebook);
(c) one-parameter change: ``make report MINING_MONTH=2021-12`` (should re-run only the mining stage
    and the index);
(d) parallel cold build: ``make -j2 report`` in a second fresh copy;
(e) kernel designs: fresh kernels (this checkout: one kernel per notebook run; the event briefs run
    one after another in one process, the next one's kernel started while the current one runs)
    against shared kernels (``--shared-ref``, the last commit with the earlier design: the event
    briefs in one kernel per worker, reset between runs), each measured here and now in its own
    fresh copy: cold sequential build, cold ``-j2`` build, and the event briefs alone (after the
    cold build, ``src/chinabrief/analysis/event_reaction.py`` touched, then ``make report``).

Per notebook run, the wall time comes from the runner's status records (``build/status/*.json``):
``seconds`` split into ``kernel_wait_seconds`` (waiting for a kernel's start-up and warm-up imports)
and ``execute_seconds`` (papermill running the cells). What a fresh kernel costs in
all (start-up plus the stage's imports, mostly overlapped with the runner's own imports) is
ESTIMATED outside the pipeline: a python3 kernel is started and waited for with jupyter_client, and
the stage notebook's imports are timed in a plain ``.venv/bin/python`` subprocess.

What the notebooks compute (statistics, tables, figures and HTML tables) is then run in ONE plain
Python process (no kernel, no IPython shell, no Make, no nbconvert) in a third fresh copy, and the
cold build is compared with it; a second single process without figures and HTML tables is
reported for information.

Every subprocess of a copy gets ``PYTHONPATH=<copy>/src``: the venv's editable install points at
the main checkout's ``src``, and this way each copy runs its own source (concurrent edits in the
main checkout cannot leak into a build half-way).

Usage: ``.venv/bin/python bench/bench_pipeline.py [--out reports/bench.json] [--snapshot DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKDIR = ROOT / "build" / "bench"
PY = ROOT / ".venv" / "bin" / "python"
ONE_PARAM = "MINING_MONTH=2021-12"
REPEATS = 5  # kernel-start and import measurements: the median of this many
#: The last commit with shared kernels (one per worker, reset between event briefs), for (e).
SHARED_KERNELS_REF = "4981202"
#: A module only the event briefs import: touching it rebuilds them alone.
EVENT_MODULE = "src/chinabrief/analysis/event_reaction.py"
#: Fresh kernels are kept unless they are more than this much slower (issue 13).
DESIGN_TOLERANCE = 0.15

TARGETS = {  # name: (measured key, limit, unit)
    "cold full build < 60 s": ("cold_build_seconds", 60.0, "s"),
    "no-op build < 1 s": ("noop_build_seconds", 1.0, "s"),
    "pipeline overhead < 3x (cold build / the same computations in one process)": ("overhead_ratio", 3.0, "x"),
    "edit loop <= 4 s (a markdown edit in the mining notebook until its brief is rebuilt)": (
        "edit_loop_seconds",
        4.0,
        "s",
    ),
}


def edit_markdown(notebook: Path) -> None:
    """A reader's edit in JupyterLab: one sentence added to the notebook's second markdown cell."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    cell = [c for c in nb.cells if c.cell_type == "markdown"][1]
    cell.source += "\n\nAn edit made by the benchmark."
    nbformat.write(nb, notebook)


#: What each stage's notebook imports besides its own modules (the kernel's warm-up imports those).
COMMON_IMPORTS = ["pandas", "matplotlib", "matplotlib.pyplot", "chinabrief.config", "chinabrief.render.figures"]
#: What one ``python -m chinabrief run`` process imports before its stage starts.
RUNNER_IMPORTS = [
    "chinabrief.cli",
    "chinabrief.config",
    "chinabrief.pipeline.runner",
    "papermill",
    "nbformat",
    "chinabrief.pipeline.export",
]
#: The edit loop: a markdown edit in this notebook, until its brief is rebuilt.
EDIT_NOTEBOOK = "notebooks/04_mining_share.ipynb"
STATUS_LINE = re.compile(r"^\[chinabrief\] (\S+): ok in ([\d.]+) s", re.M)
INDEX_LINE = re.compile(r"^\[chinabrief\] index:", re.M)


# ------------------------------------------------------------------------------------ builds


def copy_env(copy: Path) -> dict[str, str]:
    """Environment for commands in a copy: no outer Make state, the copy's own ``src`` first."""
    drop = {"CHINABRIEF_ROOT", "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES", "PYTHONPATH"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONPATH"] = str(copy / "src")
    return env


def fresh_copy(name: str) -> Path:
    from chinabrief.pipeline.verify import copy_checkout

    dest = WORKDIR / name
    shutil.rmtree(dest, ignore_errors=True)
    return copy_checkout(ROOT, dest)


def read_status(copy: Path, since: float) -> list[dict]:
    """Status records written at or after ``since`` (epoch seconds): the stages this build ran."""
    folder = copy / "build" / "status"
    records = []
    for file in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if file.stat().st_mtime >= since:
            records.append(json.loads(file.read_text()))
    return records


def make(copy: Path, label: str, args: list[str], snapshot: Path) -> dict:
    """Run ``make <args> SNAPSHOT=<snapshot>`` in ``copy``; time it; collect what ran."""
    cmd = ["make", *args, f"SNAPSHOT={snapshot}"]
    since = time.time() - 1.0  # mtime granularity margin; the copy's previous build ended earlier
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=copy, env=copy_env(copy), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    log = WORKDIR / "logs" / f"{label}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(f"$ {' '.join(cmd)}  (in {copy})\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}")
    if done.returncode != 0:
        raise SystemExit(
            f"[bench] {label}: `{' '.join(cmd)}` failed (exit {done.returncode}); see {log}\n"
            + "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        )
    ran = [key for key, _ in STATUS_LINE.findall(done.stdout)]
    records = [r for r in read_status(copy, since) if r["key"] in ran]
    print(
        f"[bench] {label}: {seconds:.2f} s, {len(ran)} notebook(s) run"
        + (", index rebuilt" if INDEX_LINE.search(done.stdout) else ""),
        flush=True,
    )
    return {
        "label": label,
        "command": " ".join(cmd),
        "copy": str(copy.relative_to(ROOT)),
        "seconds": round(seconds, 3),
        "stages_run": ran,
        "index_rebuilt": bool(INDEX_LINE.search(done.stdout)),
        # kernel_run: the n-th run in its kernel (shared design); a fresh kernel's run records none
        "stage_records": [
            {k: r.get(k) for k in ("key", "stage", "seconds", "status", "kernel_wait_seconds", "execute_seconds")}
            | {"kernel_run": r.get("kernel_run", 1)}
            for r in records
        ],
        "log": str(log.relative_to(ROOT)),
    }


# ------------------------------------------------------------------- kernel and import costs


def kernel_start_seconds() -> dict:
    """Start a python3 kernel as papermill does, wait until ready, shut it down gracefully.

    Also returns the top-level modules a ready kernel has already imported (``preloaded``): the
    notebooks do not pay for those again, so the import measurement loads them before its clock.
    """
    from jupyter_client.manager import KernelManager

    from chinabrief.pipeline.kernels import KERNEL_ARGS, KERNEL_NAME

    starts, stops, preloaded = [], [], []
    for i in range(REPEATS):
        km = KernelManager(kernel_name=KERNEL_NAME)
        t0 = time.perf_counter()
        km.start_kernel(extra_arguments=KERNEL_ARGS, cwd=str(ROOT / "notebooks"))
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
        t1 = time.perf_counter()
        if i == 0:  # outside the clock: which modules the ready kernel already holds
            text: list[str] = []

            def collect(msg: dict, text: list[str] = text) -> None:
                text.append(msg["content"].get("text", "") if msg["msg_type"] == "stream" else "")

            kc.execute_interactive(
                "import sys; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))",
                timeout=60,
                output_hook=collect,
            )
            preloaded = [m for m in "".join(text).split() if not m.startswith(("_", "pydev", "debugpy"))]
        t2 = time.perf_counter()
        kc.stop_channels()
        km.shutdown_kernel(now=False)
        starts.append(t1 - t0)
        stops.append(time.perf_counter() - t2)
    return {
        "start_to_ready_runs": [round(s, 3) for s in starts],
        "shutdown_runs": [round(s, 3) for s in stops],
        "start_to_ready": round(statistics.median(starts), 3),
        "shutdown": round(statistics.median(stops), 3),
        "total": round(statistics.median(starts) + statistics.median(stops), 3),
        "preloaded": preloaded,
    }


def import_seconds(modules: list[str], preloaded: list[str] = ()) -> dict:
    """Time ``import <modules>`` in fresh plain-Python subprocesses (median of REPEATS).

    ``preloaded`` modules are imported first, before the clock starts (what a ready kernel holds).
    Also returns the whole process's wall time (interpreter start + preloads + the imports).
    """
    code = (
        "import importlib, time\n"
        f"for m in {list(preloaded)!r}:\n"
        "    try:\n        importlib.import_module(m)\n    except Exception:\n        pass\n"
        "t = time.perf_counter()\n" + "".join(f"import {m}\n" for m in modules) + "print(time.perf_counter() - t)"
    )
    runs, walls = [], []
    for _ in range(REPEATS):
        start = time.perf_counter()
        done = subprocess.run(
            [str(PY), "-c", code],
            cwd=ROOT / "notebooks",
            env=copy_env(ROOT),
            capture_output=True,
            text=True,
            check=True,
        )
        walls.append(time.perf_counter() - start)
        runs.append(float(done.stdout.strip().splitlines()[-1]))
    return {
        "modules": modules,
        "preloaded_first": bool(preloaded),
        "runs": [round(r, 3) for r in runs],
        "median": round(statistics.median(runs), 3),
        "process_wall_median": round(statistics.median(walls), 3),
    }


def export_seconds(copy: Path, n_processes: int) -> dict:
    """Re-export the copy's executed notebooks to HTML as the runner does (first one cold).

    ``n_processes``: runner processes that export; each pays the template loading once.
    """
    import nbformat

    from chinabrief.pipeline import export

    def one(nb_path: Path) -> float:
        nb = nbformat.read(nb_path, as_version=4)
        start = time.perf_counter()
        export.to_html(
            nb,
            title="bench",
            index_href="index.html",
            notebook_href=f"notebooks/{nb_path.name}",
            notebook_name=nb_path.name,
        )
        return time.perf_counter() - start

    # the ingest stage publishes no brief
    notebooks = [p for p in sorted((copy / "reports" / "notebooks").glob("*.ipynb")) if not p.name.startswith("01_")]
    if not notebooks:
        return {"per_notebook_warm": {}, "cold_extra": 0.0, "estimate": 0.0, "n_exports": 0}
    first_cold = one(notebooks[0])  # a fresh process (as each runner is) pays template loading once
    warm = {p.stem: round(one(p), 3) for p in notebooks}
    cold_extra = max(first_cold - warm[notebooks[0].stem], 0.0)
    return {
        "per_notebook_warm": warm,
        "first_cold": round(first_cold, 3),
        "cold_extra": round(cold_extra, 3),
        "estimate": round(sum(warm.values()) + cold_extra * n_processes, 3),
        "n_exports": len(notebooks),
    }


def timed(copy: Path, args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([str(PY), *args], cwd=copy, env=copy_env(copy), capture_output=True, check=True)
    return round(time.perf_counter() - start, 3)


# --------------------------------------------------------------------- single plain process


def _represent(value) -> None:
    """Build what a notebook output of ``value`` would hold (HTML of a table, PNG of a figure)."""
    from matplotlib.figure import Figure

    from chinabrief.render import figures

    if isinstance(value, Figure):
        figures.png_bytes(value)
    elif hasattr(value, "_repr_html_"):
        value._repr_html_()
    elif hasattr(value, "_repr_markdown_"):
        value._repr_markdown_()


def run_notebook_code(notebook: Path, parameters: dict, render: bool) -> None:
    """Run a notebook's code cells in this process, as a kernel would, with ``parameters`` injected.

    ``render``: also evaluate each cell's last expression (what the cell shows) and build its output
    (a table's HTML, a figure's PNG, the Markdown); without it only the other statements run, which
    leaves out the figures and tables the notebook shows.
    """
    import ast

    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    namespace: dict = dict(parameters)
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        tree = ast.parse(cell.source)
        last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        body = tree.body[:-1] if last is not None else tree.body
        exec(compile(ast.Module(body=body, type_ignores=[]), str(notebook), "exec"), namespace)
        if last is not None and render:
            _represent(eval(compile(ast.Expression(last.value), str(notebook), "eval"), namespace))


def single_process(root: Path, snapshot: str, render: bool) -> dict:
    """Run every stage notebook's code in this one process (no kernel); return step timings."""
    steps: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        steps[name] = round(steps.get(name, 0.0) + now - t, 3)
        t = now

    from chinabrief.config import Paths
    from chinabrief.pipeline import params as params_mod
    from chinabrief.pipeline.stages import STAGES

    os.chdir(root / "notebooks")  # where the runner starts kernels: config.paths() finds the root from here
    P = Paths(root)
    values = params_mod.load(P.params, [f"snapshot={snapshot}"])
    lap("imports")
    for name, stage in STAGES.items():
        parameters = params_mod.for_stage(values, name)
        if name == "event_brief":
            for event_id in values.focus_events:
                run_notebook_code(P.notebooks / stage.notebook, {**parameters, "event_id": event_id}, render)
                lap(stage.key(event_id))
        else:
            run_notebook_code(P.notebooks / stage.notebook, parameters, render)
            lap(stage.key())
    return {"render": render, "steps": steps, "inside_seconds": round(sum(steps.values()), 3)}


def run_single(copy: Path, snapshot: Path, render: bool) -> dict:
    """Run :func:`single_process` in a fresh plain-Python subprocess; time the whole process."""
    out = WORKDIR / "logs" / f"single{'-render' if render else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(PY),
        str(Path(__file__).resolve()),
        "--single-process",
        str(copy),
        "--snapshot",
        str(snapshot),
        "--out",
        str(out),
    ] + (["--render"] if render else [])
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=copy, env=copy_env(copy), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"[bench] single process{' (render)' if render else ''} failed:\n{done.stdout}\n{done.stderr}")
    result = json.loads(out.read_text())
    result["process_seconds"] = round(seconds, 3)
    print(
        f"[bench] single process{' with rendering' if render else ''}: {seconds:.2f} s "
        f"({result['inside_seconds']:.2f} s inside, after interpreter start)",
        flush=True,
    )
    return result


def archived_copy(name: str, ref: str) -> Path:
    """A copy of the commit ``ref`` (``git archive``), ``.venv`` linked, as :func:`fresh_copy` makes."""
    dest = WORKDIR / name
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    (dest / ".venv").symlink_to(ROOT / ".venv")
    os.utime(ROOT / ".venv" / ".installed")  # newer than the archive's lock file: nothing re-installs
    return dest


def design_builds(label: str, copy_of, snapshot: Path) -> dict:
    """Cold sequential, cold -j2 and event-briefs-alone builds of one kernel design."""
    seq = copy_of(f"{label}-seq")
    cold = make(seq, f"{label}_cold", ["report"], snapshot)
    (seq / EVENT_MODULE).touch()  # a real change of time: both designs' runners compare times
    events = make(seq, f"{label}_events", ["report"], snapshot)
    par = copy_of(f"{label}-j2")
    j2 = make(par, f"{label}_j2", ["-j2", "report"], snapshot)
    return {
        "cold_seconds": cold["seconds"],
        "j2_cold_seconds": j2["seconds"],
        "event_briefs_seconds": events["seconds"],
        "event_briefs_run": len(events["stages_run"]),
    }


def kernel_designs(snapshot: Path, shared_ref: str, fresh_ref: str | None = None) -> dict:
    """Fresh kernels (this checkout, or ``fresh_ref``) against shared kernels (``shared_ref``), in one run.

    For a like-for-like comparison pass as ``fresh_ref`` the commit that changed only the kernel
    design after ``shared_ref``: later commits also change what the notebooks compute.
    """
    fresh_copy_of = fresh_copy if fresh_ref is None else (lambda name: archived_copy(name, fresh_ref))
    fresh = design_builds("fresh", fresh_copy_of, snapshot)
    shared = design_builds("shared", lambda name: archived_copy(name, shared_ref), snapshot)
    ratios = {k: round(fresh[k] / shared[k], 3) for k in ("cold_seconds", "j2_cold_seconds", "event_briefs_seconds")}
    return {
        "fresh": fresh,
        "shared": shared,
        "shared_ref": shared_ref,
        "fresh_ref": fresh_ref or "this checkout",
        "fresh_over_shared": ratios,
        "keep_fresh": all(r <= 1 + DESIGN_TOLERANCE for r in ratios.values()),
    }


# ----------------------------------------------------------------------------------- report


def stage_table(cold: dict, j2: dict, kernel: dict, imports: dict, single: dict, single_render: dict) -> list[dict]:
    """One row per notebook run of the cold build, with the -j2 and single-process figures beside it."""
    j2_seconds = {r["key"]: r["seconds"] for r in j2["stage_records"]}
    order = ["ingest", "prepare", "token_reactions", "mining_share", "event_brief"]
    rows = []
    for r in sorted(cold["stage_records"], key=lambda r: (order.index(r["stage"]), r["key"])):
        fresh = r["kernel_run"] == 1
        rows.append(
            {
                "key": r["key"],
                "stage": r["stage"],
                "kernel_run": r["kernel_run"],
                "seconds": r["seconds"],
                "kernel_wait_seconds": r["kernel_wait_seconds"],
                "execute_seconds": r["execute_seconds"],
                # what starting a kernel and importing the stage's modules costs, paid by fresh kernels
                # only; most of it overlaps the runner's own imports (kernel_wait is what is not hidden)
                "kernel_plus_imports_paid": round(kernel["start_to_ready"] + imports[r["stage"]]["median"], 3)
                if fresh
                else 0.0,
                "seconds_j2": j2_seconds.get(r["key"]),
                "single_process_seconds": single["steps"].get(r["key"]),
                "single_process_render_seconds": single_render["steps"].get(r["key"]),
            }
        )
    return rows


def print_report(report: dict) -> None:
    rows = report["stages"]
    width = max(len(r["key"]) for r in rows) + 2

    def cell(value) -> str:
        return f"{value:.2f}" if value is not None else "-"

    print()
    print("Per notebook run, cold sequential build (status records; see method):")
    print(
        f"{'run':<{width}}{'kernel':>8}{'seconds':>9}{'kernel wait':>13}{'execute':>9}{'k+i paid':>10}"
        f"{'| -j2 s':>9}{'1-proc s':>10}{'1-proc+render s':>17}"
    )
    for r in rows:
        kernel = "fresh" if r["kernel_run"] == 1 else f"#{r['kernel_run']}"
        print(
            f"{r['key']:<{width}}{kernel:>8}{r['seconds']:>9.2f}{r['kernel_wait_seconds']:>13.2f}"
            f"{r['execute_seconds']:>9.2f}{r['kernel_plus_imports_paid']:>10.2f}{cell(r['seconds_j2']):>9}"
            f"{cell(r['single_process_seconds']):>10}{cell(r['single_process_render_seconds']):>17}"
        )
    s = report["stage_sums"]
    print(
        f"{'sum':<{width}}{'':>8}{s['seconds']:>9.2f}{s['kernel_wait_seconds']:>13.2f}{s['execute_seconds']:>9.2f}"
        f"{s['kernel_plus_imports_paid']:>10.2f}"
    )
    print(
        "(kernel: a fresh kernel, or the n-th run in a shared one; kernel wait: start-up and warm-up imports not "
        "hidden behind the runner's own imports; execute: papermill running the cells; k+i paid: "
        "ESTIMATED kernel start + the stage's imports, paid once per fresh kernel; -j2 s: the same run in the -j2 "
        "build; 1-proc s: that step in the single process, without and with figures and HTML tables)"
    )
    o = report["outside_stages_cold"]
    print(
        f"\nOutside the run records (cold build): {o['measured']:.2f} s; estimated parts: "
        + ", ".join(f"{k} {v:.2f} s" for k, v in o.items() if k != "measured")
    )
    print()
    print("Method: " + report["method"])
    print()
    t = report["totals"]
    print("Totals:")
    print(f"  cold build (make report, fresh copy)          {t['cold_build_seconds']:8.2f} s")
    print(
        f"  no-op build (second make report)              {t['noop_build_seconds']:8.2f} s"
        f"   notebooks run: {len(report['noop']['stages_run'])}"
    )
    print(
        f"  one-param build ({ONE_PARAM})      {t['one_param_build_seconds']:8.2f} s"
        f"   ran: {', '.join(report['one_param']['stages_run']) or 'none'}"
        f"{' + index' if report['one_param']['index_rebuilt'] else ''}"
        f" ({'as expected' if report['one_param']['as_expected'] else 'NOT as expected'})"
    )
    print(
        f"  edit loop (markdown edit in {EDIT_NOTEBOOK.split('/')[-1]})  {t['edit_loop_seconds']:8.2f} s"
        f"   ran: {', '.join(report['edit_loop']['stages_run']) or 'none'}"
        f"{' + index' if report['edit_loop']['index_rebuilt'] else ''}"
    )
    print(f"  -j2 cold build (second fresh copy)            {t['j2_cold_build_seconds']:8.2f} s")
    print(
        f"  single process: what the notebooks compute    {t['single_process_render_seconds']:8.2f} s"
        "   (tables, statistics, figures, HTML tables)"
    )
    print(
        f"  single process: statistics and tables only    {t['single_process_seconds']:8.2f} s"
        "   (no figures or HTML: less than the notebooks do)"
    )
    print(f"  pipeline overhead (cold / what notebooks do)  {t['overhead_ratio']:8.2f} x")
    print(
        f"  cold / statistics-and-tables-only process     {t['overhead_ratio_vs_statistics_only']:8.2f} x"
        "   (informational)"
    )
    print()
    print(
        f"Load average before/after (1 min): {report['load_average_1_5_15_before'][0]:.2f} / "
        f"{report['load_average_1_5_15_after'][0]:.2f} on {report['cpu_count']} CPU(s): other processes on the "
        "machine make these wall times noisy."
    )
    print()
    if report.get("kernel_designs"):
        print_designs(report["kernel_designs"])
    print("Targets:")
    for name, target in report["targets"].items():
        print(f"  {'PASS' if target['pass'] else 'MISS'}  {name}: measured {target['measured']:.2f} {target['unit']}")


def print_designs(d: dict) -> None:
    """The kernel-design comparison (e)."""
    print(f"Kernel designs, measured in this run (fresh = {d['fresh_ref']}, shared = {d['shared_ref']}):")
    print(f"  {'':<34}{'fresh':>8}{'shared':>8}{'fresh/shared':>14}")
    for key, name in (
        ("cold_seconds", "cold sequential build"),
        ("j2_cold_seconds", "cold make -j2 build"),
        ("event_briefs_seconds", "event briefs alone"),
    ):
        print(f"  {name:<34}{d['fresh'][key]:>8.2f}{d['shared'][key]:>8.2f}{d['fresh_over_shared'][key]:>14.2f}")
    print(f"  fresh kernels kept: {'yes' if d['keep_fresh'] else 'NO'} (kept unless > {DESIGN_TOLERANCE:.0%} slower)")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "reports" / "bench.json"), help="JSON output path")
    parser.add_argument("--snapshot", default=str(ROOT / ".." / "shared" / "data"), help="data snapshot folder")
    parser.add_argument(
        "--shared-ref",
        default=SHARED_KERNELS_REF,
        help="commit with the shared-kernel design, built beside this checkout (e)",
    )
    parser.add_argument(
        "--fresh-ref", default=None, help="commit with the fresh-kernel design to compare (default: this checkout)"
    )
    parser.add_argument("--no-designs", action="store_true", help="skip the kernel-design comparison (e)")
    parser.add_argument("--designs-only", action="store_true", help="only the kernel-design comparison (e)")
    parser.add_argument("--single-process", metavar="ROOT", help=argparse.SUPPRESS)  # internal: child mode
    parser.add_argument("--render", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    snapshot = Path(args.snapshot).resolve()

    if args.single_process:
        result = single_process(Path(args.single_process), str(snapshot), args.render)
        Path(args.out).write_text(json.dumps(result, indent=2))
        return

    out = Path(args.out)
    out = out if out.is_absolute() else (Path.cwd() / out)
    if not (snapshot / "SHA256SUMS").is_file():
        raise SystemExit(f"[bench] no data snapshot at {snapshot} (SHA256SUMS missing); pass --snapshot")
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        print(f"[bench] note: running under {sys.executable}, not the project's .venv", flush=True)
    WORKDIR.mkdir(parents=True, exist_ok=True)
    if args.designs_only:
        load = os.getloadavg()
        designs = kernel_designs(snapshot, args.shared_ref, args.fresh_ref)
        designs["load_average_1_before_after"] = [round(load[0], 2), round(os.getloadavg()[0], 2)]
        print_designs(designs)
        from chinabrief.fileio import write_json

        write_json(out.with_name(out.stem + "_designs.json"), designs)
        return
    load_before = os.getloadavg()
    print(f"[bench] snapshot {snapshot}; work in {WORKDIR.relative_to(ROOT)}; {os.cpu_count()} CPU(s)", flush=True)

    # Fixed costs first (this also warms the OS file cache for the venv, as a developer's would be).
    kernel = kernel_start_seconds()
    print(
        f"[bench] kernel: start-to-ready {kernel['start_to_ready']:.2f} s, shutdown {kernel['shutdown']:.2f} s "
        f"(median of {REPEATS})",
        flush=True,
    )
    from chinabrief.pipeline import depends
    from chinabrief.pipeline.stages import STAGES

    package = ROOT / "src" / "chinabrief"
    imports = {
        name: import_seconds(
            COMMON_IMPORTS + sorted(depends.notebook_imports(ROOT / "notebooks" / stage.notebook, package)),
            kernel["preloaded"],
        )
        for name, stage in STAGES.items()
    }
    print(
        "[bench] imports (after the kernel's own modules): "
        + ", ".join(f"{s} {v['median']:.2f} s" for s, v in imports.items()),
        flush=True,
    )
    runner_start = import_seconds(RUNNER_IMPORTS)
    print(
        f"[bench] runner process start (interpreter + {', '.join(RUNNER_IMPORTS)}): "
        f"{runner_start['process_wall_median']:.2f} s",
        flush=True,
    )

    seq = fresh_copy("seq")
    cold = make(seq, "cold", ["report"], snapshot)
    noop = make(seq, "noop", ["report"], snapshot)
    one = make(seq, "one_param", ["report", ONE_PARAM], snapshot)
    one["as_expected"] = one["stages_run"] == ["mining_share"] and one["index_rebuilt"]
    edit_markdown(seq / EDIT_NOTEBOOK)
    edit = make(seq, "edit_loop", ["report", ONE_PARAM], snapshot)
    edit["as_expected"] = edit["stages_run"] == ["mining_share"] and edit["index_rebuilt"]
    noop["as_expected"] = not noop["stages_run"] and not noop["index_rebuilt"]

    par = fresh_copy("j2")
    j2 = make(par, "j2_cold", ["-j2", "report"], snapshot)

    n_kernels = sum(1 for r in cold["stage_records"] if r["kernel_run"] == 1)  # one per notebook run
    exports = export_seconds(seq, n_processes=n_kernels - 1)  # all but ingest's publish a brief
    index_seconds = timed(seq, ["-m", "chinabrief", "index"])
    print(
        f"[bench] HTML export of {exports['n_exports']} briefs in {n_kernels - 1} processes (estimate): "
        f"{exports['estimate']:.2f} s; index: {index_seconds:.2f} s",
        flush=True,
    )

    designs = None if args.no_designs else kernel_designs(snapshot, args.shared_ref)

    single_copy = fresh_copy("single")
    single = run_single(single_copy, snapshot, render=False)
    single_render = run_single(single_copy, snapshot, render=True)

    rows = stage_table(cold, j2, kernel, imports, single, single_render)
    load_after = os.getloadavg()
    sums = {
        k: round(sum(r[k] for r in rows), 3)
        for k in ("seconds", "kernel_wait_seconds", "execute_seconds", "kernel_plus_imports_paid")
    }
    totals = {
        "cold_build_seconds": cold["seconds"],
        "noop_build_seconds": noop["seconds"],
        "one_param_build_seconds": one["seconds"],
        "edit_loop_seconds": edit["seconds"],
        "j2_cold_build_seconds": j2["seconds"],
        "single_process_seconds": single["process_seconds"],
        "single_process_render_seconds": single_render["process_seconds"],
        "overhead_ratio": round(cold["seconds"] / single_render["process_seconds"], 3),
        "overhead_ratio_vs_statistics_only": round(cold["seconds"] / single["process_seconds"], 3),
    }
    outside = {  # an estimate of the cold build's time outside the run records
        "measured": round(cold["seconds"] - sums["seconds"], 3),
        "make_and_params (no-op build)": noop["seconds"],
        f"runner process start x {n_kernels}": round(runner_start["process_wall_median"] * n_kernels, 3),
        # an upper bound: each kernel is asked to exit before the HTML export and exits meanwhile
        f"kernel shutdown x {n_kernels} (overlaps export)": round(kernel["shutdown"] * n_kernels, 3),
        f"HTML export x {exports['n_exports']}": exports["estimate"],
        "index": index_seconds,
    }
    outside["unexplained"] = round(outside["measured"] - sum(v for k, v in outside.items() if k != "measured"), 3)
    targets = {
        name: {"measured": totals[key], "limit": limit, "unit": unit, "pass": totals[key] < limit}
        for name, (key, limit, unit) in TARGETS.items()
    }
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = bool(
        subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    )
    report = {
        "description": "Build pipeline benchmark: cold / no-op / one-parameter / -j2 builds in fresh copies of "
        "the checkout, on the real data snapshot, against the same computations in one process",
        "method": (
            "A run's seconds come from the runner's status record: from the moment the runner has imported "
            "papermill and nbconvert (its kernel was started before those imports and has been importing the "
            "stage's modules meanwhile) to the end of papermill's execute_notebook. kernel_wait is the part of "
            "that spent waiting for the kernel (start-up and warm-up imports not yet done); execute is papermill running the cells (computation, figures and HTML "
            "tables, plus papermill's per-cell messaging). Every notebook run has a fresh kernel. k+i paid is an ESTIMATE made outside the pipeline: a python3 "
            "kernel started with jupyter_client and waited for "
            f"({kernel['start_to_ready']:.2f} s), plus the stage notebook's imports timed in a plain "
            ".venv/bin/python subprocess after the modules a ready kernel already holds; medians of "
            f"{REPEATS} runs. The single process is one plain Python process (interpreter start included) "
            "running what the notebooks run, without kernels, papermill, nbconvert or make: each stage notebook's "
            "code cells, parameters injected, and each cell's shown value built (a table's HTML, a figure's PNG). "
            "The pipeline overhead ratio compares the cold build with it. A second single process runs the "
            "cells without building what they show (no figures or HTML tables): that is less work than the "
            "notebooks do, so its ratio is informational. The edit loop: one sentence added to a markdown cell of "
            "the mining notebook, then `make report` (with the one-parameter change still in place). Outside-record parts: runner process start = a plain subprocess "
            "importing what `python -m chinabrief run` imports (it overlaps the kernel's start); kernel "
            "shutdown = the measured graceful shutdown, an upper bound since each kernel is asked to exit before "
            "the HTML export and exits meanwhile; HTML export = the executed notebooks re-exported with "
            "chinabrief.pipeline.export.to_html (one cold template load per process); index = `python -m chinabrief "
            "index` in the built copy; make and params = the no-op build."
        ),
        "snapshot": str(snapshot),
        "commit": commit,
        "dirty_worktree": dirty,
        "cpu_count": os.cpu_count(),
        "load_average_1_5_15_before": [round(x, 2) for x in load_before],
        "load_average_1_5_15_after": [round(x, 2) for x in load_after],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "kernel": kernel,
        "imports": imports,
        "runner_process_start": runner_start,
        "html_export": exports,
        "index_seconds": index_seconds,
        "outside_stages_cold": outside,
        "cold": cold,
        "noop": noop,
        "one_param": one,
        "edit_loop": edit,
        "j2_cold": j2,
        "single_process": single,
        "single_process_render": single_render,
        "stages": rows,
        "stage_sums": sums,
        "totals": totals,
        "targets": targets,
        "kernel_designs": designs,
    }
    print_report(report)
    from chinabrief.fileio import write_json

    write_json(out, report)
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
