"""Tests of chinabrief.analysis.article_check and the article briefs: the brief on a made-up project (a
``<script>`` quote is shown as text), and adding an article in a copy of the repository builds
only its brief and the index."""

from __future__ import annotations

import re
import shutil

import pytest

import synthetic
from chinabrief.analysis import article_check
from chinabrief.analysis.claim_checks import ArticleCheck, Tolerances
from chinabrief.config import Paths
from chinabrief.data.claims import Article
from chinabrief.pipeline import runner
from conftest import SNAPSHOT, make

SCRIPT = "<script>alert(1)</script>"
ARTICLE = "2023-06-23-synthetic-hostile"
TOLERANCES = {
    "claim_rounding_pp": 0.05,
    "claim_aggregator_gap_pp": 1.75,
    "claim_share_rounding_pp": 0.5,
    "claim_misdate_days": 1,
}


def test_counts_text_and_findings_come_from_the_verdicts():
    import pandas as pd

    article = Article.model_validate(
        {
            "article": {"id": "a", "title": "T", "outlet": "O", "published": "2024-01-02", "url": "https://x.test/a"},
            "claims": [{"id": "m", "kind": "mining_share", "country": "X", "value_pct": 1}],
        }
    )
    verdicts = pd.DataFrame(
        {
            "claim_id": ["a", "b", "c"],
            "kind": "k",
            "claim": ["one two", "three", "four"],
            "claimed": "",
            "data_says": "",
            "verdict": ["misdated", "consistent", "misdated"],
            "rule": "",
        }
    )
    check = ArticleCheck(
        article=article, verdicts=verdicts, tokens=pd.DataFrame(), measures=pd.DataFrame(), tolerances=Tolerances()
    )
    assert article_check.counts_text(check) == "3 claims: 1 consistent, 2 misdated"


HOSTILE = f"""\
article:
  id: {ARTICLE}
  title: "Synthetic {SCRIPT} article"
  outlet: "Outlet <b>bold</b>"
  published: 2023-06-23
  url: "https://example.org/a?x=<script>"
claims:
  - id: hostile-up
    quote: "AAA rose 1% {SCRIPT}"
    kind: price_change
    tokens: [AAA]
    range_pct: [1, 2]
    period: 24h
    as_of: 2023-06-22
  - id: no-mining-data
    quote: "Testland mines 21% {SCRIPT}"
    kind: mining_share
    country: Testland
    value_pct: 21
"""


@pytest.fixture(scope="module")
def hostile_brief(tmp_path_factory):
    root = synthetic.make_project(tmp_path_factory.mktemp("articles"))
    (root / "data" / "articles" / f"{ARTICLE}.yaml").write_text(HOSTILE)
    paths = Paths(root)
    record = runner.run_stage(
        paths, "article_check", {"article_id": ARTICLE, **TOLERANCES}, event_id=ARTICLE, cell_timeout=300
    )
    return paths, record


@pytest.mark.slow
def test_a_script_quote_is_shown_as_text(hostile_brief):
    paths, record = hostile_brief
    html = (paths.reports / "articles" / f"{ARTICLE}.html").read_text()
    assert "<script>alert(1)" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert record["article_id"] == ARTICLE and record["brief"] == f"reports/articles/{ARTICLE}.html"
    assert SCRIPT in record["title"]  # plain text in the record; the index escapes it


@pytest.mark.slow
def test_the_brief_gives_every_claim_a_verdict(hostile_brief):
    paths, record = hostile_brief
    html = (paths.reports / "articles" / f"{ARTICLE}.html").read_text()
    text = re.sub(
        r"<[^>]+>", " ", re.sub(r"<style.*?</style>|data:image/png;base64,[A-Za-z0-9+/=]+", "", html, flags=re.S)
    )
    assert "No mining map data" in text  # the mining claim is not checkable on this project
    assert record["headline"].startswith("2 claims: ") and "not checkable" in record["headline"]
    for section in ("Claims and verdicts", "Price claims", "Mining claims", "Methods and caveats"):
        assert section in text
    assert "claim_aggregator_gap_pp" in text  # the tolerances are shown


@pytest.mark.slow
@pytest.mark.skipif(not (SNAPSHOT / "SHA256SUMS").is_file(), reason="no data snapshot at ../shared/data")
def test_adding_an_article_builds_only_its_brief_and_the_index(built, tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(built, copy, symlinks=True)  # times kept: make sees only the new file
    (copy / "build" / "lock").unlink(missing_ok=True)
    source = next((copy / "data" / "articles").glob("*.yaml"))
    new_id = "2099-01-01-copy-of-an-article"
    text = source.read_text().replace(f"id: {source.stem}", f"id: {new_id}")
    (copy / "data" / "articles" / f"{new_id}.yaml").write_text(text)
    done = make(copy, "report", f"SNAPSHOT={SNAPSHOT}")
    assert done.returncode == 0, done.stdout + done.stderr
    ran = re.findall(r"^\[chinabrief\] (\S+): ok in", done.stdout, re.M)
    assert ran == [f"article_check-{new_id}"], done.stdout
    assert "[chinabrief] index: reports/index.html" in done.stdout
    index = (copy / "reports" / "index.html").read_text()
    assert f'href="articles/{new_id}.html"' in index and "Articles checked" in index
    # removing the file removes its brief and its card, and runs nothing else
    (copy / "data" / "articles" / f"{new_id}.yaml").unlink()
    done = make(copy, "report", f"SNAPSHOT={SNAPSHOT}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok in" not in done.stdout
    assert not (copy / "reports" / "articles" / f"{new_id}.html").exists()
    assert f"articles/{new_id}.html" not in (copy / "reports" / "index.html").read_text()
