"""Shared fixtures: one full build of the pipeline on the real snapshot, in a fresh copy.

The build runs with a fake CoinGecko API key in its environment, so tests can check that no
output ever carries it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from chinabrief.pipeline import verify

ROOT = Path(__file__).resolve().parents[1]
#: The default snapshot (v2, params.yaml) and version 1, which must still build.
SNAPSHOT_V2 = (ROOT / ".." / "shared" / "data-v2").resolve()
SNAPSHOT_V1 = (ROOT / ".." / "shared" / "data").resolve()
SNAPSHOT = SNAPSHOT_V2
FAKE_API_KEY = "CG-test-key-must-never-appear-0123456789"


def make_env(copy: Path, env_extra: dict | None = None) -> dict:
    """The environment :func:`make` runs in: a clean one plus a fake API key."""
    env = {k: v for k, v in os.environ.items() if k not in ("CHINABRIEF_ROOT", "MAKEFLAGS", "MAKELEVEL")}
    env["COINGECKO_API_KEY"] = FAKE_API_KEY
    env["PYTHONPATH"] = str(copy / "src")  # the copy's own code, not the checkout the venv points at
    env.update(env_extra or {})
    return env


def make(copy: Path, *args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    """Run make in a copy of the checkout, with a clean environment plus a fake API key."""
    # -o: never reinstall the shared venv from a copy (a copy's install would point it at the copy);
    # a copy without a venv sets one up of its own as usual
    keep_venv = ["-o", ".venv/.installed"] if (copy / ".venv").is_symlink() else []
    return subprocess.run(
        ["make", *keep_venv, *args],
        cwd=copy,
        env=make_env(copy, env_extra),
        capture_output=True,
        text=True,
        timeout=1800,
    )


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """A fresh copy of the checkout after a successful `make report` on the snapshot."""
    if not (SNAPSHOT / "SHA256SUMS").is_file():
        pytest.skip(f"no data snapshot at {SNAPSHOT}")
    copy = verify.copy_checkout(ROOT, tmp_path_factory.mktemp("pipeline") / "repo")
    done = make(copy, "report", f"SNAPSHOT={SNAPSHOT}")
    (copy / "build" / "first-build.log").write_text(done.stdout + done.stderr)
    assert done.returncode == 0, done.stdout + done.stderr
    return copy
