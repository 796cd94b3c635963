"""Executed notebook → normalised notebook → self-contained HTML brief (nbconvert).

Normalisation makes executed notebooks byte-identical across builds: papermill's start/end
times and durations, nbclient's per-cell timestamps, random cell ids and absolute paths are
removed or made deterministic.

The HTML export is nbconvert's lab exporter with our template (``templates/brief``) and a few
small preprocessors, each doing one transform:

- :class:`~nbconvert.preprocessors.TagRemovePreprocessor` drops cells tagged ``parameters``,
  ``injected-parameters``, ``remove-cell`` or ``notebook-only``;
- :class:`RemoveStderrPreprocessor` drops stderr streams (warnings are for the log);
- :class:`RemoveStrayReprsPreprocessor` drops results that are only a text repr (``<Axes: ...>``);
- :class:`BriefLayoutPreprocessor` finds the title, builds the table of contents from the
  markdown headings and says where the template puts it.

Code is hidden (``exclude_input``; papermill's report mode is not honoured by nbconvert);
markdown cells stay visible. The template reads cell tags (``headline``, ``findings``) and cell
metadata in the spirit of Quarto's cell options (``fig-cap``, ``tbl-cap``, ``source``, ``fold``).
"""

from __future__ import annotations

import html as html_lib
import re
from importlib import resources
from pathlib import Path
from urllib.parse import quote

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

from .. import fileio
from ..render.assets import stylesheet

TEMPLATE_NAME = "brief"
#: Cells carrying these tags never reach the HTML.
HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell", "notebook-only"}
#: Headings of this level make the table of contents (``## Section``).
TOC_LEVEL = 2
TITLE_TAG = "title"
FINDINGS_TAG = "findings"
HEADLINE_TAG = "headline"


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
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
        return cell, resources


class RemoveStrayReprsPreprocessor(Preprocessor):
    """Drop results that carry nothing but a text repr (``<Axes: ...>``, ``[<matplotlib...>]``).

    A cell's last expression is shown as its result; when that is only ``text/plain`` it is an
    accident of how the cell ends, not something meant for readers. ``print`` output stays.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "execute_result" and set(o.get("data", {})) <= {"text/plain"})
            ]
        return cell, resources


_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.M)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


def headings(markdown: str) -> list[tuple[int, str]]:
    """The ATX headings of a Markdown text (level, plain text), outside code fences.

    Examples
    --------
    >>> headings("# Title\\n\\ntext\\n\\n## A *first* section ##\\n")
    [(1, 'Title'), (2, 'A first section')]
    """
    text = _FENCE.sub("", markdown)
    out = []
    for hashes, body in _HEADING.findall(text):
        plain = re.sub(r"(?<!\\)[*_`]|(?<!\\)\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", body)
        plain = re.sub(r"\\(.)", r"\1", re.sub(r"<[^>]+>", "", plain))  # backslash escapes, then entities
        out.append((len(hashes), html_lib.unescape(plain).strip()))
    return out


def heading_id(text: str) -> str:
    """The id nbconvert's Markdown renderer gives a heading (``nbconvert.filters.add_anchor``)."""
    return quote(text.replace(" ", "-"), safe="?/:@!$&'()*+,;=")


def _markdown_of(cell) -> str:
    """A cell's Markdown: its source, or the Markdown its outputs show (generated headings)."""
    if cell.cell_type == "markdown":
        return cell.source
    return "\n".join(o.get("data", {}).get("text/markdown", "") for o in cell.get("outputs", []))


def title_of(nb: nbformat.NotebookNode, default: str = "") -> str:
    """A brief's title: the first level-1 heading of a markdown cell or of a ``title`` cell's output."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" or TITLE_TAG in cell.metadata.get("tags", []):
            for level, text in headings(_markdown_of(cell)):
                if level == 1:
                    return text
    return default


def summary_of(nb: nbformat.NotebookNode) -> dict:
    """What the index shows of a brief: its headline and findings, as the notebook shows them.

    Returns
    -------
    dict
        ``headline`` (str) and ``findings`` (list of str) read from the outputs of the cells
        tagged ``headline`` and ``findings``: the Markdown text, one item per bullet.
    """
    headline = ""
    findings: list[str] = []
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        text = _markdown_of(cell) if cell.cell_type == "code" else ""
        if HEADLINE_TAG in tags and not headline:
            headline = _plain(text)
        if FINDINGS_TAG in tags and not findings:
            findings = [_plain(line[2:]) for line in text.splitlines() if line.startswith("- ")]
    return {"headline": headline, "findings": findings}


def _plain(markdown: str) -> str:
    """Markdown written by :class:`chinabrief.text.Markdown` back to plain text."""
    text = re.sub(r"\\(.)", r"\1", markdown.strip())
    return html_lib.unescape(text)


class BriefLayoutPreprocessor(Preprocessor):
    """Title, table of contents and its place, for the brief template.

    Puts in ``resources["brief"]``: ``title`` (unless given), ``toc`` (a list of
    ``{"id", "text"}`` for every level-2 heading of the markdown cells and of generated Markdown)
    and marks the cell after which the template draws the contents list: the key-findings cell,
    else the first markdown cell.
    """

    def preprocess(self, nb, resources):
        title_cell = next((c for c in nb.cells if TITLE_TAG in c.metadata.get("tags", [])), None)
        if title_cell is not None:  # a generated title (e.g. the event's label) opens the page
            nb.cells.remove(title_cell)
            nb.cells.insert(0, title_cell)
        brief = resources.setdefault("brief", {})
        brief.setdefault("title", title_of(nb, "China Crypto Brief"))
        toc = []
        for cell in nb.cells:
            for level, text in headings(_markdown_of(cell)):
                if level == TOC_LEVEL:
                    toc.append({"id": heading_id(text), "text": text})
        brief["toc"] = toc
        anchor = next((c for c in nb.cells if FINDINGS_TAG in c.metadata.get("tags", [])), None)
        anchor = anchor or next((c for c in nb.cells if c.cell_type == "markdown"), None)
        if anchor is not None:
            anchor.metadata["brief-toc-after"] = True
        first_markdown = next((c for c in nb.cells if c.cell_type == "markdown"), None)
        if first_markdown is not None:
            first_markdown.metadata["brief-intro"] = True
        return nb, resources


def html_exporter() -> HTMLExporter:
    """The brief exporter: our template, no code, no prompts, no parameter cells."""
    template_dir = resources.files("chinabrief").joinpath("render/templates")
    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(template_dir)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    tag_remover = TagRemovePreprocessor(remove_cell_tags=HIDDEN_TAGS, enabled=True)
    for preprocessor in (
        tag_remover,
        RemoveStderrPreprocessor(),
        RemoveStrayReprsPreprocessor(),
        BriefLayoutPreprocessor(),
    ):
        exporter.register_preprocessor(preprocessor, enabled=True)
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
            "parameters": dict(nb.metadata.get("papermill", {}).get("parameters", {})),
            "css": stylesheet(),
            "index_href": index_href,
            "notebook_href": notebook_href,
            "notebook_name": notebook_name,
        },
        "metadata": {"name": title},
    }
    body, _ = html_exporter().from_notebook_node(nb, resources=extra)
    return body
