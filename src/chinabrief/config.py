"""One place for the project's paths, stages and parameter schema.

Every path is derived from one project root (as cookiecutter-data-science does). The root is
``$CHINABRIEF_ROOT`` when set, else the nearest folder above the working directory holding both
``params.yaml`` and ``Makefile`` (so notebooks opened in JupyterLab from ``notebooks/`` find it),
else the checkout this package was imported from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT_ENV = "CHINABRIEF_ROOT"
PARAMS_FILE = "params.yaml"


def find_root(start: Path | None = None) -> Path:
    """Return the project root.

    Parameters
    ----------
    start : Path, optional
        Folder to search upward from; the working directory by default.

    Returns
    -------
    Path
        Absolute path of the project root.
    """
    env = os.environ.get(ROOT_ENV)
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / PARAMS_FILE).is_file() and (folder / "Makefile").is_file():
            return folder
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Paths:
    """Paths of one project checkout, all derived from its root."""

    root: Path

    @property
    def params(self) -> Path:
        return self.root / PARAMS_FILE

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def manifest(self) -> Path:
        return self.raw / "MANIFEST.json"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def external(self) -> Path:
        return self.root / "data" / "external"

    @property
    def universe(self) -> Path:
        return self.root / "data" / "universe.csv"

    @property
    def events(self) -> Path:
        return self.root / "data" / "events" / "us_china_trade_2025.csv"

    @property
    def reference(self) -> Path:
        return self.root / "data" / "reference"

    @property
    def world_shapes(self) -> Path:
        return self.external / "naturalearth_110m_countries.geojson"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def executed(self) -> Path:
        """Executed notebooks, kept for inspection."""
        return self.reports / "notebooks"

    @property
    def package(self) -> Path:
        """The package's source folder (``src/chinabrief``), whose files the stages depend on."""
        return self.root / "src" / "chinabrief"

    @property
    def build(self) -> Path:
        """Build bookkeeping (stage parameter files, product manifests, status records); git-ignored."""
        return self.root / "build"

    def resolve(self, path: str | Path) -> Path:
        """Resolve a path given relative to the root (as in params.yaml)."""
        p = Path(path)
        return p if p.is_absolute() else (self.root / p).resolve()

    def relative(self, path: str | Path) -> str:
        """Return ``path`` relative to the root, POSIX style, for outputs (no absolute paths)."""
        p = Path(path).resolve()
        try:
            return p.relative_to(self.root).as_posix()
        except ValueError:
            return os.path.relpath(p, self.root).replace(os.sep, "/")


def paths() -> Paths:
    """Return the :class:`Paths` of the current project root."""
    return Paths(find_root())
