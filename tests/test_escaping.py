"""Data strings are escaped end to end: hostile event labels, descriptions and token names in the
processed tables reach the briefs as text, never as live HTML.

Works in its own copy of the shared build (the session's ``built`` tree stays untouched): the
processed inputs are edited, the token-reactions and one event brief are re-run through the CLI,
and the resulting HTML is parsed.

The event-study engine accepts only upper-case token symbols, so the lower-case
``<script>alert(1)</script>`` token makes the stage fail (cleanly; its failed-notebook page must
still escape the name), and the briefs are built with ``<SCRIPT>ALERT(1)</SCRIPT>``, which is just
as live in HTML (tag names are case-insensitive).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from conftest import SNAPSHOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (SNAPSHOT / "SHA256SUMS").is_file(), reason="no data snapshot at ../shared/data"),
]

EVENT = "2025-05-06-geneva-talks-announced"
EVIL_LABEL = "<img src=x onerror=alert(1)>"
EVIL_DESCRIPTION = "<script>alert(2)</script>"
EVIL_TOKEN_LOWER = "<script>alert(1)</script>"
EVIL_TOKEN = EVIL_TOKEN_LOWER.upper()  # <SCRIPT>ALERT(1)</SCRIPT>
TOKEN_BRIEF = "reports/token-reactions.html"
EVENT_BRIEF = f"reports/events/{EVENT}.html"


class _Elements(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer would see them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def elements(text: str) -> list[tuple[str, dict]]:
    parser = _Elements()
    parser.feed(text)
    parser.close()
    return parser.elements


def _run(copy: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("CHINABRIEF_ROOT", "MAKEFLAGS", "MAKELEVEL")}
    return subprocess.run(
        [str(copy / ".venv/bin/python"), "-m", "chinabrief", *args],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _rename_token(copy: Path, old: str, new: str) -> None:
    for name in ("prices_daily", "prices_hourly", "returns"):
        path = copy / "data/processed" / f"{name}.parquet"
        frame = pd.read_parquet(path)
        frame["token"] = frame["token"].replace(old, new)
        frame.to_parquet(path, index=False)


def _poison_events(copy: Path) -> None:
    processed = copy / "data/processed"
    events = pd.read_csv(processed / "events.csv", dtype=str, keep_default_na=False)
    row = events["event_id"].eq(EVENT)
    assert row.sum() == 1, f"{EVENT} is not in the processed events"
    events.loc[row, "label"] = EVIL_LABEL
    events.loc[row, "description"] = events.loc[row, "description"] + " " + EVIL_DESCRIPTION
    events.to_csv(processed / "events.csv", index=False)


def _evil_params(copy: Path, stage: str, folder: Path, evil: str = EVIL_TOKEN) -> Path:
    stage_file = json.loads((copy / "build/params" / f"{stage}.json").read_text())
    tokens = stage_file["parameters"]["tokens"]
    assert "OKB" in tokens
    stage_file["parameters"]["tokens"] = [evil if t == "OKB" else t for t in tokens]
    target = folder / f"{stage}-{'lower' if evil == EVIL_TOKEN_LOWER else 'upper'}.json"
    target.write_text(json.dumps(stage_file, indent=2))
    return target


@pytest.fixture(scope="module")
def poisoned(built, tmp_path_factory) -> dict:
    """A copy of the build re-run on hostile inputs: the two briefs' HTML and the CLI results."""
    copy = tmp_path_factory.mktemp("escaping") / "repo"
    shutil.copytree(built, copy, symlinks=True)
    _poison_events(copy)
    params = tmp_path_factory.mktemp("evil-params")
    # the exact lower-case name first: the event-study engine refuses it
    _rename_token(copy, "OKB", EVIL_TOKEN_LOWER)
    lower_run = _run(
        copy, "run", "token_reactions", "--params", str(_evil_params(copy, "token_reactions", params, EVIL_TOKEN_LOWER))
    )
    failed_page = copy / "reports/failed/token_reactions.html"
    lower_pages = {
        "failed": failed_page.read_text(encoding="utf-8") if failed_page.is_file() else None,
        "brief": (copy / TOKEN_BRIEF).read_text(encoding="utf-8"),
    }
    _rename_token(copy, EVIL_TOKEN_LOWER, EVIL_TOKEN)
    tokens_run = _run(copy, "run", "token_reactions", "--params", str(_evil_params(copy, "token_reactions", params)))
    event_run = _run(
        copy, "run", "event_brief", "--params", str(_evil_params(copy, "event_brief", params)), "--event-id", EVENT
    )
    index_run = _run(copy, "index")
    return {
        "copy": copy,
        "lower": (lower_run, lower_pages),
        "runs": {"token_reactions": tokens_run, "event_brief": event_run, "index": index_run},
    }


def test_lower_case_token_fails_cleanly_and_its_page_escapes_it(poisoned):
    """Either the stage accepts the lower-case name (then the brief must escape it) or it fails
    with a message, and the failed-notebook page the index links to shows the name as text."""
    done, pages = poisoned["lower"]
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    if done.returncode == 0:
        page = pages["brief"]
    else:
        assert "upper-case" in done.stderr and "Traceback" not in done.stderr, done.stderr
        page = pages["failed"]
        assert page is not None, "no failed-notebook page was written"
    assert escaped in page and EVIL_TOKEN_LOWER not in page
    found = elements(page)
    assert not [a for tag, a in found if tag == "script"]
    assert not [(tag, a) for tag, a in found if any(k.startswith("on") for k in a)]


def test_stages_run_on_hostile_strings(poisoned):
    for name, done in poisoned["runs"].items():
        assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, f"{name}:\n{done.stderr}"


@pytest.mark.parametrize("brief", [TOKEN_BRIEF, EVENT_BRIEF])
def test_brief_shows_hostile_strings_as_text(poisoned, brief):
    assert poisoned["runs"]["token_reactions"].returncode == 0 and poisoned["runs"]["event_brief"].returncode == 0
    text = (poisoned["copy"] / brief).read_text(encoding="utf-8")
    assert "&lt;SCRIPT&gt;ALERT(1)&lt;/SCRIPT&gt;" in text  # the token name
    assert "&lt;img src=x onerror=alert(1)&gt;" in text  # the event label
    if brief == EVENT_BRIEF:
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in text  # the description
    assert EVIL_TOKEN not in text and EVIL_LABEL not in text and EVIL_DESCRIPTION not in text


@pytest.mark.parametrize("brief", [TOKEN_BRIEF, EVENT_BRIEF])
def test_brief_has_no_live_element(poisoned, brief):
    text = (poisoned["copy"] / brief).read_text(encoding="utf-8")
    found = elements(text)
    scripts = [attrs for tag, attrs in found if tag == "script"]
    assert not scripts, f"{brief} has <script> elements: {scripts}"
    handlers = [(tag, attrs) for tag, attrs in found if any(a.startswith("on") for a in attrs)]
    assert not handlers, f"{brief} has elements with event-handler attributes: {handlers}"
    images = [attrs.get("src", "")[:30] for tag, attrs in found if tag == "img"]
    assert all(src.startswith("data:image/png;base64,") for src in images), images


def test_index_carries_hostile_strings_as_text(poisoned):
    """The index shows each brief's title, headline, first finding and errors from its status
    record; whatever hostile string reached a record must stay text in the index."""
    copy = poisoned["copy"]
    text = (copy / "reports/index.html").read_text(encoding="utf-8")
    records = [json.loads(f.read_text()) for f in sorted((copy / "build/status").glob("*.json"))]
    shown = json.dumps(
        [[r.get("title"), r.get("headline"), (r.get("findings") or [])[:1], r.get("error")] for r in records]
    )
    for evil, escaped in (
        (EVIL_LABEL, "&lt;img src=x onerror=alert(1)&gt;"),
        (EVIL_TOKEN, "&lt;SCRIPT&gt;ALERT(1)&lt;/SCRIPT&gt;"),
    ):
        assert evil not in text
        if json.dumps(evil)[1:-1] in shown:
            assert escaped in text
    found = elements(text)
    assert not [(tag, attrs) for tag, attrs in found if any(a.startswith("on") for a in attrs)]
    scripts = [attrs.get("src") for tag, attrs in found if tag == "script"]
    assert scripts == ["run.js", None], scripts  # the index's own two scripts, nothing from data
