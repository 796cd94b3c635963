"""What a stage's products were made from, so that a run outside ``make`` is noticed.

Each stage that writes ``data/processed`` (prepare, token_reactions, mining_share) also writes
``data/processed/made_from/<stage>.json``: the parameters it ran with. A notebook run by hand in
JupyterLab with other parameters rewrites the products *and* this record; make cannot see that (the
files are newer than their prerequisites), so ``chinabrief params``, which runs first in every
``make``, compares each record with the parameters ``params.yaml`` gives the stage and, where they
differ, marks the stage out of date (:func:`invalidate`): make then re-runs it and what depends on it.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from . import fileio
from .config import Paths

FOLDER = "made_from"
#: Stage → the make target that stands for it (marked out of date by setting its time to 0).
TARGETS = {"prepare": "build/stamps/prepare", "token_reactions": "reports/token-reactions.html",
           "mining_share": "reports/mining-share.html"}


def record_path(paths: Paths, stage: str) -> Path:
    return paths.processed / FOLDER / f"{stage}.json"


def write(paths: Paths, stage: str, parameters: dict) -> str:
    """Record the parameters a stage's products were made from; returns the record's path."""
    target = record_path(paths, stage)
    fileio.write_json(target, {"stage": stage, "parameters": json.loads(json.dumps(parameters))})
    return paths.relative(target)


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


def invalidate(paths: Paths, stage: str) -> bool:
    """Mark the stage's make target out of date (its time set to the epoch; nothing is deleted)."""
    target = paths.root / TARGETS[stage]
    if not target.exists():
        return False
    os.utime(target, (0, 0))
    return True


def check(paths: Paths, stage_parameters: dict[str, dict]) -> list[str]:
    """Invalidate every stage whose products were made from other parameters; return those stages."""
    stale = [s for s in TARGETS if s in stage_parameters and differs(paths, s, stage_parameters[s])]
    return [s for s in stale if invalidate(paths, s)]
