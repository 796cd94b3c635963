"""A pandera schema for every processed table, checked before anything is written.

Each schema states the columns' types, ranges (positive prices, shares within 0–100, returns
above −1), unique keys, time sorted within each token and no date after ``as_of`` (the latest
date of the raw data: a later date can only come from a bug). :func:`validate` runs a schema
lazily, so every failure is reported at once, and raises
:class:`~chinabrief.exceptions.InputFormatError` naming the output file, the column, the
row(s) and the rule. :func:`data_dictionary` turns the schemas into the tidy data dictionary
written beside the tables (``data/processed/data_dictionary.csv``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors

from ..exceptions import InputFormatError
from .event_catalogue import CATEGORIES
from .universe import FINAL_GROUPS

#: Table name → the file :func:`chinabrief.data.prepare.write` writes it to (below data/processed).
FILES: dict[str, str] = {
    "prices_daily": "prices_daily.parquet",
    "prices_hourly": "prices_hourly.parquet",
    "returns": "returns.parquet",
    "source_choice": "source_choice.csv",
    "price_source_agreement": "price_source_agreement.csv",
    "price_gaps": "price_gaps.csv",
    "events": "events.csv",
    "mining_countries": "mining_countries.csv",
    "mining_provinces": "mining_provinces.csv",
    "mining_cross_check": "mining_cross_check.csv",
    "price_checks": "price_checks.csv",
    "universe_groups": "universe_groups.csv",
    "market_index": "market_index.parquet",
    "source_close_hours": "source_close_hours.csv",
}
DICTIONARY_FILE = "data_dictionary.csv"

SOURCES = ["binance_spot", "bybit_perp", "unattributed", "coingecko"]
AS_OF_RULE = "not after as_of, the latest date of the raw data"
#: Shown in the data dictionary when no ``as_of`` is given.
_NO_AS_OF = pd.Timestamp.max.normalize()
#: How many row indexes a message lists per failure before summarising.
MAX_ROWS_SHOWN = 10


# --- check builders ----------------------------------------------------------------------------
def _as_of_check(as_of: pd.Timestamp, whole_day: bool = False) -> pa.Check:
    """Dates (or, with ``whole_day``, timestamps within the day) not after ``as_of``."""
    day = pd.Timestamp(as_of).normalize()
    shown = "" if day == _NO_AS_OF else f" ({day:%Y-%m-%d})"
    if whole_day and day != _NO_AS_OF:
        limit = day + pd.Timedelta(days=1)
        fn: Callable[[pd.Series], pd.Series] = lambda s: s < limit  # noqa: E731
    else:
        fn = lambda s: s <= day  # noqa: E731
    return pa.Check(fn, name="not_after_as_of", error=f"{AS_OF_RULE}{shown}", description=AS_OF_RULE)


#: Table-level check name → the columns it involves (for messages and the dictionary).
WIDE_CHECK_COLUMNS: dict[str, list[str]] = {}
WIDE_CHECK_RULES: dict[str, str] = {}


def _wide(name: str, columns: list[str], rule: str, fn: Callable[[pd.DataFrame], pd.Series]) -> pa.Check:
    """A table-level check returning one boolean per row (so failures carry row indexes).

    pandera reports a check by its ``error`` text, or its name when there is none; the name is
    kept as the report key, the rule goes in ``description``.
    """
    WIDE_CHECK_COLUMNS[name] = columns
    WIDE_CHECK_RULES[name] = rule
    return pa.Check(fn, name=name, description=rule)


def _increasing_within(key: str | list[str], time: str, strict: bool = True) -> pa.Check:
    """``time`` increases (strictly, or never decreases) from row to row within each ``key``."""
    keys = [key] if isinstance(key, str) else list(key)
    word = "strictly increasing" if strict else "non-decreasing"
    rule = f"'{time}' {word} within each {'/'.join(keys)} (rows sorted by time)"

    def fn(frame: pd.DataFrame) -> pd.Series:
        step = frame.groupby(keys, sort=False)[time].diff() if keys else frame[time].diff()
        ok = step > pd.Timedelta(0) if strict else step >= pd.Timedelta(0)
        return step.isna() | ok

    return _wide(
        f"{time}_{'increasing' if strict else 'sorted'}_within_{'_'.join(keys) or 'table'}", keys + [time], rule, fn
    )


def _sorted(time: str) -> pa.Check:
    """``time`` never decreases down the table."""
    rule = f"'{time}' non-decreasing down the table (rows sorted by time)"

    def fn(frame: pd.DataFrame) -> pd.Series:
        step = frame[time].diff()
        return step.isna() | (step >= pd.Timedelta(0))

    return _wide(f"{time}_sorted", [time], rule, fn)


def _ordered(low: str, high: str, inclusive: bool = True) -> pa.Check:
    rule = f"'{low}' {'<=' if inclusive else '<'} '{high}' where both are present"

    def fn(frame: pd.DataFrame) -> pd.Series:
        ok = frame[low] <= frame[high] if inclusive else frame[low] < frame[high]
        return ok | frame[low].isna() | frame[high].isna()

    return _wide(f"{low}_le_{high}" if inclusive else f"{low}_lt_{high}", [low, high], rule, fn)


def _ohlc() -> pa.Check:
    rule = "low <= open, close <= high where present (a candle's range holds its open and close)"

    def fn(frame: pd.DataFrame) -> pd.Series:
        ok = pd.Series(True, index=frame.index)
        for col in ["open", "close"]:
            ok &= ~(frame[col] > frame["high"]) & ~(frame[col] < frame["low"])
        return ok & ~(frame["low"] > frame["high"])

    return _wide("ohlc_consistent", ["open", "high", "low", "close"], rule, fn)


# --- column builders ---------------------------------------------------------------------------
def _token(description: str = "token symbol (data/universe.csv)") -> pa.Column:
    return pa.Column(str, pa.Check.str_matches(r"^[A-Z0-9]+$"), description=description)


def _source(description: str) -> pa.Column:
    return pa.Column(str, pa.Check.isin(SOURCES), description=description)


def _date(as_of: pd.Timestamp, description: str, nullable: bool = False) -> pa.Column:
    return pa.Column(pa.DateTime, _as_of_check(as_of), nullable=nullable, description=description)


def _price(description: str, nullable: bool = False) -> pa.Column:
    return pa.Column(float, pa.Check.gt(0), nullable=nullable, description=description)


def _pct(description: str, nullable: bool = False) -> pa.Column:
    return pa.Column(float, pa.Check.in_range(0, 100), nullable=nullable, description=description)


# --- the schemas -------------------------------------------------------------------------------
def build(as_of: pd.Timestamp | str | None = None) -> dict[str, pa.DataFrameSchema]:
    """Return the schema of every processed table, with dates checked against ``as_of``.

    Parameters
    ----------
    as_of : Timestamp or str, optional
        The latest date of the raw data; no table may hold a later date. ``None`` (used for the
        data dictionary) checks nothing against it.
    """
    as_of = _NO_AS_OF if as_of is None else pd.Timestamp(as_of)
    strict: dict[str, Any] = {"strict": True, "ordered": True}
    schemas = {
        "prices_daily": pa.DataFrameSchema(
            {
                "date": _date(as_of, "UTC day of the daily candle"),
                "token": _token(),
                "open": _price("open, USD (USDT); missing for close-only sources", nullable=True),
                "high": _price("high, USD (USDT); missing for close-only sources", nullable=True),
                "low": _price("low, USD (USDT); missing for close-only sources", nullable=True),
                "close": _price("close at the end of the UTC day, USD (USDT)"),
                "volume_usd": pa.Column(
                    float,
                    pa.Check.ge(0),
                    nullable=True,
                    description="traded volume in USD (quote currency); missing if the source has none",
                ),
                "market_cap_usd": _price("market capitalisation, USD (CoinGecko only)", nullable=True),
                "source": _source("source chosen for this token and day (source_priority)"),
            },
            checks=[_increasing_within("token", "date"), _ohlc()],
            unique=["token", "date"],
            name="prices_daily",
            description="one chosen daily price per token and UTC day",
            **strict,
        ),
        "prices_hourly": pa.DataFrameSchema(
            {
                "timestamp": pa.Column(
                    pa.DateTime, _as_of_check(as_of, whole_day=True), description="UTC start of the hour"
                ),
                "token": _token(),
                "close": _price("close of the hour, USD (USDT)"),
                "source": _source("source of the hourly close"),
            },
            checks=[_increasing_within("token", "timestamp")],
            unique=["token", "timestamp"],
            name="prices_hourly",
            description="hourly closes per token",
            **strict,
        ),
        "returns": pa.DataFrameSchema(
            {
                "date": _date(as_of, "UTC day the return ends on (the previous day has a close)"),
                "token": _token(),
                "ret": pa.Column(float, pa.Check.gt(-1), description="simple close-to-close return"),
                "log_ret": pa.Column(
                    float,
                    pa.Check(lambda s: s.abs() < float("inf"), name="finite", error="finite"),
                    description="log return, log(1 + ret)",
                ),
                "source": _source("source of the day's close"),
                "source_switch": pa.Column(bool, description="the two closes come from different sources"),
            },
            checks=[_increasing_within("token", "date")],
            unique=["token", "date"],
            name="returns",
            description="daily returns on consecutive UTC days (none spans a gap)",
            **strict,
        ),
        "source_choice": pa.DataFrameSchema(
            {
                "token": _token(),
                "source": _source("source serving the token over the range"),
                "start": _date(as_of, "first day of the range"),
                "end": _date(as_of, "last day of the range"),
                "days": pa.Column(int, pa.Check.ge(1), description="days with a price in the range"),
            },
            checks=[_ordered("start", "end"), _increasing_within("token", "start")],
            unique=["token", "start"],
            name="source_choice",
            description="which source serves each token over which dates (the recorded choice)",
            **strict,
        ),
        "price_source_agreement": pa.DataFrameSchema(
            {
                "token": _token(),
                "source_a": _source("reference source"),
                "source_b": _source("compared source"),
                "days_compared": pa.Column(int, pa.Check.ge(1), description="days both sources have a close"),
                "median_abs_diff_pct": pa.Column(
                    float, pa.Check.ge(0), description="median |close_b / close_a − 1|, percent"
                ),
                "max_abs_diff_pct": pa.Column(
                    float, pa.Check.ge(0), description="largest |close_b / close_a − 1|, percent"
                ),
                "max_diff_date": _date(as_of, "day of the largest difference"),
            },
            checks=[_ordered("median_abs_diff_pct", "max_abs_diff_pct")],
            unique=["token", "source_a", "source_b"],
            name="price_source_agreement",
            description="agreement of closes between every pair of overlapping sources",
            **strict,
        ),
        "price_gaps": pa.DataFrameSchema(
            {
                "token": _token(),
                "gap_start": _date(as_of, "first missing day"),
                "gap_end": _date(as_of, "last missing day"),
                "days_missing": pa.Column(int, pa.Check.ge(1), description="missing days in the run"),
            },
            checks=[
                _ordered("gap_start", "gap_end"),
                _wide(
                    "days_missing_matches_dates",
                    ["gap_start", "gap_end", "days_missing"],
                    "days_missing = gap_end − gap_start + 1 day",
                    lambda f: (f["gap_end"] - f["gap_start"]).dt.days + 1 == f["days_missing"],
                ),
                _increasing_within("token", "gap_start"),
            ],
            unique=["token", "gap_start"],
            name="price_gaps",
            description="runs of missing days inside each token's chosen daily series",
            **strict,
        ),
        "events": pa.DataFrameSchema(
            {
                "event_id": pa.Column(
                    str,
                    pa.Check.str_matches(r"^\d{4}-\d{2}-\d{2}-[a-z0-9-]+$"),
                    unique=True,
                    description="event identifier: date and slug",
                ),
                "date": _date(as_of, "UTC day of the first announcement"),
                "time_utc": pa.Column(
                    str,
                    pa.Check.str_matches(r"^(\d{2}:\d{2})?$"),
                    description="UTC time HH:MM of the announcement, empty if unknown",
                ),
                "time_precision": pa.Column(str, description="how precise the time is (day, approx, minute)"),
                "label": pa.Column(str, pa.Check.str_length(min_value=1), description="short label"),
                "category": pa.Column(str, pa.Check.isin(CATEGORIES), description="kind of event"),
                "description": pa.Column(str, description="what happened"),
                "source_url": pa.Column(str, pa.Check.str_matches(r"^https?://"), description="where it is reported"),
                "source_title": pa.Column(str, description="title of the source"),
                "verified": pa.Column(str, pa.Check.isin(["yes", "no"]), description="checked against the source"),
                "hour_utc": pa.Column(
                    float,
                    pa.Check.in_range(0, 24, include_max=False, error="in_range[0, 24)"),
                    nullable=True,
                    description="announcement time as a fractional UTC hour",
                ),
                "day0": pa.Column(pa.DateTime, description="UTC day whose daily return first reflects the news"),
                "day0_shifted": pa.Column(bool, description="day 0 moved to the next day (late announcement)"),
            },
            checks=[
                _wide(
                    "day0_is_date_or_next_day",
                    ["date", "day0"],
                    "day0 is the event's date or the next day",
                    lambda f: ((f["day0"] - f["date"]).dt.days).isin([0, 1]),
                ),
                _sorted("date"),
            ],
            name="events",
            description="the US–China trade events catalogue with its day 0",
            **strict,
        ),
        "mining_countries": pa.DataFrameSchema(
            {
                "date": _date(as_of, "month (first day)"),
                "country": pa.Column(str, pa.Check.str_length(min_value=1), description="country as CCAF names it"),
                "iso3": pa.Column(
                    str,
                    pa.Check.str_matches(r"^[A-Z]{3}$"),
                    nullable=True,
                    description="ISO 3166-1 alpha-3 code; empty for 'Other'",
                ),
                "share_pct": _pct("share of the global hashrate, percent"),
                "hashrate_ehs": pa.Column(float, pa.Check.ge(0), nullable=True, description="average hashrate, EH/s"),
                "vpn_caveat": pa.Column(
                    bool, description="CCAF's asterisk: share likely inflated by VPN/proxy routing"
                ),
            },
            checks=[_sorted("date")],
            unique=["date", "country"],
            name="mining_countries",
            description="CCAF monthly share of global Bitcoin hashrate by country",
            **strict,
        ),
        "mining_provinces": pa.DataFrameSchema(
            {
                "date": _date(as_of, "month (first day)"),
                "province": pa.Column(str, pa.Check.str_length(min_value=1), description="province as CCAF names it"),
                "province_label": pa.Column(
                    str, pa.Check.str_length(min_value=1), description="province name for readers"
                ),
                "share_of_china_pct": _pct("share of China's hashrate, percent"),
                "china_share_pct": _pct("China's share of the global hashrate that month, percent"),
                "implied_global_pct": _pct("implied share of the global hashrate, percent"),
            },
            checks=[_sorted("date")],
            unique=["date", "province"],
            name="mining_provinces",
            description="CCAF monthly share of China's hashrate by province",
            **strict,
        ),
        "mining_cross_check": pa.DataFrameSchema(
            {
                "months_compared": pa.Column(int, pa.Check.ge(0), description="months in both CCAF downloads"),
                "rows_compared": pa.Column(int, pa.Check.ge(0), description="country-months compared"),
                "max_abs_diff_pct": pa.Column(
                    float, pa.Check.ge(0), nullable=True, description="largest absolute difference, percentage points"
                ),
            },
            name="mining_cross_check",
            description="the v1.2.0 and v1.1.0 CCAF downloads compared",
            **strict,
        ),
        "price_checks": pa.DataFrameSchema(
            {
                "rule": pa.Column(
                    str,
                    pa.Check.isin(
                        ["check_positive_close", "check_ohlc_order", "bad_print_factor", "source_disagreement_pct"]
                    ),
                    description="the plausibility rule (a parameter of params.yaml)",
                ),
                "token": _token(),
                "date": _date(as_of, "UTC day of the price"),
                "source": _source("source of the price"),
                "file": pa.Column(str, pa.Check.str_startswith("data/raw/"), description="raw file of the price"),
                "line": pa.Column(int, pa.Check.ge(2), description="line of the price in the file (header = 1)"),
                "value": pa.Column(float, nullable=True, description="the close found implausible"),
                "detail": pa.Column(str, description="what the rule saw (neighbouring closes, the other source)"),
                "status": pa.Column(
                    str,
                    pa.Check.str_startswith("allowed: "),
                    description="why the build went on: the parameter that allows it",
                ),
            },
            name="price_checks",
            description="findings of the price plausibility rules, each allowed by a parameter",
            **strict,
        ),
        "universe_groups": pa.DataFrameSchema(
            {
                "token": pa.Column(
                    str, unique=True, description="token symbol (data/universe.csv); one row per snapshot token"
                ),
                "group": pa.Column(
                    str,
                    pa.Check.isin(list(FINAL_GROUPS)),
                    description="final group: benchmark, china_linked, control or excluded",
                ),
                "china_tier": pa.Column(
                    str,
                    pa.Check.isin(["", "core", "extended"]),
                    nullable=True,
                    description="core (the article's top 5) or extended, for China-linked tokens",
                ),
                "kind": pa.Column(str, description="kind of token (layer1, meme, exchange_token, stablecoin, ...)"),
                "name": pa.Column(str, nullable=True, description="token name"),
                "reason": pa.Column(str, description="why the token is in its universe group (data/universe.csv)"),
                "source": pa.Column(str, description="where the reason comes from"),
                "first_date": _date(as_of, "first day with a daily price in any source"),
                "history_days": pa.Column(
                    int, pa.Check.ge(0), description="daily returns in the first event's estimation window"
                ),
                "median_turnover_usd": pa.Column(
                    float,
                    pa.Check.ge(0),
                    nullable=True,
                    description="median daily Bybit turnover (USDT) in the study period",
                ),
                "rule_outcome": pa.Column(
                    str, pa.Check.str_length(min_value=1), description="the control rule's outcome for the token"
                ),
            },
            name="universe_groups",
            description="every snapshot token's final group and the control rule's outcome",
            **strict,
        ),
        "market_index": pa.DataFrameSchema(
            {
                "date": _date(as_of, "UTC day the return ends on"),
                "index": pa.Column(
                    str,
                    pa.Check.isin(["MKT_EW", "MKT_TW"]),
                    description="MKT_EW (equal-weighted) or MKT_TW (turnover-weighted) control-group index",
                ),
                "ret": pa.Column(float, pa.Check.gt(-1), description="the index's simple daily return"),
                "level": pa.Column(float, pa.Check.gt(0), description="index level, 100 before the first return"),
                "n_tokens": pa.Column(int, pa.Check.ge(1), description="control tokens held that day"),
            },
            checks=[_increasing_within("index", "date")],
            unique=["index", "date"],
            name="market_index",
            description="'crypto market ex-China': the control group's daily index (market_index.py)",
            **strict,
        ),
        "source_close_hours": pa.DataFrameSchema(
            {
                "source": _source("daily source measured"),
                "token": pa.Column(str, description="reference token, or BTC+ETH for both pooled"),
                "period": pa.Column(
                    str,
                    pa.Check.isin(["all days", "EU winter time", "EU summer time"]),
                    description="days compared: all, or those in/out of European summer time",
                ),
                "close_hour_utc": pa.Column(
                    int, pa.Check.in_range(0, 23), description="UTC hour at which the source's day ends (0 = midnight)"
                ),
                "offset_hours": pa.Column(
                    int,
                    pa.Check.in_range(-12, 12),
                    description="hours by which the day ends after (+) or before (−) UTC midnight",
                ),
                "median_abs_diff_pct": pa.Column(
                    float, pa.Check.ge(0), description="median |daily close / hourly close − 1| at that hour, percent"
                ),
                "midnight_median_abs_diff_pct": pa.Column(
                    float, pa.Check.ge(0), description="the same against the UTC-midnight hourly close"
                ),
                "days_compared": pa.Column(int, pa.Check.ge(1), description="days with both closes"),
            },
            unique=["source", "token", "period"],
            name="source_close_hours",
            description="each daily source's close hour, measured against Binance hourly closes (close_hours.py)",
            **strict,
        ),
    }
    return schemas


def _table_name(name: str) -> str:
    if name in FILES:
        return name
    by_file = {file: table for table, file in FILES.items()}
    if name in by_file:
        return by_file[name]
    raise KeyError(f"no schema for table {name!r}; tables: {', '.join(FILES)}")


def _rows(index: pd.Series, provenance: pd.DataFrame | None = None) -> str:
    values = [v for v in index.dropna().unique().tolist()]
    if not values:
        return "all rows"
    try:
        values = sorted(values)
    except TypeError:
        pass
    if provenance is not None:  # name the source file and line of each row
        shown_rows = []
        for v in values[:MAX_ROWS_SHOWN]:
            if (
                isinstance(v, (int, float))
                and 0 <= int(v) < len(provenance)
                and pd.notna(provenance["line"].iloc[int(v)])
            ):
                shown_rows.append(
                    f"{provenance['file'].iloc[int(v)]}:{int(provenance['line'].iloc[int(v)])} (row {int(v)})"
                )
            else:
                shown_rows.append(f"row {v}")
        more = f" and {len(values) - MAX_ROWS_SHOWN} more" if len(values) > MAX_ROWS_SHOWN else ""
        return "source line(s) " + ", ".join(shown_rows) + more
    shown = ", ".join(str(v) for v in values[:MAX_ROWS_SHOWN])
    more = f" and {len(values) - MAX_ROWS_SHOWN} more" if len(values) > MAX_ROWS_SHOWN else ""
    return f"row(s) {shown}{more}"


#: pandera checks about the set of columns: the failure case is the column's name.
_COLUMN_SET_CHECKS = {
    "column_in_dataframe": "the column is required",
    "column_in_schema": "no column outside the schema",
    "column_ordered": "columns in the schema's order",
}


def _failures(file: str, cases: pd.DataFrame, unique: list[str], provenance: pd.DataFrame | None = None) -> list[str]:
    """One line per (column, rule) from pandera's failure cases."""
    lines = []
    cases = cases.assign(
        column=cases["column"].astype(object).where(cases["column"].notna(), None),
        check=cases["check"].astype(str),
    )
    for check, per_check in cases.groupby("check", sort=False, dropna=False):
        wide_cols = WIDE_CHECK_COLUMNS.get(str(check))
        if check in _COLUMN_SET_CHECKS:
            for column in per_check["failure_case"].astype(str).unique():
                lines.append(f"{file}: column {column!r}, all rows: rule {check} ({_COLUMN_SET_CHECKS[check]})")
            continue
        if wide_cols is None and check.startswith("multiple_fields_uniqueness"):
            wide_cols = unique or sorted({c for c in per_check["column"] if c is not None})
            check = "unique key (" + ", ".join(wide_cols) + ")"
        if wide_cols is not None:  # table-level: pandera repeats the case for every column
            rule = WIDE_CHECK_RULES.get(str(check), check)
            if rule != check:
                rule = f"{check}: {rule}"
            lines.append(
                f"{file}: column(s) {', '.join(repr(c) for c in wide_cols)}, "
                f"{_rows(per_check['index'], provenance)}: rule {rule}"
            )
            continue
        for column, part in per_check.groupby("column", sort=False, dropna=False):
            col = "(table)" if column is None else repr(column)
            shown = part["failure_case"].astype(str).head(3).tolist()
            lines.append(f"{file}: column {col}, {_rows(part['index'], provenance)}: rule {check} (value(s) {shown})")
    return lines


def validate(
    name: str, frame: pd.DataFrame, as_of: pd.Timestamp | str | None, provenance: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Check one processed table against its schema, reporting every failure at once.

    Parameters
    ----------
    name : str
        Table name (``prices_daily``) or its file name (``prices_daily.parquet``).
    frame : pandas.DataFrame
        The table, as it will be written.
    as_of : Timestamp or str or None
        The latest date of the raw data; later dates are failures.
    provenance : pandas.DataFrame, optional
        ``file`` and ``line`` of each row's source (same order as ``frame``): failures then name
        the source file and line, not only the row of the processed table.

    Returns
    -------
    pandas.DataFrame
        ``frame`` unchanged (no coercion), when it passes.

    Notes
    -----
    Rows are named by their 0-based position in the table, which is their index for the
    RangeIndex frames the pipeline builds.

    Raises
    ------
    InputFormatError
        Listing, for each failure, the output file, the column, the row index(es) and the rule.
    """
    table = _table_name(name)
    file = f"data/processed/{FILES[table]}"
    schema = build(as_of)[table]
    # Rows are reported by position (the table is written without its index), which also keeps
    # pandera's table-level checks working when the index has duplicates.
    positional = frame.reset_index(drop=True)
    try:
        schema.validate(positional, lazy=True)
    except SchemaErrors as exc:
        lines = _failures(
            file,
            exc.failure_cases,
            list(schema.unique or []),
            provenance.reset_index(drop=True) if provenance is not None else None,
        )
        raise InputFormatError(
            f"{file}: {len(lines)} schema rule(s) broken, table not written "
            f"(rows are 0-based positions in the table):\n  " + "\n  ".join(lines)
        ) from None
    except SchemaError as exc:  # raised even in lazy mode for some table-wide problems
        raise InputFormatError(f"{file}: schema rule broken (table not written): {exc}") from None
    return frame


def _dtype_text(column: pa.Column) -> str:
    text = str(column.dtype)
    if "string" in text or text == "str":
        return "string"
    if text.startswith("datetime64"):
        return "datetime64"
    return text


def _check_text(check: pa.Check) -> str:
    return check.description or check.error or check.name or ""


def data_dictionary() -> pd.DataFrame:
    """The data dictionary of the processed tables, generated from the schemas.

    Returns
    -------
    pandas.DataFrame
        table, file, column, dtype, nullable, description, checks — one row per column;
        ``checks`` lists the column's rules and the table-level rules (unique key, sort order,
        cross-column rules) that involve it.
    """
    rows = []
    for table, schema in build(None).items():
        unique = schema.unique or []
        for name, column in schema.columns.items():
            rules = [_check_text(c) for c in column.checks]
            if not column.nullable:
                rules.append("not null")
            if column.unique:
                rules.append("unique")
            if name in unique:
                rules.append("unique key (" + ", ".join(unique) + ")")
            rules += [_check_text(c) for c in schema.checks if name in WIDE_CHECK_COLUMNS.get(c.name, [])]
            rows.append(
                {
                    "table": table,
                    "file": FILES[table],
                    "column": name,
                    "dtype": _dtype_text(column),
                    "nullable": bool(column.nullable),
                    "description": column.description or "",
                    "checks": "; ".join(rules),
                }
            )
    return pd.DataFrame(rows, columns=["table", "file", "column", "dtype", "nullable", "description", "checks"])
