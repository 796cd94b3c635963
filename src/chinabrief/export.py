"""Executed notebook → normalised notebook → self-contained HTML brief (nbconvert).

Normalisation makes executed notebooks byte-identical across builds: papermill's start/end
times and durations, nbclient's per-cell timestamps, random cell ids and absolute paths are
removed or made deterministic. The HTML export hides all code (``exclude_input``; papermill's
report mode is not honoured by nbconvert), drops the parameter cells and stderr streams (warnings
are for the log, not the reader), and inlines one shared stylesheet.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

from . import fileio
from .assets import stylesheet

TEMPLATE_NAME = "brief"
#: Cells carrying these tags never reach the HTML.
HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell"}


def normalise(nb: nbformat.NotebookNode, root: Path | None = None) -> nbformat.NotebookNode:
    """Strip run-specific metadata so the same inputs give the same bytes.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed notebook (modified in place and returned).
    root : Path, optional
        Project root; its absolute path is replaced by ``.`` in every output text.

    Returns
    -------
    nbformat.NotebookNode
    """
    papermill = nb.metadata.get("papermill", {})
    nb.metadata["papermill"] = {"parameters": papermill.get("parameters", {})}
    nb.metadata.pop("widgets", None)
    root_text = str(root) if root else None
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index:03d}"
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("collapsed", None)
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            output.get("metadata", {}).pop("execution", None)
            if root_text:
                _replace_in_output(output, root_text)
    return nb


def _replace_in_output(output: nbformat.NotebookNode, root_text: str) -> None:
    if "text" in output and isinstance(output["text"], str):
        output["text"] = output["text"].replace(root_text, ".")
    for key, value in output.get("data", {}).items():
        if isinstance(value, str) and key.startswith("text/"):
            output["data"][key] = value.replace(root_text, ".")
    if "traceback" in output:
        output["traceback"] = [line.replace(root_text, ".") for line in output["traceback"]]


def write_notebook(nb: nbformat.NotebookNode, target: Path) -> None:
    """Write a notebook atomically with stable formatting."""
    fileio.write_text(target, nbformat.writes(nb) + "\n")


class RemoveStderrPreprocessor(Preprocessor):
    """Drop stderr stream outputs (warnings, progress) from what readers see."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            cell.outputs = [
                o for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
        return cell, resources


def html_exporter() -> HTMLExporter:
    """The brief exporter: our template, no code, no prompts, no parameter cells."""
    template_dir = resources.files("chinabrief").joinpath("templates")
    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(template_dir)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    tag_remover = TagRemovePreprocessor(remove_cell_tags=HIDDEN_TAGS, enabled=True)
    exporter.register_preprocessor(tag_remover, enabled=True)
    exporter.register_preprocessor(RemoveStderrPreprocessor(), enabled=True)
    return exporter


def to_html(
    nb: nbformat.NotebookNode,
    *,
    title: str,
    index_href: str = "index.html",
    notebook_href: str = "",
    notebook_name: str = "",
) -> str:
    """Render an executed notebook as one self-contained HTML brief.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed, normalised notebook.
    title : str
        Page title.
    index_href, notebook_href, notebook_name : str
        Relative links back to the index and to the executed notebook.

    Returns
    -------
    str
        The HTML document.
    """
    extra = {
        "brief": {
            "title": title,
            "css": stylesheet(),
            "index_href": index_href,
            "notebook_href": notebook_href,
            "notebook_name": notebook_name,
        },
        "metadata": {"name": title},
    }
    body, _ = html_exporter().from_notebook_node(nb, resources=extra)
    return body
