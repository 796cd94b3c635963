"""Product manifests: what each stage's last successful run published, checked on every ``make``.

A stage's make target is ``build/products/<key>.json`` (``<key>``: the stage, or
``event_brief-<event id>``). It lists every file the run published (data files, executed
notebook, brief, status record) with its size, modification time and SHA-256, and it is published
in the same set as those files (:mod:`chinabrief.publish`), so it exists exactly when they do. A
failed run never writes it.

``python -m chinabrief params``, which runs first in every ``make``, calls :func:`check`: a
manifest whose product is missing, or whose bytes differ from the recorded checksum (a file edited
by hand, a table rewritten by a notebook run in JupyterLab), is marked out of date (its time set to
the epoch). make then re-runs that stage, and the stages after it, and nothing else. A product
whose size and time are as recorded is taken as unchanged without reading it (as git's index
does), so a no-op build reads no data file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from .. import fileio
from ..config import Paths

FOLDER = "products"


def manifest_path(paths: Paths, key: str) -> Path:
    """``build/products/<key>.json``: the make target standing for one run's products."""
    return paths.build / FOLDER / f"{key}.json"


def describe(files: dict[str, Path]) -> dict[str, dict[str, int | str]]:
    """Size, modification time (ns) and SHA-256 of each file (repository-relative name → path)."""
    out: dict[str, dict[str, int | str]] = {}
    for rel in sorted(files):
        stat = files[rel].stat()
        out[rel] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": fileio.sha256_file(files[rel])}
    return out


def write(target: Path, key: str, files: dict[str, Path]) -> None:
    """Write the manifest of ``files`` to ``target`` (a staged path, published with them)."""
    fileio.write_json(target, {"key": key, "files": describe(files)})


@dataclass(frozen=True)
class Stale:
    """A run whose products changed since it published them."""

    key: str
    reason: str


def changed_product(paths: Paths, manifest: Path) -> str | None:
    """Why ``manifest``'s products are not as published (None when they are)."""
    try:
        files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"{paths.relative(manifest)} is unreadable"
    for rel, meta in files.items():
        path = paths.root / rel
        try:
            stat = path.stat()
        except FileNotFoundError:
            return f"{rel} is missing"
        if stat.st_size == meta["size"] and stat.st_mtime_ns == meta["mtime_ns"]:
            continue
        if stat.st_size != meta["size"] or fileio.sha256_file(path) != meta["sha256"]:
            return f"{rel} differs from what the stage published (edited, or rewritten outside make)"
    return None


def check(paths: Paths, mark: bool = True) -> list[Stale]:
    """Mark out of date every run whose products changed; return them (with the first reason each).

    A manifest already marked (time 0) is not checked again. ``mark=False`` (a dry run) only
    reports them.
    """
    folder = paths.build / FOLDER
    stale = []
    for manifest in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if manifest.stat().st_mtime == 0:
            continue
        reason = changed_product(paths, manifest)
        if reason is not None:
            if mark:
                os.utime(manifest, (0, 0))
            stale.append(Stale(manifest.stem, reason))
    return stale


def invalidate(paths: Paths, key: str) -> bool:
    """Mark one run's manifest out of date; False when it has none."""
    target = manifest_path(paths, key)
    if not target.exists():
        return False
    os.utime(target, (0, 0))
    return True
