"""The notebooks are the briefs: checked on the executed notebooks and HTML of the shared build,
and by editing a notebook in a copy of that build as a JupyterLab user would."""

from __future__ import annotations

import json
import re
import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from chinabrief.pipeline import export
from conftest import SNAPSHOT, make

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (SNAPSHOT / "SHA256SUMS").is_file(), reason="no data snapshot at ../shared/data"),
]
#: Above this size, an HTML output must be a table (pandas Styler), not a hand-built section.
MAX_HTML_OUTPUT = 2048


def executed(built) -> list:
    return sorted((built / "reports/notebooks").glob("*.ipynb"))


def brief_of(built, notebook) -> str | None:
    records = [json.loads(p.read_text()) for p in (built / "build/status").glob("*.json")]
    for record in records:
        if record["notebook"].endswith("/" + notebook.name) and record.get("brief"):
            return (built / record["brief"]).read_text(encoding="utf-8")
    return None


def test_every_code_cell_shows_at_most_one_thing(built):
    for path in executed(built):
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            shown = [
                o
                for o in cell.outputs
                if o.output_type in ("display_data", "execute_result") and set(o.get("data", {})) - {"text/plain"}
            ]
            assert len(shown) <= 1, f"{path.name} cell {index} shows {len(shown)} things"
            for output in shown:
                html = output["data"].get("text/html", "")
                if len(html) > MAX_HTML_OUTPUT:
                    assert html.lstrip().startswith("<style") and "<table" in html, (
                        f"{path.name} cell {index}: {len(html)} characters of HTML that is not a table"
                    )


def test_every_section_of_a_brief_is_a_markdown_heading_of_its_notebook(built):
    checked = 0
    for path in executed(built):
        html = brief_of(built, path)
        if html is None:
            continue
        nb = nbformat.read(path, as_version=4)
        in_markdown = [
            text
            for cell in nb.cells
            if cell.cell_type == "markdown"
            for level, text in export.headings(cell.source)
            if level == 2
        ]
        in_html = [re.sub(r"<[^>]+>|¶", "", h).strip() for h in re.findall(r'<h2 id="[^"]*">(.*?)</h2>', html, re.S)]
        assert in_html and in_html == in_markdown, path.name
        checked += 1
    assert checked >= 4


def test_briefs_show_figures_inline_with_alt_text(built):
    for name in ("mining-share.html", "token-reactions.html"):
        html = (built / "reports" / name).read_text(encoding="utf-8")
        tags = re.findall(r"<img\b[^>]*>", html)  # nbconvert may write the attributes in any order
        images = [re.search(r'alt="([^"]*)"', t).group(1) for t in tags if 'src="data:image/png;base64,' in t]
        assert len(images) == len(tags) >= 3 and all(alt and alt != "Chart" for alt in images), name
        assert "&lt;Figure size" not in html and "<Figure size" not in html


@pytest.fixture(scope="module")
def edited(built, tmp_path_factory):
    """A copy of the build whose mining notebook got a paragraph and a chart, then `make report`."""
    copy = tmp_path_factory.mktemp("edited") / "repo"
    shutil.copytree(built, copy, symlinks=True)
    path = copy / "notebooks/04_mining_share.ipynb"
    nb = nbformat.read(path, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "## Maps" in c.source)
    nb.cells[at:at] = [
        new_markdown_cell("## Kazakhstan\n\nA PARAGRAPH_ADDED_IN_LAB about Kazakhstan's rise."),
        new_code_cell(
            "import matplotlib.pyplot as plt\nimport pandas as pd\n"
            "c = pd.read_csv(P.processed / 'mining_countries.csv', parse_dates=['date'])\n"
            "kaz = c[c['iso3'] == 'KAZ']\nfig, ax = plt.subplots()\n"
            "ax.plot(kaz['date'], kaz['share_pct'])\nax.set_title('Kazakhstan share of hashrate (%)')"
        ),
    ]
    nbformat.write(nb, path)
    before = (built / "reports/mining-share.html").read_text(encoding="utf-8")
    done = make(copy, "report", f"SNAPSHOT={SNAPSHOT}")
    return before, done, copy


def test_an_edited_notebook_reruns_only_its_stage_and_the_index(edited):
    _, done, _ = edited
    assert done.returncode == 0, done.stdout + done.stderr
    ran = re.findall(r"\[chinabrief\] ([\w-]+): ok in", done.stdout)
    assert ran == ["mining_share"], done.stdout
    assert "[chinabrief] index:" in done.stdout


def test_the_edit_shows_in_the_html(edited):
    before, done, copy = edited
    after = (copy / "reports/mining-share.html").read_text(encoding="utf-8")
    assert "PARAGRAPH_ADDED_IN_LAB" in after and "PARAGRAPH_ADDED_IN_LAB" not in before
    assert after.count("<img ") == before.count("<img ") + 1
    assert 'alt="Kazakhstan share of hashrate (%)"' in after
    assert '<a href="#Kazakhstan">Kazakhstan</a>' in after  # the new heading is in the contents
    assert "<Axes" not in after and "&lt;Axes" not in after  # the cell's last value is no stray repr
