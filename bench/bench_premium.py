"""Benchmark of the token-reactions stage: the whole universe with the China premium against today's stage.

Issue 14's speed target: stage 03 on the whole universe (every China-linked and control token, the
catalogue's events, 3 models, 5 windows, the placebo and the robustness grid) takes at most 2x the
stage of the code before it (the five tokens only). Both run on the SAME processed tables (this
checkout's ``data/processed``, from the real snapshot), each in a copy of its own source
(``git archive`` of the base commit; this checkout's files for the current code) with
``PYTHONPATH=<copy>/src``, one stage run through the runner (fresh kernel, papermill, nbconvert),
alternately, ``--repeats`` times each; the minimum is reported (the machine is shared).

``data/raw`` is linked, not copied (stage 03 only reads it).

Usage: ``.venv/bin/python bench/bench_premium.py [--base REF] [--repeats 2] [--out reports/bench_premium.json]``.
The base defaults to ``git merge-base HEAD main`` (today's code on main).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKDIR = ROOT / "build" / "bench" / "premium"
PY = ROOT / ".venv" / "bin" / "python"
LIMIT = 2.0


def env_for(copy: Path) -> dict[str, str]:
    drop = {"CHINABRIEF_ROOT", "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES", "PYTHONPATH"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONPATH"] = str(copy / "src")
    return env


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


def copy_of(ref: str | None, name: str) -> Path:
    """A copy of the source at ``ref`` (None: this checkout's files), with this checkout's processed data."""
    dest = WORKDIR / name
    shutil.rmtree(dest, ignore_errors=True)
    if ref is None:
        from chinabrief.pipeline.verify import copy_checkout

        copy_checkout(ROOT, dest)
    else:
        dest.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", ref], cwd=ROOT, check=True, capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(dest, filter="data")
        os.symlink((ROOT / ".venv").resolve(), dest / ".venv")
    shutil.rmtree(dest / "data" / "processed", ignore_errors=True)
    shutil.copytree(ROOT / "data" / "processed", dest / "data" / "processed")
    shutil.rmtree(dest / "data" / "raw", ignore_errors=True)
    os.symlink((ROOT / "data" / "raw").resolve(), dest / "data" / "raw")  # read only (the data section)
    return dest


def stage_parameters(copy: Path) -> Path:
    """The copy's own token_reactions parameter file (its params.yaml and params.py, as make writes it)."""
    import yaml

    snapshot = (ROOT / yaml.safe_load((ROOT / "params.yaml").read_text())["snapshot"]).resolve()
    env = env_for(copy) | {"CHINABRIEF_MAKE_SNAPSHOT": str(snapshot)}
    done = subprocess.run(
        [str(PY), "-m", "chinabrief", "params", "--dir", "build/params"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"[bench] parameters failed in {copy}:\n{done.stdout}{done.stderr}")
    return copy / "build" / "params" / "token_reactions.json"


def run_stage(copy: Path, params: Path) -> dict:
    start = time.perf_counter()
    done = subprocess.run(
        [str(PY), "-m", "chinabrief", "run", "token_reactions", "--params", str(params)],
        cwd=copy,
        env=env_for(copy),
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"[bench] stage failed in {copy}:\n" + (done.stdout + done.stderr)[-3000:])
    record = json.loads((copy / "build" / "status" / "token_reactions.json").read_text())
    return {
        "wall_seconds": round(seconds, 2),
        "stage_seconds": record.get("seconds"),
        "kernel_wait_seconds": record.get("kernel_wait_seconds"),
        "execute_seconds": record.get("execute_seconds"),
    }


def universe_size(copy: Path) -> dict:
    groups = copy / "data" / "processed" / "universe_groups.csv"
    if not groups.is_file():
        return {}
    import pandas as pd

    frame = pd.read_csv(groups)
    returns = pd.read_parquet(copy / "data" / "processed" / "returns.parquet", columns=["token"])
    have = set(returns["token"])
    counts = frame[frame["token"].isin(have)]["group"].value_counts().to_dict()
    return {k: int(counts.get(k, 0)) for k in ("china_linked", "control")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=None, help="git ref of today's code (default: merge-base of HEAD and main)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench_premium.json")
    args = parser.parse_args()
    if not (ROOT / "data" / "processed" / "returns.parquet").is_file():
        raise SystemExit("[bench] data/processed is empty: run `make data` first")
    base = args.base or git("merge-base", "HEAD", "main")
    copies = {
        "today (base, five tokens)": copy_of(base, "base"),
        "universe + premium (this checkout)": copy_of(None, "head"),
    }
    params = {name: stage_parameters(copy) for name, copy in copies.items()}
    runs = {name: [] for name in copies}
    for i in range(args.repeats):
        for name, copy in copies.items():
            result = run_stage(copy, params[name])
            runs[name].append(result)
            print(
                f"[bench] {name} run {i + 1}: {result['stage_seconds']} s (execute {result['execute_seconds']} s)",
                flush=True,
            )
    best = {name: min(r["stage_seconds"] for r in rs) for name, rs in runs.items()}
    today, now = best.values()
    head_params = json.loads(params["universe + premium (this checkout)"].read_text())["parameters"]
    report = {
        "base_commit": git("rev-parse", base),
        "head_commit": git("rev-parse", "HEAD"),
        "runs": runs,
        "best_stage_seconds": best,
        "ratio": round(now / today, 2),
        "limit": LIMIT,
        "passes": now <= LIMIT * today,
        "universe": universe_size(copies["universe + premium (this checkout)"]),
        "premium_placebo_draws": head_params.get("premium_placebo_draws"),
        "models": head_params.get("models"),
        "event_windows": head_params.get("event_windows"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_average": os.getloadavg()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"[bench] token_reactions stage: today {today:.1f} s, universe + premium {now:.1f} s, ratio "
        f"{now / today:.2f} (limit {LIMIT:.0f}x): {'ok' if report['passes'] else 'SLOWER THAN THE LIMIT'}"
    )


if __name__ == "__main__":
    sys.exit(main())
