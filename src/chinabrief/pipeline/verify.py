"""``make verify``: build twice from the same inputs in two fresh copies and compare every byte.

Compared: every file under ``reports/`` and ``data/processed/``. Left out, on purpose: the run
record (``reports/run.json``, ``reports/run.js``: durations and the commit), which is made to
differ by design. Everything else must be byte-identical.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

#: Files that record the run itself (timings), excluded from the comparison.
RUN_RECORD = {"reports/run.json", "reports/run.js"}
COMPARED = ("reports", "data/processed")


def source_files(root: Path) -> list[str]:
    """Files of the checkout: tracked plus untracked-but-not-ignored (what a commit would hold)."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted(p for p in out.split("\0") if p and (root / p).is_file())


def copy_checkout(root: Path, dest: Path) -> Path:
    """Copy the checkout's source files to ``dest`` (times preserved) and link its ``.venv``.

    Modification times are preserved so the copy's ``.venv/.installed`` stays newer than its lock
    file and Make does not reinstall.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for rel in source_files(root):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, target)
    venv = root / ".venv"
    if venv.exists() and not (dest / ".venv").exists():
        os.symlink(venv.resolve(), dest / ".venv")
    return dest


def checksums(root: Path) -> dict[str, str]:
    """SHA-256 of every compared file, keyed by its path relative to ``root``."""
    sums = {}
    for folder in COMPARED:
        base = root / folder
        if not base.is_dir():
            continue
        for file in sorted(base.rglob("*")):
            rel = file.relative_to(root).as_posix()
            if file.is_file() and rel not in RUN_RECORD:
                sums[rel] = hashlib.sha256(file.read_bytes()).hexdigest()
    return sums


def differences(a: dict[str, str], b: dict[str, str]) -> list[str]:
    """Human-readable differences between two checksum maps (empty when identical).

    Examples
    --------
    >>> differences({"x": "1", "y": "2"}, {"x": "1", "y": "3", "z": "4"})
    ['differs: y', 'only in second build: z']
    """
    out = [f"differs: {k}" for k in sorted(set(a) & set(b)) if a[k] != b[k]]
    out += [f"only in first build: {k}" for k in sorted(set(a) - set(b))]
    out += [f"only in second build: {k}" for k in sorted(set(b) - set(a))]
    return out


def build(copy: Path, snapshot: Path) -> None:
    """Run ``make report`` in a copy; raise with its output when it fails."""
    env = {k: v for k, v in os.environ.items() if k not in ("CHINABRIEF_ROOT", "MAKEFLAGS", "MAKELEVEL")}
    env["PYTHONPATH"] = str(copy / "src")  # the copy's own code, not the checkout the venv points at
    done = subprocess.run(["make", "report", f"SNAPSHOT={snapshot}"], cwd=copy, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"make report failed in {copy}:\n{done.stdout}\n{done.stderr}")


def verify(root: Path, snapshot: Path, workdir: Path) -> list[str]:
    """Build twice in fresh copies under ``workdir`` and return the differences."""
    shutil.rmtree(workdir, ignore_errors=True)
    sums = []
    for name in ("first", "second"):
        copy = copy_checkout(root, workdir / name)
        build(copy, snapshot.resolve())
        sums.append(checksums(copy))
    return differences(*sums)
