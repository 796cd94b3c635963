"""Tests of chinabrief.data.price_checks: each plausibility rule, its parameter, and the real data.

The fault cases that break a real file and run the pipeline are in test_faults_inputs.py.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chinabrief.data import price_checks, price_series
from chinabrief.exceptions import InputFormatError
from chinabrief.pipeline import params, stages
from conftest import ROOT, SNAPSHOT

SNAPSHOT_V2 = (ROOT / ".." / "shared" / "data-v2").resolve()
needs_snapshot = pytest.mark.skipif(
    not (SNAPSHOT / "SHA256SUMS").is_file(), reason="no data snapshot at ../shared/data"
)


def daily(rows, source="binance_spot", token="TRX", file="data/raw/prices/x/TRX.csv"):
    frame = pd.DataFrame(rows, columns=["date", "open", "high", "low", "close"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.assign(token=token, source=source, file=file, line=range(2, 2 + len(frame)))


def week(closes, **kw):
    days = pd.date_range("2025-03-01", periods=len(closes)).strftime("%Y-%m-%d")
    return daily([(d, c, c * 1.01, c * 0.99, c) for d, c in zip(days, closes)], **kw)


def test_a_close_times_10000_is_a_bad_print_naming_file_line_value_and_rule():
    frame = week([1.0, 1.02, 10200.0, 1.01, 1.0])
    with pytest.raises(InputFormatError) as info:
        price_checks.check(frame, price_checks.Rules())
    message = str(info.value)
    assert (
        "data/raw/prices/x/TRX.csv:4: TRX 2025-03-03 close 10200.0: rule bad_print_factor (previous close 1.02, next close 1.01"
        in message
    )
    assert 'price_check_allow: ["TRX:2025-03-03"]' in message


def test_an_allowed_violation_is_listed_not_fatal():
    frame = week([1.0, 1.02, 10200.0, 1.01, 1.0])
    for allow in ("TRX:2025-03-03", "prices/x/TRX.csv:4", "data/raw/prices/x/TRX.csv:4"):
        found = price_checks.check(frame, price_checks.Rules(price_check_allow=(allow,)))
        assert found[["rule", "line", "status"]].values.tolist() == [
            ["bad_print_factor", 4, "allowed: listed in price_check_allow"]
        ]
    summary = price_checks.summary(found)
    assert summary[["rule", "findings", "tokens"]].values.tolist() == [["bad_print_factor", 1, "TRX"]]


def test_a_jump_that_does_not_revert_passes():
    assert price_checks.check(week([1.0, 1.0, 5.0, 5.1, 5.0]), price_checks.Rules()).empty


def test_bad_print_factor_is_a_parameter():
    frame = week([1.0, 1.0, 1.8, 1.0, 1.0])
    assert price_checks.check(frame, price_checks.Rules(bad_print_factor=2.0)).empty
    with pytest.raises(InputFormatError, match="rule bad_print_factor"):
        price_checks.check(frame, price_checks.Rules(bad_print_factor=1.5))


def test_positive_close_rule_and_its_switch():
    frame = daily([("2025-01-01", 1, 1, 1, 1.0), ("2025-01-02", 1, 1, 0, 0.0)])
    with pytest.raises(InputFormatError, match=r"TRX.csv:3: TRX 2025-01-02 close 0.0: rule check_positive_close"):
        price_checks.check(frame, price_checks.Rules())
    found = price_checks.check(frame, price_checks.Rules(check_positive_close=False))
    assert found["status"].tolist() == ["allowed: check_positive_close is false"]


def test_ohlc_order_rule_and_its_switch():
    frame = daily([("2025-01-01", 1.0, 1.2, 0.9, 1.1), ("2025-01-02", 1.1, 1.15, 1.0, 1.3)])
    with pytest.raises(
        InputFormatError, match=r"TRX.csv:3: .*rule check_ohlc_order \(open 1.1, high 1.15, low 1.0, close 1.3\)"
    ):
        price_checks.check(frame, price_checks.Rules())
    assert len(price_checks.check(frame, price_checks.Rules(check_ohlc_order=False))) == 1
    close_only = daily([("2025-01-01", None, None, None, 1.0)])
    assert price_checks.check(close_only, price_checks.Rules()).empty


def test_same_day_disagreement_between_sources():
    a = week([1.0, 1.0, 1.0], source="binance_spot")
    b = week([1.0, 1.5, 1.0], source="bybit_perp", file="data/raw/prices/y/TRX.csv")
    both = pd.concat([a, b], ignore_index=True)
    with pytest.raises(
        InputFormatError,
        match=r"y/TRX.csv:3: TRX 2025-03-02 close 1.5: rule source_disagreement_pct "
        r"\(differs by 50.0% \(limit 30%\) from binance_spot's close 1.0 at data/raw/prices/x/TRX.csv:3\)",
    ):
        price_checks.check(both, price_checks.Rules())
    assert price_checks.check(both, price_checks.Rules(source_disagreement_pct=60)).empty
    early = price_checks.check(both, price_checks.Rules(source_disagreement_from="2025-03-03"))
    assert early["status"].tolist() == ["allowed: before source_disagreement_from (2025-03-03)"]


def test_rules_defaults_equal_the_parameters():
    defaults = params.Params()
    rules = price_checks.Rules()
    for name in stages.PRICE_RULES:
        expected = getattr(defaults, name)
        assert getattr(rules, name) == (tuple(expected) if isinstance(expected, list) else expected), name


@needs_snapshot
def test_okb_rally_of_august_2025_passes():
    okb = price_series.read_unattributed(SNAPSHOT / "prices/unattributed_1d/OKB.csv")
    august = okb[(okb["date"] >= "2025-08-10") & (okb["date"] <= "2025-08-16")]
    assert august["close"].max() / august["close"].min() > 2  # the rally is in the data
    assert price_checks.bad_prints(okb, params.Params().bad_print_factor).empty
    assert price_checks.check(okb, price_checks.Rules()).empty


def _read_snapshot(folder: Path) -> pd.DataFrame:
    readers = {
        "binance_spot_1d": price_series.read_binance_daily,
        "bybit_usdt_perp_1d": price_series.read_bybit_daily,
        "coingecko_export": price_series.read_coingecko_export,
        "unattributed_1d": price_series.read_unattributed,
    }
    frames = [
        reader(path) for kind, reader in readers.items() for path in sorted((folder / "prices" / kind).glob("*.csv"))
    ]
    return pd.concat(frames, ignore_index=True)


@pytest.mark.slow
@pytest.mark.parametrize("folder", [SNAPSHOT, SNAPSHOT_V2], ids=["v1", "v2"])
def test_the_real_snapshots_pass_the_default_rules(folder):
    if not (folder / "SHA256SUMS").is_file():
        pytest.skip(f"no snapshot at {folder}")
    found = price_checks.check(_read_snapshot(folder), price_checks.Rules())
    # the only findings: CoinGecko vs the unattributed source before 2019 (BTC 2013-15, TRX 2017-18)
    assert set(found["rule"]) == {"source_disagreement_pct"}
    assert found["date"].max() < pd.Timestamp("2019-01-01")
    assert set(found["token"]) == {"BTC", "TRX"}
