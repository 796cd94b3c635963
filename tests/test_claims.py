"""Tests of chinabrief.data.claims: the claims file's schema and each bad-file case with its message
(file, line, claim id, field), checked before any kernel starts (``chinabrief params``)."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from chinabrief.data import claims
from chinabrief.data.claims import ClaimsFileError
from chinabrief.exceptions import ParameterError
from chinabrief.pipeline import params

ROOT = Path(__file__).resolve().parents[1]
UNIVERSE = ["AAA", "BBB", "BTC"]
HEAD = """\
article:
  id: {id}
  title: "A synthetic article"
  outlet: Synthetic Outlet
  published: 2024-01-02
  url: "https://example.org/a"
claims:
"""
GOOD = """\
  - id: up
    quote: "AAA gained between 0.5% and 3%"
    kind: price_change
    tokens: [AAA]
    range_pct: [0.5, 3.0]
    period: 24h
    as_of: 2024-01-02
  - id: rel
    kind: relative_change
    tokens: [aaa]
    benchmark: btc
    value_pct: 2.0
    period: day
    as_of: 2024-01-02T14:00:00Z
  - id: share
    kind: mining_share
    country: Testland
    value_pct: 21
    attributed_to: {publisher: CCAF, published: 2024-10}
  - id: rank
    kind: mining_rank
    country: TST
    claim: "not in the top 5"
    top_n: 5
    in_top: false
"""


def write(folder: Path, body: str, article_id: str = "2024-01-02-synthetic") -> Path:
    path = folder / f"{article_id}.yaml"
    path.write_text(
        HEAD.format(id=article_id) + textwrap.dedent(body)
        if not body.startswith("  -")
        else HEAD.format(id=article_id) + body
    )
    return path


def test_a_good_file_reads_into_typed_claims(tmp_path):
    article = claims.load_article(write(tmp_path, GOOD), UNIVERSE)
    assert article.id == "2024-01-02-synthetic" and [c.kind for c in article.claims] == list(claims.KINDS)
    up, rel, share, rank = article.claims
    assert (up.low, up.high, up.period, up.as_of_day) == (0.5, 3.0, "24h", dt.date(2024, 1, 2))
    assert rel.tokens == ["AAA"] and rel.benchmark == "BTC" and (rel.low, rel.high) == (2.0, 2.0)
    assert rel.as_of_time == dt.datetime(2024, 1, 2, 14, 0) and rel.as_of_day == dt.date(2024, 1, 2)
    assert share.attributed_to.published == "2024-10" and rank.in_top is False and rank.top_n == 5
    assert up.text.startswith("AAA gained") and rank.text == "not in the top 5"
    assert [c.id for c in article.price_claims()] == ["up", "rel"]


BAD = [
    # (what, claim lines, the message's parts)
    (
        "unknown kind",
        "  - id: x\n    kind: price_rise\n    tokens: [AAA]\n    value_pct: 1\n    period: day\n"
        "    as_of: 2024-01-02\n",
        ["line 9", "claim 'x'", "field 'kind'", "unknown kind 'price_rise'"],
    ),
    (
        "token not in universe",
        "  - id: x\n    kind: price_change\n    tokens: [AAA, ZZZ]\n    value_pct: 1\n"
        "    period: day\n    as_of: 2024-01-02\n",
        ["line 10", "claim 'x'", "field 'tokens'", "['ZZZ']", "not in the token universe"],
    ),
    (
        "benchmark not in universe",
        "  - id: x\n    kind: relative_change\n    tokens: [AAA]\n    benchmark: ETH\n"
        "    value_pct: 1\n    period: day\n    as_of: 2024-01-02\n",
        ["claim 'x'", "field 'benchmark'", "['ETH']"],
    ),
    (
        "range and value both",
        "  - id: x\n    kind: price_change\n    tokens: [AAA]\n    value_pct: 1\n"
        "    range_pct: [0, 2]\n    period: day\n    as_of: 2024-01-02\n",
        ["claim 'x'", "field 'range_pct'", "give range_pct or value_pct, not both"],
    ),
    (
        "duplicate id",
        GOOD + "  - id: up\n    kind: mining_share\n    country: X\n    value_pct: 1\n",
        ["claim 'up'", "field 'id'", "duplicate id (first used at line 8)"],
    ),
    (
        "no value",
        "  - id: x\n    kind: price_change\n    tokens: [AAA]\n    period: day\n    as_of: 2024-01-02\n",
        ["claim 'x'", "field 'value_pct'", "needs range_pct or value_pct"],
    ),
    (
        "unknown period",
        "  - id: x\n    kind: price_change\n    tokens: [AAA]\n    value_pct: 1\n    period: 2d\n"
        "    as_of: 2024-01-02\n",
        ["claim 'x'", "field 'period'"],
    ),
    (
        "unknown field",
        "  - id: x\n    kind: mining_share\n    country: X\n    value_pct: 1\n    valeu: 2\n",
        ["claim 'x'", "field 'valeu'", "unknown field"],
    ),
    (
        "rank without top_n or rank",
        "  - id: x\n    kind: mining_rank\n    country: X\n",
        ["claim 'x'", "field 'top_n'", "needs rank, or top_n and in_top"],
    ),
    (
        "range upside down",
        "  - id: x\n    kind: price_change\n    tokens: [AAA]\n    range_pct: [3, 1]\n"
        "    period: day\n    as_of: 2024-01-02\n",
        ["claim 'x'", "field 'range_pct'", "starts above"],
    ),
]


@pytest.mark.parametrize("what, body, parts", BAD, ids=[b[0] for b in BAD])
def test_each_bad_file_names_file_line_claim_and_field(tmp_path, what, body, parts):
    path = write(tmp_path, body)
    with pytest.raises(ClaimsFileError) as err:
        claims.load_article(path, UNIVERSE, shown_as="data/articles/2024-01-02-synthetic.yaml")
    message = str(err.value)
    assert message.startswith("data/articles/2024-01-02-synthetic.yaml"), message
    for part in parts:
        assert part in message, (part, message)


def test_a_date_outside_the_data_is_an_error_naming_claim_and_field(tmp_path):
    article = claims.load_article(write(tmp_path, GOOD), UNIVERSE, shown_as="data/articles/a.yaml")
    claims.check_dates(article, dt.date(2023, 1, 1), dt.date(2024, 12, 31))  # inside: no error
    with pytest.raises(
        ClaimsFileError,
        match=r"data/articles/a.yaml, line 14: claim 'up': field 'as_of': 2024-01-02 is "
        r"outside the price data \(2024-02-01 to 2024-12-31\)",
    ):
        claims.check_dates(article, dt.date(2024, 2, 1), dt.date(2024, 12, 31))
    claims.check_dates(article, None, None)  # no price data yet: the article stage checks again


def test_article_fields_and_file_name(tmp_path):
    path = write(tmp_path, GOOD, article_id="2024-01-02-synthetic")
    other = tmp_path / "other-name.yaml"
    other.write_text(path.read_text())
    with pytest.raises(ClaimsFileError, match=r"field 'article.id'.*must equal the file name"):
        claims.load_article(other, UNIVERSE)
    bad_url = tmp_path / "2024-01-02-synthetic.yaml"
    bad_url.write_text(path.read_text().replace("https://example.org/a", "javascript:alert(1)"))
    with pytest.raises(ClaimsFileError, match=r"line 6: field 'article.url'"):
        claims.load_article(bad_url, UNIVERSE)
    broken = tmp_path / "2024-01-02-synthetic.yaml"
    broken.write_text("article: [\n")
    with pytest.raises(ClaimsFileError, match="not valid YAML"):
        claims.load_article(broken, UNIVERSE)


def test_find_article_names_the_articles_there_are(tmp_path):
    write(tmp_path, GOOD)
    assert claims.find_article(tmp_path, "2024-01-02-synthetic", UNIVERSE).id == "2024-01-02-synthetic"
    with pytest.raises(ClaimsFileError, match=r"no claims file for article 'nope'.*articles: 2024-01-02-synthetic"):
        claims.find_article(tmp_path, "nope", UNIVERSE)
    with pytest.raises(ClaimsFileError, match="not a plain id"):
        claims.find_article(tmp_path, "../etc/passwd", UNIVERSE)


def test_params_checks_every_article_file_before_any_kernel(tmp_path):
    folder = tmp_path / "data" / "articles"
    folder.mkdir(parents=True)
    universe = tmp_path / "data" / "universe.csv"
    universe.write_text("symbol,name\n" + "".join(f"{t},{t}\n" for t in UNIVERSE))
    write(folder, GOOD)
    values = params.Params(claims_article="2024-01-02-synthetic")
    assert params.check_articles(values, folder, universe) == ["2024-01-02-synthetic"]
    with pytest.raises(ParameterError, match=r"claims_article: no claims file articles/missing.yaml"):
        params.check_articles(params.Params(claims_article="missing"), folder, universe)
    (folder / "Bad Name;x.yaml").write_text("")
    with pytest.raises(ParameterError, match="named by its id"):
        params.check_articles(values, folder, universe)
    (folder / "Bad Name;x.yaml").unlink()
    write(folder, "  - id: x\n    kind: nope\n", article_id="2024-01-03-bad")
    with pytest.raises(ClaimsFileError, match=r"data/articles/2024-01-03-bad.yaml, line 9: claim 'x': field 'kind'"):
        params.check_articles(values, folder, universe)


def test_the_committed_claims_files_are_valid():
    universe = claims.read_universe(ROOT / "data" / "universe.csv")
    articles = claims.load_articles(ROOT / "data" / "articles", universe, root=ROOT)
    assert len(articles) >= 2
    for article in articles:
        assert article.article.url.startswith("https://")
        assert all(c.quote for c in article.claims), f"{article.id}: every claim carries the article's words"
