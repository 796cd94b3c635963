"""Who holds what: process identities, and the build lock (one build per checkout at a time).

A process is identified by its PID *and* its start time (from ``/proc/<pid>/stat`` where that
exists), so a PID the system has recycled is not mistaken for the process that wrote it. The
publication transactions (:mod:`chinabrief.publish`) and the kernel connection files
(:mod:`chinabrief.pipeline.kernels`) use the same identity to tell a live writer from a dead one.

The build lock is ``build/lock``: a small JSON file naming the ``make`` process that holds it
(PID, start time, command line). ``make`` takes it first, before it writes the parameter files
(``python -m chinabrief lock --holder $$PPID`` in the rule of ``build/params/params.mk``), and
holds it until it exits: nothing releases it, a holder that is no longer running simply does not
count. A second ``make report`` in the same checkout stops at once with a message naming the
holder, so two builds (with different parameters or not) never interleave. A runner started
outside that ``make`` (by hand, while a build runs) is stopped the same way (:func:`check`).
A short ``flock`` on ``build/.lock.guard`` makes the check-and-take atomic.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from .exceptions import BuildLockedError

LOCK_FILE = "lock"
GUARD_FILE = ".lock.guard"


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of ``/proc/<pid>/stat`` after the command name (None where there is no /proc)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot, or ``""`` where /proc is missing."""
    fields = _stat_fields(pid)
    return fields[19] if fields and len(fields) > 19 else ""


def parent_of(pid: int) -> int | None:
    """The parent PID of ``pid`` (None when unknown)."""
    if pid == os.getpid():
        return os.getppid()
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else None


def command_of(pid: int) -> str:
    """The process's command line, for messages (``""`` when unknown)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)


@dataclass(frozen=True)
class Holder:
    """A process: its PID, its start time and (for messages) its command line."""

    pid: int
    started: str = ""
    command: str = ""

    @classmethod
    def of(cls, pid: int | None = None) -> Holder:
        """The identity of process ``pid`` (this process by default)."""
        pid = os.getpid() if pid is None else pid
        return cls(pid, start_time(pid), command_of(pid))

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        """Read a holder written by :meth:`dumps`; None for an empty or unreadable text."""
        try:
            data = json.loads(text)
            return cls(int(data["pid"]), str(data.get("started", "")), str(data.get("command", "")))
        except (ValueError, KeyError, TypeError):
            return None

    def dumps(self) -> str:
        """JSON text of this holder."""
        return json.dumps(asdict(self), sort_keys=True) + "\n"

    def alive(self) -> bool:
        """Whether this very process (same PID and start time) is still running."""
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # someone else's process: it exists
        started = start_time(self.pid)
        if started and self.started and started != self.started:
            return False  # the PID was recycled
        fields = _stat_fields(self.pid)
        return not (fields and fields[0] == "Z")  # a zombie has exited

    def describe(self) -> str:
        """``PID 123 (make report TOKENS=TRX)`` for messages."""
        return f"PID {self.pid}" + (f" ({self.command})" if self.command else "")


def read(lock: Path) -> Holder | None:
    """The holder named in a lock file (None when there is none)."""
    try:
        return Holder.parse(lock.read_text())
    except OSError:
        return None


def _locked_message(lock: Path, holder: Holder) -> str:
    return (
        f"another build is running in this checkout: {holder.describe()} holds {lock.parent.name}/{lock.name}. "
        "Wait for it to finish (or stop it), then run make again; two builds never run at once."
    )


def acquire(build: Path, pid: int) -> Holder:
    """Take the build lock for process ``pid`` (the ``make`` that runs the build).

    Parameters
    ----------
    build : Path
        The checkout's ``build/`` folder (created if missing).
    pid : int
        The process the lock is held for; it holds it until it exits.

    Returns
    -------
    Holder
        The new holder.

    Raises
    ------
    BuildLockedError
        When another live process holds the lock (the message names it).
    """
    import fcntl

    from . import fileio

    build.mkdir(parents=True, exist_ok=True)
    lock = build / LOCK_FILE
    me = Holder.of(pid)
    with open(build / GUARD_FILE, "a") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # released when the file closes
        current = read(lock)
        if current is not None and (current.pid, current.started) != (me.pid, me.started) and current.alive():
            raise BuildLockedError(_locked_message(lock, current))
        fileio.write_text(lock, me.dumps())
    return me


def ancestors(pid: int | None = None) -> list[int]:
    """``pid`` (this process by default) and its ancestors' PIDs, nearest first."""
    out = []
    current: int | None = os.getpid() if pid is None else pid
    while current and current not in out:
        out.append(current)
        current = parent_of(current)
    return out


def check(build: Path) -> None:
    """Refuse to run when a live build holds the lock and is not an ancestor of this process.

    Raises
    ------
    BuildLockedError
        Naming the holder.
    """
    lock = build / LOCK_FILE
    holder = read(lock)
    if holder is None or not holder.alive():
        return
    if holder.pid in ancestors():
        return
    raise BuildLockedError(_locked_message(lock, holder))
