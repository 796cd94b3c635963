"""Run one pipeline stage: validated parameters → papermill → normalise → nbconvert HTML.

A stage publishes all or nothing (:mod:`chinabrief.publish`): the data its notebook writes, its
executed notebook (``reports/notebooks/``), its brief and its status record (``build/status/``,
read by the index page and ``reports/run.json``) are staged and published as one set when the
whole notebook succeeded. A failed run publishes nothing of that: the previous brief stays, with
the executed notebook it links to and the data it was built from; the failed executed notebook
and its rendering go to ``reports/failed/`` (the failure page links the notebook beside it), and
the message says which notebook and cell failed.

:func:`run` is what ``python -m chinabrief run`` calls: it starts the stage's kernel first (see
:mod:`chinabrief.kernels`), runs the per-event briefs one after another in one kernel per worker,
and uses as many workers as ``make -jN`` allows.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import fileio, kernels, locks, publish
from .config import Paths
from .exceptions import StageFailedError
from .kernels import DEATH_CAUSES, KERNEL_NAME, Kernel

#: Seconds a kernel may take to start and import the stage's modules, however short the cell timeout.
KERNEL_READY_SECONDS = 60

# papermill, nbformat and nbconvert (about 0.8 s of imports) are imported inside run_stage, after
# the kernel has been started: the kernel boots on the other core meanwhile.

@dataclass(frozen=True)
class Stage:
    """One notebook of the pipeline and the brief it publishes (if any)."""

    name: str
    notebook: str
    brief: str | None
    title: str
    #: What the notebook imports, imported while the kernel waits for the runner (see kernels.py).
    warm: tuple[str, ...] = ()
    #: For a stage run once per item (event, article): the parameter that names the item; the
    #: brief's path holds it as ``{item_param}``.
    item_param: str = "event_id"

    def key(self, event_id: str | None = None) -> str:
        """Identifier of one run (the stage, or stage and event for per-event briefs)."""
        return f"{self.name}-{event_id}" if event_id else self.name

    def executed_name(self, event_id: str | None = None) -> str:
        stem = Path(self.notebook).stem
        return f"{stem}-{event_id}.ipynb" if event_id else f"{stem}.ipynb"

    def brief_path(self, event_id: str | None = None) -> str | None:
        if self.brief is None:
            return None
        return self.brief.format(**{self.item_param: event_id}) if event_id else self.brief

    @property
    def per_event(self) -> bool:
        """Run once per item (event, article); such a stage writes no data files."""
        return bool(self.brief and "{" + self.item_param + "}" in self.brief)


STAGES: dict[str, Stage] = {
    stage.name: stage
    for stage in [
        Stage("ingest", "01_ingest.ipynb", None, "Data import", ("chinabrief.ingest", "chinabrief.render.ingest_tables")),
        Stage("prepare", "02_prepare.ipynb", "data-quality.html", "Data quality and provenance",
              ("chinabrief.prepare", "chinabrief.data_quality", "chinabrief.data_sources",
               "chinabrief.render.data_tables", "chinabrief.render.quality_tables")),
        Stage("token_reactions", "03_token_reactions.ipynb", "token-reactions.html",
              "Token reactions to US–China trade news",
              ("chinabrief.token_reactions", "chinabrief.data_sources", "chinabrief.render.token_charts",
               "chinabrief.render.token_tables", "chinabrief.render.data_tables")),
        Stage("mining_share", "04_mining_share.ipynb", "mining-share.html", "Where Bitcoin is mined",
              ("chinabrief.mining_share", "chinabrief.data_sources", "chinabrief.render.mining_charts",
               "chinabrief.render.mining_tables", "chinabrief.render.data_tables")),
        Stage("event_brief", "05_event_brief.ipynb", "events/{event_id}.html", "Event brief",
              ("chinabrief.event_reaction", "chinabrief.data_sources", "chinabrief.render.token_charts",
               "chinabrief.render.token_tables", "chinabrief.render.data_tables")),
        Stage("article_check", "06_article_check.ipynb", "articles/{article_id}.html", "Article check",
              ("chinabrief.article_check", "chinabrief.render.claim_tables", "chinabrief.render.claim_charts"),
              item_param="article_id"),
    ]
}


def status_path(paths: Paths, key: str) -> Path:
    """``build/status/<key>.json``: the record of a run's last build."""
    return paths.build / "status" / f"{key}.json"


def connection_dir(paths: Paths) -> Path:
    """``build/kernels/``: the kernels' connection files (they hold the kernels' keys)."""
    return paths.build / "kernels"


def start_kernel(paths: Paths, stage: Stage) -> Kernel:
    """Start a stage's kernel: connection file under ``build/kernels/``; a stage that runs once
    (not per event) is told its transaction's staging folder (``$CHINABRIEF_STAGING``), where its
    notebook's writers put the data files (see :func:`chinabrief.publish.writing`)."""
    env = {k: v for k, v in os.environ.items() if k != publish.STAGING_ENV}
    if not stage.per_event:
        env[publish.STAGING_ENV] = str(publish.Transaction(paths, stage.key()).files)
    return Kernel.start(paths.notebooks, stage.warm, env=env, connection_dir=connection_dir(paths))


def run_stage(
    paths: Paths,
    stage_name: str,
    parameters: dict,
    *,
    event_id: str | None = None,
    cell_timeout: int = 600,
    kernel: Kernel | None = None,
    last_run: bool = False,
) -> dict:
    """Execute one stage's notebook and publish its brief.

    Parameters
    ----------
    paths : Paths
        The project's paths.
    stage_name : str
        A key of :data:`STAGES`.
    parameters : dict
        Validated parameters for this stage (see :func:`chinabrief.params.for_stage`).
    event_id : str, optional
        For per-event briefs.
    cell_timeout : int
        Seconds a cell may run before the stage fails.
    kernel : Kernel, optional
        A started kernel to run in (the caller owns it and resets it between runs). Without one,
        a fresh kernel is started and shut down.
    last_run : bool
        Whether this is the kernel's last run: it is then asked to exit as soon as the cells have
        run (always so for a kernel this function starts itself).

    Returns
    -------
    dict
        The status record (stage, key, status, seconds, notebook, brief, title).

    Raises
    ------
    StageFailedError
        When a cell fails, times out or the kernel dies; the previous brief is left in place.
    """
    stage = STAGES[stage_name]
    own_kernel = kernel is None
    if own_kernel:
        kernel = start_kernel(paths, stage)
    interrupted = True
    try:
        record = _execute(paths, stage, parameters, event_id, cell_timeout, kernel, last_run or own_kernel)
        interrupted = False
        return record
    except StageFailedError:
        interrupted = False
        raise
    finally:
        if own_kernel:
            kernel.shutdown(now=interrupted)


def _execute(paths: Paths, stage: Stage, parameters: dict, event_id: str | None, cell_timeout: int,
             kernel: Kernel, last_run: bool) -> dict:
    key = stage.key(event_id)
    transaction = publish.Transaction(paths, key).begin()  # the kernel stages its data files here
    done = False
    try:
        record = _execute_in(paths, stage, parameters, event_id, cell_timeout, kernel, last_run, transaction)
        done = True
        return record
    finally:
        if not done:  # failed or interrupted: the kernel may still be writing; it is not reused anyway
            kernel.shutdown(now=True)
        transaction.abort()  # whatever was not published is discarded


def _execute_in(paths: Paths, stage: Stage, parameters: dict, event_id: str | None, cell_timeout: int,
                kernel: Kernel, last_run: bool, transaction: publish.Transaction) -> dict:
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from . import export

    key = stage.key(event_id)
    if event_id:
        parameters = {**parameters, stage.item_param: event_id}
    source = paths.notebooks / stage.notebook
    executed = paths.executed / stage.executed_name(event_id)
    scratch = transaction.folder / "scratch" / stage.executed_name(event_id)
    scratch.parent.mkdir(parents=True, exist_ok=True)
    brief_rel = stage.brief_path(event_id)
    failed_html = paths.reports / "failed" / f"{key}.html"
    failed_notebook = paths.reports / "failed" / executed.name
    record = {"stage": stage.name, "key": key, "notebook": paths.relative(executed),
              "brief": f"reports/{brief_rel}" if brief_rel else None, "title": stage.title,
              "event_id": event_id if stage.item_param == "event_id" else None}
    if event_id and stage.item_param != "event_id":
        record[stage.item_param] = event_id
    started = time.monotonic()
    error = None
    kernel.runs += 1
    record["kernel_run"] = kernel.runs  # 1: a fresh kernel; n: the n-th run in a shared kernel
    executing = started
    try:
        # the warm-up imports (or the reset) finish before the first cell; on a loaded machine that can
        # take longer than a short cell timeout, which is for cells
        kernel.wait(max(cell_timeout, KERNEL_READY_SECONDS))
        executing = time.monotonic()
        papermill.execute_notebook(
            str(source), str(scratch), parameters=parameters, kernel_name=KERNEL_NAME, km=kernel.km,
            cwd=str(paths.notebooks), progress_bar=False, log_output=False,
            request_save_on_cell_execute=False, execution_timeout=cell_timeout,
        )
    except PapermillExecutionError as exc:
        error = f"cell {exc.cell_index} (In [{exc.exec_count}]) raised {exc.ename}: {exc.evalue}"
    except Exception as exc:  # kernel death, timeout, missing kernel: nbclient's errors
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else 'no message'}"
        if "DeadKernel" in type(exc).__name__:
            error += f" (the kernel died: {DEATH_CAUSES})"
    finished = time.monotonic()
    kernel.close_clients()
    if last_run and error is None:
        kernel.release()  # it exits while the notebook is normalised and exported
    seconds = round(finished - started, 2)
    # kernel_wait: start-up and warm-up imports not hidden behind the runner's own imports (or the
    # reset, in a shared kernel); execute: papermill running the cells
    record.update(kernel_wait_seconds=round(executing - started, 2), execute_seconds=round(finished - executing, 2))

    nb = nbformat.read(scratch, as_version=4) if scratch.exists() else None
    if nb is not None:
        export.normalise(nb, paths.root)
        scratch.unlink()

    if error is not None:
        # Nothing the run staged is published: the previous brief keeps its notebook and data.
        # The failure's own set (its notebook, its page, the record) is added beside it. The
        # kernel goes first: after a timeout it may still be writing into the staging folder.
        kernel.shutdown(now=True)
        transaction.abort()
        record.update(_previous_summary(paths, key, record["brief"]))  # the index keeps showing the kept brief
        failure = publish.Transaction(paths, key).begin()
        record.update(status="failed", seconds=seconds, error=error,
                      notebook=paths.relative(executed) if executed.is_file() else None,
                      failed_notebook=paths.relative(failed_notebook) if nb is not None else None,
                      failed_html=paths.relative(failed_html) if nb is not None else None)
        try:
            if nb is not None:
                export.write_notebook(nb, failure.path(failed_notebook))
                fileio.write_text(failure.path(failed_html), export.to_html(
                    nb, title=f"FAILED: {stage.title}", index_href="../index.html",
                    notebook_href=failed_notebook.name, notebook_name=failed_notebook.name,
                ))
            fileio.write_json(failure.path(status_path(paths, key)), record)
            remove = [] if nb is not None else [failed_html, failed_notebook]  # an earlier failure's, now stale
            failure.publish(remove=remove, keep_previous=True)
            kept = (f"Executed notebook kept at {paths.relative(failed_notebook)}" if nb is not None
                    else "No executed notebook")
        except OSError as exc:  # a full disk: the failure itself could not be recorded
            failure.abort()
            kept = f"The failure could not be recorded ({exc})"
        raise StageFailedError(
            f"stage '{key}' failed: notebook {paths.relative(source)}, {error.rstrip('.')}. "
            f"{kept}; the previous brief is unchanged."
        )

    # what the index shows of this run (every stage, with or without a brief): the notebook's
    # title, headline and findings
    title = export.title_of(nb, stage.title)
    record.update(title=title, **export.summary_of(nb))
    if brief_rel:
        up = "../" * brief_rel.count("/")
        html = export.to_html(
            nb, title=title, index_href=f"{up}index.html",
            notebook_href=f"{up}notebooks/{executed.name}", notebook_name=executed.name,
        )
    record.update(status="ok", seconds=seconds, error=None)
    try:
        export.write_notebook(nb, transaction.path(executed))
        if brief_rel:
            fileio.write_text(transaction.path(paths.reports / brief_rel), html)
        fileio.write_json(transaction.path(status_path(paths, key)), record)
        # one set: data, notebook, brief, record; an earlier failure's pages are stale now
        transaction.publish(remove=[failed_html, failed_notebook])
    except OSError as exc:  # a full disk, a read-only folder: the set is not published
        committed = (transaction.folder / publish.COMMIT).is_file()
        raise StageFailedError(
            f"stage '{key}' ran, but its products could not be published: {exc}. " +
            ("They are committed; the next build completes their publication." if committed
             else "Nothing was published; the previous brief is unchanged.")
        ) from exc
    return record


def republish(paths: Paths, stage_name: str, parameters: dict, changed: list[str]) -> dict | None:
    """Re-export a brief whose notebook changed only in its markdown, without a kernel.

    See :mod:`chinabrief.reuse`: when ``changed`` (make's ``$?``) is only the notebook and its code
    cells and parameters equal the last successful run's, that run's outputs are carried over to
    the edited notebook. Returns the status record, or None when the notebook must run.
    """
    from . import export, reuse

    stage = STAGES[stage_name]
    if stage.per_event:
        return None  # one notebook, many briefs: make's $? does not say which brief is stale
    source = paths.notebooks / stage.notebook
    executed = paths.executed / stage.executed_name()
    if not reuse.only_markdown_changed(source, executed, parameters, changed):
        return None
    started = time.monotonic()
    nb = export.normalise(reuse.carry_outputs(source, executed), paths.root)
    brief_rel = stage.brief_path()
    key = stage.key()
    record = {"stage": stage.name, "key": key, "notebook": paths.relative(executed),
              "brief": f"reports/{brief_rel}" if brief_rel else None, "title": stage.title, "event_id": None,
              "kernel_run": 0, "kernel_wait_seconds": 0.0, "execute_seconds": 0.0, "outputs_reused": True}
    transaction = publish.Transaction(paths, key).begin()
    try:
        if brief_rel:
            up = "../" * brief_rel.count("/")
            title = export.title_of(nb, stage.title)
            html = export.to_html(nb, title=title, index_href=f"{up}index.html",
                                  notebook_href=f"{up}notebooks/{executed.name}", notebook_name=executed.name)
            fileio.write_text(transaction.path(paths.reports / brief_rel), html)
            record.update(title=title, **export.summary_of(nb))
        record.update(status="ok", seconds=round(time.monotonic() - started, 2), error=None)
        export.write_notebook(nb, transaction.path(executed))
        fileio.write_json(transaction.path(status_path(paths, key)), record)
        # keep_previous: the set's data files (the last run's) stay published beside the new brief
        transaction.publish(remove=[paths.reports / "failed" / f"{key}.html",
                                    paths.reports / "failed" / executed.name], keep_previous=True)
    finally:
        transaction.abort()
    return record


def _previous_summary(paths: Paths, key: str, brief: str | None) -> dict:
    """Title, headline and findings of the last run's record, while its brief is still there."""
    previous = paths.build / "status" / f"{key}.json"
    if not (brief and (paths.root / brief).is_file() and previous.is_file()):
        return {}
    try:
        old = json.loads(previous.read_text())
    except (OSError, ValueError):
        return {}
    return {k: old[k] for k in ("title", "headline", "findings") if k in old}


def load_stage_params(path: Path) -> dict:
    """Read a stage parameter file written by ``chinabrief params``."""
    return json.loads(path.read_text())


def make_jobs(makeflags: str | None = None) -> int:
    """How many jobs ``make -j`` allows this recipe (1 outside make or without ``-j``).

    GNU make (4.2 and later) puts ``-jN`` in ``MAKEFLAGS`` for every recipe; a bare ``-j`` means
    no limit, taken here as the number of CPUs.
    """
    flags = os.environ.get("MAKEFLAGS", "") if makeflags is None else makeflags
    flags = flags.split(" -- ", 1)[0]  # after ' -- ' come the command-line variables, not flags
    match = re.search(r"(?:^|\s)-j(\d*)(?=\s|$)", flags)
    if not match:
        return 1
    return int(match.group(1)) if match.group(1) else (os.cpu_count() or 1)


def stale(paths: Paths, stage_name: str, event_ids: list[str], prerequisites: list[str]) -> list[str]:
    """The event ids whose brief is missing or older than any prerequisite (make's own rule).

    The per-event briefs are one grouped make target, built by one command; this keeps that
    command from rebuilding briefs that are already up to date.
    """
    stage = STAGES[stage_name]
    newest = max((paths.resolve(p).stat().st_mtime for p in prerequisites), default=0.0)
    out = []
    for event_id in event_ids:
        brief = paths.reports / stage.brief_path(event_id)
        if not brief.is_file() or brief.stat().st_mtime <= newest:
            out.append(event_id)
    return out


def echo(record: dict) -> None:
    """Print the one line a finished run leaves in the log."""
    target = f" -> {record['brief']}" if record["brief"] else ""
    reused = " (only markdown changed: outputs carried over, no kernel)" if record.get("outputs_reused") else ""
    print(f"[chinabrief] {record['key']}: ok in {record['seconds']:.1f} s{target}{reused}", flush=True)


def _run_group(paths: Paths, stage_name: str, parameters: dict, event_ids: list[str | None],
               cell_timeout: int) -> list[str]:
    """Run the stage once per event id, in one kernel reset between runs; return the errors.

    A run that fails, or a kernel that cannot be reset, costs a fresh kernel for the next run;
    the remaining runs are still tried.
    """
    global _busy
    stage = STAGES[stage_name]
    errors: list[str] = []
    kernel: Kernel | None = None
    interrupted = True
    _busy = True
    try:
        for n, event_id in enumerate(event_ids, start=1):
            if kernel is not None and kernel.runs:
                try:
                    kernel.reset(cell_timeout)
                except StageFailedError:
                    kernel.shutdown()
                    kernel = None
            if kernel is None:  # started before run_stage imports papermill: it boots meanwhile
                try:
                    kernel = start_kernel(paths, stage)
                except StageFailedError as exc:
                    errors.append(f"stage '{stage.key(event_id)}' failed: {exc}")
                    continue
            try:
                echo(run_stage(paths, stage_name, parameters, event_id=event_id, cell_timeout=cell_timeout,
                                kernel=kernel, last_run=n == len(event_ids)))
            except StageFailedError as exc:
                errors.append(str(exc))
                kernel.shutdown()  # a kernel that saw a failure (or a timeout still running) is not reused
                kernel = None
        interrupted = False
    finally:
        if kernel is not None:
            kernel.shutdown(now=interrupted)  # interrupted (Ctrl-C, SIGTERM): killed at once
        _busy = False
    return errors


#: Whether this (worker) process is running a group of runs (see _worker_signal).
_busy = False


def _worker_signal(signum: int, frame) -> None:
    """A worker told to stop (SIGTERM from the runner, SIGINT from Ctrl-C): a busy one unwinds
    (its kernel is killed, its unpublished staging folder discarded); an idle one just exits."""
    import logging

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not _busy:
        os._exit(128 + signum)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL + 1)  # the cell task ends with the killed kernel
    raise KeyboardInterrupt


def _exit_with_parent(parent_pid: int) -> None:
    """Worker initializer: exit if the runner that forked this worker dies (e.g. make's SIGTERM).

    Without it a worker outlives its parent and blocks on the dead pool's pipe; its kernels exit
    on their own (ipykernel watches its parent, ``JPY_PARENT_PID``).
    """
    import threading

    signal.signal(signal.SIGTERM, _worker_signal)
    signal.signal(signal.SIGINT, _worker_signal)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


def run(paths: Paths, stage_name: str, parameters: dict, *, event_ids: list[str] | None = None,
        cell_timeout: int = 600, jobs: int = 1) -> None:
    """Run a stage (once, or once per event id) and print one line per run.

    Parameters
    ----------
    paths : Paths
        The project's paths.
    stage_name : str
        A key of :data:`STAGES`.
    parameters : dict
        Validated parameters for this stage.
    event_ids : list of str, optional
        For per-event briefs: one run per id. They are split over ``jobs`` worker processes, each
        running its share one after another in one kernel.
    cell_timeout : int
        Seconds a cell may run before the run fails.
    jobs : int
        Worker processes (see :func:`make_jobs`).

    Raises
    ------
    StageFailedError
        After every run has been tried, if any failed (the message lists each failure).
    """
    locks.check(paths.build)  # a runner started beside a running build stops here
    publish.recover(paths)  # complete or discard what a killed run left (see publish.py)
    kernels.sweep(connection_dir(paths))  # connection files of killed runners
    ids: list[str | None] = list(dict.fromkeys(event_ids)) if event_ids else [None]  # each id once
    workers = max(1, min(jobs, len(ids)))
    groups = [ids[i::workers] for i in range(workers)]
    if workers == 1:
        errors = _run_group(paths, stage_name, parameters, groups[0], cell_timeout)
    else:
        # fork: workers start with this process's imports; no kernel or ZMQ context exists yet
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_exit_with_parent, initargs=(os.getpid(),)) as pool:
            futures = [pool.submit(_run_group, paths, stage_name, parameters, group, cell_timeout)
                       for group in groups]
            errors = []
            try:
                for group, future in zip(groups, futures):
                    try:
                        errors += future.result()
                    except Exception as exc:  # the worker crashed (e.g. killed): its runs are unaccounted for
                        errors.append(f"the worker running {', '.join(map(str, group))} stopped: "
                                      f"{type(exc).__name__}: {exc or 'no message'}")
            except BaseException:  # interrupted (Ctrl-C, SIGTERM): the workers stop and clean up too
                for process in list(getattr(pool, "_processes", {}).values()):
                    process.terminate()
                raise
    if len(errors) == 1:
        raise StageFailedError(errors[0])
    if errors:
        raise StageFailedError(f"{len(errors)} of {len(ids)} runs failed:\n  " + "\n  ".join(errors))
