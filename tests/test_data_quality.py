"""Tests of chinabrief.analysis.data_quality and its tables: known answers on a small made-up build whose
tokens, sources and dates are not the seed's, so nothing of the seed can leak into the sentences."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from chinabrief.analysis import data_quality as dq
from chinabrief.data import event_catalogue, price_series
from chinabrief.data.prepare import Prepared
from chinabrief.render import data_tables, quality_tables

SEED_SPECIFICS = ["OKB", "TRX", "NEO", "VET", "CFX", "BTC", "2024-", "2025-", "2026-", "Geneva"]
EVIL = "<script>alert(1)</script>"


def daily(token: str, start: str, end: str, source: str, skip: tuple[str, ...] = ()) -> pd.DataFrame:
    days = pd.date_range(start, end, freq="D")
    days = days[~days.isin(pd.to_datetime(list(skip)))]
    return pd.DataFrame({"token": token, "date": days, "close": 1.0, "source": source})


@pytest.fixture()
def prepared() -> Prepared:
    """Three made-up tokens in 2031-2033: AAA (spot), BBB (spot, then the unattributed source from
    2033-03-01), CCC (unattributed only, two gaps, ends early); one catalogue of three event_catalogue."""
    frames = [
        daily("AAA", "2031-01-01", "2033-06-30", "spot_x"),
        daily("BBB", "2031-01-01", "2033-02-28", "spot_x"),
        daily("BBB", "2033-03-01", "2033-06-30", dq.UNATTRIBUTED),
        daily(
            "CCC",
            "2031-06-01",
            "2033-05-31",
            dq.UNATTRIBUTED,
            skip=("2032-09-10", "2032-09-11", "2032-09-12", "2033-01-05"),
        ),
    ]
    d = pd.concat(frames, ignore_index=True).sort_values(["token", "date"]).reset_index(drop=True)
    hourly = pd.DataFrame(
        {
            "timestamp": pd.date_range("2033-01-01", periods=48, freq="h"),
            "token": "AAA",
            "close": 1.0,
            "source": "spot_x",
        }
    )
    catalogue = pd.DataFrame(
        {
            "event_id": ["2033-02-01-a", "2033-02-10-b", "2033-03-05-c"],
            "date": pd.to_datetime(["2033-02-01", "2033-02-10", "2033-03-05"]),
            "time_utc": ["", "21:30", "09:00"],
            "label": [EVIL, "Talks * begin", "Deal"],
            "category": ["escalation", "talks", "agreement"],
            "verified": ["yes", "yes", "no"],
        }
    )
    catalogue["hour_utc"] = [float("nan"), 21.5, 9.0]
    agreement = pd.DataFrame(
        {
            "token": ["BBB"],
            "source_a": ["spot_x"],
            "source_b": [dq.UNATTRIBUTED],
            "days_compared": [100],
            "median_abs_diff_pct": [0.25],
            "max_abs_diff_pct": [3.5],
            "max_diff_date": pd.to_datetime(["2031-07-04"]),
        }
    )
    countries = pd.DataFrame({"date": pd.to_datetime(["2030-01-01", "2030-02-01"])})
    return Prepared(
        prices_daily=d,
        prices_hourly=hourly,
        returns=pd.DataFrame(),
        source_choice=price_series.source_segments(d),
        agreement=agreement,
        gaps=price_series.gaps(d),
        events=event_catalogue.assign_day0(catalogue, 21),
        mining_countries=countries,
        mining_provinces=pd.DataFrame(),
        mining_cross_check=pd.DataFrame({"months_compared": [2], "rows_compared": [30], "max_abs_diff_pct": [0.0]}),
        manifest=pd.DataFrame(
            {
                "path": ["a.csv", "b.csv"],
                "sha256": ["ab" * 32, "cd" * 32],
                "bytes": [1_500_000, 500_000],
                "kind": ["k1", "k2"],
                "origin": ["snapshot:a.csv", "snapshot:b.csv"],
            }
        ),
    )


@pytest.fixture()
def q(prepared) -> dq.DataQuality:
    return dq.compute(
        prepared,
        ["t1", "t2", "t3"],
        tokens=["AAA", "CCC"],
        source_priority=["spot_x", dq.UNATTRIBUTED],
        cutoff_hour_utc=21,
    )


def test_study_start_comes_from_the_events(q):
    assert q.study_start == pd.Timestamp("2032-02-01")  # a year before the first event, start of month


def test_tables(q):
    assert q.daily.set_index("token")["sources"].to_dict() == {
        "AAA": "spot_x",
        "BBB": f"spot_x, {dq.UNATTRIBUTED}",
        "CCC": dq.UNATTRIBUTED,
    }
    assert q.daily.set_index("token")["days_missing"].to_dict() == {"AAA": 0, "BBB": 0, "CCC": 4}
    assert q.hourly.set_index("token")["hours"].to_dict() == {"AAA": 48, "BBB": 0, "CCC": 0}
    u = q.unattributed.set_index("token")
    assert u["only_source"].to_dict() == {"CCC": True, "BBB": False}
    assert u.loc["BBB", "days"] == 122 and u.loc["BBB", "first_day"] == pd.Timestamp("2033-03-01")


def test_headline_known_answer(q):
    assert dq.headline_text(q) == (
        "2 raw files verified; daily prices for 3 tokens to 2033-06-30. CCC comes only from the medium-trust "
        "unattributed source, and 4 days are missing since 2032-02-01, all of them CCC's."
    )


def test_findings_known_answer(q):
    assert dq.findings_text(q) == [
        "Since 2032-02-01, 2 of 3 tokens rely on the medium-trust unattributed source: alone (no other source covers "
        "it), CCC on all 482 days it has; beside other sources, BBB on 122 days from 2033-03-01.",
        "Since 2032-02-01, CCC misses 4 days in 2 gaps (the longest 3 days, 2032-09-10 to 2032-09-12); "
        "every other token has none.",
        "CCC ends on 2033-05-31, before the other 2 tokens (2033-06-30).",
        "Hourly closes cover 1 of 3 tokens, to 2033-01-02 23:00 UTC; none for BBB and CCC.",
        "The two CCAF download formats agree exactly on 30 country-month shares (2 months).",
        "2 raw files (2.0 MB) imported and verified against the snapshot's checksums; 3 processed tables written, "
        "each checked against its schema.",
    ]


def test_events_note_names_the_moved_event_and_the_unverified_one(q):
    text = dq.events_note(q).items[0]
    assert text.startswith(
        "3 events from 2033-02-01 to 2033-03-05: 1 escalation, 1 talks and 1 agreement. "
        "2 events have a known time (UTC); 1 of them was announced at or after 21:00 UTC"
    )
    assert "Talks * begin (2033-02-10 21:30 → 2033-02-11)" in text and text.endswith(
        "Not yet verified against its source: Deal."
    )
    assert EVIL not in dq.events_note(q).text and "&lt;script&gt;" not in text  # plain items, escaped Markdown
    assert r"Talks \* begin" in dq.events_note(q).text


def test_nothing_of_the_seed_leaks_into_the_sentences(q):
    texts = [dq.headline_text(q), *dq.findings_text(q)]
    texts += [
        m.text for m in (dq.facts(q), dq.coverage_note(q), dq.hourly_note(q), dq.agreement_note(q), dq.events_note(q))
    ]
    leaked = [(s, t) for t in texts for s in SEED_SPECIFICS if s in t]
    assert leaked == []


def test_sentences_without_unattributed_gaps_or_early_ends(prepared):
    prepared.prices_daily = daily("AAA", "2031-01-01", "2033-06-30", "spot_x")
    prepared.gaps = price_series.gaps(prepared.prices_daily)
    prepared.source_choice = price_series.source_segments(prepared.prices_daily)
    q = dq.compute(prepared, [], tokens=["AAA"], source_priority=["spot_x"], cutoff_hour_utc=21)
    assert (
        dq.headline_text(q)
        == "2 raw files verified; daily prices for 1 token to 2033-06-30. No day is missing since 2032-02-01."
    )
    found = dq.findings_text(q)
    assert "Since 2032-02-01 no token relies on the medium-trust unattributed source." in found
    assert "No token misses a day since 2032-02-01." in found
    assert not any("before the other tokens" in f for f in found)


def test_quality_tables_escape_data_and_are_stable(q):
    html = quality_tables.events(q).to_html()
    assert EVIL not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html == quality_tables.events(q).to_html()
    assert len(re.findall(r"background-color", quality_tables.events(q).to_html())) >= 1  # the moved day 0
    for render in (quality_tables.daily_coverage, quality_tables.hourly_coverage, quality_tables.events_by_category):
        assert 'id="T_' in render(q).to_html()
    hourly = quality_tables.hourly_coverage(q).to_html()
    assert ">AAA<" in hourly and ">BBB<" not in hourly  # tokens without hourly closes are named in the note
    assert "BBB and CCC" in repr(dq.hourly_note(q))
    assert "T_sources" in data_tables.source_choice(q.sources).to_html()


def test_a_table_shown_in_a_kernel_has_a_stable_plain_text_form(q):
    from chinabrief.render import tables

    assert tables.plain_text(quality_tables.events(q)) == "<table T_events: 3 rows × 7 columns>"


def test_universe_and_close_hour_sentences_known_answer(q):
    """Synthetic groups and close hours (made up): the sentences and tables follow them."""
    groups = pd.DataFrame(
        {
            "token": ["AAA", "BBB", "CCC", "DDD", "EEE"],
            "group": ["benchmark", "china_linked", "control", "excluded", "excluded"],
            "china_tier": ["", "core", "", "", ""],
            "kind": ["layer1", "layer1", "defi", "meme", "layer1"],
            "name": "synthetic",
            "reason": ["r", "r", "r", "r", "China ties unclear: synthetic"],
            "source": "s",
            "first_date": pd.Timestamp("2031-01-01"),
            "history_days": [110, 110, 110, 110, 110],
            "median_turnover_usd": [1e9, 1e6, 2e6, 1e6, 1e6],
            "rule_outcome": [
                "benchmark: not subject to the control rule",
                "China-linked: not subject to the control rule",
                "control: passes kind, history and liquidity",
                "kind meme: not in the control group",
                "excluded by the universe table: China ties unclear: synthetic",
            ],
        }
    )
    q.groups = groups
    text = repr(dq.universe_note(q))
    assert text.startswith(
        "5 tokens are in the snapshot: 1 benchmark, 1 China-linked, 1 in the control group and 2 excluded."
    )
    assert dq.exclusions(q).set_index("reason")["tokens"].to_dict() == {"China ties unclear": 1, "kind meme": 1}
    assert q.control == ["CCC"]
    q.close_hours = pd.DataFrame(
        {
            "source": ["spot_x"] * 3 + ["unattributed"] * 3,
            "token": "BTC+ETH",
            "period": ["all days", "EU winter time", "EU summer time"] * 2,
            "close_hour_utc": [0, 0, 0, 22, 23, 22],
            "offset_hours": [0, 0, 0, -2, -1, -2],
            "median_abs_diff_pct": 0.01,
            "midnight_median_abs_diff_pct": 0.3,
            "days_compared": 100,
        }
    )
    note = repr(dq.close_hours_note(q))
    assert "The daily source spot_x ends the day at midnight UTC" in note
    assert "unattributed ends it at 23:00 UTC in European winter time and 22:00 UTC in summer time" in note
    assert "less than 3 hours before that close" in note  # cutoff 21
    assert ">unattributed<" in quality_tables.close_hours(q).to_html()
