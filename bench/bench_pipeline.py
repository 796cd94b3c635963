"""Benchmark of the build pipeline (Make + papermill kernels) against one plain Python process.

Builds run in fresh copies of the checkout (``chinabrief.verify.copy_checkout``: tracked and
untracked files, ``.venv`` symlinked) under ``build/bench/``, on the real data snapshot:

(a) cold build: ``make report`` in a fresh copy (venv present, no outputs);
(b) no-op build: a second ``make report`` (should run no notebook);
(c) one-parameter change: ``make report MINING_MONTH=2021-12`` (should re-run only the mining stage
    and the index);
(d) parallel cold build: ``make -j2 report`` in a second fresh copy.

Per notebook run, the wall time comes from the runner's status records (``build/status/*.json``):
``seconds`` split into ``kernel_wait_seconds`` (waiting for a kernel's start-up and warm-up imports,
or its reset) and ``execute_seconds`` (papermill running the cells). What a fresh kernel costs in
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

TARGETS = {  # name: (measured key, limit, unit)
    "cold full build < 60 s": ("cold_build_seconds", 60.0, "s"),
    "no-op build < 1 s": ("noop_build_seconds", 1.0, "s"),
    "pipeline overhead < 3x (cold build / the same computations in one process)": ("overhead_ratio", 3.0, "x"),
}

#: What each stage's notebook imports (its import cell), plus pandas and matplotlib.
COMMON_IMPORTS = ["pandas", "matplotlib", "matplotlib.pyplot", "chinabrief.config", "chinabrief.display"]
#: What one ``python -m chinabrief run`` process imports before its stage starts.
RUNNER_IMPORTS = ["chinabrief.cli", "chinabrief.config", "chinabrief.runner", "papermill", "nbformat", "chinabrief.export"]
STAGE_IMPORTS = {
    "ingest": ["chinabrief.ingest"],
    "prepare": ["chinabrief.prepare", "chinabrief.quality"],
    "token_reactions": ["chinabrief.token_brief"],
    "mining_share": ["chinabrief.mining_brief"],
    "event_brief": ["chinabrief.event_brief"],
}
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
    from chinabrief.verify import copy_checkout

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
        raise SystemExit(f"[bench] {label}: `{' '.join(cmd)}` failed (exit {done.returncode}); see {log}\n"
                         + "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:]))
    ran = [key for key, _ in STATUS_LINE.findall(done.stdout)]
    records = [r for r in read_status(copy, since) if r["key"] in ran]
    print(f"[bench] {label}: {seconds:.2f} s, {len(ran)} notebook(s) run"
          + (f", index rebuilt" if INDEX_LINE.search(done.stdout) else ""), flush=True)
    return {
        "label": label,
        "command": " ".join(cmd),
        "copy": str(copy.relative_to(ROOT)),
        "seconds": round(seconds, 3),
        "stages_run": ran,
        "index_rebuilt": bool(INDEX_LINE.search(done.stdout)),
        "stage_records": [{k: r.get(k) for k in ("key", "stage", "seconds", "status", "kernel_run",
                                                  "kernel_wait_seconds", "execute_seconds")} for r in records],
        "log": str(log.relative_to(ROOT)),
    }


# ------------------------------------------------------------------- kernel and import costs


def kernel_start_seconds() -> dict:
    """Start a python3 kernel as papermill does, wait until ready, shut it down gracefully.

    Also returns the top-level modules a ready kernel has already imported (``preloaded``): the
    notebooks do not pay for those again, so the import measurement loads them before its clock.
    """
    from jupyter_client.manager import KernelManager

    from chinabrief.kernels import KERNEL_ARGS, KERNEL_NAME

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
            kc.execute_interactive(
                "import sys; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))", timeout=60,
                output_hook=lambda msg: text.append(msg["content"].get("text", "") if msg["msg_type"] == "stream" else ""))
            preloaded = [m for m in "".join(text).split() if not m.startswith(("_", "pydev", "debugpy"))]
        t2 = time.perf_counter()
        kc.stop_channels()
        km.shutdown_kernel(now=False)
        starts.append(t1 - t0)
        stops.append(time.perf_counter() - t2)
    return {"start_to_ready_runs": [round(s, 3) for s in starts], "shutdown_runs": [round(s, 3) for s in stops],
            "start_to_ready": round(statistics.median(starts), 3), "shutdown": round(statistics.median(stops), 3),
            "total": round(statistics.median(starts) + statistics.median(stops), 3), "preloaded": preloaded}


def import_seconds(modules: list[str], preloaded: list[str] = ()) -> dict:
    """Time ``import <modules>`` in fresh plain-Python subprocesses (median of REPEATS).

    ``preloaded`` modules are imported first, before the clock starts (what a ready kernel holds).
    Also returns the whole process's wall time (interpreter start + preloads + the imports).
    """
    code = ("import importlib, time\n"
            f"for m in {list(preloaded)!r}:\n"
            "    try:\n        importlib.import_module(m)\n    except Exception:\n        pass\n"
            "t = time.perf_counter()\n"
            + "".join(f"import {m}\n" for m in modules)
            + "print(time.perf_counter() - t)")
    runs, walls = [], []
    for _ in range(REPEATS):
        start = time.perf_counter()
        done = subprocess.run([str(PY), "-c", code], cwd=ROOT / "notebooks", env=copy_env(ROOT),
                              capture_output=True, text=True, check=True)
        walls.append(time.perf_counter() - start)
        runs.append(float(done.stdout.strip().splitlines()[-1]))
    return {"modules": modules, "preloaded_first": bool(preloaded), "runs": [round(r, 3) for r in runs],
            "median": round(statistics.median(runs), 3), "process_wall_median": round(statistics.median(walls), 3)}


def export_seconds(copy: Path, n_processes: int) -> dict:
    """Re-export the copy's executed notebooks to HTML as the runner does (first one cold).

    ``n_processes``: runner processes that export; each pays the template loading once.
    """
    import nbformat

    from chinabrief import export

    def one(nb_path: Path) -> float:
        nb = nbformat.read(nb_path, as_version=4)
        start = time.perf_counter()
        export.to_html(nb, title="bench", index_href="index.html", notebook_href=f"notebooks/{nb_path.name}",
                       notebook_name=nb_path.name)
        return time.perf_counter() - start

    # the ingest stage publishes no brief
    notebooks = [p for p in sorted((copy / "reports" / "notebooks").glob("*.ipynb")) if not p.name.startswith("01_")]
    if not notebooks:
        return {"per_notebook_warm": {}, "cold_extra": 0.0, "estimate": 0.0, "n_exports": 0}
    first_cold = one(notebooks[0])  # a fresh process (as each runner is) pays template loading once
    warm = {p.stem: round(one(p), 3) for p in notebooks}
    cold_extra = max(first_cold - warm[notebooks[0].stem], 0.0)
    return {"per_notebook_warm": warm, "first_cold": round(first_cold, 3), "cold_extra": round(cold_extra, 3),
            "estimate": round(sum(warm.values()) + cold_extra * n_processes, 3),
            "n_exports": len(notebooks)}


def timed(copy: Path, args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([str(PY), *args], cwd=copy, env=copy_env(copy), capture_output=True, check=True)
    return round(time.perf_counter() - start, 3)


# --------------------------------------------------------------------- single plain process


def single_process(root: Path, snapshot: str, render: bool) -> dict:
    """Run every stage's computation in this one process; return step timings.

    ``render``: call the stages' ``show_brief`` functions (HTML strings and PNG figures are built,
    IPython's ``display`` is a no-op) instead of only the computation functions.
    """
    steps: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        steps[name] = round(steps.get(name, 0.0) + now - t, 3)
        t = now

    if render:
        import IPython.display

        IPython.display.display = lambda *args, **kwargs: None  # before the package binds it
    import pandas as pd

    from chinabrief import event_brief, ingest, mining_brief, prepare, quality, reactions, token_brief, token_study
    from chinabrief import params as params_mod
    from chinabrief.config import Paths

    P = Paths(root)
    values = params_mod.load(P.params, [f"snapshot={snapshot}"])
    stage = {name: params_mod.for_stage(values, name) for name in params_mod.STAGE_PARAMS}
    lap("imports")

    entries = ingest.run(P, **stage["ingest"])
    if render:
        from chinabrief import display

        display.show_table(ingest.summary(entries), caption="Files imported into data/raw, by dataset")
    lap("ingest")

    pp = stage["prepare"]
    prepared = prepare.prepare(P, pp["tokens"], pp["include_extended"], pp["source_priority"], pp["cutoff_hour_utc"])
    written = prepare.write(P, prepared)
    if render:
        quality.show_brief(prepared, written, tokens=pp["tokens"], source_priority=pp["source_priority"],
                           cutoff_hour_utc=pp["cutoff_hour_utc"])
    lap("prepare")

    def with_extended(tokens: list[str], include_extended: bool) -> list[str]:
        if not include_extended:
            return list(tokens)
        universe = pd.read_csv(P.universe, dtype=str, keep_default_na=False)
        return list(tokens) + [s for s in universe.loc[universe["group"].eq("extended"), "symbol"] if s not in tokens]

    tp = stage["token_reactions"]
    if render:
        token_brief.show_brief(P, **tp)
    else:
        tables = prepare.load(P)
        tokens = with_extended(tp["tokens"], tp["include_extended"])
        result = token_study.run(tables, tokens=tokens, benchmark=tp["benchmark"], models=tp["models"],
                                 estimation_window=tp["estimation_window"], min_estimation_obs=tp["min_estimation_obs"],
                                 event_windows=tp["event_windows"], exclude_event_days=tp["exclude_event_days"],
                                 cutoff_hour_utc=tp["cutoff_hour_utc"])
        token_study.write(P, result)
        token_study.category_table(result)
        token_study.car_matrix(result, tables["events"], tokens)
        token_study.strongest(result, tables["events"])
        claims_file = P.reference / "seed_article_claims.csv"
        if claims_file.exists():
            changes = reactions.change_24h(tables["prices_daily"], tables["prices_hourly"], tokens,
                                           token_brief.CLAIM_DAY)
            token_brief.claims_check(changes, pd.read_csv(claims_file))
    lap("token_reactions")

    month = stage["mining_share"]["mining_month"]
    if render:
        mining_brief.show_brief(P, mining_month=month)
    else:
        inputs = mining_brief.load_inputs(P)
        mining_brief.validate(inputs, month)
        mining_brief.write_tables(P, mining_brief.build_tables(inputs, month))
    lap("mining_share")

    for event_id in values.focus_events:
        ep = {**stage["event_brief"], "event_id": event_id}
        if render:
            event_brief.show_brief(P, **ep)
        else:  # what event_brief.show_brief computes, without building HTML or figures
            tables = prepare.load(P)
            tokens = with_extended(ep["tokens"], ep["include_extended"])
            ev = tables["events"].set_index("event_id").loc[event_id]
            result = token_study.run(tables, tokens=tokens, benchmark=ep["benchmark"], models=[event_brief.MODEL],
                                     estimation_window=ep["estimation_window"],
                                     min_estimation_obs=ep["min_estimation_obs"], event_windows=ep["event_windows"],
                                     exclude_event_days=ep["exclude_event_days"], cutoff_hour_utc=ep["cutoff_hour_utc"],
                                     pool_categories=False)
            car = result.car
            headline = car[car["event_id"].eq(event_id) & car["window_start"].eq(-1) & car["window_end"].eq(1)]
            event_brief.summary_sentence(headline, ep["benchmark"])
            reactions.indexed_prices(tables["prices_daily"], tokens + [ep["benchmark"]], ev["day0"], event_brief.WINDOW)
            token_brief.event_car_table(result, event_id, event_brief.MODEL)
            if isinstance(ev["time_utc"], str) and ev["time_utc"]:
                when = ev["date"] + pd.to_timedelta(f"{ev['time_utc']}:00")
                reactions.intraday_reaction(tables["prices_hourly"], tokens, ep["benchmark"], when)
        lap(f"event_brief-{event_id}")
    return {"render": render, "steps": steps, "inside_seconds": round(sum(steps.values()), 3)}


def run_single(copy: Path, snapshot: Path, render: bool) -> dict:
    """Run :func:`single_process` in a fresh plain-Python subprocess; time the whole process."""
    out = WORKDIR / "logs" / f"single{'-render' if render else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(PY), str(Path(__file__).resolve()), "--single-process", str(copy), "--snapshot", str(snapshot),
           "--out", str(out)] + (["--render"] if render else [])
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=copy, env=copy_env(copy), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"[bench] single process{' (render)' if render else ''} failed:\n{done.stdout}\n{done.stderr}")
    result = json.loads(out.read_text())
    result["process_seconds"] = round(seconds, 3)
    print(f"[bench] single process{' with rendering' if render else ''}: {seconds:.2f} s "
          f"({result['inside_seconds']:.2f} s inside, after interpreter start)", flush=True)
    return result


# ----------------------------------------------------------------------------------- report


def stage_table(cold: dict, j2: dict, kernel: dict, imports: dict, single: dict, single_render: dict) -> list[dict]:
    """One row per notebook run of the cold build, with the -j2 and single-process figures beside it."""
    j2_seconds = {r["key"]: r["seconds"] for r in j2["stage_records"]}
    order = ["ingest", "prepare", "token_reactions", "mining_share", "event_brief"]
    rows = []
    for r in sorted(cold["stage_records"], key=lambda r: (order.index(r["stage"]), r["key"])):
        fresh = r["kernel_run"] == 1
        rows.append({"key": r["key"], "stage": r["stage"], "kernel_run": r["kernel_run"], "seconds": r["seconds"],
                     "kernel_wait_seconds": r["kernel_wait_seconds"], "execute_seconds": r["execute_seconds"],
                     # what starting a kernel and importing the stage's modules costs, paid by fresh kernels
                     # only; most of it overlaps the runner's own imports (kernel_wait is what is not hidden)
                     "kernel_plus_imports_paid": round(kernel["start_to_ready"] + imports[r["stage"]]["median"], 3)
                     if fresh else 0.0,
                     "seconds_j2": j2_seconds.get(r["key"]),
                     "single_process_seconds": single["steps"].get(r["key"]),
                     "single_process_render_seconds": single_render["steps"].get(r["key"])})
    return rows


def print_report(report: dict) -> None:
    rows = report["stages"]
    width = max(len(r["key"]) for r in rows) + 2

    def cell(value) -> str:
        return f"{value:.2f}" if value is not None else "-"

    print()
    print("Per notebook run, cold sequential build (status records; see method):")
    print(f"{'run':<{width}}{'kernel':>8}{'seconds':>9}{'kernel wait':>13}{'execute':>9}{'k+i paid':>10}"
          f"{'| -j2 s':>9}{'1-proc s':>10}{'1-proc+render s':>17}")
    for r in rows:
        kernel = "fresh" if r["kernel_run"] == 1 else f"#{r['kernel_run']}"
        print(f"{r['key']:<{width}}{kernel:>8}{r['seconds']:>9.2f}{r['kernel_wait_seconds']:>13.2f}"
              f"{r['execute_seconds']:>9.2f}{r['kernel_plus_imports_paid']:>10.2f}{cell(r['seconds_j2']):>9}"
              f"{cell(r['single_process_seconds']):>10}{cell(r['single_process_render_seconds']):>17}")
    s = report["stage_sums"]
    print(f"{'sum':<{width}}{'':>8}{s['seconds']:>9.2f}{s['kernel_wait_seconds']:>13.2f}{s['execute_seconds']:>9.2f}"
          f"{s['kernel_plus_imports_paid']:>10.2f}")
    print("(kernel: a fresh kernel, or the n-th run in a shared one; kernel wait: start-up and warm-up imports not "
          "hidden behind the runner's own imports, or the reset; execute: papermill running the cells; k+i paid: "
          "ESTIMATED kernel start + the stage's imports, paid once per fresh kernel; -j2 s: the same run in the -j2 "
          "build; 1-proc s: that step in the single process, without and with figures and HTML tables)")
    o = report["outside_stages_cold"]
    print(f"\nOutside the run records (cold build): {o['measured']:.2f} s; estimated parts: "
          + ", ".join(f"{k} {v:.2f} s" for k, v in o.items() if k != "measured"))
    print()
    print("Method: " + report["method"])
    print()
    t = report["totals"]
    print("Totals:")
    print(f"  cold build (make report, fresh copy)          {t['cold_build_seconds']:8.2f} s")
    print(f"  no-op build (second make report)              {t['noop_build_seconds']:8.2f} s"
          f"   notebooks run: {len(report['noop']['stages_run'])}")
    print(f"  one-param build ({ONE_PARAM})      {t['one_param_build_seconds']:8.2f} s"
          f"   ran: {', '.join(report['one_param']['stages_run']) or 'none'}"
          f"{' + index' if report['one_param']['index_rebuilt'] else ''}"
          f" ({'as expected' if report['one_param']['as_expected'] else 'NOT as expected'})")
    print(f"  -j2 cold build (second fresh copy)            {t['j2_cold_build_seconds']:8.2f} s")
    print(f"  single process: what the notebooks compute    {t['single_process_render_seconds']:8.2f} s"
          "   (tables, statistics, figures, HTML tables)")
    print(f"  single process: statistics and tables only    {t['single_process_seconds']:8.2f} s"
          "   (no figures or HTML: less than the notebooks do)")
    print(f"  pipeline overhead (cold / what notebooks do)  {t['overhead_ratio']:8.2f} x")
    print(f"  cold / statistics-and-tables-only process     {t['overhead_ratio_vs_statistics_only']:8.2f} x"
          "   (informational)")
    print()
    print(f"Load average before/after (1 min): {report['load_average_1_5_15_before'][0]:.2f} / "
          f"{report['load_average_1_5_15_after'][0]:.2f} on {report['cpu_count']} CPU(s): other processes on the "
          "machine make these wall times noisy.")
    print()
    print("Targets:")
    for name, target in report["targets"].items():
        print(f"  {'PASS' if target['pass'] else 'MISS'}  {name}: measured {target['measured']:.2f} {target['unit']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "reports" / "bench.json"), help="JSON output path")
    parser.add_argument("--snapshot", default=str(ROOT / ".." / "shared" / "data"), help="data snapshot folder")
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
    load_before = os.getloadavg()
    print(f"[bench] snapshot {snapshot}; work in {WORKDIR.relative_to(ROOT)}; {os.cpu_count()} CPU(s)", flush=True)

    # Fixed costs first (this also warms the OS file cache for the venv, as a developer's would be).
    kernel = kernel_start_seconds()
    print(f"[bench] kernel: start-to-ready {kernel['start_to_ready']:.2f} s, shutdown {kernel['shutdown']:.2f} s "
          f"(median of {REPEATS})", flush=True)
    imports = {stage: import_seconds(COMMON_IMPORTS + mods, kernel["preloaded"]) for stage, mods in STAGE_IMPORTS.items()}
    print("[bench] imports (after the kernel's own modules): "
          + ", ".join(f"{s} {v['median']:.2f} s" for s, v in imports.items()), flush=True)
    runner_start = import_seconds(RUNNER_IMPORTS)
    print(f"[bench] runner process start (interpreter + {', '.join(RUNNER_IMPORTS)}): "
          f"{runner_start['process_wall_median']:.2f} s", flush=True)

    seq = fresh_copy("seq")
    cold = make(seq, "cold", ["report"], snapshot)
    noop = make(seq, "noop", ["report"], snapshot)
    one = make(seq, "one_param", ["report", ONE_PARAM], snapshot)
    one["as_expected"] = one["stages_run"] == ["mining_share"] and one["index_rebuilt"]
    noop["as_expected"] = not noop["stages_run"] and not noop["index_rebuilt"]

    par = fresh_copy("j2")
    j2 = make(par, "j2_cold", ["-j2", "report"], snapshot)

    n_kernels = sum(1 for r in cold["stage_records"] if r["kernel_run"] == 1)  # = runner processes + workers
    exports = export_seconds(seq, n_processes=n_kernels - 1)  # all but ingest's publish a brief
    index_seconds = timed(seq, ["-m", "chinabrief", "index"])
    print(f"[bench] HTML export of {exports['n_exports']} briefs in {n_kernels - 1} processes (estimate): "
          f"{exports['estimate']:.2f} s; index: {index_seconds:.2f} s", flush=True)

    single_copy = fresh_copy("single")
    single = run_single(single_copy, snapshot, render=False)
    single_render = run_single(single_copy, snapshot, render=True)

    rows = stage_table(cold, j2, kernel, imports, single, single_render)
    load_after = os.getloadavg()
    sums = {k: round(sum(r[k] for r in rows), 3)
            for k in ("seconds", "kernel_wait_seconds", "execute_seconds", "kernel_plus_imports_paid")}
    totals = {
        "cold_build_seconds": cold["seconds"],
        "noop_build_seconds": noop["seconds"],
        "one_param_build_seconds": one["seconds"],
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
    targets = {name: {"measured": totals[key], "limit": limit, "unit": unit, "pass": totals[key] < limit}
               for name, (key, limit, unit) in TARGETS.items()}
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                capture_output=True, text=True).stdout.strip())
    report = {
        "description": "Build pipeline benchmark: cold / no-op / one-parameter / -j2 builds in fresh copies of "
                       "the checkout, on the real data snapshot, against the same computations in one process",
        "method": (
            "A run's seconds come from the runner's status record: from the moment the runner has imported "
            "papermill and nbconvert (its kernel was started before those imports and has been importing the "
            "stage's modules meanwhile) to the end of papermill's execute_notebook. kernel_wait is the part of "
            "that spent waiting for the kernel (start-up and warm-up imports not yet done, or the reset between "
            "runs in a shared kernel); execute is papermill running the cells (computation, figures and HTML "
            "tables, plus papermill's per-cell messaging). The per-event briefs run in one kernel per worker "
            "(kernel #n = the n-th run in it). k+i paid is an ESTIMATE made outside the pipeline: a python3 "
            "kernel started with jupyter_client and waited for "
            f"({kernel['start_to_ready']:.2f} s), plus the stage notebook's imports timed in a plain "
            ".venv/bin/python subprocess after the modules a ready kernel already holds; medians of "
            f"{REPEATS} runs. The single process is one plain Python process (interpreter start included) "
            "running what the notebooks run, without kernels, papermill, nbconvert or make: ingest.run, then "
            "each stage's show_brief (statistics, tables, figures and HTML tables; IPython's display is a no-op). "
            "The pipeline overhead ratio compares the cold build with it. A second single process runs the "
            "statistics and tables only (no figures or HTML tables): that is less work than the notebooks do, "
            "so its ratio is informational. Outside-record parts: runner process start = a plain subprocess "
            "importing what `python -m chinabrief run` imports (it overlaps the kernel's start); kernel "
            "shutdown = the measured graceful shutdown, an upper bound since each kernel is asked to exit before "
            "the HTML export and exits meanwhile; HTML export = the executed notebooks re-exported with "
            "chinabrief.export.to_html (one cold template load per process); index = `python -m chinabrief "
            "index` in the built copy; make and params = the no-op build."),
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
        "j2_cold": j2,
        "single_process": single,
        "single_process_render": single_render,
        "stages": rows,
        "stage_sums": sums,
        "totals": totals,
        "targets": targets,
    }
    print_report(report)
    from chinabrief.fileio import write_json

    write_json(out, report)
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
