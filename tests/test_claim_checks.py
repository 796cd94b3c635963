"""Tests of chinabrief.analysis.claim_checks: each claim kind with known answers on small SYNTHETIC data
(made up here, by code), the verdict vocabulary, the tolerances and the not-checkable cases."""

from __future__ import annotations

import pandas as pd
import pytest

from chinabrief.analysis import claim_checks as cc
from chinabrief.analysis.claim_checks import ClaimData, Tolerances
from chinabrief.data.claims import Claim

DAY = "2024-01-02"


def synthetic_data() -> ClaimData:
    """SYNTHETIC prices: A daily 100, 110 (+10%), 99 (−10%), 99 (0%); M daily 100, 104 (+4%), 104, 104;
    H hourly: 100 all of 2024-01-01, 100 + h at hour h of 2024-01-02 (so the 24h change ending at
    h+1 o'clock is h%), and daily like A. B has no prices at all."""
    days = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"])
    daily = pd.concat(
        [
            pd.DataFrame({"date": days, "token": "A", "close": [100.0, 110.0, 99.0, 99.0]}),
            pd.DataFrame({"date": days, "token": "M", "close": [100.0, 104.0, 104.0, 104.0]}),
            pd.DataFrame({"date": days, "token": "H", "close": [100.0, 123.0, 123.0, 123.0]}),
        ]
    ).assign(source="synthetic_daily")
    hours = pd.date_range("2024-01-01", periods=48, freq="h")
    hourly = pd.DataFrame(
        {
            "timestamp": hours,
            "token": "H",
            "close": [100.0] * 24 + [100.0 + h for h in range(24)],
            "source": "synthetic_hourly",
        }
    )
    countries = pd.DataFrame(
        {
            "date": pd.to_datetime(
                ["2020-01-01", "2020-02-01", "2020-03-01"] * 2 + ["2020-01-01", "2020-02-01", "2020-03-01"]
            ),
            "country": ["Testland"] * 3 + ["Bigland"] * 3 + ["Other"] * 3,
            "iso3": ["TST"] * 3 + ["BIG"] * 3 + [None] * 3,
            "share_pct": [30.0, 21.2, 10.0, 50.0, 60.0, 70.0, 20.0, 18.8, 20.0],
        }
    )
    survey = [
        ("United States", "USA", 70.0),
        ("Canada", "CAN", 8.0),
        ("Paraguay", "PRY", 4.0),
        ("Norway", "NOR", 3.0),
        ("Kazakhstan", "KAZ", 2.0),
        ("Russian Federation", "RUS", 1.0),
    ]
    figures = pd.DataFrame(
        [
            {
                "publication": "Map update",
                "published": "2020-06",
                "metric": "share_of_global_hashrate",
                "refers_to": "2020-02",
                "country": "Testland",
                "iso3": "TST",
                "value": 21.2,
                "scope": "global network",
            }
        ]
        + [
            {
                "publication": "Industry Report",
                "published": "2021-04",
                "metric": "share_of_reported_activity",
                "refers_to": "2020",
                "country": c,
                "iso3": i,
                "value": v,
                "scope": "surveyed firms",
            }
            for c, i, v in survey
        ]
    )
    return ClaimData(prices_daily=daily, prices_hourly=hourly, countries=countries, figures=figures)


DATA = synthetic_data()
TOL = Tolerances(rounding_pp=0.05, aggregator_gap_pp=1.75, share_rounding_pp=0.5, misdate_days=1)


def price(tokens, *, value=None, range_=None, period="day", as_of=DAY, kind="price_change", benchmark=None) -> Claim:
    return Claim.model_validate(
        {
            "id": "c",
            "kind": kind,
            "tokens": tokens,
            "value_pct": value,
            "range_pct": range_,
            "period": period,
            "as_of": as_of,
            "benchmark": benchmark,
        }
    )


def verdict_of(claim: Claim) -> tuple[dict, list[dict]]:
    row, rows, _ = cc.check_price_claim(claim, DATA, TOL)
    return row, rows


@pytest.mark.parametrize(
    "value, verdict",
    [
        (10.0, cc.CONSISTENT),
        (10.04, cc.CONSISTENT),
        (9.96, cc.CONSISTENT),  # within 0.05 pp of rounding
        (10.1, cc.DIFFERENT_SIZE),
        (3.0, cc.DIFFERENT_SIZE),
        (-5.0, cc.NOT_SUPPORTED),  # the other way
        (-10.0, cc.MISDATED),  # the next day's change
    ],
)
def test_day_claim_known_answers(value, verdict):
    row, rows = verdict_of(price(["A"], value=value))
    assert row["verdict"] == verdict
    assert rows[0]["data_pct"] == pytest.approx(10.0)
    if verdict == cc.MISDATED:
        assert "fits 2024-01-03 (−10.00%) instead" in rows[0]["reason"]


def test_misdated_search_is_a_parameter():
    row, _, _ = cc.check_price_claim(price(["A"], value=-10.0), DATA, Tolerances(misdate_days=0))
    assert row["verdict"] == cc.NOT_SUPPORTED


def test_24h_claim_with_hourly_closes_says_which_hours_fit():
    row, rows = verdict_of(price(["H"], range_=[5.0, 7.0], period="24h"))
    assert row["verdict"] == cc.CONSISTENT
    assert rows[0]["fits"] == "06:00–08:00 UTC"  # the changes ending at 06:00, 07:00 and 08:00 are 5%, 6%, 7%
    _, _, measures = cc.check_price_claim(price(["H"], range_=[5.0, 7.0], period="24h"), DATA, TOL)
    assert len(measures) == 24 and measures["pct"].min() == pytest.approx(0.0)
    assert measures["pct"].max() == pytest.approx(23.0)
    assert "24 changes ending on 2024-01-02: 0.00% to +23.00%" in row["data_says"]


def test_24h_claim_at_a_timestamp_takes_the_change_ending_then():
    row, rows = verdict_of(price(["H"], value=5.0, period="24h", as_of="2024-01-02T06:00:00Z"))
    assert row["verdict"] == cc.CONSISTENT and rows[0]["data_pct"] == pytest.approx(5.0)
    row, _ = verdict_of(price(["H"], value=5.0, period="24h", as_of="2024-01-02T09:30:00Z"))
    assert row["verdict"] == cc.DIFFERENT_SIZE  # 8% at 09:00


def test_24h_claim_without_hourly_closes_gets_the_aggregator_gap():
    assert verdict_of(price(["A"], value=8.25, period="24h"))[0]["verdict"] == cc.CONSISTENT  # 10 − 1.8
    assert verdict_of(price(["A"], value=8.1, period="24h"))[0]["verdict"] == cc.DIFFERENT_SIZE
    row, rows = verdict_of(price(["A"], value=8.25, period="24h"))
    assert "no hourly closes" in rows[0]["measure"] and "± 1.8 pp" in row["rule"]


def test_1h_claim_on_daily_data_is_not_checkable():
    row, rows = verdict_of(price(["A"], value=1.0, period="1h"))
    assert row["verdict"] == cc.NOT_CHECKABLE
    assert "finer than the data" in rows[0]["reason"]
    row, rows = verdict_of(price(["H"], value=1.0, period="1h", as_of="2024-01-02T03:00:00Z"))
    assert row["verdict"] == cc.CONSISTENT and rows[0]["data_pct"] == pytest.approx(
        100 * (102 / 101 - 1) + 0.0, abs=0.01
    )


def test_token_without_prices_is_not_checkable_and_the_claim_judged_on_the_rest():
    row, rows = verdict_of(price(["A", "B"], value=10.0))
    assert [r["verdict"] for r in rows] == [cc.CONSISTENT, cc.NOT_CHECKABLE]
    assert "no price data for B" in rows[1]["reason"]
    assert row["verdict"] == cc.CONSISTENT and "1 of 2 tokens" in row["data_says"]
    assert verdict_of(price(["B"], value=10.0))[0]["verdict"] == cc.NOT_CHECKABLE
    later = verdict_of(price(["A"], value=1.0, as_of="2024-01-09"))[0]
    assert later["verdict"] == cc.NOT_CHECKABLE


def test_a_claim_on_several_tokens_takes_the_worst_verdict():
    assert cc.combine([cc.CONSISTENT, cc.DIFFERENT_SIZE]) == cc.DIFFERENT_SIZE
    assert cc.combine([cc.CONSISTENT, cc.NOT_SUPPORTED, cc.MISDATED]) == cc.NOT_SUPPORTED
    assert cc.combine([cc.NOT_CHECKABLE, cc.CONSISTENT]) == cc.CONSISTENT
    assert cc.combine([cc.NOT_CHECKABLE]) == cc.NOT_CHECKABLE


def test_relative_change_known_answers():
    claim = price(["A"], value=6.0, kind="relative_change", benchmark="M")  # +10% − +4%
    row, rows = verdict_of(claim)
    assert row["verdict"] == cc.CONSISTENT and rows[0]["data_pct"] == pytest.approx(6.0)
    assert (
        verdict_of(price(["A"], value=10.0, kind="relative_change", benchmark="M"))[0]["verdict"] == cc.DIFFERENT_SIZE
    )
    missing = verdict_of(price(["A"], value=6.0, kind="relative_change", benchmark="B"))
    assert missing[0]["verdict"] == cc.NOT_CHECKABLE and "benchmark B" in missing[1][0]["reason"]


def test_7d_claim_without_seven_days_is_not_checkable():
    assert verdict_of(price(["A"], value=1.0, period="7d"))[0]["verdict"] == cc.NOT_CHECKABLE


def share(value, country="Testland", published=None) -> Claim:
    return Claim.model_validate(
        {
            "id": "s",
            "kind": "mining_share",
            "country": country,
            "value_pct": value,
            "attributed_to": {"publisher": "CCAF", "published": published} if published else None,
        }
    )


@pytest.mark.parametrize(
    "claim, verdict",
    [
        (share(21, published="2020-06"), cc.CONSISTENT),  # 21.2% published 2020-06
        (share(21, published="2021-01"), cc.MISDATED),  # the figure exists, published another month
        (share(30, published="2020-06"), cc.MISDATED),  # a month of the map, not that publication
        (share(50, published="2020-06"), cc.NOT_SUPPORTED),
        (share(10), cc.CONSISTENT),  # no date named: the map's latest month
        (share(30), cc.MISDATED),
        (share(21, country="TST", published="2020-06"), cc.CONSISTENT),  # ISO-3 code
        (share(21, country="Nowhere"), cc.NOT_CHECKABLE),  # absent from the source
    ],
)
def test_mining_share_known_answers(claim, verdict):
    row = cc.check_share_claim(claim, DATA, TOL)
    assert row["verdict"] == verdict, row["data_says"]


def test_mining_share_searches_every_month_and_says_so():
    row = cc.check_share_claim(share(21, published="2021-01"), DATA, TOL)
    assert "21.20% in 2020-02" in row["data_says"] and "published 2020-06" in row["data_says"]
    assert "none published in 2021-01" in row["data_says"]
    narrow = cc.check_share_claim(share(21, published="2020-06"), DATA, Tolerances(share_rounding_pp=0.1))
    assert narrow["verdict"] == cc.NOT_SUPPORTED  # 21.2 is 0.2 pp away


def rank(**fields) -> Claim:
    return Claim.model_validate({"id": "r", "kind": "mining_rank", **fields})


@pytest.mark.parametrize(
    "claim, verdict",
    [
        (
            rank(
                country="Testland", top_n=5, in_top=False, attributed_to={"publisher": "CCAF", "published": "2021-04"}
            ),
            cc.CONSISTENT,
        ),  # absent from a list of 6: not in its top 5
        (
            rank(country="Testland", top_n=5, in_top=True, attributed_to={"publisher": "CCAF", "published": "2021-04"}),
            cc.NOT_SUPPORTED,
        ),
        (
            rank(
                country="Testland", top_n=10, in_top=False, attributed_to={"publisher": "CCAF", "published": "2021-04"}
            ),
            cc.NOT_CHECKABLE,
        ),  # the list is shorter than 10
        (rank(country="Canada", rank=2, attributed_to={"publisher": "CCAF", "published": "2021-04"}), cc.CONSISTENT),
        (rank(country="Testland", rank=2), cc.CONSISTENT),  # the map's latest month: BIG 70, TST 10
        (rank(country="Testland", rank=1), cc.NOT_SUPPORTED),
        (rank(country="Testland", top_n=1, in_top=False), cc.CONSISTENT),
    ],
)
def test_mining_rank_known_answers(claim, verdict):
    row = cc.check_rank_claim(claim, DATA, TOL)
    assert row["verdict"] == verdict, row["data_says"]


def test_every_verdict_is_in_the_vocabulary_and_counted():
    from chinabrief.data.claims import Article

    article = Article.model_validate(
        {
            "article": {"id": "a", "title": "T", "outlet": "O", "published": "2024-01-02", "url": "https://x.test"},
            "claims": [
                price(["A"], value=10.0).model_dump(),
                {**price(["A"], value=-10.0).model_dump(), "id": "d"},
                {**share(21, published="2020-06").model_dump(), "id": "e"},
            ],
        }
    )
    check = cc.check_article(article, DATA, TOL)
    assert set(check.verdicts["verdict"]) <= set(cc.VERDICTS)
    assert check.counts() == {cc.CONSISTENT: 2, cc.MISDATED: 1}
    assert list(check.verdicts.columns) == cc.VERDICT_COLUMNS


def test_hours_text_runs():
    t = pd.Timestamp
    assert (
        cc._hours_text([t("2024-01-02 03:00"), t("2024-01-02 04:00"), t("2024-01-02 09:00"), t("2024-01-03 00:00")])
        == "03:00–04:00, 09:00, 24:00 UTC"
    )
