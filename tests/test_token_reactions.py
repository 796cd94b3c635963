"""Tests of chinabrief.analysis.token_reactions and chinabrief.analysis.event_reaction: claim verdicts, facts and
sentences with known answers, and the token brief run on a made-up project (no seed specifics)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import synthetic
from chinabrief.analysis import event_reaction, token_reactions
from chinabrief.config import Paths
from chinabrief.pipeline import export, runner

SEED_MARKERS = [
    "TRX",
    "NEO",
    "VET",
    "CFX",
    "OKB",
    "2025-05-07",
    "2025-05-06",
    "2025-05-12",
    "2025-06-13",
    "Geneva",
    "Jan–Nov 2025",
    "five tokens",
    "Wednesday",
]


def test_claims_check_takes_the_price_claims_of_the_article():
    """The token brief's claims come from the claims module: price_change claims only, token by token."""
    from chinabrief.analysis.claim_checks import Tolerances
    from chinabrief.data.claims import Article

    article = Article.model_validate(
        {
            "article": {"id": "a", "title": "T", "outlet": "O", "published": "2024-01-02", "url": "https://x.test/a"},
            "claims": [
                {
                    "id": "up",
                    "kind": "price_change",
                    "tokens": ["A", "Z"],
                    "range_pct": [0.5, 3.0],
                    "period": "day",
                    "as_of": "2024-01-02",
                },
                {"id": "share", "kind": "mining_share", "country": "X", "value_pct": 10},
            ],
        }
    )
    daily = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "token": "A",  # SYNTHETIC
            "close": [100.0, 101.0],
            "source": "synthetic",
        }
    )
    hourly = pd.DataFrame(columns=["timestamp", "token", "close", "source"])
    out = token_reactions.claims_check(article, {"prices_daily": daily, "prices_hourly": hourly}, Tolerances())
    assert out["claim_id"].tolist() == ["up", "up"]
    assert out.set_index("token")["verdict"].to_dict() == {"A": "consistent", "Z": "not checkable"}
    assert out.set_index("token").loc["A", "data_pct"] == pytest.approx(1.0)


def test_catalogue_span():
    cat = pd.DataFrame({"date": pd.to_datetime(["2025-01-21", "2025-11-10"])})
    assert token_reactions.catalogue_span(cat) == "Jan–Nov 2025"
    cat = pd.DataFrame({"date": pd.to_datetime(["2024-12-01", "2025-02-10"])})
    assert token_reactions.catalogue_span(cat) == "Dec 2024–Feb 2025"


def test_hourly_coverage_and_sources_in_study():
    hourly = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(["2023-01-01 00:00", "2023-02-01 05:00", "2023-01-05 00:00"]),
            "token": ["A", "A", "B"],
            "close": [1.0, 2.0, 3.0],
            "source": ["s", "s", "s"],
        }
    )
    cov = token_reactions.hourly_coverage(hourly, ["B", "A", "C"])
    assert cov["token"].tolist() == ["B", "A"] and cov.loc[1, "last"] == pd.Timestamp("2023-02-01 05:00")
    choice = pd.DataFrame(
        {
            "token": ["A", "A", "B"],
            "source": ["old", "spot", "unattributed"],
            "start": pd.to_datetime(["2010-01-01", "2020-01-01", "2020-01-01"]),
            "end": pd.to_datetime(["2019-12-31", "2025-01-01", "2025-01-01"]),
        }
    )
    assert token_reactions.sources_in_study(choice, ["A", "B"], pd.Timestamp("2024-01-01")) == {
        "spot": {"A": 367},
        "unattributed": {"B": 367},
    }


def test_event_summary_sentence_known_answer():
    car = pd.DataFrame({"token": ["A", "B", "C"], "car": [0.02, -0.01, 0.005], "p": [0.01, 0.5, 0.2]})
    assert event_reaction.summary_sentence(car, "BTC") == (
        "2 of 3 tokens beat BTC over days −1 to +1; the strongest was A (+2.0%), the weakest B (−1.0%); "
        "1 of 3 reactions are significant at 5%."
    )
    assert event_reaction.summary_sentence(car.iloc[0:0], "BTC").startswith("No token has enough data")


@pytest.fixture(scope="module")
def synthetic_brief(tmp_path_factory):
    root = synthetic.make_project(tmp_path_factory.mktemp("synthetic"))
    paths = Paths(root)
    record = runner.run_stage(paths, "token_reactions", synthetic.token_parameters(), cell_timeout=300)
    return paths, record


@pytest.mark.slow
def test_token_brief_on_a_made_up_project_mentions_nothing_of_the_seed(synthetic_brief):
    paths, record = synthetic_brief
    html = (paths.reports / "token-reactions.html").read_text()
    text = re.sub(
        r"<[^>]+>", " ", re.sub(r"<style.*?</style>|data:image/png;base64,[A-Za-z0-9+/=]+", "", html, flags=re.S)
    )
    leaks = [m for m in SEED_MARKERS if m in text]
    assert leaks == [], f"seed specifics in the synthetic brief: {leaks}"
    for expected in ("AAA", "Synthetic truce B", "Mar–Nov 2023", "2023-06-22"):
        assert expected in text, expected
    assert "synthetic" in record["headline"].lower() or record["headline"]  # a headline was recorded


@pytest.mark.slow
def test_synthetic_brief_claims_and_sections(synthetic_brief):
    paths, record = synthetic_brief
    import nbformat

    nb = nbformat.read(paths.executed / "03_token_reactions.ipynb", as_version=4)
    summary = export.summary_of(nb)
    assert summary["findings"] and any("2023-06-22" in f for f in summary["findings"])
    claims = pd.read_csv(paths.processed / "event_study" / "car.csv")
    assert set(claims["token"]) == set(synthetic.TOKENS)


@pytest.mark.slow
def test_synthetic_brief_has_the_china_premium_and_its_products(synthetic_brief):
    paths, record = synthetic_brief
    html = (paths.reports / "token-reactions.html").read_text()
    assert "China, or just crypto?" in html and "Not measured" not in html
    out = paths.processed / "event_study"
    for name in (
        "premium.csv",
        "premium_by_event.csv",
        "difference_series.csv",
        "placebo.csv",
        "robustness.csv",
        "event_days.csv",
    ):
        assert (out / name).is_file(), name
    premium = pd.read_csv(out / "premium.csv")
    assert set(premium["scope"]) == {"escalation", "de-escalation", "talks & agreements"}
    placebo = pd.read_csv(out / "placebo.csv")
    assert (placebo["n_draws"].dropna() == 2000).all() and placebo["p"].between(0, 1).all()
    robustness = pd.read_csv(out / "robustness.csv")
    assert robustness["baseline"].sum() == 2  # escalations and de-escalations, once each
    assert record["headline"].startswith("Is it China?")
