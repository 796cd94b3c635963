"""Tests of chinabrief.pipeline.index: the index page from status records through its Jinja template."""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from chinabrief.config import Paths
from chinabrief.pipeline import index

EVIL = "<script>alert(1)</script>"
EVIL_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


class Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    parser = Elements()
    parser.feed(html)
    return parser.found


def write_record(root: Path, **record) -> None:
    folder = root / "build" / "status"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{record['key']}.json").write_text(json.dumps(record))


@pytest.fixture()
def project(tmp_path) -> Paths:
    """Status records of a build: two briefs (one failed after an earlier success), an event brief,
    the ingest stage; data from the records is hostile."""
    (tmp_path / "reports" / "events").mkdir(parents=True)
    for brief in ("prepare.html", "mining.html", "events/2031-01-02-x.html"):
        (tmp_path / "reports" / brief).write_text("brief")
    write_record(
        tmp_path,
        key="prepare",
        stage="prepare",
        status="ok",
        title=f"Quality {EVIL}",
        headline=f"Headline {EVIL}",
        findings=[f"First {EVIL}", "Second"],
        brief="reports/prepare.html",
        notebook="reports/notebooks/02_prepare.ipynb",
        seconds=1.5,
        error=None,
    )
    write_record(
        tmp_path,
        key="mining_share",
        stage="mining_share",
        status="failed",
        title="Mining",
        headline="Old headline",
        findings=["Old finding"],
        brief="reports/mining.html",
        notebook="reports/notebooks/04.ipynb",
        failed_html="reports/failed/mining_share.html",
        error=f"cell 3 raised ValueError: {EVIL}",
        seconds=2.0,
    )
    write_record(
        tmp_path,
        key="event_brief-2031-01-02-x",
        stage="event_brief",
        status="ok",
        event_id="2031-01-02-x",
        title="One event",
        headline="Event headline",
        findings=["not on the card"],
        brief="reports/events/2031-01-02-x.html",
        notebook="reports/notebooks/05-x.ipynb",
        seconds=1.0,
        error=None,
    )
    write_record(
        tmp_path,
        key="ingest",
        stage="ingest",
        status="ok",
        title="Data import",
        headline="67 files",
        findings=[],
        brief=None,
        notebook="reports/notebooks/01_ingest.ipynb",
        seconds=0.5,
        error=None,
    )
    return Paths(tmp_path)


def test_cards_show_title_headline_first_finding_status_and_links(project):
    html = index.build(project).read_text(encoding="utf-8")
    assert f"<h3>Quality {EVIL_ESCAPED}</h3>" in html and f'<p class="dek">Headline {EVIL_ESCAPED}</p>' in html
    assert f"<li>First {EVIL_ESCAPED}</li>" in html and "Second" not in html  # one finding a card
    assert 'href="prepare.html">Read the brief' in html and 'href="notebooks/02_prepare.ipynb"' in html
    assert html.count('class="status-ok table-note"') == 2


def test_a_failed_stage_keeps_its_previous_summary_and_links_the_failure(project):
    html = index.build(project).read_text(encoding="utf-8")
    assert "1 stage(s) failed in the last build" in html
    assert html.count('href="failed/mining_share.html"') == 2  # the banner and the card
    assert f"Build failed: cell 3 raised ValueError: {EVIL_ESCAPED}" in html
    assert 'href="mining.html">Read the brief' in html and "Old headline" in html


def test_event_briefs_have_their_own_section_with_dated_titles(project):
    html = index.build(project).read_text(encoding="utf-8")
    cards, events = html.split('<h2 id="events">Event briefs</h2>')
    assert "2031-01-02 · One event" in events and "Event headline" in events
    assert "not on the card" not in html
    assert "Data import" not in html  # ingest has no brief: shown only when it fails


def test_data_from_the_records_is_text(project):
    html = index.build(project).read_text(encoding="utf-8")
    assert EVIL not in html
    found = elements(html)
    assert [a.get("src") for tag, a in found if tag == "script"] == ["run.js", None]
    assert not [(tag, a) for tag, a in found if any(k.startswith("on") for k in a)]


def test_same_records_same_bytes_and_durations_only_in_run_js(project):
    first = index.build(project).read_bytes()
    write_record(
        project.root,
        key="ingest",
        stage="ingest",
        status="ok",
        title="Data import",
        headline="",
        findings=[],
        brief=None,
        notebook="reports/notebooks/01_ingest.ipynb",
        seconds=9.9,
        error=None,
    )
    assert index.build(project).read_bytes() == first
    assert '"ingest": 9.9' in (project.reports / "run.js").read_text()
    assert json.loads((project.reports / "run.json").read_text())["stages"][0]["key"] == "mining_share"


def test_a_brief_whose_file_is_gone_is_not_linked(project):
    (project.reports / "prepare.html").unlink()
    html = index.build(project).read_text(encoding="utf-8")
    assert 'href="prepare.html"' not in html and 'href="notebooks/02_prepare.ipynb"' in html


def test_the_index_reads_no_html_and_imports_nothing_heavy():
    assert not hasattr(index, "headline")  # the old regex scraping of the briefs is gone
    code = (
        "import sys, chinabrief.pipeline.index\n"
        "print(sorted(m for m in ('pandas', 'nbconvert', 'nbformat', 'numpy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
