"""Tests of chinabrief.pipeline.export: normalising executed notebooks and the self-contained HTML brief.

The executed notebook is synthetic, built here with the metadata papermill and nbclient write.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from chinabrief.pipeline import export

ROOT = Path("/home/someone/projects/chinabrief")


def executed_notebook() -> nbformat.NotebookNode:
    """A synthetic notebook as papermill leaves it after a run."""
    timing = {
        "iopub.execute_input": "2025-06-01T10:00:01.000Z",
        "iopub.status.busy": "2025-06-01T10:00:00.900Z",
        "iopub.status.idle": "2025-06-01T10:00:02.000Z",
        "shell.execute_reply": "2025-06-01T10:00:02.000Z",
    }
    pm_cell = {
        "start_time": "2025-06-01T10:00:00",
        "end_time": "2025-06-01T10:00:02",
        "duration": 2.0,
        "exception": False,
        "status": "completed",
    }
    params = new_code_cell(
        "tokens = ['TRX']  # PARAM_SOURCE_MARKER",
        metadata={"tags": ["parameters"], "execution": timing, "papermill": pm_cell},
        outputs=[new_output("stream", name="stdout", text="PARAM_OUTPUT_MARKER\n")],
    )
    injected = new_code_cell(
        "# Parameters\ntokens = ['NEO']  # INJECTED_MARKER",
        metadata={"tags": ["injected-parameters"], "execution": timing, "papermill": pm_cell},
        outputs=[new_output("stream", name="stdout", text="INJECTED_OUTPUT_MARKER\n")],
    )
    code = new_code_cell(
        "SECRET_CODE_MARKER = 1\nshow_table()",
        metadata={"execution": timing, "papermill": pm_cell, "collapsed": False},
        execution_count=3,
        outputs=[
            new_output(
                "display_data",
                data={"text/html": f"<p>VISIBLE_OUTPUT read {ROOT}/data/raw/x.csv</p>", "text/plain": f"'{ROOT}/data'"},
                metadata={"execution": {"x": 1}},
            ),
            new_output("stream", name="stderr", text="STDERR_WARNING_MARKER: something\n"),
            new_output("stream", name="stdout", text=f"STDOUT_MARKER {ROOT}/reports\n"),
        ],
    )
    failing = new_code_cell(
        "raise ValueError('x')",
        metadata={"execution": timing},
        outputs=[
            new_output(
                "error", ename="ValueError", evalue="x", traceback=[f"File {ROOT}/src/chinabrief/a.py", "ValueError: x"]
            )
        ],
    )
    nb = new_notebook(
        cells=[new_markdown_cell("# Title of the brief\n\nSome *prose*."), params, injected, code, failing]
    )
    nb.metadata["papermill"] = {
        "start_time": "2025-06-01T10:00:00.000000",
        "end_time": "2025-06-01T10:00:05.000000",
        "duration": 5.0,
        "exception": None,
        "input_path": f"{ROOT}/notebooks/x.ipynb",
        "output_path": f"{ROOT}/build/tmp/x.ipynb",
        "parameters": {"tokens": ["NEO"]},
        "environment_variables": {},
        "version": "2.7.0",
    }
    nb.metadata["widgets"] = {"state": {}}
    return nb


# --- normalise ----------------------------------------------------------------------------------
def test_normalise_removes_papermill_run_metadata():
    nb = export.normalise(executed_notebook(), ROOT)
    assert nb.metadata["papermill"] == {"parameters": {"tokens": ["NEO"]}}
    assert "widgets" not in nb.metadata


def test_normalise_removes_per_cell_timestamps_and_sets_ids():
    nb = export.normalise(executed_notebook(), ROOT)
    assert [c["id"] for c in nb.cells] == ["cell-000", "cell-001", "cell-002", "cell-003", "cell-004"]
    for cell in nb.cells:
        assert "execution" not in cell.metadata
        assert "papermill" not in cell.metadata
        assert "collapsed" not in cell.metadata
        for output in cell.get("outputs", []):
            assert "execution" not in output.get("metadata", {})
    assert nb.cells[1].metadata["tags"] == ["parameters"]  # tags are kept


def test_normalise_replaces_the_root_path_in_outputs():
    nb = export.normalise(executed_notebook(), ROOT)
    text = nbformat.writes(nb)
    assert str(ROOT) not in text.replace(nb.cells[3].source, "")
    outputs = nb.cells[3].outputs
    assert outputs[0]["data"]["text/html"] == "<p>VISIBLE_OUTPUT read ./data/raw/x.csv</p>"
    assert outputs[0]["data"]["text/plain"] == "'./data'"
    assert outputs[2]["text"] == "STDOUT_MARKER ./reports\n"
    assert nb.cells[4].outputs[0]["traceback"][0] == "File ./src/chinabrief/a.py"


def test_normalise_is_deterministic():
    first = nbformat.writes(export.normalise(executed_notebook(), ROOT))
    later = executed_notebook()
    later.metadata["papermill"]["start_time"] = "2030-01-01T00:00:00"
    for cell in later.cells:
        cell["id"] = "random-" + cell["id"]
    assert nbformat.writes(export.normalise(later, ROOT)) == first


def test_write_notebook_is_valid_and_ends_with_newline(tmp_path):
    nb = export.normalise(executed_notebook(), ROOT)
    export.write_notebook(nb, tmp_path / "x.ipynb")
    assert (tmp_path / "x.ipynb").read_text().endswith("}\n")  # one final newline, as git likes
    nbformat.validate(nbformat.read(tmp_path / "x.ipynb", as_version=4))


# --- to_html ------------------------------------------------------------------------------------
def render() -> str:
    nb = export.normalise(executed_notebook(), ROOT)
    return export.to_html(
        nb,
        title="Brief <title>",
        index_href="../index.html",
        notebook_href="notebooks/x.ipynb",
        notebook_name="x.ipynb",
    )


def test_html_hides_code():
    html = render()
    assert "VISIBLE_OUTPUT" in html and "STDOUT_MARKER" in html
    assert "SECRET_CODE_MARKER" not in html
    assert "show_table()" not in html
    assert "In&nbsp;[" not in html and "In [" not in html  # no prompts


def test_html_drops_parameter_cells():
    html = render()
    for marker in ["PARAM_SOURCE_MARKER", "PARAM_OUTPUT_MARKER", "INJECTED_MARKER", "INJECTED_OUTPUT_MARKER"]:
        assert marker not in html


def test_html_drops_stderr():
    assert "STDERR_WARNING_MARKER" not in render()


def test_html_loads_nothing_from_the_network():
    html = render()
    assert not re.search(r"<script[^>]*\bsrc=", html, re.I)
    assert "<script" not in html.lower()  # the template ships no script at all
    for tag in re.findall(r"<link\b[^>]*>", html, re.I):
        assert not re.search(r"href=[\"']?(https?:)?//", tag, re.I), tag
    assert not re.search(r"@import\s+url\(\s*[\"']?https?:", html, re.I)


def test_html_inlines_the_stylesheet():
    html = render()
    css = export.stylesheet()
    assert "table.brief-table" in css
    assert f"<style>\n{css}\n</style>" in html
    assert '<link rel="stylesheet"' not in html


def test_html_title_and_links_are_escaped():
    html = render()
    assert "<title>Brief &lt;title&gt;</title>" in html
    assert 'href="../index.html"' in html and 'href="notebooks/x.ipynb"' in html


def test_html_keeps_markdown_prose():
    html = render()
    assert "Title of the brief" in html and "<em>prose</em>" in html


# --- the brief layout: sections, captions, findings, stray reprs ---------------------------------
EVIL = "<script>alert(1)</script>"


def layout_notebook() -> nbformat.NotebookNode:
    """A brief-shaped notebook: intro, headline, findings, two sections, a figure with cell options."""
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    cells = [
        new_markdown_cell("# The brief\n\nWhat it answers."),
        new_code_cell(
            "headline()",
            metadata={"tags": ["headline"]},
            outputs=[new_output("execute_result", data={"text/markdown": "Prices rose 3%.", "text/plain": "x"})],
        ),
        new_code_cell(
            "findings()",
            metadata={"tags": ["findings"]},
            outputs=[
                new_output(
                    "execute_result", data={"text/markdown": "- One \\*thing\\*\n- &lt;b&gt;two", "text/plain": "x"}
                )
            ],
        ),
        new_markdown_cell("## First section\n\nHow to read it."),
        new_code_cell(
            "chart()",
            metadata={"fig-cap": f"Caption {EVIL}", "source": f"Source {EVIL}"},
            outputs=[
                new_output(
                    "execute_result",
                    data={"image/png": png, "text/plain": ""},
                    metadata={"image/png": {"alt": f"Alt {EVIL}"}},
                )
            ],
        ),
        new_code_cell(
            "ax = plot()\nax",
            outputs=[new_output("execute_result", data={"text/plain": "<Axes: title={'center': 'STRAY_REPR'}>"})],
        ),
        new_markdown_cell("## Second – section\n\nA paragraph a user added."),
        new_code_cell(
            "big_table()",
            metadata={"fold": "Every row", "tbl-cap": "Table caption"},
            outputs=[new_output("execute_result", data={"text/html": "<table><tr><td>FOLDED_CELL</td></tr></table>"})],
        ),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["papermill"] = {"parameters": {"month": "2022-01"}}
    return nb


def test_headings_title_and_summary_come_from_the_notebook():
    nb = layout_notebook()
    assert export.headings(nb.cells[3].source) == [(2, "First section")]
    assert export.title_of(nb) == "The brief"
    assert export.summary_of(nb) == {"headline": "Prices rose 3%.", "findings": ["One *thing*", "<b>two"]}


def test_markdown_cells_and_a_users_paragraph_are_visible():
    html = export.to_html(layout_notebook(), title="t")
    assert "A paragraph a user added." in html and "How to read it." in html
    css = export.stylesheet()
    assert not re.search(r"\.jp-InputArea\b[^{]*\{[^}]*display:\s*none", css)


def test_table_of_contents_links_every_section_heading():
    html = export.to_html(layout_notebook(), title="t")
    toc = re.search(r'<nav[^>]*class="toc".*?</nav>', html, re.S).group(0)
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', toc)
    assert [text for _, text in links] == ["First section", "Second – section"]
    for anchor, _ in links:
        assert f'id="{anchor}"' in html  # nbconvert's own heading ids
    assert html.index('<section class="findings">') < html.index('class="toc"') < html.index('id="First-section"')


def test_captions_sources_and_alt_text_are_escaped():
    html = export.to_html(layout_notebook(), title="t")
    assert "<script>" not in html
    assert "<figcaption>Caption &lt;script&gt;alert(1)&lt;/script&gt;</figcaption>" in html
    assert '<p class="source">Source: Source &lt;script&gt;alert(1)&lt;/script&gt;</p>' in html
    assert 'alt="Alt &lt;script&gt;alert(1)&lt;/script&gt;"' in html


def test_stray_text_reprs_are_dropped_but_print_output_stays():
    html = export.to_html(layout_notebook(), title="t")
    assert "STRAY_REPR" not in html
    assert "STDOUT_MARKER" in render()


def test_fold_headline_findings_and_parameters():
    html = export.to_html(layout_notebook(), title="t")
    assert re.search(r"<details><summary>Every row</summary>.*FOLDED_CELL.*</details>", html, re.S)
    assert '<p class="tbl-cap">Table caption</p>' in html
    assert re.search(r'<div class="dek">.*Prices rose 3%\..*</div>', html, re.S)
    assert re.search(r'<section class="findings">.*<li>One \*thing\*</li>.*&lt;b&gt;two', html, re.S)
    assert re.search(
        r'<details class="parameters">.*<dt>month</dt><dd>&#34;2022-01&#34;</dd>', html, re.S
    ) or re.search(r'<details class="parameters">.*<dt>month</dt><dd>"2022-01"</dd>', html, re.S)


def test_a_title_cell_opens_the_page():
    nb = layout_notebook()
    nb.cells[0].source = "What it answers."
    nb.cells.append(
        new_code_cell(
            "title()",
            metadata={"tags": ["title"]},
            outputs=[new_output("execute_result", data={"text/markdown": "# Event &lt;label&gt;"})],
        )
    )
    assert export.title_of(nb) == "Event <label>"
    html = export.to_html(nb, title=export.title_of(nb))
    assert html.index('Event &lt;label&gt;<a class="anchor-link"') < html.index("What it answers.")
    assert "<title>Event &lt;label&gt;</title>" in html
