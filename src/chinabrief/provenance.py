"""What a stage's products were made from, so that a run outside ``make`` is noticed.

Each stage that writes ``data/processed`` (prepare, token_reactions, mining_share) also writes
``data/processed/made_from/<stage>.json``: the parameters it ran with. A notebook run by hand in
JupyterLab with other parameters rewrites the products *and* this record; make cannot see that (the
files are newer than their prerequisites), so ``chinabrief params``, which runs first in every
``make``, compares each record with the parameters ``params.yaml`` gives the stage and, where they
differ, marks the stage out of date (``pipeline.products.invalidate``): make then re-runs it and what
depends on it.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import fileio
from .config import Paths

FOLDER = "made_from"


def record_path(paths: Paths, stage: str) -> Path:
    return paths.processed / FOLDER / f"{stage}.json"


def write(paths: Paths, stage: str, parameters: dict, folder: Path | None = None) -> str:
    """Record the parameters a stage's products were made from; returns the record's path.

    ``folder``: where ``data/processed`` is being written (a staging folder, so the record is
    published with the products it describes, see :func:`chinabrief.publish.writing`).
    """
    target = (folder or paths.processed) / FOLDER / f"{stage}.json"
    fileio.write_json(target, {"stage": stage, "parameters": json.loads(json.dumps(parameters))})
    return paths.relative(record_path(paths, stage))


def differs(paths: Paths, stage: str, parameters: dict) -> bool:
    """Whether the stage's products were made from other parameters than ``parameters``."""
    target = record_path(paths, stage)
    if not target.is_file():
        return False
    try:
        made = json.loads(target.read_text()).get("parameters")
    except (OSError, ValueError):
        return True
    return made != json.loads(json.dumps(parameters))


def stale_stages(paths: Paths, stage_parameters: dict[str, dict]) -> list[str]:
    """The stages whose products were made from other parameters than ``stage_parameters`` gives them."""
    return [stage for stage, parameters in stage_parameters.items() if differs(paths, stage, parameters)]
