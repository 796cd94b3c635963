"""The token universe: the table's rules, Bybit contract multipliers, the control-group rule.

Known answers on small synthetic tables (labelled as such); the real snapshots are only checked
against rules (every price file has exactly one group), never against today's counts.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chinabrief.data import price_series as prices
from chinabrief.data import universe
from chinabrief.exceptions import InputFormatError
from chinabrief.pipeline import verify
from conftest import ROOT, SNAPSHOT_V1, SNAPSHOT_V2, make

UNIVERSE = ROOT / "data" / "universe.csv"


def synthetic_universe(tmp_path: Path, rows: list[dict]) -> Path:
    """A universe file of synthetic rows (defaults filled in)."""
    base = {
        "name": "synthetic",
        "group": "candidate",
        "china_tier": "",
        "kind": "layer1",
        "coingecko_id": "",
        "binance_symbol": "",
        "bybit_symbol": "",
        "bybit_multiplier": "",
        "reason": "synthetic",
        "source": "synthetic",
    }
    path = tmp_path / "universe.csv"
    pd.DataFrame([{**base, **r} for r in rows])[universe.COLUMNS].to_csv(path, index=False)
    return path


def test_the_committed_universe_follows_its_rules():
    table = universe.load(UNIVERSE)
    assert set(table["group"]) <= set(universe.GROUPS)
    assert set(universe.symbols(table, "benchmark")) == {"BTC", "ETH"}
    assert universe.symbols(table, "china_linked", "core") == ["TRX", "NEO", "VET", "CFX", "OKB"]
    unclear = table[table["reason"].str.startswith("China ties unclear")]
    assert unclear["group"].eq("excluded").all()  # never a control


@pytest.mark.parametrize("snapshot", [SNAPSHOT_V1, SNAPSHOT_V2], ids=["v1", "v2"])
def test_every_snapshot_price_file_has_exactly_one_group(snapshot):
    if not (snapshot / "SHA256SUMS").is_file():
        pytest.skip(f"no snapshot at {snapshot}")
    files = universe.group_of_files(universe.load(UNIVERSE), snapshot)
    assert len(files) > 0
    assert files["groups"].eq(1).all(), files[files["groups"].ne(1)]
    assert files["group"].isin(universe.GROUPS).all()


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ({"symbol": "AAA", "group": "friends"}, "group"),
        ({"symbol": "AAA", "kind": "coin"}, "kind"),
        ({"symbol": "AAA", "group": "china_linked"}, "china_tier"),
        ({"symbol": "AAA", "china_tier": "core"}, "china_tier"),
        ({"symbol": "AAA", "bybit_symbol": "1000AAAUSDT", "bybit_multiplier": "0"}, "bybit_multiplier"),
        ({"symbol": "AAA", "bybit_symbol": "1000AAAUSDT", "bybit_multiplier": ""}, "bybit_multiplier"),
        ({"symbol": "AAA", "bybit_symbol": "AAA-PERP", "bybit_multiplier": "1"}, "bybit_symbol"),
        ({"symbol": "AAA", "reason": " "}, "reason"),
        ({"symbol": "aaa"}, "symbol"),
    ],
)
def test_a_bad_universe_row_names_file_line_column_and_rule(tmp_path, row, column):
    path = synthetic_universe(tmp_path, [{"symbol": "BTC", "group": "benchmark"}, row])
    with pytest.raises(InputFormatError, match=rf"universe.csv:3: column '{column}' .*\(rule: "):
        universe.load(path)


def test_a_symbol_or_contract_listed_twice_is_an_error(tmp_path):
    path = synthetic_universe(tmp_path, [{"symbol": "AAA"}, {"symbol": "AAA"}])
    with pytest.raises(InputFormatError, match=r"universe.csv:3: column 'symbol' .*one row per symbol"):
        universe.load(path)
    path = synthetic_universe(
        tmp_path,
        [
            {"symbol": "AAA", "bybit_symbol": "AAAUSDT", "bybit_multiplier": "1"},
            {"symbol": "BBB", "bybit_symbol": "AAAUSDT", "bybit_multiplier": "1"},
        ],
    )
    with pytest.raises(InputFormatError, match=r"universe.csv:3: column 'bybit_symbol' .*one token per Bybit"):
        universe.load(path)


def write_bybit(path: Path, closes: list[float], duplicate: int | None = None) -> None:
    """A synthetic Bybit export: one row per day, the last one the still-open candle."""
    days = pd.date_range("2025-01-01", periods=len(closes), freq="D")
    frame = pd.DataFrame(
        {
            "timestamp": (days - pd.Timestamp(0)) // pd.Timedelta(milliseconds=1),
            "open": closes,
            "high": [c * 1.01 for c in closes],
            "low": [c * 0.99 for c in closes],
            "close": closes,
            "volume": 1000.0,
            "turnover": 5e6,
            "date": days.strftime("%Y-%m-%d"),
        }
    )
    if duplicate is not None:
        frame = pd.concat([frame.iloc[: duplicate + 1], frame.iloc[[duplicate]], frame.iloc[duplicate + 1 :]])
    frame.to_csv(path, index=False)


def test_a_multiplied_contract_gives_prices_per_token_and_unchanged_returns(tmp_path):
    path = tmp_path / "1000AAAUSDT.csv"
    write_bybit(path, [2.0, 4.0, 3.0, 99.0], duplicate=1)  # 1000 AAA quoted; last row still open
    contracts = {"1000AAAUSDT": universe.Contract("AAA", 1000)}
    frame = prices.read_bybit_daily(path, contracts=contracts)
    assert frame["token"].unique().tolist() == ["AAA"]
    assert frame["close"].tolist() == pytest.approx([0.002, 0.004, 0.003])  # duplicate kept once, open day dropped
    assert frame["high"].tolist() == pytest.approx([0.00202, 0.00404, 0.00303])
    assert frame["volume_usd"].tolist() == [5e6] * 3  # USDT turnover is not divided
    rets = prices.daily_returns(frame)["ret"].tolist()
    assert rets == pytest.approx([1.0, -0.25])


def test_a_bybit_contract_missing_from_the_universe_is_named(tmp_path):
    path = tmp_path / "1000ZZZUSDT.csv"
    write_bybit(path, [1.0, 2.0])
    with pytest.raises(
        InputFormatError,
        match=r"1000ZZZUSDT.csv: Bybit contract '1000ZZZUSDT' is not in "
        r"data/universe.csv \(column bybit_symbol",
    ):
        prices.read_bybit_daily(path, contracts={})


def synthetic_panel(turnover: dict[str, float], start: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic daily Bybit rows and returns for the control rule."""
    rows = []
    for token, volume in turnover.items():
        for day in pd.date_range(start.get(token, "2024-01-01"), "2025-06-30", freq="D"):
            rows.append({"date": day, "token": token, "close": 1.0, "volume_usd": volume, "source": "bybit_perp"})
    daily = pd.DataFrame(rows)
    return daily, prices.daily_returns(daily)


def test_the_control_rule_applies_kind_history_and_liquidity():
    table = pd.DataFrame(
        [
            {"symbol": "BTC", "group": "benchmark", "china_tier": "", "kind": "layer1"},
            {"symbol": "CHN1", "group": "china_linked", "china_tier": "core", "kind": "layer1"},
            {"symbol": "CHN2", "group": "china_linked", "china_tier": "extended", "kind": "layer1"},
            {"symbol": "OK", "group": "candidate", "china_tier": "", "kind": "defi"},
            {"symbol": "MEME", "group": "candidate", "china_tier": "", "kind": "meme"},
            {"symbol": "NEW", "group": "candidate", "china_tier": "", "kind": "layer1"},
            {"symbol": "TINY", "group": "candidate", "china_tier": "", "kind": "layer1"},
            {"symbol": "HUGE", "group": "candidate", "china_tier": "", "kind": "layer1"},
            {"symbol": "UNCL", "group": "excluded", "china_tier": "", "kind": "layer1"},
        ]
    ).assign(name="synthetic", reason="synthetic", source="synthetic")
    turnover = {
        "BTC": 1e9,
        "CHN1": 1e6,
        "CHN2": 3e6,
        "OK": 2e7,
        "MEME": 2e6,
        "NEW": 2e6,
        "TINY": 1e5,
        "HUGE": 2.1e7,
        "UNCL": 2e6,
    }
    day0 = pd.Series(pd.to_datetime(["2025-03-01", "2025-05-01"]))
    # NEW starts 40 days before the first event's estimation window ends: 40 returns < 60
    daily, returns = synthetic_panel(turnover, {"NEW": "2025-01-09"})
    rule = universe.ControlRule((-120, -11), 60, liquidity_factor=10.0)
    groups = universe.assign_groups(table, daily, returns, day0, rule).set_index("token")
    assert groups["group"].to_dict() == {
        "BTC": "benchmark",
        "CHN1": "china_linked",
        "CHN2": "china_linked",
        "OK": "control",
        "MEME": "excluded",
        "NEW": "excluded",
        "TINY": "excluded",
        "HUGE": "excluded",
        "UNCL": "excluded",
    }
    assert groups.loc["OK", "history_days"] == 110
    assert groups.loc["NEW", "history_days"] == 40
    assert groups.loc["MEME", "rule_outcome"].startswith("kind meme")
    assert groups.loc["NEW", "rule_outcome"].startswith("history: 40 returns")
    # China-linked median turnover 2M: the band is 0.2M..20M; 20M passes, 21M and 0.1M do not
    assert groups.loc["TINY", "rule_outcome"].startswith("liquidity")
    assert groups.loc["HUGE", "rule_outcome"].startswith("liquidity")
    text = universe.rule_text(rule, groups.reset_index(), day0)
    assert "0.20M and 20.00M USD" in text and "at least 60 daily returns" in text


def test_a_snapshot_token_missing_from_the_universe_stops_the_rule():
    table = pd.DataFrame(
        [
            {
                "symbol": "BTC",
                "group": "benchmark",
                "china_tier": "",
                "kind": "layer1",
                "name": "",
                "reason": "r",
                "source": "s",
            }
        ]
    )
    daily, returns = synthetic_panel({"BTC": 1.0, "XYZ": 1.0}, {})
    with pytest.raises(InputFormatError, match=r"no row for snapshot token\(s\) \['XYZ'\]"):
        universe.assign_groups(
            table, daily, returns, pd.Series(pd.to_datetime(["2025-03-01"])), universe.ControlRule((-120, -11), 60)
        )


@pytest.mark.slow
def test_snapshot_v1_still_builds(tmp_path):
    """Version 1 (27 Bybit symbols, no control candidates with turnover) builds every brief."""
    if not (SNAPSHOT_V1 / "SHA256SUMS").is_file():
        pytest.skip(f"no snapshot at {SNAPSHOT_V1}")
    copy = verify.copy_checkout(ROOT, tmp_path / "repo")
    done = make(copy, "report", f"SNAPSHOT={SNAPSHOT_V1}")
    assert done.returncode == 0, done.stdout + done.stderr
    groups = pd.read_csv(copy / "data/processed/universe_groups.csv", keep_default_na=False)
    assert groups["token"].is_unique
    assert (copy / "reports/token-reactions.html").is_file()
