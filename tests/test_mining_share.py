"""Tests of chinabrief.analysis.mining_share (compute, claims, sentences, written tables) and of the
mining brief's tables and charts (chinabrief.render.mining_tables / mining_charts)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from chinabrief.analysis import mining_share
from chinabrief.config import Paths
from chinabrief.data import cbeci, claims, world_shapes
from chinabrief.exceptions import InputFormatError, MissingInputError
from chinabrief.pipeline import params
from chinabrief.render import mining_charts, mining_tables

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT_MINING = ROOT.parent / "shared" / "data" / "mining"
REFERENCE = ROOT / "data" / "reference"
SHAPES = ROOT / "data" / "external" / "naturalearth_110m_countries.geojson"

pytestmark = pytest.mark.skipif(
    not (SNAPSHOT_MINING / "ccaf_mining_countries.csv").is_file(),
    reason=f"data snapshot not found at {SNAPSHOT_MINING} (the brief is computed from the real CCAF files)",
)

SCRIPT = "<script>alert(1)</script>"
SEED_ARTICLE = params.load(ROOT / "params.yaml").claims_article


def real_inputs() -> mining_share.MiningInputs:
    """The brief's inputs built from the snapshot files read in place (no processed folder needed)."""
    countries = cbeci.read_countries(SNAPSHOT_MINING / "ccaf_mining_countries.csv")
    v110 = cbeci.read_countries_v110(SNAPSHOT_MINING / "ccaf_mining_countries_v1.1.0_to_2021-04.csv")
    return mining_share.MiningInputs(
        countries=countries,
        provinces=cbeci.read_provinces(SNAPSHOT_MINING / "ccaf_mining_provinces_cn.csv", countries),
        cross_check=cbeci.cross_check(countries, v110),
        figures=cbeci.read_published_figures(REFERENCE / mining_share.FIGURES_FILE),
        claims=claims.find_article(ROOT / claims.ARTICLES_FOLDER, SEED_ARTICLE).mining_claims(),
        world=world_shapes.load_world(SHAPES),
        sources={"Countries (processed)": "data/processed/mining_countries.parquet"},
    )


@pytest.fixture(scope="module")
def inputs() -> mining_share.MiningInputs:
    return real_inputs()


@pytest.fixture(scope="module")
def result(inputs) -> mining_share.MiningShare:
    return mining_share.build(inputs, "2022-01")


def test_headline_and_findings_come_from_the_numbers(result):
    dek = mining_share.headline(result).items[0]
    assert "75.53% in 2019-09" in dek and "21.11% in 2022-01" in dek and "the United States" in dek
    found = mining_share.findings(result).items
    assert 3 <= len(found) <= 5
    assert any("0% in 2021-07 and 2021-08" in f for f in found)
    assert any("46.04% in 2021-04" in f for f in found)


def test_claims_verdicts_are_chosen_by_kind_not_by_id(inputs):
    claims = mining_share.claims_check(inputs).set_index("kind")
    share = claims.loc[mining_share.SHARE_CLAIM]
    assert share["verdict"] == "misdated"
    assert "21.11% for 2022-01" in share["data_says"] and "2022-05" in share["data_says"]
    ranking = claims.loc[mining_share.RANK_CLAIM]
    assert ranking["verdict"] == "consistent"  # the report lists its top countries; China is not among them
    assert "Mainland China is not among the 6 countries listed" in ranking["data_says"]
    renamed = [c.model_copy(update={"id": f"renamed-{i}"}) for i, c in enumerate(inputs.claims)]
    again = mining_share.claims_check(mining_share.MiningInputs(**{**inputs.__dict__, "claims": renamed}))
    assert again["verdict"].tolist() == mining_share.claims_check(inputs)["verdict"].tolist()


def test_ranking_table_marks_vpn_countries_and_leaves_other_unranked(result):
    html = mining_tables.ranking(result).to_html()
    assert "Germany *" in html and "Ireland *" in html
    assert "Change vs 2021-01 (pp)" in html and "Change vs 2021-04 (pp)" in html
    rows = re.findall(r"<tr>(.*?)</tr>", html.split("<tbody>")[1], re.S)
    other = [r for r in rows if ">Other<" in r][0]
    assert re.search(r'class="data row\d+ col0 num" >–<', other)


def test_monthly_table_highlights_five_per_month(result):
    html = mining_tables.monthly(result).to_html()
    rule = re.search(r"((?:#T_monthly_row\d+_col\d+,? ?\s*)+)\{\n  background-color", html).group(1)
    styled = re.findall(r"#T_monthly_row(\d+)_col\d+", rule)
    assert len(set(styled)) == len(result.countries["date"].unique())  # every month's row
    assert all(styled.count(row) == 5 for row in set(styled))


def test_month_outside_data_fails_before_any_chart(inputs):
    with pytest.raises(
        InputFormatError, match=r"'2023-05' is not in the CCAF mining-map data \(months 2019-09 \.\. 2022-01"
    ):
        mining_share.validate(inputs, "2023-05")


def test_missing_iso3_fails_validation(inputs):
    bad = inputs.countries.copy()
    bad.loc[bad["country"].eq("Kazakhstan"), "iso3"] = None
    broken = mining_share.MiningInputs(**{**inputs.__dict__, "countries": bad})
    with pytest.raises(InputFormatError, match=r"iso3.*Kazakhstan"):
        mining_share.validate(broken, "2022-01")


def test_country_names_are_escaped_in_tables_and_sentences(inputs):
    countries = inputs.countries.copy()
    countries.loc[countries["country"].eq("United States"), "country"] = SCRIPT
    hostile = mining_share.build(mining_share.MiningInputs(**{**inputs.__dict__, "countries": countries}), "2022-01")
    html = mining_tables.ranking(hostile).to_html() + mining_tables.monthly(hostile).to_html()
    text = mining_share.findings(hostile).text + mining_share.headline(hostile).text
    assert SCRIPT not in html and SCRIPT not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in text


def test_publication_links_are_http_only_and_escaped(inputs):
    figures = inputs.figures.copy()
    figures.loc[0, "source_url"] = "javascript:alert(1)"
    figures.loc[0, "publication"] = "<b>x</b>"
    r = mining_share.build(mining_share.MiningInputs(**{**inputs.__dict__, "figures": figures}), "2022-01")
    text = mining_share.publication_links(r).text
    assert "](javascript" not in text and "(javascript:alert\\(1\\))" in text
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "<b>" not in text


def test_tables_are_written_as_csv(result, tmp_path):
    written = mining_share.write(Paths(tmp_path), result)
    assert "data/processed/mining/ranking.csv" in written and len(written) == len(result.tables) + 1
    assert written[-1] == "data/processed/made_from/mining_share.json"
    ranking = pd.read_csv(tmp_path / "data" / "processed" / "mining" / "ranking.csv")
    usa = ranking[ranking["iso3"].eq("USA")].iloc[0]
    assert usa["share_pct"] == pytest.approx(37.84) and usa["rank"] == 1 and usa["month"] == "2022-01"
    shares = pd.read_csv(tmp_path / "data" / "processed" / "mining" / "shares_by_month.csv")
    assert shares.loc[shares["month"].eq("2019-09"), "Mainland China"].iloc[0] == pytest.approx(75.53)


def test_another_month(inputs):
    r = mining_share.build(inputs, "2019-09")
    html = mining_tables.ranking(r).to_html()
    assert "Share of global Bitcoin hashrate by country, 2019-09" in html and "75.53" in html
    assert "Change vs 2018-09 (pp)" in html


def test_charts_carry_alt_text_from_the_numbers(result):
    fig = mining_charts.china_share(result)
    alt = fig._brief_alt
    assert "75.53%" in alt and "0% in 2021-07 and 2021-08" in alt and "37.84%" in alt
    assert "2022-01" in mining_charts.world_map(result)._brief_alt


def test_compute_before_prepare_says_what_to_run(tmp_path):
    with pytest.raises(MissingInputError, match=r"04_mining_share needs the processed tables of stage 02.*make data"):
        mining_share.compute(Paths(tmp_path), "2022-01", SEED_ARTICLE)
