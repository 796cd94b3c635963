"""The Jupyter kernels the runner executes notebooks in.

:meth:`Kernel.start` launches the kernel and asks it to import the notebook's modules before the
runner itself imports papermill and nbconvert, so on a machine with two cores the kernel's
start-up and imports overlap the runner's. The runs of one lane of per-event briefs (one notebook,
different ``event_id``) reuse one kernel, and :meth:`Kernel.reset` clears it between runs: IPython's
state (namespace, history, execution count) and the process state saved after the warm-up
(:mod:`chinabrief.pipeline.kernel_state`). A fresh kernel per brief measured 1.2-1.4x slower
(README, "Fresh kernels against shared kernels"). Different notebooks never share a kernel, and a
kernel that saw a failure is never reused.

Connection files (they hold the kernel's HMAC key) are written where the caller says, the runner
says ``build/kernels/``, named ``kernel-<runner pid>-<random>.json``; :meth:`Kernel.shutdown`
removes them, the runner shuts its kernels down on SIGTERM and SIGINT too, and :func:`sweep`
removes the files of runners that were killed outright (SIGKILL) when the next one starts.

This module imports only ``jupyter_client`` so that the kernel can be started before anything heavy.
"""

from __future__ import annotations

import os
import queue
import re
import time
import uuid
from pathlib import Path

from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from ..exceptions import StageFailedError

#: The kernel the runner starts, whatever kernel the notebook names: ipykernel's own ``python3``,
#: which jupyter_client resolves to the interpreter running the build (the venv's, under make).
#: The committed notebooks name ``chinabrief``, the venv's kernel that `make lab` opens them on;
#: both run the same .venv/bin/python (tests/test_lab.py), but only this one cannot be shadowed
#: by a kernelspec of that name installed elsewhere (e.g. ~/.local/share/jupyter).
KERNEL_NAME = "python3"
#: Said wherever a kernel is found dead: the two usual causes.
DEATH_CAUSES = "out of memory, or a crash in a compiled library"
KERNEL_ARGS = [
    "--IPKernelApp.log_level=CRITICAL",  # the kernel's start-up warnings are not our log's business
    "--HistoryManager.hist_file=:memory:",  # what nbclient passes to the kernels it starts itself
]


#: Run (silently) before every notebook run in a kernel that already ran one: IPython's own state
#: (namespace, In/Out history, execution counter), then the process state (kernel_state.py).
RESET_CODE = """\
get_ipython().reset(new_session=True)
import chinabrief.pipeline.kernel_state as _kernel_state
_kernel_state.restore()
del _kernel_state
"""


class _TrackingKernelManager(AsyncKernelManager):
    """A kernel manager that remembers the clients it hands out.

    nbclient does not stop the client it creates when it was given a running kernel (it does not
    own it); :meth:`Kernel.close_clients` stops them after the run, before the kernel exits.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.clients_handed_out: list = []

    def client(self, **kwargs):
        client = super().client(**kwargs)
        self.clients_handed_out.append(client)
        return client


def warm_code(modules: tuple[str, ...]) -> str:
    """Code that imports ``modules`` and saves the process state, binding no name for the user."""
    lines = ["import importlib as _importlib"]
    lines += [f"_importlib.import_module({name!r})" for name in modules]
    lines += ["_importlib.import_module('chinabrief.pipeline.kernel_state').save()", "del _importlib"]
    return "\n".join(lines) + "\n"


class Kernel:
    """One running kernel: its manager (handed to papermill) and a client for silent requests.

    Parameters
    ----------
    km : _TrackingKernelManager
        The manager of a started kernel.
    """

    def __init__(self, km: _TrackingKernelManager) -> None:
        self.km = km
        self.runs = 0  # notebook runs started in this kernel
        self.released = False  # asked to exit (see release)
        self.stopped = False  # shut down (see shutdown)
        self._pending_what = ""  # what the pending request does, for error messages
        self._client = BlockingKernelClient()
        self._client.load_connection_info(km.get_connection_info())
        # shell for the silent requests, control for the shutdown request; nothing else is read
        self._client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=True)
        self._pending: str | None = None  # msg_id of a silent request not yet answered

    @classmethod
    def start(
        cls,
        cwd: Path,
        warm_modules: tuple[str, ...] = (),
        *,
        env: dict[str, str] | None = None,
        connection_dir: Path | None = None,
    ) -> Kernel:
        """Start a kernel in ``cwd`` and send it ``import warm_modules`` (without waiting).

        Parameters
        ----------
        cwd : Path
            The kernel's working directory (the notebooks' folder, as in JupyterLab).
        warm_modules : tuple of str
            Modules the notebook will import; importing them early is harmless and overlaps
            with the runner's own imports.
        env : dict, optional
            The kernel's environment (this process's by default).
        connection_dir : Path, optional
            Where to write the connection file (Jupyter's runtime folder by default); created
            with mode 0700. The file is removed by :meth:`shutdown`.

        Returns
        -------
        Kernel

        Raises
        ------
        StageFailedError
            If the kernel cannot be started.
        """
        kwargs = {}
        if connection_dir is not None:
            connection_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            kwargs["connection_file"] = str(connection_dir / f"kernel-{os.getpid()}-{uuid.uuid4().hex[:12]}.json")
        km = _TrackingKernelManager(kernel_name=KERNEL_NAME, **kwargs)
        launch = {"env": dict(env)} if env is not None else {}
        try:
            run_sync(km.start_kernel)(extra_arguments=list(KERNEL_ARGS), cwd=str(cwd), **launch)
        except BaseException as exc:  # no such kernelspec, cannot launch the interpreter, ...
            run_sync(km.cleanup_resources)()  # its connection file
            if not isinstance(exc, Exception):
                raise
            raise StageFailedError(
                f"could not start the '{KERNEL_NAME}' kernel in {cwd}: {type(exc).__name__}: {exc}"
            ) from exc
        kernel = cls(km)
        kernel._pending = kernel._client.execute(warm_code(warm_modules), silent=True, store_history=False)
        kernel._pending_what = f"starting and importing {', '.join(warm_modules) or 'nothing'}"
        return kernel

    def is_alive(self) -> bool:
        """Whether the kernel process is still running."""
        return bool(run_sync(self.km.is_alive)())

    def wait(self, timeout: float) -> dict:
        """Wait until the warm-up request has been answered; return its reply.

        A warm-up import that fails is ignored here: the notebook's own import cell raises the
        same error, in a cell, with a traceback.

        Returns
        -------
        dict
            The reply's content (``status``, and ``ename``/``evalue`` on error); empty if nothing
            was pending.

        Raises
        ------
        StageFailedError
            If the kernel dies or does not answer within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        content: dict = {}
        while self._pending is not None:
            try:
                reply = self._client.get_shell_msg(timeout=1.0)
            except queue.Empty:
                if not self.is_alive():
                    raise StageFailedError(f"the kernel died ({self._pending_what}; {DEATH_CAUSES})") from None
                if time.monotonic() > deadline:
                    raise StageFailedError(
                        f"the kernel did not become ready within {timeout:.0f} s ({self._pending_what})"
                    ) from None
                continue
            if reply["parent_header"].get("msg_id") == self._pending:
                self._pending = None
                content = reply["content"]
        return content

    def reset(self, timeout: float) -> None:
        """Clear what the previous notebook run left in the kernel (see :data:`RESET_CODE`).

        Raises
        ------
        StageFailedError
            If the reset fails: the kernel must then not be reused.
        """
        self.wait(timeout)
        self._pending = self._client.execute(RESET_CODE, silent=True, store_history=False)
        self._pending_what = "resetting it between runs"
        reply = self.wait(timeout)
        if reply.get("status") != "ok":
            raise StageFailedError(f"could not reset the kernel: {reply.get('ename')}: {reply.get('evalue')}")

    def close_clients(self) -> None:
        """Stop the clients papermill created for the last run (see :class:`_TrackingKernelManager`)."""
        for client in self.km.clients_handed_out:
            client.stop_channels()
        self.km.clients_handed_out.clear()

    def release(self) -> None:
        """Ask the kernel to exit, without waiting: it exits while the runner exports the HTML.

        Call when the kernel has run its last notebook; :meth:`shutdown` then only waits.
        """
        self._client.shutdown()  # a shutdown_request on the control channel
        self.released = True

    def shutdown(self, now: bool = False) -> None:
        """Stop the clients and the kernel (gracefully; killed if it does not exit) and remove its
        connection file.

        Parameters
        ----------
        now : bool
            Kill the kernel at once (the runner was interrupted) instead of asking it to exit.
        """
        if self.stopped:
            return
        self.stopped = True
        self.close_clients()
        self._client.stop_channels()
        if not self.km.has_kernel:
            run_sync(self.km.cleanup_resources)()
            return
        if self.released and not now:
            run_sync(self.km.finish_shutdown)(pollinterval=0.02)  # waits (SIGTERM, then SIGKILL, if it hangs)
            run_sync(self.km.cleanup_resources)()
        else:
            run_sync(self.km.shutdown_kernel)(now=now)


#: ``kernel-<pid of the process that started it>-<random>.json``
_CONNECTION_FILE = re.compile(r"^kernel-(\d+)-[0-9a-f]+\.json$")


def sweep(connection_dir: Path) -> list[Path]:
    """Remove connection files left by processes that no longer run (killed with SIGKILL).

    Their kernels have exited by then (ipykernel exits when its parent does).

    Returns
    -------
    list of Path
        The files removed.
    """
    removed = []
    for file in sorted(connection_dir.glob("kernel-*.json")) if connection_dir.is_dir() else []:
        match = _CONNECTION_FILE.match(file.name)
        if not match:
            continue
        try:
            os.kill(int(match.group(1)), 0)
            continue  # a live runner's kernel
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        file.unlink(missing_ok=True)
        removed.append(file)
    return removed
