"""Tests of chinabrief.mining_brief: rendering, escaping, checks before charts, written tables."""
from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from chinabrief import maps, mining, mining_brief, mining_charts
from chinabrief.config import Paths
from chinabrief.exceptions import InputFormatError

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT_MINING = ROOT.parent / "shared" / "data" / "mining"
REFERENCE = ROOT / "data" / "reference"
SHAPES = ROOT / "data" / "external" / "naturalearth_110m_countries.geojson"

pytestmark = pytest.mark.skipif(
    not (SNAPSHOT_MINING / "ccaf_mining_countries.csv").is_file(),
    reason=f"data snapshot not found at {SNAPSHOT_MINING} (the brief is rendered from the real CCAF files)",
)

SCRIPT = "<script>alert(1)</script>"


def real_inputs() -> mining_brief.MiningInputs:
    """The brief's inputs built from the snapshot files read in place (no processed folder needed)."""
    countries = mining.read_countries(SNAPSHOT_MINING / "ccaf_mining_countries.csv")
    v110 = mining.read_countries_v110(SNAPSHOT_MINING / "ccaf_mining_countries_v1.1.0_to_2021-04.csv")
    return mining_brief.MiningInputs(
        countries=countries,
        provinces=mining.read_provinces(SNAPSHOT_MINING / "ccaf_mining_provinces_cn.csv", countries),
        cross_check=mining.cross_check(countries, v110),
        figures=mining.read_published_figures(REFERENCE / mining_brief.FIGURES_FILE),
        claims=mining_brief.read_claims(REFERENCE / mining_brief.CLAIMS_FILE),
        world=maps.load_world(SHAPES),
        sources={"Countries (processed)": "data/processed/mining_countries.csv"},
    )


@pytest.fixture(scope="module")
def inputs() -> mining_brief.MiningInputs:
    return real_inputs()


@pytest.fixture(scope="module")
def brief(inputs) -> str:
    return "".join(mining_brief.brief_parts(inputs, "2022-01"))


def test_brief_shows_the_known_answers(brief):
    for value in ("75.53", "21.11", "37.84", "46.04"):
        assert value in brief
    assert brief.count("<img ") == 4
    assert 'id="claims"' in brief and 'id="provinces"' in brief


def test_brief_has_no_absolute_paths_or_clock_times(brief):
    assert str(ROOT) not in brief
    assert not re.search(r"\b\d{2}:\d{2}:\d{2}\b", brief)


def test_headline_and_findings_come_from_the_numbers(inputs):
    dek = mining_brief.headline(inputs.countries)
    assert "75.53% in 2019-09" in dek and "21.11% in 2022-01" in dek and "the United States" in dek
    tables = mining_brief.build_tables(inputs, "2022-01")
    found = mining_brief.findings(inputs, tables, "2022-01")
    assert 3 <= len(found) <= 5
    assert any("0% in 2021-07 and 2021-08" in f for f in found)


def test_claims_verdicts(inputs):
    claims = mining_brief.claims_check(inputs).set_index("claim_id")
    share = claims.loc[mining_brief.CLAIM_SHARE]
    assert share["verdict"] == "misdated"
    assert "21.11% for 2022-01" in share["data_says"] and "2022-05" in share["data_says"]
    ranking = claims.loc[mining_brief.CLAIM_RANKING]
    assert ranking["verdict"] == "partly supported"
    assert "China is not among the countries listed" in ranking["data_says"]


def test_ranking_table_marks_vpn_countries_and_leaves_other_unranked(inputs):
    tables = mining_brief.build_tables(inputs, "2022-01")
    html = mining_brief.ranking_html(tables, "2022-01", "2021-04")
    assert "Germany *" in html and "Ireland *" in html
    assert "Change vs 2021-01 (pp)" in html and "Change vs 2021-04 (pp)" in html
    other_row = re.search(r"<tr><td[^>]*>([^<]*)</td><td[^>]*>Other</td>", html)
    assert other_row and other_row.group(1) == "–"


def test_monthly_table_highlights_five_per_month(inputs):
    tables = mining_brief.build_tables(inputs, "2022-01")
    html = mining_brief.monthly_html(tables)
    rows = re.findall(r"<tr>(.*?)</tr>", html.split("<tbody>")[1])
    assert len(rows) == 29
    assert all(row.count(" hl") == 5 for row in rows)


def test_month_outside_data_fails_before_any_chart(inputs, monkeypatch):
    drawn = []
    monkeypatch.setattr(mining_charts, "china_over_time", lambda *a, **k: drawn.append(1))
    monkeypatch.setattr(maps, "choropleth", lambda *a, **k: drawn.append(1))
    before = set(plt.get_fignums())
    with pytest.raises(InputFormatError, match=r"'2023-05' is not in the CCAF mining-map data \(months 2019-09 \.\. 2022-01"):
        mining_brief.brief_parts(inputs, "2023-05")
    assert drawn == [] and set(plt.get_fignums()) == before


def test_missing_iso3_fails_before_any_chart(inputs, monkeypatch):
    drawn = []
    monkeypatch.setattr(mining_charts, "china_over_time", lambda *a, **k: drawn.append(1))
    bad = inputs.countries.copy()
    bad.loc[bad["country"].eq("Kazakhstan"), "iso3"] = None
    broken = mining_brief.MiningInputs(**{**inputs.__dict__, "countries": bad})
    with pytest.raises(InputFormatError, match=r"iso3.*Kazakhstan"):
        mining_brief.brief_parts(broken, "2022-01")
    assert drawn == []


def test_country_names_are_escaped(inputs):
    countries = inputs.countries.copy()
    countries.loc[countries["country"].eq("Malaysia"), "country"] = SCRIPT
    hostile = mining_brief.MiningInputs(**{**inputs.__dict__, "countries": countries})
    tables = mining_brief.build_tables(hostile, "2022-01")
    html = mining_brief.ranking_html(tables, "2022-01", "2021-04") + mining_brief.monthly_html(tables) \
        + mining_brief.survey_html(hostile, tables)
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_source_links_are_escaped_and_only_http():
    assert mining_brief._link("javascript:alert(1)", "x").startswith("x (javascript")
    link = mining_brief._link('https://example.org/a?b=1&c="2"', "<b>")
    assert 'href="https://example.org/a?b=1&amp;c=&quot;2&quot;"' in link and "&lt;b&gt;" in link


def test_tables_are_written_as_csv(inputs, tmp_path):
    tables = mining_brief.build_tables(inputs, "2022-01")
    written = mining_brief.write_tables(Paths(tmp_path), tables)
    assert "data/processed/mining/ranking.csv" in written
    ranking = pd.read_csv(tmp_path / "data" / "processed" / "mining" / "ranking.csv")
    usa = ranking[ranking["iso3"].eq("USA")].iloc[0]
    assert usa["share_pct"] == pytest.approx(37.84) and usa["rank"] == 1 and usa["month"] == "2022-01"
    shares = pd.read_csv(tmp_path / "data" / "processed" / "mining" / "shares_by_month.csv")
    assert shares.loc[shares["month"].eq("2019-09"), "Mainland China"].iloc[0] == pytest.approx(75.53)
    assert len(written) == len(tables)


def test_another_month_renders(inputs):
    html = mining_brief.ranking_html(mining_brief.build_tables(inputs, "2019-09"), "2019-09", "2021-04")
    assert "Ranking in 2019-09" in html and "75.53" in html and "Change vs 2018-09 (pp)" in html
