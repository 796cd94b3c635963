"""Tests of the committed notebooks: clean (no outputs), one ``parameters`` cell whose names and
defaults are the stage's parameters from params.yaml — so a notebook run as-is in JupyterLab
gives the same result as ``make report``."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from chinabrief.pipeline import params, stages

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
STAGE_OF_NOTEBOOK = {stage.notebook: name for name, stage in stages.STAGES.items()}


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def parameters_cells(nb: nbformat.NotebookNode) -> list:
    return [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]


def assigned(source: str) -> dict[str, object]:
    """Names and literal values of a parameters cell (only ``name = literal`` lines allowed)."""
    values = {}
    for node in ast.parse(source).body:
        assert isinstance(node, ast.Assign), f"not a plain assignment: {ast.unparse(node)}"
        assert len(node.targets) == 1 and isinstance(node.targets[0], ast.Name), ast.unparse(node)
        values[node.targets[0].id] = ast.literal_eval(node.value)
    return values


def test_there_is_a_notebook_per_stage_and_a_stage_per_notebook():
    assert NOTEBOOKS, "no notebooks found"
    assert sorted(p.name for p in NOTEBOOKS) == sorted(STAGE_OF_NOTEBOOK)
    assert {stage.notebook for stage in stages.STAGES.values()} == {p.name for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_outputs_or_execution_counts(path):
    nb = read(path)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {index} has outputs"
            assert cell.execution_count is None, f"{path.name} cell {index} has an execution count"
    assert "papermill" not in nb.metadata
    nbformat.validate(nb)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_exactly_one_parameters_cell(path):
    nb = read(path)
    cells = parameters_cells(nb)
    assert len(cells) == 1
    assert cells[0].cell_type == "code"
    assert not any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_names_the_stage_parameters(path):
    stage = STAGE_OF_NOTEBOOK[path.name]
    values = assigned(parameters_cells(read(path))[0].source)
    assert list(values) == list(stages.STAGES[stage].parameters)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_defaults_equal_params_yaml(path):
    stage = STAGE_OF_NOTEBOOK[path.name]
    values = assigned(parameters_cells(read(path))[0].source)
    expected = params.for_stage(params.load(ROOT / "params.yaml"), stage)
    assert values == expected
    for name, value in values.items():  # same types too (True is not 1)
        assert type(value) is type(expected[name]), name


def test_assigned_rejects_code_in_a_parameters_cell():
    with pytest.raises(AssertionError):
        assigned("import os\ntokens = ['TRX']")
    with pytest.raises(ValueError):
        assigned("tokens = list_tokens()")


def chinabrief_imports(nb: nbformat.NotebookNode) -> set[str]:
    """The ``chinabrief`` modules a notebook's code cells import."""
    found = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.ImportFrom) and node.module == "chinabrief":
                found |= {f"chinabrief.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("chinabrief."):
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names if alias.name.startswith("chinabrief")}
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_module_the_notebook_imports_is_a_prerequisite_of_its_stage(path):
    """The make prerequisites come from the imports: each module the notebook imports, found here
    by importing them in a fresh interpreter, has its file among the stage's sources."""
    import subprocess
    import sys

    from chinabrief.pipeline import depends

    wanted = chinabrief_imports(read(path))
    assert wanted, "the notebook imports nothing from chinabrief"
    code = (
        "import importlib, sys\n"
        f"for m in {sorted(wanted)!r}:\n    importlib.import_module(m)\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('chinabrief'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split()
    package = ROOT / "src" / "chinabrief"
    sources = set(depends.stage_sources(package, path))
    missing = [m for m in loaded if depends.module_file(package, m) not in sources]
    assert not missing, f"imported but not a prerequisite: {missing}"
