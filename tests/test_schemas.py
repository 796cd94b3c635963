"""Tests of chinabrief.data.schemas: each processed table's pandera schema, the error message of a
violation (file, column, rows, rule), the data dictionary, and prepare.write's all-or-nothing.

All frames are small synthetic tables built here, not market data.
"""

from __future__ import annotations

import pandas as pd
import pytest

from chinabrief.config import Paths
from chinabrief.data import (
    close_hours,
    event_catalogue,
    market_index,
    prepare,
    price_checks,
    price_series,
    schemas,
    universe,
)
from chinabrief.exceptions import InputFormatError

AS_OF = pd.Timestamp("2025-01-05")


# --- synthetic valid tables ---------------------------------------------------------------------
def daily() -> pd.DataFrame:
    """Synthetic: two tokens, three days each, sorted by token and date."""
    dates = pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"])
    frames = []
    for token, base in [("AAA", 10.0), ("BBB", 2.0)]:
        frames.append(
            pd.DataFrame(
                {
                    "date": dates,
                    "token": token,
                    "open": [base, base * 1.1, base * 1.2],
                    "high": [base * 1.2, base * 1.3, base * 1.4],
                    "low": [base * 0.9, base, base * 1.1],
                    "close": [base * 1.1, base * 1.2, base * 1.3],
                    "volume_usd": [100.0, 200.0, float("nan")],
                    "market_cap_usd": float("nan"),
                    "source": "binance_spot",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[price_series.DAILY_COLUMNS]


def hourly() -> pd.DataFrame:
    """Synthetic: one token, three hours."""
    return pd.DataFrame(
        {
            "timestamp": pd.to_datetime(["2025-01-05 21:00", "2025-01-05 22:00", "2025-01-05 23:00"]),
            "token": "AAA",
            "close": [1.0, 1.1, 1.2],
            "source": "binance_spot",
        }
    )


def countries() -> pd.DataFrame:
    """Synthetic: two months × two countries."""
    return pd.DataFrame(
        {
            "date": pd.to_datetime(["2020-01-01", "2020-01-01", "2020-02-01", "2020-02-01"]),
            "country": ["Atlantis", "Other", "Atlantis", "Other"],
            "iso3": ["ATL", None, "ATL", None],
            "share_pct": [60.0, 40.0, 55.5, 44.5],
            "hashrate_ehs": [6.0, 4.0, 5.55, 4.45],
            "vpn_caveat": [False, False, False, False],
        }
    ).astype({"country": "str", "iso3": "str"})


def provinces() -> pd.DataFrame:
    """Synthetic: one month × two provinces."""
    return pd.DataFrame(
        {
            "date": pd.to_datetime(["2020-01-01", "2020-01-01"]),
            "province": ["North", "South"],
            "province_label": ["North", "South"],
            "share_of_china_pct": [70.0, 30.0],
            "china_share_pct": [60.0, 60.0],
            "implied_global_pct": [42.0, 18.0],
        }
    )


def cross_check() -> pd.DataFrame:
    return pd.DataFrame({"months_compared": [2], "rows_compared": [4], "max_abs_diff_pct": [0.0]})


def catalogue(tmp_path) -> pd.DataFrame:
    """Synthetic two-event catalogue, read through event_catalogue.load_catalogue."""
    path = tmp_path / "events.csv"
    path.write_text(
        ",".join(event_catalogue.COLUMNS) + "\n"
        "2025-01-02-talks,2025-01-02,22:00,minute,Talks,talks,d,https://example.org/a,t,yes\n"
        "2025-01-03-deal,2025-01-03,,day,Deal,agreement,d,https://example.org/b,t,no\n"
    )
    return event_catalogue.assign_day0(event_catalogue.load_catalogue(path), 20)


def prepared(tmp_path) -> prepare.Prepared:
    d = daily()
    return prepare.Prepared(
        prices_daily=d,
        prices_hourly=hourly(),
        returns=price_series.daily_returns(d),
        source_choice=price_series.source_segments(d),
        agreement=price_series.agreement(d, ["AAA", "BBB"]),
        gaps=price_series.gaps(d),
        events=catalogue(tmp_path),
        mining_countries=countries(),
        mining_provinces=provinces(),
        mining_cross_check=cross_check(),
        manifest=pd.DataFrame(),
        as_of=AS_OF,
    )


def universe_groups(p: prepare.Prepared) -> pd.DataFrame:
    """The final groups of the synthetic tokens (AAA China-linked, BBB a candidate)."""
    table = pd.DataFrame(
        [
            {"symbol": "AAA", "group": "china_linked", "china_tier": "core", "kind": "layer1"},
            {"symbol": "BBB", "group": "candidate", "china_tier": "", "kind": "layer1"},
        ]
    ).assign(name="synthetic", reason="synthetic", source="synthetic")
    rule = universe.ControlRule((-120, -11), 60)
    return universe.assign_groups(
        table, p.prices_daily.assign(volume_usd=1.0, source="bybit_perp"), p.returns, p.events["day0"], rule
    )


def raises(name: str, frame: pd.DataFrame, as_of=AS_OF) -> str:
    with pytest.raises(InputFormatError) as info:
        schemas.validate(name, frame, as_of)
    return str(info.value)


# --- valid tables pass --------------------------------------------------------------------------
def test_every_valid_synthetic_table_passes(tmp_path):
    p = prepared(tmp_path)
    tables = {
        "prices_daily": p.prices_daily,
        "prices_hourly": p.prices_hourly,
        "returns": p.returns,
        "source_choice": p.source_choice,
        "price_source_agreement": p.agreement,
        "price_gaps": p.gaps,
        "events": p.events,
        "mining_countries": p.mining_countries,
        "mining_provinces": p.mining_provinces,
        "mining_cross_check": p.mining_cross_check,
        "price_checks": price_checks.empty(),
        "universe_groups": universe_groups(p),
        "market_index": market_index.build(
            p.returns, p.prices_daily.assign(volume_usd=1.0), ["AAA", "BBB"], min_constituents=1
        ),
        "source_close_hours": close_hours.measure(
            p.prices_daily.assign(source="bybit_perp"),
            p.prices_hourly.assign(token="BTC") if not p.prices_hourly.empty else p.prices_hourly,
            reference=("BTC",),
        ),
    }
    assert set(tables) == set(schemas.FILES)
    for name, frame in tables.items():
        assert schemas.validate(name, frame, AS_OF) is frame


def test_validate_accepts_the_file_name_and_rejects_unknown_tables():
    assert schemas.validate("prices_daily.parquet", daily(), AS_OF) is not None
    with pytest.raises(KeyError, match="no schema for table 'nope'"):
        schemas.validate("nope", daily(), AS_OF)


def test_empty_gaps_and_agreement_tables_are_typed_and_pass():
    # Regression: price_series.gaps/agreement returned untyped (object) columns when empty.
    d = daily()
    gaps = price_series.gaps(d)
    assert gaps.empty and str(gaps["gap_start"].dtype).startswith("datetime64")
    schemas.validate("price_gaps", gaps, AS_OF)
    agree = price_series.agreement(d, ["AAA"])  # a single source: no pair to compare
    assert agree.empty and agree["days_compared"].dtype == "int64"
    schemas.validate("price_source_agreement", agree, AS_OF)


# --- each rule, with the file, column, rows and rule named -------------------------------------
def test_negative_price_names_file_column_row_and_rule():
    bad = daily()
    bad.loc[4, "close"] = -1.0
    message = raises("prices_daily", bad)
    assert "data/processed/prices_daily.parquet" in message
    assert "column 'close', row(s) 4: rule greater_than(0)" in message
    assert "table not written" in message


def test_duplicate_key_names_both_rows_and_the_key():
    bad = pd.concat([daily(), daily().iloc[[1]]], ignore_index=True)  # row 6 repeats row 1
    message = raises("prices_daily", bad)
    assert "unique key (token, date)" in message
    assert "row(s) 1, 6" in message


def test_unsorted_dates_within_a_token():
    bad = daily()
    bad.loc[[0, 1], "date"] = bad.loc[[1, 0], "date"].to_numpy()  # AAA: Jan 2, Jan 1, Jan 3
    message = raises("prices_daily", bad)
    assert "'token', 'date', row(s) 1: rule date_increasing_within_token" in message
    assert "strictly increasing within each token" in message


def test_date_after_as_of():
    bad = daily()
    bad.loc[2, "date"] = pd.Timestamp("2025-01-06")  # one day after AS_OF, still sorted
    message = raises("prices_daily", bad)
    assert "column 'date', row(s) 2: rule not after as_of" in message
    assert "(2025-01-05)" in message
    schemas.validate("prices_daily", bad, pd.Timestamp("2025-01-06"))  # later as_of: fine


def test_hourly_timestamps_may_fill_the_as_of_day_but_not_pass_it():
    schemas.validate("prices_hourly", hourly(), AS_OF)  # 23:00 on the as_of day
    bad = hourly()
    bad.loc[2, "timestamp"] = pd.Timestamp("2025-01-06 00:00")
    message = raises("prices_hourly", bad)
    assert "column 'timestamp', row(s) 2: rule not after as_of" in message


def test_share_above_100():
    bad = countries()
    bad.loc[0, "share_pct"] = 100.5
    message = raises("mining_countries", bad)
    assert "data/processed/mining_countries.csv" in message
    assert "column 'share_pct', row(s) 0: rule in_range(0, 100)" in message


def test_province_share_below_zero():
    bad = provinces()
    bad.loc[1, "implied_global_pct"] = -0.1
    assert "column 'implied_global_pct', row(s) 1: rule in_range(0, 100)" in raises("mining_provinces", bad)


def test_return_of_minus_100_percent_or_less():
    bad = price_series.daily_returns(daily())
    bad.loc[0, "ret"] = -1.0
    assert "column 'ret', row(s) 0: rule greater_than(-1)" in raises("returns", bad)


def test_missing_column_is_named():
    message = raises("prices_daily", daily().drop(columns=["close"]))
    assert "column 'close', all rows: rule column_in_dataframe" in message


def test_extra_column_is_named():
    message = raises("prices_daily", daily().assign(extra=1))
    assert "column 'extra', all rows: rule column_in_schema" in message


def test_wrong_dtype_is_named():
    bad = daily()
    bad["close"] = bad["close"].astype(str)
    message = raises("prices_daily", bad)
    assert "column 'close', all rows: rule dtype('float64')" in message


def test_unknown_source():
    bad = daily()
    bad.loc[3, "source"] = "somewhere"
    assert "column 'source', row(s) 3: rule isin(" in raises("prices_daily", bad)


def test_gap_length_must_match_its_dates():
    gaps = pd.DataFrame(
        {
            "token": ["AAA"],
            "gap_start": pd.to_datetime(["2025-01-02"]),
            "gap_end": pd.to_datetime(["2025-01-03"]),
            "days_missing": [3],
        }
    )
    message = raises("price_gaps", gaps)
    assert "'gap_start', 'gap_end', 'days_missing', row(s) 0: rule days_missing_matches_dates" in message


def test_day0_more_than_a_day_after_the_event(tmp_path):
    bad = catalogue(tmp_path)
    bad.loc[1, "day0"] = bad.loc[1, "date"] + pd.Timedelta(days=2)
    assert "row(s) 1: rule day0_is_date_or_next_day" in raises("events", bad)


def test_every_failure_is_reported_at_once():
    bad = daily()
    bad.loc[0, "close"] = 0.0
    bad.loc[5, "volume_usd"] = -5.0
    message = raises("prices_daily", bad)
    assert "column 'close', row(s) 0" in message
    assert "column 'volume_usd', row(s) 5: rule greater_than_or_equal_to(0)" in message
    assert message.splitlines()[0].startswith("data/processed/prices_daily.parquet: 3 schema rule(s)")


def test_duplicate_index_labels_are_reported_by_position():
    bad = daily()
    bad.index = [0, 0, 1, 1, 2, 2]
    bad.iloc[3, bad.columns.get_loc("close")] = -2.0
    assert "column 'close', row(s) 3: rule greater_than(0)" in raises("prices_daily", bad)


# --- the data dictionary ------------------------------------------------------------------------
def test_data_dictionary_has_a_row_per_schema_column():
    dictionary = schemas.data_dictionary()
    assert list(dictionary.columns) == ["table", "file", "column", "dtype", "nullable", "description", "checks"]
    built = schemas.build()
    assert len(dictionary) == sum(len(s.columns) for s in built.values())
    assert set(dictionary["table"]) == set(schemas.FILES)
    assert dictionary["description"].str.len().gt(0).all()
    close = dictionary.set_index(["table", "column"]).loc[("prices_daily", "close")]
    assert close["dtype"] == "float64"
    assert "greater_than(0)" in close["checks"] and "not null" in close["checks"]
    token = dictionary.set_index(["table", "column"]).loc[("prices_daily", "token")]
    assert token["dtype"] == "string" and "unique key (token, date)" in token["checks"]
    assert "not after as_of" in dictionary.set_index(["table", "column"]).loc[("returns", "date"), "checks"]


# --- prepare.write: validate everything, then write ---------------------------------------------
def test_prepare_write_writes_tables_and_dictionary(tmp_path):
    paths = Paths(tmp_path / "root")
    written = prepare.write(paths, prepared(tmp_path))
    assert written[-1] == "data/processed/data_dictionary.csv"
    assert len(written) == len(schemas.FILES) + 1
    for rel in written:
        assert (paths.root / rel).is_file()
    on_disk = pd.read_csv(paths.processed / "data_dictionary.csv", keep_default_na=False)
    assert on_disk[["table", "column"]].equals(schemas.data_dictionary()[["table", "column"]])


def test_prepare_write_writes_nothing_when_a_table_breaks_a_rule(tmp_path):
    paths = Paths(tmp_path / "root")
    p = prepared(tmp_path)
    p.mining_provinces.loc[0, "share_of_china_pct"] = 120.0  # the 9th of 10 tables
    with pytest.raises(InputFormatError, match="mining_provinces.csv: column 'share_of_china_pct'"):
        prepare.write(paths, p)
    assert not paths.processed.exists() or not any(paths.processed.iterdir())
