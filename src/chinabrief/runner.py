"""Run one pipeline stage: validated parameters → papermill → normalise → nbconvert HTML.

A stage either succeeds and replaces its brief atomically, or fails and leaves the previous brief
in place, keeps the failed executed notebook, renders it to ``reports/failed/`` and says which
notebook and cell failed. Every run writes a status record to ``build/status/`` that the index
page and ``reports/run.json`` read.
"""
from __future__ import annotations

import html
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError

from . import export, fileio
from .config import Paths
from .exceptions import StageFailedError

KERNEL_NAME = "python3"  # resolves to the interpreter running papermill: the project's .venv
#: The kernel's own start-up warnings (e.g. TCP transport on loopback) are not our log's business.
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]


@dataclass(frozen=True)
class Stage:
    """One notebook of the pipeline and the brief it publishes (if any)."""

    name: str
    notebook: str
    brief: str | None
    title: str

    def key(self, event_id: str | None = None) -> str:
        """Identifier of one run (the stage, or stage and event for per-event briefs)."""
        return f"{self.name}-{event_id}" if event_id else self.name

    def executed_name(self, event_id: str | None = None) -> str:
        stem = Path(self.notebook).stem
        return f"{stem}-{event_id}.ipynb" if event_id else f"{stem}.ipynb"

    def brief_path(self, event_id: str | None = None) -> str | None:
        if self.brief is None:
            return None
        return self.brief.format(event_id=event_id) if event_id else self.brief


STAGES: dict[str, Stage] = {
    stage.name: stage
    for stage in [
        Stage("ingest", "01_ingest.ipynb", None, "Data import"),
        Stage("prepare", "02_prepare.ipynb", "data-quality.html", "Data quality and provenance"),
        Stage("token_reactions", "03_token_reactions.ipynb", "token-reactions.html", "Token reactions to US–China trade news"),
        Stage("mining_share", "04_mining_share.ipynb", "mining-share.html", "Where Bitcoin is mined"),
        Stage("event_brief", "05_event_brief.ipynb", "events/{event_id}.html", "Event brief"),
    ]
}


def _title_of(nb: nbformat.NotebookNode, default: str) -> str:
    """The brief's title: the first ``<h1>`` its outputs show (the title block), as plain text."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            match = re.search(r"<h1[^>]*>(.*?)</h1>", output.get("data", {}).get("text/html", ""), re.S)
            if match:
                return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()
    return default


def _status(paths: Paths, record: dict) -> None:
    fileio.write_json(paths.build / "status" / f"{record['key']}.json", record)


def run_stage(
    paths: Paths,
    stage_name: str,
    parameters: dict,
    *,
    event_id: str | None = None,
    cell_timeout: int = 600,
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
    key = stage.key(event_id)
    if event_id:
        parameters = {**parameters, "event_id": event_id}
    source = paths.notebooks / stage.notebook
    executed = paths.executed / stage.executed_name(event_id)
    scratch = paths.build / "tmp" / stage.executed_name(event_id)
    scratch.parent.mkdir(parents=True, exist_ok=True)
    brief_rel = stage.brief_path(event_id)
    record = {"stage": stage.name, "key": key, "notebook": paths.relative(executed),
              "brief": f"reports/{brief_rel}" if brief_rel else None, "title": stage.title,
              "event_id": event_id}
    started = time.monotonic()
    error = None
    try:
        papermill.execute_notebook(
            str(source), str(scratch), parameters=parameters, kernel_name=KERNEL_NAME,
            cwd=str(paths.notebooks), progress_bar=False, log_output=False,
            request_save_on_cell_execute=False, execution_timeout=cell_timeout,
            extra_arguments=KERNEL_ARGS,
        )
    except PapermillExecutionError as exc:
        error = f"cell {exc.cell_index} (In [{exc.exec_count}]) raised {exc.ename}: {exc.evalue}"
    except Exception as exc:  # kernel death, timeout, missing kernel: nbclient's errors
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else 'no message'}"
        if "DeadKernel" in type(exc).__name__:
            error += " (the kernel died: out of memory, or a crash in a compiled library)"
    seconds = round(time.monotonic() - started, 2)

    nb = nbformat.read(scratch, as_version=4) if scratch.exists() else None
    if nb is not None:
        export.normalise(nb, paths.root)
        export.write_notebook(nb, executed)
        scratch.unlink()

    if error is not None:
        failed_html = paths.reports / "failed" / f"{key}.html"
        if nb is not None:
            fileio.write_text(failed_html, export.to_html(
                nb, title=f"FAILED: {stage.title}", index_href="../index.html",
                notebook_href=f"../notebooks/{executed.name}", notebook_name=executed.name,
            ))
        record.update(status="failed", seconds=seconds, error=error,
                      failed_html=paths.relative(failed_html) if nb is not None else None)
        _status(paths, record)
        raise StageFailedError(
            f"stage '{key}' failed: notebook {paths.relative(source)}, {error}. "
            f"Executed notebook kept at {paths.relative(executed)}; the previous brief is unchanged."
        )

    if brief_rel:
        depth = brief_rel.count("/")
        up = "../" * depth
        title = _title_of(nb, stage.title)
        html = export.to_html(
            nb, title=title, index_href=f"{up}index.html",
            notebook_href=f"{up}notebooks/{executed.name}", notebook_name=executed.name,
        )
        fileio.write_text(paths.reports / brief_rel, html)
        record["title"] = title
    record.update(status="ok", seconds=seconds, error=None)
    _status(paths, record)
    return record


def load_stage_params(path: Path) -> dict:
    """Read a stage parameter file written by ``chinabrief params``."""
    return json.loads(path.read_text())
