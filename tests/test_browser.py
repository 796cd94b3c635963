"""The briefs in a real browser: headless Chromium loads the index and every brief from file://.

Each page must load with no uncaught exception, no console or log error and no failed request,
and a full-page screenshot of each is written to ``reports/screenshots/`` of the built copy
(``events/x.html`` → ``events__x.png``) for a human to look at. Chromium is driven over the
DevTools protocol by the small client in ``tests/cdp.py``. CI installs Debian's ``chromium``
(see ``.ci/run``); without it the browser tests are skipped.

The briefs must also be self-contained: under 5 MB each and no ``src=`` or ``<link href=``
pointing at the network.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import cdp

CHROMIUM = cdp.find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (CI installs Debian's `chromium`; see .ci/run)"
)
MAX_BRIEF_BYTES = 5 * 1024 * 1024
REMOTE = re.compile(r"^\s*(https?:)?//", re.I)


def brief_files(reports: Path) -> list[Path]:
    """The index and every brief: reports/*.html, reports/events/*.html and reports/articles/*.html."""
    return (
        sorted(reports.glob("*.html"))
        + sorted((reports / "events").glob("*.html"))
        + sorted((reports / "articles").glob("*.html"))
    )


def screenshot_name(reports: Path, page: Path) -> str:
    """``events/x.html`` → ``events__x.png``."""
    return page.relative_to(reports).with_suffix(".png").as_posix().replace("/", "__")


class _ResourceLinks(HTMLParser):
    """Every ``src=`` (any element) and every ``<link href=``, i.e. what a browser would fetch."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name in ("src", "srcset") or (tag == "link" and name == "href"):
                self.urls.append((tag, value))

    handle_startendtag = handle_starttag


def remote_resources(text: str) -> list[str]:
    """``src``/``<link href>`` values that would be fetched from the network."""
    parser = _ResourceLinks()
    parser.feed(text)
    parser.close()
    return [f"<{tag}> {url[:120]}" for tag, url in parser.urls if REMOTE.match(url)]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (CI installs Debian's `chromium`; see .ci/run)")
    with cdp.Chromium(tmp_path_factory.mktemp("chromium") / "profile", executable=CHROMIUM) as chromium:
        yield chromium


# --- the harness itself: it must see the problems it is meant to catch (fast, no build) ---------


@needs_chromium
def test_harness_reports_errors_and_failed_requests(browser, tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="missing.css"></head>'
        '<body><img src="missing.png"><script>console.error("boom"); no_such_function();</script>'
        "</body></html>"
    )
    report = browser.new_page().visit(bad.as_uri(), screenshot=tmp_path / "bad.png")
    text = "\n".join(report.problems)
    assert "no_such_function" in text
    assert "console.error: boom" in text
    assert "missing.css" in text and "missing.png" in text
    assert report.failed_requests
    assert (tmp_path / "bad.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_remote_resources_are_found():
    page = (
        '<img src="data:image/png;base64,AAA"><script src="https://cdn.example/x.js"></script>'
        '<link rel="stylesheet" href="//fonts.example/css"><a href="https://example.org">source</a>'
        '<link rel="icon" href="favicon.ico">'
    )
    assert remote_resources(page) == ["<script> https://cdn.example/x.js", "<link> //fonts.example/css"]


# --- the built briefs ---------------------------------------------------------------------------


@pytest.mark.slow
def test_briefs_are_self_contained_and_small(built):
    reports = built / "reports"
    pages = brief_files(reports)
    assert reports / "index.html" in pages and len(pages) >= 5
    too_big = {p.name: p.stat().st_size for p in pages if p.stat().st_size >= MAX_BRIEF_BYTES}
    assert not too_big, f"briefs of 5 MB or more: {too_big}"
    remote = {
        p.relative_to(reports).as_posix(): found
        for p in pages
        if (found := remote_resources(p.read_text(encoding="utf-8")))
    }
    assert not remote, f"briefs that fetch from the network: {remote}"


@pytest.mark.slow
@needs_chromium
def test_every_brief_loads_cleanly_in_chromium(built, browser):
    reports = built / "reports"
    shots = reports / "screenshots"
    page = browser.new_page()
    problems = {}
    for brief in brief_files(reports):
        target = shots / screenshot_name(reports, brief)
        report = page.visit(brief.as_uri(), screenshot=target)
        if report.problems:
            problems[brief.relative_to(reports).as_posix()] = report.problems
        assert target.is_file() and target.stat().st_size > 1000, f"no screenshot of {brief.name}"
        assert report.content_size and report.content_size[1] > 300, f"{brief.name} rendered empty"
    assert not problems, "\n".join(f"{name}:\n  " + "\n  ".join(lines) for name, lines in problems.items())


@pytest.mark.slow
@needs_chromium
def test_index_shows_build_times_from_run_js(built, browser):
    """index.html loads run.js (a local file) and fills in each card's build time."""
    page = browser.new_page()
    report = page.visit((built / "reports/index.html").as_uri())
    assert not report.problems
    durations = page.evaluate("Array.from(document.querySelectorAll('.duration')).map(e => e.textContent)")
    assert durations and all(d.startswith("Build time: ") for d in durations), durations
