"""Tests of chinabrief.data.price_series: one reader per source (and its known defects), the source choice,
gaps, agreement between sources, and daily returns.

Every input is a small synthetic file written into tmp_path in the source's layout; the values
are made up.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chinabrief.data import manifest, price_series
from chinabrief.exceptions import InputFormatError

KNOWN = {"TRX", "NEO", "OKB", "BTC"}
DAY_MS = 86_400_000
BINANCE_HEADER = (
    "open_time,open,high,low,close,volume,close_time,quote_asset_volume,trades,"
    "taker_buy_base,taker_buy_quote,ignore,open_time.1,open_time.2,open_time"
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def ms(day: str) -> int:
    return int(pd.Timestamp(day, tz="UTC").timestamp() * 1000)


def binance_file(tmp_path: Path, name: str = "TRXUSDT.csv") -> Path:
    """Synthetic Binance daily klines with the three empty repeated `open_time` header columns."""
    rows = [
        "2025-01-01 00:00:00+00:00,1.0,1.5,0.9,1.2,1000,1735775999999,1100.5,10,500,550.25,0,,,",
        "2025-01-02 00:00:00+00:00,1.2,1.3,1.1,1.25,2000,1735862399999,2500.0,20,900,1125.0,0,,,",
        "2025-01-03 00:00:00+00:00,1.25,1.4,1.2,1.3,3000,1735948799999,3900.0,30,1500,1950.0,0,,,",
    ]
    return write(tmp_path / "binance_spot_1d" / name, BINANCE_HEADER + "\n" + "\n".join(rows) + "\n")


def bybit_file(tmp_path: Path, rows: list[tuple[str, float]], name: str = "NEOUSDT.csv") -> Path:
    """Synthetic Bybit perpetual daily klines: (day, close) pairs, other prices around the close."""
    lines = ["timestamp,open,high,low,close,volume,turnover,date"]
    for day, close in rows:
        lines.append(f"{ms(day)},{close},{close * 1.1},{close * 0.9},{close},100,{close * 100},{day}")
    return write(tmp_path / "bybit_usdt_perp_1d" / name, "\n".join(lines) + "\n")


def unattributed_file(tmp_path: Path, token: str, days: list[str], closes: list, name: str | None = None) -> Path:
    lines = ["ticker,date,open,high,low,close"]
    for day, close in zip(days, closes):
        lines.append(f"{token},{day},1,2,0.5,{close}")
    return write(tmp_path / "unattributed_1d" / (name or f"{token}.csv"), "\n".join(lines) + "\n")


def frame(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    """Synthetic all-sources daily table from (token, day, source, close) rows."""
    out = pd.DataFrame(rows, columns=["token", "date", "source", "close"])
    out["date"] = pd.to_datetime(out["date"])
    for col in price_series.DAILY_COLUMNS:
        if col not in out:
            out[col] = np.nan
    return out[price_series.DAILY_COLUMNS]


# --- Binance daily ------------------------------------------------------------------------------
def test_binance_daily_with_repeated_open_time_header(tmp_path):
    path = binance_file(tmp_path)
    raw = pd.read_csv(path)
    assert len(raw.columns) == 15  # the 12 kline columns and 3 empty repeats
    kept = raw[price_series.BINANCE_1D_COLUMNS]
    assert list(kept.columns) == price_series.BINANCE_1D_COLUMNS and len(kept.columns) == 12
    out = price_series.read_binance_daily(path, KNOWN)
    assert list(out.columns) == price_series.DAILY_COLUMNS + price_series.PROVENANCE_COLUMNS
    assert out["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-01", "2025-01-02", "2025-01-03"]
    assert out["close"].tolist() == [1.2, 1.25, 1.3]
    assert out["open"].tolist() == [1.0, 1.2, 1.25]
    assert out["volume_usd"].tolist() == [1100.5, 2500.0, 3900.0]  # quote volume, not base
    assert out["market_cap_usd"].isna().all()
    assert set(out["token"]) == {"TRX"} and set(out["source"]) == {"binance_spot"}


# --- Bybit --------------------------------------------------------------------------------------
def test_bybit_drops_the_open_last_candle(tmp_path):
    path = bybit_file(tmp_path, [("2025-01-01", 10.0), ("2025-01-02", 11.0), ("2025-01-03", 99.0)])
    out = price_series.read_bybit_daily(path, KNOWN)
    assert out["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-01", "2025-01-02"]
    assert 99.0 not in out["close"].tolist()
    assert set(out["source"]) == {"bybit_perp"} and set(out["token"]) == {"NEO"}
    assert out["volume_usd"].tolist() == [1000.0, 1100.0]  # turnover (USDT)


def test_bybit_exact_duplicate_is_deduplicated(tmp_path):
    path = bybit_file(
        tmp_path,
        [("2025-01-01", 10.0), ("2025-01-02", 11.0), ("2025-01-02", 11.0), ("2025-01-03", 12.0), ("2025-01-04", 13.0)],
    )
    out = price_series.read_bybit_daily(path, KNOWN)
    assert out["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-01", "2025-01-02", "2025-01-03"]
    assert out["close"].tolist() == [10.0, 11.0, 12.0]


def test_bybit_two_different_rows_on_one_date(tmp_path):
    path = bybit_file(
        tmp_path, [("2025-01-01", 10.0), ("2025-01-02", 11.0), ("2025-01-02", 11.5), ("2025-01-03", 12.0)]
    )
    with pytest.raises(InputFormatError) as info:
        price_series.read_bybit_daily(path, KNOWN)
    assert str(path) in str(info.value)
    message = str(info.value)
    assert "NEOUSDT.csv: 1 date(s) with conflicting rows (rule: one row per date" in message
    assert "2025-01-02 (line 3: open 11.0, " in message and "; line 4: open 11.5" in message


# --- CoinGecko ----------------------------------------------------------------------------------
def test_coingecko_snap_of_day_d_is_the_close_of_day_d_minus_1(tmp_path):
    path = write(
        tmp_path / "coingecko_export" / "trx-usd-max.csv",
        "snapped_at,price,market_cap,total_volume\n"
        "2024-03-01 00:00:00 UTC,0.12,0,5.0\n"
        "2024-03-02 00:00:00 UTC,0.13,1300.0,6.0\n",
    )
    out = price_series.read_coingecko_export(path, KNOWN)
    assert out["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-02-29", "2024-03-01"]
    assert out["close"].tolist() == [0.12, 0.13]
    assert out["market_cap_usd"].isna().tolist() == [True, False]  # 0 = no market cap
    assert out["market_cap_usd"].iloc[1] == 1300.0
    assert out["open"].isna().all() and set(out["source"]) == {"coingecko"} and set(out["token"]) == {"TRX"}


# --- unattributed and gaps ----------------------------------------------------------------------
def test_unattributed_gaps_are_kept_and_listed(tmp_path):
    days = ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07", "2025-01-09"]
    path = unattributed_file(tmp_path, "OKB", days, [1, 2, 3, 4, 5, 6])
    out = price_series.read_unattributed(path, KNOWN)
    assert len(out) == 6  # nothing filled in
    chosen = price_series.choose_sources(out, ["OKB"], ["unattributed"])
    assert len(chosen) == 6
    gaps = price_series.gaps(chosen)
    assert gaps["token"].tolist() == ["OKB", "OKB"]
    assert gaps["gap_start"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-04", "2025-01-08"]
    assert gaps["gap_end"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-05", "2025-01-08"]
    assert gaps["days_missing"].tolist() == [2, 1]


def test_no_gaps_gives_an_empty_typed_table():
    out = price_series.gaps(frame([("TRX", "2025-01-01", "s", 1.0), ("TRX", "2025-01-02", "s", 1.0)]))
    assert out.empty and list(out.columns) == ["token", "gap_start", "gap_end", "days_missing"]
    assert str(out["gap_start"].dtype).startswith("datetime64") and out["days_missing"].dtype == "int64"


def test_unattributed_ticker_must_match_the_file(tmp_path):
    path = unattributed_file(tmp_path, "NEO", ["2025-01-01"], [1.0], name="OKB.csv")
    with pytest.raises(
        InputFormatError, match=r"OKB.csv: column 'ticker' holds \['NEO'\] at line\(s\) \[2\], expected only 'OKB'"
    ):
        price_series.read_unattributed(path, KNOWN)


# --- bad input ----------------------------------------------------------------------------------
def test_non_numeric_value_names_file_column_and_line(tmp_path):
    path = unattributed_file(tmp_path, "OKB", ["2025-01-01", "2025-01-02", "2025-01-03"], [1.0, "abc", 3.0])
    with pytest.raises(InputFormatError) as info:
        price_series.read_unattributed(path, KNOWN)
    message = str(info.value)
    assert str(path) in message
    assert "column 'close'" in message and "['abc']" in message
    assert "line(s) [3]" in message  # header is line 1, 2025-01-02 is line 3


def test_missing_column_is_named(tmp_path):
    path = write(
        tmp_path / "binance_spot_1h_close" / "TRXUSDT_1h_close.csv", "open_time,price\n2025-01-01 00:00:00,1.0\n"
    )
    with pytest.raises(InputFormatError) as info:
        price_series.read_binance_hourly(path, KNOWN)
    assert str(path) in str(info.value) and "missing column(s) ['close']" in str(info.value)


def test_empty_file(tmp_path):
    path = write(tmp_path / "unattributed_1d" / "OKB.csv", "ticker,date,open,high,low,close\n")
    with pytest.raises(InputFormatError, match="no data rows"):
        price_series.read_unattributed(path, KNOWN)


def test_unknown_token_names_the_file(tmp_path):
    path = binance_file(tmp_path, name="ZZZUSDT.csv")
    with pytest.raises(InputFormatError) as info:
        price_series.read_binance_daily(path, KNOWN)
    assert str(path) in str(info.value) and "'ZZZ'" in str(info.value)


def test_hourly_reader(tmp_path):
    path = write(
        tmp_path / "binance_spot_1h_close" / "NEOUSDT_1h_close.csv",
        "open_time,close\n2025-01-01 01:00:00,2.5\n2025-01-01 00:00:00,2.0\n",
    )
    out = price_series.read_binance_hourly(path, KNOWN)
    assert list(out.columns) == price_series.HOURLY_COLUMNS + price_series.PROVENANCE_COLUMNS
    assert out["timestamp"].dt.strftime("%H:%M").tolist() == ["00:00", "01:00"]  # sorted
    assert out["close"].tolist() == [2.0, 2.5] and set(out["token"]) == {"NEO"}


def test_read_all_dispatches_by_manifest_kind(tmp_path):
    binance_file(tmp_path)
    unattributed_file(tmp_path, "OKB", ["2025-01-01"], [5.0])
    write(tmp_path / "binance_spot_1h_close" / "TRXUSDT_1h_close.csv", "open_time,close\n2025-01-01 00:00:00,1.0\n")
    write(tmp_path / "mining" / "x.csv", "not,prices\n")  # other kinds are not price files
    entries = [
        manifest.Entry("binance_spot_1d/TRXUSDT.csv", "", 0, "binance_spot_1d", "test"),
        manifest.Entry("unattributed_1d/OKB.csv", "", 0, "unattributed_1d", "test"),
        manifest.Entry("binance_spot_1h_close/TRXUSDT_1h_close.csv", "", 0, "binance_spot_1h_close", "test"),
        manifest.Entry("mining/x.csv", "", 0, "ccaf_mining_countries", "test"),
    ]
    daily, hourly = price_series.read_all(tmp_path, entries, KNOWN)
    assert sorted(daily.groupby(["token", "source"]).size().items()) == [
        (("OKB", "unattributed"), 1),
        (("TRX", "binance_spot"), 3),
    ]
    assert len(hourly) == 1


# --- the source choice --------------------------------------------------------------------------
def overlapping() -> pd.DataFrame:
    """Synthetic: binance days 1–3, bybit days 2–5, unattributed days 1–6, coingecko caps days 1–2."""
    rows = [("TRX", f"2025-01-0{d}", "binance_spot", 100.0 + d) for d in (1, 2, 3)]
    rows += [("TRX", f"2025-01-0{d}", "bybit_perp", 200.0 + d) for d in (2, 3, 4, 5)]
    rows += [("TRX", f"2025-01-0{d}", "unattributed", 300.0 + d) for d in range(1, 7)]
    rows += [("TRX", f"2025-01-0{d}", "coingecko", 400.0 + d) for d in (1, 2)]
    out = frame(rows)
    out.loc[out["source"].eq("coingecko"), "market_cap_usd"] = [1e6, 2e6]
    return out


def test_choose_sources_honours_the_priority_day_by_day():
    chosen = price_series.choose_sources(overlapping(), ["TRX"], ["binance_spot", "bybit_perp", "unattributed"])
    assert chosen["source"].tolist() == ["binance_spot"] * 3 + ["bybit_perp"] * 2 + ["unattributed"]
    assert chosen["close"].tolist() == [101.0, 102.0, 103.0, 204.0, 205.0, 306.0]
    assert chosen["market_cap_usd"].tolist()[:2] == [1e6, 2e6]  # caps from CoinGecko on its days
    assert chosen["market_cap_usd"].iloc[2:].isna().all()

    reverse = price_series.choose_sources(overlapping(), ["TRX"], ["unattributed", "binance_spot"])
    assert set(reverse["source"]) == {"unattributed"}


def test_choose_sources_skips_sources_not_in_the_priority():
    chosen = price_series.choose_sources(overlapping(), ["TRX"], ["bybit_perp"])
    assert chosen["date"].dt.day.tolist() == [2, 3, 4, 5]


def test_choose_sources_needs_a_source_for_every_token():
    with pytest.raises(InputFormatError, match=r"no daily prices for \['NEO'\]"):
        price_series.choose_sources(overlapping(), ["TRX", "NEO"], ["binance_spot"])


def test_source_segments():
    chosen = price_series.choose_sources(overlapping(), ["TRX"], ["binance_spot", "bybit_perp", "unattributed"])
    seg = price_series.source_segments(chosen)
    assert seg["source"].tolist() == ["binance_spot", "bybit_perp", "unattributed"]
    assert seg["start"].dt.day.tolist() == [1, 4, 6]
    assert seg["end"].dt.day.tolist() == [3, 5, 6]
    assert seg["days"].tolist() == [3, 2, 1]


def test_source_segments_a_source_that_comes_back_is_a_new_segment():
    chosen = frame(
        [
            ("NEO", "2025-01-01", "a", 1.0),
            ("NEO", "2025-01-02", "b", 1.0),
            ("NEO", "2025-01-03", "a", 1.0),
            ("TRX", "2025-01-01", "a", 1.0),
        ]
    )
    seg = price_series.source_segments(chosen)
    assert list(zip(seg["token"], seg["source"], seg["days"])) == [
        ("NEO", "a", 1),
        ("NEO", "b", 1),
        ("NEO", "a", 1),
        ("TRX", "a", 1),
    ]


# --- agreement ----------------------------------------------------------------------------------
def test_agreement_known_answer():
    rows = [
        ("TRX", "2025-01-01", "binance_spot", 100.0),
        ("TRX", "2025-01-01", "bybit_perp", 101.0),
        ("TRX", "2025-01-02", "binance_spot", 200.0),
        ("TRX", "2025-01-02", "bybit_perp", 190.0),
        ("TRX", "2025-01-03", "binance_spot", 50.0),
        ("TRX", "2025-01-03", "bybit_perp", 50.0),
        ("TRX", "2025-01-04", "binance_spot", 60.0),
    ]  # one source only: not compared
    out = price_series.agreement(frame(rows), ["TRX"])
    assert len(out) == 1
    row = out.iloc[0]
    assert (row["source_a"], row["source_b"], row["days_compared"]) == ("binance_spot", "bybit_perp", 3)
    assert row["median_abs_diff_pct"] == pytest.approx(1.0)  # diffs 1%, 5%, 0%
    assert row["max_abs_diff_pct"] == pytest.approx(5.0)
    assert row["max_diff_date"] == pd.Timestamp("2025-01-02")


def test_agreement_skips_tokens_not_asked_for_and_pairs_without_overlap():
    rows = [
        ("TRX", "2025-01-01", "binance_spot", 1.0),
        ("TRX", "2025-01-02", "bybit_perp", 1.0),
        ("NEO", "2025-01-01", "binance_spot", 1.0),
        ("NEO", "2025-01-01", "bybit_perp", 2.0),
    ]
    assert price_series.agreement(frame(rows), ["TRX"]).empty


# --- returns ------------------------------------------------------------------------------------
def test_daily_returns_never_span_a_gap_and_flag_source_switches():
    chosen = frame(
        [
            ("TRX", "2025-01-01", "binance_spot", 100.0),
            ("TRX", "2025-01-02", "binance_spot", 110.0),
            ("TRX", "2025-01-03", "bybit_perp", 99.0),
            ("TRX", "2025-01-05", "bybit_perp", 200.0),
            ("TRX", "2025-01-06", "bybit_perp", 100.0),
            ("NEO", "2025-01-06", "x", 5.0),
        ]
    )
    out = price_series.daily_returns(chosen)
    assert list(out.columns) == ["date", "token", "ret", "log_ret", "source", "source_switch"]
    assert out["token"].tolist() == ["TRX"] * 3  # NEO has a single day
    assert out["date"].dt.day.tolist() == [2, 3, 6]  # no return on the 5th (the 4th is missing)
    assert out["ret"].tolist() == pytest.approx([0.1, -0.1, -0.5])
    assert out["log_ret"].tolist() == pytest.approx(np.log([1.1, 0.9, 0.5]).tolist())
    assert out["source_switch"].tolist() == [False, True, False]
    assert out["source"].tolist() == ["binance_spot", "bybit_perp", "bybit_perp"]


def test_daily_returns_do_not_mix_tokens():
    chosen = frame([("AAA", "2025-01-01", "s", 1.0), ("BBB", "2025-01-02", "s", 2.0)])
    assert price_series.daily_returns(chosen).empty
