"""Tests of chinabrief.pipeline.depends: a stage's package files, from the imports (known answers on
a made-up package)."""

from __future__ import annotations

import json
from pathlib import Path

from chinabrief.pipeline import depends

FILES = {
    "__init__.py": "",
    "cli.py": "from .config import X\n\ndef run():\n    from .pipeline import verify\n",
    "config.py": "",
    "text.py": "",
    "data/__init__.py": "",
    "data/prepare.py": "from .. import config\nfrom ..text import fmt\n",
    "analysis/__init__.py": "",
    "analysis/mining.py": "from ..data import prepare\n\ndef late():\n    from . import helper\n",
    "analysis/helper.py": "",
    "analysis/unused.py": "",
    "pipeline/__init__.py": "",
    "pipeline/runner.py": "from . import export\n",
    "pipeline/export.py": "",
    "pipeline/reuse.py": "",
    "pipeline/verify.py": "",
    "render/__init__.py": "",
    "render/styles/brief.css": "",
}


def fake_package(tmp_path: Path) -> Path:
    root = tmp_path / "chinabrief"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    depends._module_imports.cache_clear()
    return root


def notebook(tmp_path: Path, *sources: str) -> Path:
    cells = [{"cell_type": "code", "source": s, "metadata": {}, "outputs": []} for s in sources]
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": cells + [{"cell_type": "markdown", "source": "import nothing"}]}))
    return path


def test_closure_follows_relative_imports_packages_and_imports_inside_functions(tmp_path):
    package = fake_package(tmp_path)
    found = depends.closure(package, {"chinabrief.analysis.mining"})
    assert found == {
        "chinabrief",
        "chinabrief.analysis",
        "chinabrief.analysis.mining",
        "chinabrief.analysis.helper",
        "chinabrief.data",
        "chinabrief.data.prepare",
        "chinabrief.config",
        "chinabrief.text",
    }


def test_notebook_imports_skip_magics_and_markdown(tmp_path):
    package = fake_package(tmp_path)
    nb = notebook(tmp_path, "%matplotlib inline", "from chinabrief.analysis import mining\nimport pandas")
    assert depends.notebook_imports(nb, package) == {"chinabrief.analysis", "chinabrief.analysis.mining"}


def test_stage_sources_are_the_notebooks_closure_and_the_runners(tmp_path):
    package = fake_package(tmp_path)
    nb = notebook(tmp_path, "from chinabrief.analysis import mining")
    names = {p.relative_to(package).as_posix() for p in depends.stage_sources(package, nb)}
    assert "analysis/unused.py" not in names
    assert "pipeline/verify.py" not in names  # imported by a cli command, not by the runner
    assert {
        "analysis/mining.py",
        "analysis/helper.py",
        "cli.py",
        "pipeline/runner.py",
        "pipeline/export.py",
        "render/styles/brief.css",
    } <= names


def test_a_missing_notebook_imports_nothing(tmp_path):
    assert depends.notebook_imports(tmp_path / "missing.ipynb", fake_package(tmp_path)) == set()
