"""locks.py: one build per checkout; a dead holder does not count; the message names the holder."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chinabrief import locks
from chinabrief.exceptions import BuildLockedError


@pytest.fixture
def sleeper():
    """A live process that is not this test's ancestor (stands for another make)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc
    proc.kill()
    proc.wait()


def test_a_second_holder_is_refused_with_the_holders_pid_and_command(tmp_path, sleeper):
    locks.acquire(tmp_path / "build", sleeper.pid)
    with pytest.raises(
        BuildLockedError,
        match=rf"another build is running in this checkout: PID {sleeper.pid} "
        r"\(.*python.*time.sleep\(60\)\) holds build/lock",
    ):
        locks.acquire(tmp_path / "build", os.getpid())


def test_the_same_holder_may_take_it_again(tmp_path, sleeper):
    locks.acquire(tmp_path / "build", sleeper.pid)
    locks.acquire(tmp_path / "build", sleeper.pid)  # make re-executing itself after params.mk changed


def test_a_dead_holder_does_not_count(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    locks.acquire(tmp_path / "build", proc.pid)
    proc.wait()
    assert locks.acquire(tmp_path / "build", os.getpid()).pid == os.getpid()


def test_a_recycled_pid_does_not_count(tmp_path, sleeper):
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "lock").write_text(locks.Holder(sleeper.pid, "1", "make report").dumps())
    assert locks.acquire(tmp_path / "build", os.getpid()).pid == os.getpid()


def test_a_runner_beside_a_running_build_stops_but_not_under_its_own_make(tmp_path, sleeper):
    locks.acquire(tmp_path / "build", sleeper.pid)
    with pytest.raises(BuildLockedError, match=f"PID {sleeper.pid}"):
        locks.check(tmp_path / "build")
    (tmp_path / "build" / "lock").unlink()  # the other build ended
    locks.acquire(tmp_path / "build", os.getppid())  # held by this process's parent: the runner's own make
    locks.check(tmp_path / "build")
