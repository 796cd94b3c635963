"""Tests of chinabrief.pipeline.reuse: outputs are carried over only when nothing but markdown changed."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from chinabrief.pipeline import reuse

PARAMS = {"month": "2022-01"}


def source_nb() -> nbformat.NotebookNode:
    return new_notebook(
        cells=[
            new_markdown_cell("# Title\n\nIntro."),
            new_code_cell('month = "2022-01"', metadata={"tags": ["parameters"]}),
            new_code_cell("r = compute(month)"),
            new_code_cell("chart(r)"),
        ]
    )


def executed_nb() -> nbformat.NotebookNode:
    nb = source_nb()
    nb.cells.insert(2, new_code_cell('# Parameters\nmonth = "2022-01"', metadata={"tags": ["injected-parameters"]}))
    nb.cells[4].outputs = [new_output("execute_result", data={"image/png": "PNGDATA"}, execution_count=4)]
    nb.cells[4].execution_count = 4
    nb.metadata["papermill"] = {"parameters": PARAMS}
    return nb


@pytest.fixture
def files(tmp_path):
    notebook, executed = tmp_path / "nb.ipynb", tmp_path / "executed.ipynb"
    nbformat.write(source_nb(), notebook)
    nbformat.write(executed_nb(), executed)
    return notebook, executed


def edit(path, change) -> None:
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)


def test_a_markdown_edit_reuses_the_outputs(files):
    notebook, executed = files
    edit(notebook, lambda nb: nb.cells.insert(3, new_markdown_cell("## A new section\n\nNEW_PROSE")))
    assert reuse.only_markdown_changed(notebook, executed, PARAMS, [str(notebook)])
    out = reuse.carry_outputs(notebook, executed)
    assert "NEW_PROSE" in out.cells[4].source  # the edit, after the carried-over injected cell
    assert [c.metadata.get("tags") for c in out.cells[:3]] == [[], ["parameters"], ["injected-parameters"]]
    chart = [c for c in out.cells if c.source == "chart(r)"][0]
    assert chart.outputs[0]["data"]["image/png"] == "PNGDATA" and chart.execution_count == 4
    assert out.metadata["papermill"] == {"parameters": PARAMS}
    assert all("tags" in c.metadata for c in out.cells)  # as papermill leaves every cell


@pytest.mark.parametrize("case", ["code edited", "code added", "other prerequisite", "parameters", "nothing run"])
def test_anything_else_runs_the_notebook(files, case):
    notebook, executed = files
    changed = [str(notebook)]
    parameters = PARAMS
    if case == "code edited":
        edit(notebook, lambda nb: setattr(nb.cells[3], "source", "chart(r, title='x')"))
    elif case == "code added":
        edit(notebook, lambda nb: nb.cells.append(new_code_cell("1 + 1")))
    elif case == "other prerequisite":
        changed = [str(notebook), "src/chinabrief/data/cbeci.py"]
    elif case == "parameters":
        parameters = {"month": "2021-12"}
    else:
        executed.unlink()
    assert not reuse.only_markdown_changed(notebook, executed, parameters, changed)


def test_carrying_outputs_over_different_code_is_refused(files):
    notebook, executed = files
    edit(notebook, lambda nb: setattr(nb.cells[3], "source", "other(r)"))
    with pytest.raises(ValueError, match="code cells differ"):
        reuse.carry_outputs(notebook, executed)
