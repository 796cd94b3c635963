"""Tests of chinabrief.data.cbeci: parsing, checks, rankings, provinces and published figures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chinabrief.data import cbeci
from chinabrief.exceptions import InputFormatError

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT_MINING = ROOT.parent / "shared" / "data" / "mining"
FIGURES = ROOT / "data" / "reference" / "cambridge_published_figures.csv"

needs_snapshot = pytest.mark.skipif(
    not (SNAPSHOT_MINING / "ccaf_mining_countries.csv").is_file(),
    reason=f"data snapshot not found at {SNAPSHOT_MINING} (known-answer tests read the real CCAF files in place)",
)

V120_HEADER = "date,country,monthly_hashrate_%,monthly_absolute_hashrate_EH/S\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def small_countries_csv(tmp_path: Path, feb_china: str = "50%") -> Path:
    """Two months, three rows each; 2020-02 sums to 100 only with the default China share."""
    return write(
        tmp_path,
        "countries.csv",
        V120_HEADER
        + (
            "2020-01-01,Mainland China,60.5%,60.5\n"
            "2020-01-01,Germany *,9.5%,9.5\n"
            "2020-01-01,Other,30%,30\n"
            f"2020-02-01,Mainland China,{feb_china},50\n"
            "2020-02-01,Germany *,20%,20\n"
            "2020-02-01,Other,30%,30\n"
        ),
    )


# --------------------------------------------------------------------------- known answers


@needs_snapshot
def test_known_answers_from_the_snapshot():
    countries = cbeci.read_countries(SNAPSHOT_MINING / "ccaf_mining_countries.csv")
    assert cbeci.share_of(countries, "CHN", "2019-09") == pytest.approx(75.53)
    assert cbeci.share_of(countries, "CHN", "2022-01") == pytest.approx(21.11)
    assert cbeci.share_of(countries, "USA", "2022-01") == pytest.approx(37.84)
    assert cbeci.zero_months(countries, "CHN") == ["2021-07", "2021-08"]
    assert cbeci.months(countries)[0] == "2019-09" and cbeci.months(countries)[-1] == "2022-01"
    assert set(countries.loc[countries["vpn_caveat"], "country"]) == {"Germany", "Ireland"}


@needs_snapshot
def test_snapshot_downloads_agree_and_provinces_parse():
    countries = cbeci.read_countries(SNAPSHOT_MINING / "ccaf_mining_countries.csv")
    v110 = cbeci.read_countries_v110(SNAPSHOT_MINING / "ccaf_mining_countries_v1.1.0_to_2021-04.csv")
    check = cbeci.cross_check(countries, v110)
    assert check.loc[0, "months_compared"] == 20 and check.loc[0, "max_abs_diff_pct"] == 0.0
    provinces = cbeci.read_provinces(SNAPSHOT_MINING / "ccaf_mining_provinces_cn.csv", countries)
    assert cbeci.province_months_with_data(provinces)[-1] == "2021-06"
    assert "Inner Mongolia" in set(provinces["province_label"])
    assert cbeci.last_month_before(countries, cbeci.CRACKDOWN_START) == "2021-04"


@needs_snapshot
def test_snapshot_ranking_2022_01():
    countries = cbeci.read_countries(SNAPSHOT_MINING / "ccaf_mining_countries.csv")
    table = cbeci.ranking(countries, "2022-01")
    assert table.iloc[0]["iso3"] == "USA" and table.iloc[1]["iso3"] == "CHN"
    assert table.iloc[-1]["country"] == "Other" and pd.isna(table.iloc[-1]["rank"])
    china = table[table["iso3"].eq("CHN")].iloc[0]
    assert china["change_vs_ref_pp"] == pytest.approx(21.11 - 46.04)
    assert china["change_12m_pp"] == pytest.approx(21.11 - 53.30)


# --------------------------------------------------------------------------- parsing small files


def test_percent_strings_parse_and_asterisk_sets_vpn_caveat(tmp_path):
    countries = cbeci.read_countries(small_countries_csv(tmp_path))
    jan = countries[countries["date"].eq("2020-01-01")].set_index("country")
    assert jan.loc["Mainland China", "share_pct"] == 60.5
    assert jan.loc["Germany", "vpn_caveat"] and not jan.loc["Mainland China", "vpn_caveat"]
    assert jan.loc["Germany", "iso3"] == "DEU" and pd.isna(jan.loc["Other", "iso3"])


def test_shares_not_summing_to_100_name_file_column_and_month(tmp_path):
    path = small_countries_csv(tmp_path, feb_china="45%")
    with pytest.raises(InputFormatError) as err:
        cbeci.read_countries(path)
    message = str(err.value)
    assert "countries.csv" in message and "monthly_hashrate_%" in message and "2020-02" in message
    assert "2020-01" not in message


def test_non_numeric_share_names_line(tmp_path):
    path = small_countries_csv(tmp_path, feb_china="fifty")
    with pytest.raises(InputFormatError, match=r"monthly_hashrate_%.*line\(s\) \[5\]"):
        cbeci.read_countries(path)


def test_unknown_country_is_an_error(tmp_path):
    path = write(tmp_path, "countries.csv", V120_HEADER + "2020-01-01,Atlantis,100%,1\n")
    with pytest.raises(InputFormatError, match="Atlantis"):
        cbeci.read_countries(path)


def test_missing_column_is_an_error(tmp_path):
    path = write(tmp_path, "countries.csv", "date,country,monthly_hashrate_%\n2020-01-01,Other,100%\n")
    with pytest.raises(InputFormatError, match="monthly_absolute_hashrate_EH/S"):
        cbeci.read_countries(path)


@pytest.mark.parametrize(
    "name, code",
    [
        ("Mainland China", "CHN"),
        ("Iran, Islamic Rep.", "IRN"),
        ("Russian Federation", "RUS"),
        ("Ireland *", "IRL"),
        ("Other", None),
    ],
)
def test_world_bank_names_map_to_iso3(name, code):
    assert cbeci.iso3(name) == code


def test_month_outside_data_is_an_error(tmp_path):
    countries = cbeci.read_countries(small_countries_csv(tmp_path))
    for month in ("2019-12", "2020-03", "2020-1", "Jan 2020"):
        with pytest.raises(InputFormatError, match="not in the CCAF mining-map data"):
            cbeci.ranking(countries, month)
    assert cbeci.check_month(countries, "2020-02") == pd.Timestamp("2020-02-01")


def test_missing_iso3_is_an_error(tmp_path):
    countries = cbeci.read_countries(small_countries_csv(tmp_path))
    countries.loc[countries["country"].eq("Germany"), "iso3"] = None
    with pytest.raises(InputFormatError, match=r"iso3.*Germany"):
        cbeci.check_iso3(countries)


def test_cross_check_disagreement_is_an_error(tmp_path):
    countries = cbeci.read_countries(small_countries_csv(tmp_path))
    v110 = write(
        tmp_path,
        "v110.csv",
        '"","Date","Country","Share.of.global.hashrate"\n'
        '"1","2020-01-01","China",60.5\n"2","2020-01-01","Germany",9.4\n"3","2020-01-01","Other",30\n',
    )
    with pytest.raises(InputFormatError, match=r"disagree: Germany 2020-01"):
        cbeci.cross_check(countries, cbeci.read_countries_v110(v110))


def test_cross_check_agreement_reports_overlap(tmp_path):
    countries = cbeci.read_countries(small_countries_csv(tmp_path))
    v110 = write(
        tmp_path,
        "v110.csv",
        '"","Date","Country","Share.of.global.hashrate"\n'
        '"1","2020-01-01","China",60.5\n"2","2020-01-01","Germany",9.5\n"3","2020-01-01","Other",30\n',
    )
    check = cbeci.cross_check(countries, cbeci.read_countries_v110(v110))
    assert check.loc[0, "months_compared"] == 1 and check.loc[0, "rows_compared"] == 3


def test_provinces_implied_share_is_province_times_china_over_100(tmp_path):
    countries = cbeci.read_countries(small_countries_csv(tmp_path))
    path = write(
        tmp_path,
        "provinces.csv",
        "Date,Province,Share of Chinese hashrate\n"
        "2020-01-01,Sichuan,40\n2020-01-01,Nei Mongol,60\n"
        "2020-02-01,Sichuan,0\n2020-02-01,Nei Mongol,0\n",
    )
    provinces = cbeci.read_provinces(path, countries)
    jan = provinces[provinces["date"].eq("2020-01-01")].set_index("province")
    assert jan.loc["Sichuan", "implied_global_pct"] == pytest.approx(40 * 60.5 / 100)
    assert jan.loc["Nei Mongol", "implied_global_pct"] == pytest.approx(60 * 60.5 / 100)
    assert jan.loc["Nei Mongol", "province_label"] == "Inner Mongolia"
    assert cbeci.province_months_with_data(provinces) == ["2020-01"]


def test_provinces_not_summing_to_100_is_an_error(tmp_path):
    countries = cbeci.read_countries(small_countries_csv(tmp_path))
    path = write(
        tmp_path,
        "provinces.csv",
        "Date,Province,Share of Chinese hashrate\n2020-01-01,Sichuan,40\n2020-01-01,Xinjiang,50\n",
    )
    with pytest.raises(InputFormatError, match=r"provinces.csv.*Share of Chinese hashrate.*2020-01: 90.00"):
        cbeci.read_provinces(path, countries)


def test_ranking_leaves_other_unranked_and_orders_by_share(tmp_path):
    countries = cbeci.read_countries(small_countries_csv(tmp_path))
    table = cbeci.ranking(countries, "2020-02", reference_month="2020-01")
    assert table["country"].tolist() == ["Mainland China", "Germany", "Other"]
    assert table["rank"].tolist()[:2] == [1, 2] and pd.isna(table["rank"].iloc[2])
    assert table.loc[1, "change_vs_ref_pp"] == pytest.approx(10.5)
    assert table["change_12m_pp"].isna().all()


def test_top_n_mask_skips_other_and_text():
    row = pd.Series({"Month": "2020-01", "A": 5.0, "B": 1.0, "Other": 50.0, "C": 3.0})
    assert cbeci.top_n_mask(row, 2) == [False, True, False, False, True]


def test_seasons_and_swing():
    assert cbeci.season_of(pd.Timestamp("2020-05-01")) == "wet 2020"
    assert cbeci.season_of(pd.Timestamp("2020-11-01")) == "dry 2020/21"
    assert cbeci.season_of(pd.Timestamp("2021-04-01")) == "dry 2020/21"
    dates = pd.date_range("2020-04-01", "2020-06-01", freq="MS")
    rows = []
    for d, wet in zip(dates, (20.0, 60.0, 70.0)):
        rows += [
            {"date": d, "province": "Sichuan", "share_of_china_pct": wet},
            {"date": d, "province": "Xinjiang", "share_of_china_pct": 100 - wet},
        ]
    swing = cbeci.seasonal_swing(pd.DataFrame(rows)).set_index("season")
    assert swing.loc["wet 2020", "wet_provinces_pct"] == pytest.approx(65.0)
    assert swing.loc["dry 2019/20", "dry_provinces_pct"] == pytest.approx(80.0)
    assert not swing["complete"].any()


def test_published_figures_need_iso3(tmp_path):
    text = FIGURES.read_text(encoding="utf-8").replace(",United States,USA,", ",United States,,", 1)
    with pytest.raises(InputFormatError, match="United States"):
        cbeci.read_published_figures(write(tmp_path, "figures.csv", text))


@needs_snapshot
def test_published_figures_equal_the_download():
    countries = cbeci.read_countries(SNAPSHOT_MINING / "ccaf_mining_countries.csv")
    check = cbeci.published_vs_download(countries, cbeci.read_published_figures(FIGURES))
    assert len(check) == 8 and (check["diff_pp"].abs() < 1e-9).all()


def test_survey_has_no_china_and_is_ranked():
    survey = cbeci.survey_countries(cbeci.read_published_figures(FIGURES))
    assert survey["iso3"].tolist()[:5] == ["USA", "CAN", "PRY", "NOR", "KAZ"]
    assert "CHN" not in set(survey["iso3"])
