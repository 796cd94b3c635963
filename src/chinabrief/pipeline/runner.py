"""Run one pipeline stage: validated parameters → papermill → normalise → nbconvert HTML.

A stage publishes all or nothing (:mod:`chinabrief.publish`): the data its notebook writes, its
executed notebook (``reports/notebooks/``), its brief, its status record (``build/status/``, read
by the index page and ``reports/run.json``) and its product manifest (``build/products/``, the
make target; :mod:`chinabrief.pipeline.products`) are staged and published as one set when the
whole notebook succeeded. A failed run publishes nothing of that: the previous brief stays, with
the executed notebook it links to and the data it was built from; the failed executed notebook
and its rendering go to ``reports/failed/`` (the failure page links the notebook beside it), and
the message says which notebook and cell failed.

:func:`run` is what ``python -m chinabrief run`` calls: its kernel is started before papermill
and nbconvert are imported, so that it boots on the other core meanwhile
(:mod:`chinabrief.pipeline.kernels`). The per-event briefs are dealt into one grouped make target
per CPU (a lane); a lane's runs follow one another in one kernel, reset between runs (a fresh
kernel per brief measured 1.2-1.4x slower, see the README). make runs the lanes and the other
stages in parallel (``make -jN``); nothing here reads make's flags or forks.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from .. import fileio, locks, publish
from ..config import Paths
from ..exceptions import StageFailedError
from . import depends, kernels, products
from .kernels import DEATH_CAUSES, KERNEL_NAME, Kernel
from .stages import STAGES, Stage

#: Seconds a kernel may take to start and import the stage's modules, however short the cell timeout.
KERNEL_READY_SECONDS = 60


def status_path(paths: Paths, key: str) -> Path:
    """``build/status/<key>.json``: the record of a run's last build."""
    return paths.build / "status" / f"{key}.json"


def connection_dir(paths: Paths) -> Path:
    """``build/kernels/``: the kernels' connection files (they hold the kernels' keys)."""
    return paths.build / "kernels"


def start_kernel(paths: Paths, stage: Stage) -> Kernel:
    """Start a fresh kernel for one run and have it import what the notebook imports.

    Its connection file goes under ``build/kernels/``; a stage that runs once (not per event) is
    told its transaction's staging folder (``$CHINABRIEF_STAGING``), where its notebook's writers
    put the data files (see :func:`chinabrief.publish.writing`)."""
    env = {k: v for k, v in os.environ.items() if k != publish.STAGING_ENV}
    if not stage.per_event:
        env[publish.STAGING_ENV] = str(publish.Transaction(paths, stage.key()).files)
    running = Path(__file__).resolve().parents[1]  # the package this runner runs (the kernel's too)
    warm = tuple(sorted(depends.notebook_imports(paths.notebooks / stage.notebook, running)))
    return Kernel.start(paths.notebooks, warm, env=env, connection_dir=connection_dir(paths))


def _item_fields(stage: Stage, item: str | None) -> dict:
    """What a run's status record says of its item: ``event_id`` (None unless an event brief),
    and ``article_id`` for an article brief."""
    if stage.item_param == "event_id":
        return {"event_id": item}
    return {"event_id": None, stage.item_param: item}


def run_stage(
    paths: Paths,
    stage_name: str,
    parameters: dict,
    *,
    event_id: str | None = None,
    cell_timeout: int = 600,
    kernel: Kernel | None = None,
    keep_kernel: bool = False,
) -> dict:
    """Execute one stage's notebook and publish its products.

    Parameters
    ----------
    paths : Paths
        The project's paths.
    stage_name : str
        A key of :data:`chinabrief.pipeline.stages.STAGES`.
    parameters : dict
        Validated parameters for this stage (see :func:`chinabrief.pipeline.params.for_stage`).
    event_id : str, optional
        For per-event briefs.
    cell_timeout : int
        Seconds a cell may run before the stage fails.
    kernel : Kernel, optional
        A started kernel (:func:`start_kernel`; reset by the caller if it ran a notebook before).
        By default a fresh one is started.
    keep_kernel : bool
        Leave the kernel running after a successful run (the caller reuses it); a kernel that saw a
        failure is always shut down.

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
    if kernel is None:
        kernel = start_kernel(paths, stage)
    interrupted, ok = True, False
    try:
        record = _execute(paths, stage, parameters, event_id, cell_timeout, kernel, last_run=not keep_kernel)
        interrupted, ok = False, True
        return record
    except StageFailedError:
        interrupted = False
        raise
    finally:
        if not (ok and keep_kernel):
            kernel.shutdown(now=interrupted)


def _execute(
    paths: Paths,
    stage: Stage,
    parameters: dict,
    event_id: str | None,
    cell_timeout: int,
    kernel: Kernel,
    last_run: bool = True,
) -> dict:
    key = stage.key(event_id)
    transaction = publish.Transaction(paths, key).begin()  # the kernel stages its data files here
    done = False
    try:
        record = _execute_in(paths, stage, parameters, event_id, cell_timeout, kernel, transaction, last_run)
        done = True
        return record
    finally:
        if not done:  # failed or interrupted: the kernel may still be writing
            kernel.shutdown(now=True)
        transaction.abort()  # whatever was not published is discarded


def _execute_in(
    paths: Paths,
    stage: Stage,
    parameters: dict,
    event_id: str | None,
    cell_timeout: int,
    kernel: Kernel,
    transaction: publish.Transaction,
    last_run: bool = True,
) -> dict:
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
    record: dict[str, Any] = {
        "stage": stage.name,
        "key": key,
        "notebook": paths.relative(executed),
        "brief": f"reports/{brief_rel}" if brief_rel else None,
        "title": stage.title,
        **_item_fields(stage, event_id),
    }
    kernel.runs += 1
    record["kernel_run"] = kernel.runs  # 1: a fresh kernel; n: the n-th run in a reused one
    started = time.monotonic()
    error = None
    executing = started
    try:
        # the warm-up imports finish before the first cell; on a loaded machine that can
        # take longer than a short cell timeout, which is for cells
        kernel.wait(max(cell_timeout, KERNEL_READY_SECONDS))
        executing = time.monotonic()
        papermill.execute_notebook(
            str(source),
            str(scratch),
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            km=kernel.km,
            cwd=str(paths.notebooks),
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            execution_timeout=cell_timeout,
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
    # kernel_wait: start-up and warm-up imports not hidden behind the runner's own imports;
    # execute: papermill running the cells
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
        record.update(
            status="failed",
            seconds=seconds,
            error=error,
            notebook=paths.relative(executed) if executed.is_file() else None,
            failed_notebook=paths.relative(failed_notebook) if nb is not None else None,
            failed_html=paths.relative(failed_html) if nb is not None else None,
        )
        try:
            if nb is not None:
                export.write_notebook(nb, failure.path(failed_notebook))
                fileio.write_text(
                    failure.path(failed_html),
                    export.to_html(
                        nb,
                        title=f"FAILED: {stage.title}",
                        index_href="../index.html",
                        notebook_href=failed_notebook.name,
                        notebook_name=failed_notebook.name,
                    ),
                )
            fileio.write_json(failure.path(status_path(paths, key)), record)
            remove = [] if nb is not None else [failed_html, failed_notebook]  # an earlier failure's, now stale
            failure.publish(remove=remove, keep_previous=True)
            kept = (
                f"Executed notebook kept at {paths.relative(failed_notebook)}"
                if nb is not None
                else "No executed notebook"
            )
        except OSError as exc:  # a full disk: the failure itself could not be recorded
            failure.abort()
            kept = f"The failure could not be recorded ({exc})"
        raise StageFailedError(
            f"stage '{key}' failed: notebook {paths.relative(source)}, {error.rstrip('.')}. "
            f"{kept}; the previous brief is unchanged."
        )

    if nb is None:  # papermill returned without an error but wrote nothing
        raise StageFailedError(f"stage '{key}': papermill wrote no executed notebook for {paths.relative(source)}")
    # what the index shows of this run (every stage, with or without a brief): the notebook's
    # title, headline and findings
    title = export.title_of(nb, stage.title)
    record.update(title=title, **export.summary_of(nb))
    if brief_rel:
        up = "../" * brief_rel.count("/")
        html = export.to_html(
            nb,
            title=title,
            index_href=f"{up}index.html",
            notebook_href=f"{up}notebooks/{executed.name}",
            notebook_name=executed.name,
        )
    record.update(status="ok", seconds=seconds, error=None)
    try:
        export.write_notebook(nb, transaction.path(executed))
        if brief_rel:
            fileio.write_text(transaction.path(paths.reports / brief_rel), html)
        fileio.write_json(transaction.path(status_path(paths, key)), record)
        write_manifest(paths, transaction, key)
        # one set: data, notebook, brief, record, manifest; an earlier failure's pages are stale now
        transaction.publish(remove=[failed_html, failed_notebook])
    except OSError as exc:  # a full disk, a read-only folder: the set is not published
        committed = (transaction.folder / publish.COMMIT).is_file()
        raise StageFailedError(
            f"stage '{key}' ran, but its products could not be published: {exc}. "
            + (
                "They are committed; the next build completes their publication."
                if committed
                else "Nothing was published; the previous brief is unchanged."
            )
        ) from exc
    return record


def write_manifest(paths: Paths, transaction: publish.Transaction, key: str, keep_previous: bool = False) -> None:
    """Stage the run's product manifest: every file of the set (with ``keep_previous``, the
    files of the last set it keeps too), as they will be once published."""
    target = products.manifest_path(paths, key)
    files = {rel: transaction.files / rel for rel in transaction.staged()}
    if keep_previous:
        for rel in publish.published(paths, key):
            if rel not in files and rel != paths.relative(target) and (paths.root / rel).is_file():
                files[rel] = paths.root / rel
    products.write(transaction.path(target), key, files)


def republish(
    paths: Paths, stage_name: str, parameters: dict, changed: list[str], event_id: str | None = None
) -> dict | None:
    """Re-export a brief whose notebook changed only in its markdown, without a kernel.

    See :mod:`chinabrief.pipeline.reuse`: when ``changed`` (make's ``$?``) is only the notebook and its code
    cells and parameters equal the last successful run's, that run's outputs are carried over to
    the edited notebook. Returns the status record, or None when the notebook must run.
    """
    from . import export, reuse

    stage = STAGES[stage_name]
    if event_id:
        parameters = {**parameters, stage.item_param: event_id}
    source = paths.notebooks / stage.notebook
    executed = paths.executed / stage.executed_name(event_id)
    if not reuse.only_markdown_changed(source, executed, parameters, changed):
        return None
    started = time.monotonic()
    nb = export.normalise(reuse.carry_outputs(source, executed), paths.root)
    brief_rel = stage.brief_path(event_id)
    key = stage.key(event_id)
    record = {
        "stage": stage.name,
        "key": key,
        "notebook": paths.relative(executed),
        "brief": f"reports/{brief_rel}" if brief_rel else None,
        "title": stage.title,
        **_item_fields(stage, event_id),
        "kernel_wait_seconds": 0.0,
        "execute_seconds": 0.0,
        "outputs_reused": True,
    }
    transaction = publish.Transaction(paths, key).begin()
    try:
        if brief_rel:
            up = "../" * brief_rel.count("/")
            title = export.title_of(nb, stage.title)
            html = export.to_html(
                nb,
                title=title,
                index_href=f"{up}index.html",
                notebook_href=f"{up}notebooks/{executed.name}",
                notebook_name=executed.name,
            )
            fileio.write_text(transaction.path(paths.reports / brief_rel), html)
            record.update(title=title, **export.summary_of(nb))
        record.update(status="ok", seconds=round(time.monotonic() - started, 2), error=None)
        export.write_notebook(nb, transaction.path(executed))
        fileio.write_json(transaction.path(status_path(paths, key)), record)
        write_manifest(paths, transaction, key, keep_previous=True)
        # keep_previous: the set's data files (the last run's) stay published beside the new brief
        transaction.publish(
            remove=[paths.reports / "failed" / f"{key}.html", paths.reports / "failed" / executed.name],
            keep_previous=True,
        )
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


def echo(record: dict) -> None:
    """Print the one line a finished run leaves in the log."""
    target = f" -> {record['brief']}" if record["brief"] else ""
    reused = " (only markdown changed: outputs carried over, no kernel)" if record.get("outputs_reused") else ""
    print(f"[chinabrief] {record['key']}: ok in {record['seconds']:.1f} s{target}{reused}", flush=True)


def stale(paths: Paths, stage_name: str, event_ids: list[str], prerequisites: list[str]) -> list[str]:
    """The event ids whose product manifest is missing or older than a prerequisite (make's rule).

    The per-event runs of a lane are one grouped make target, built by one command (so that one
    kernel serves them all); this keeps that command from re-running the events that are up to date.
    """
    stage = STAGES[stage_name]
    newest = max((paths.resolve(p).stat().st_mtime for p in prerequisites), default=0.0)
    out = []
    for event_id in event_ids:
        manifest = products.manifest_path(paths, stage.key(event_id))
        if not manifest.is_file() or manifest.stat().st_mtime <= newest:
            out.append(event_id)
    return out


def run(
    paths: Paths,
    stage_name: str,
    parameters: dict,
    *,
    event_ids: list[str] | None = None,
    cell_timeout: int = 600,
) -> list[dict]:
    """Run a stage, or its runs for ``event_ids`` one after another in one kernel, reset between runs.

    A run that fails, or a kernel that cannot be reset, costs a fresh kernel for the next run; the
    remaining runs are still tried. Each finished run prints its one line.

    Parameters
    ----------
    paths : Paths
        The project's paths.
    stage_name : str
        A key of :data:`chinabrief.pipeline.stages.STAGES`.
    parameters : dict
        Validated parameters for this stage.
    event_ids : list of str, optional
        For per-event briefs: one run per id, in this order.
    cell_timeout : int
        Seconds a cell may run before the run fails.

    Returns
    -------
    list of dict
        The status records of the runs.

    Raises
    ------
    StageFailedError
        After every run has been tried, if any failed (the message lists each failure).
    """
    locks.check(paths.build)  # a runner started beside a running build stops here
    publish.recover(paths)  # complete or discard what a killed run left (see publish.py)
    kernels.sweep(connection_dir(paths))  # connection files of killed runners
    stage = STAGES[stage_name]
    ids: list[str | None] = list(dict.fromkeys(event_ids)) if event_ids else [None]  # each id once
    records, errors = [], []
    kernel: Kernel | None = None
    interrupted = True
    try:
        for n, event_id in enumerate(ids):
            last = n + 1 == len(ids)
            if kernel is not None:  # it ran the previous event: cleared first
                try:
                    kernel.reset(cell_timeout)
                except StageFailedError:
                    kernel.shutdown()
                    kernel = None
            if kernel is None:
                try:
                    kernel = start_kernel(paths, stage)
                except StageFailedError as exc:
                    errors.append(f"stage '{stage.key(event_id)}' failed: {exc}")
                    continue
            try:
                record = run_stage(
                    paths,
                    stage_name,
                    parameters,
                    event_id=event_id,
                    cell_timeout=cell_timeout,
                    kernel=kernel,
                    keep_kernel=not last,
                )
                echo(record)
                records.append(record)
                if last:
                    kernel = None  # shut down by run_stage
            except StageFailedError as exc:
                errors.append(str(exc))
                kernel = None  # a kernel that saw a failure is shut down, never reused
        interrupted = False
    finally:
        if kernel is not None:
            kernel.shutdown(now=interrupted)
    if len(errors) == 1:
        raise StageFailedError(errors[0])
    if errors:
        raise StageFailedError(f"{len(errors)} of {len(ids)} runs failed:\n  " + "\n  ".join(errors))
    return records
