"""Re-export a brief without re-running it when only its notebook's markdown changed.

A notebook's outputs depend on its code cells, its parameters and its inputs. When make re-runs a
stage because of the notebook alone (``$?``, the prerequisites newer than the target, is just the
notebook file) and the code cells are the same as in the last successful run's executed notebook
(same sources in the same order, same parameters), the outputs would be the same: they are
carried over to the edited notebook, which is then normalised and exported as usual. A heading or
paragraph edited in JupyterLab thus reaches the HTML in about a second, with no kernel.

Anything else (a code cell added, removed or edited; another prerequisite newer; no earlier
executed notebook) runs the notebook as usual.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

INJECTED_TAG = "injected-parameters"


def _code_cells(nb: nbformat.NotebookNode) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and INJECTED_TAG not in c.metadata.get("tags", [])]


def code_signature(nb: nbformat.NotebookNode) -> list[str]:
    """The sources of a notebook's own code cells, in order (papermill's injected cell left out)."""
    return [c.source for c in _code_cells(nb)]


def only_markdown_changed(notebook: Path, executed: Path, parameters: dict, changed: list[str]) -> bool:
    """Whether ``notebook``'s outputs can be carried over from ``executed`` (see the module docstring).

    Parameters
    ----------
    notebook : Path
        The stage's notebook as edited.
    executed : Path
        The executed notebook of the last successful run (``reports/notebooks/...``).
    parameters : dict
        The parameters this run would inject.
    changed : list of str
        The prerequisites make found newer than the target (``$?``), as paths.

    Returns
    -------
    bool
    """
    if not executed.is_file() or not changed:
        return False
    if {Path(p).resolve() for p in changed} != {notebook.resolve()}:
        return False
    old = nbformat.read(executed, as_version=4)
    new = nbformat.read(notebook, as_version=4)
    if old.metadata.get("papermill", {}).get("parameters") != parameters:
        return False
    return code_signature(old) == code_signature(new)


def carry_outputs(notebook: Path, executed: Path) -> nbformat.NotebookNode:
    """The edited notebook with the executed notebook's outputs, execution counts and injected cell.

    Raises
    ------
    ValueError
        When the code cells differ (check :func:`only_markdown_changed` first).
    """
    old = nbformat.read(executed, as_version=4)
    new = nbformat.read(notebook, as_version=4)
    if code_signature(old) != code_signature(new):
        raise ValueError(f"{notebook.name}: code cells differ from {executed.name}; outputs cannot be reused")
    result = copy.deepcopy(new)
    for cell in result.cells:  # papermill gives every cell a tags list
        cell.metadata.setdefault("tags", [])
    for mine, theirs in zip(_code_cells(result), _code_cells(old)):
        mine.outputs = copy.deepcopy(theirs.outputs)
        mine.execution_count = theirs.execution_count
    injected = [c for c in old.cells if INJECTED_TAG in c.metadata.get("tags", [])]
    if injected:
        at = next((i + 1 for i, c in enumerate(result.cells) if "parameters" in c.metadata.get("tags", [])), 0)
        result.cells.insert(at, copy.deepcopy(injected[0]))
    # the notebook's metadata is the run's (the kernel fills in language_info; papermill its record),
    # exactly what a run of the same code would leave: a re-run later gives the same bytes
    result.metadata = copy.deepcopy(old.metadata)
    return result
