"""Raw price files → tidy daily and hourly tables, one reader per source, and the source choice.

Every reader handles its source's known defects in code (see ``../shared/data/README.md`` and ``../shared/data-v2/README.md``):

- Binance daily: the header repeats ``open_time`` in empty trailing columns → only the first 12
  named columns are read.
- Bybit perpetual: the last row of an export is the still-open day's candle → dropped (in v2,
  2025-11-13, 1–6% off); exact duplicate rows (a pagination artefact in 152 of v2's 329 files)
  → kept once. Symbols are contract names: ``1000PEPEUSDT`` quotes 1,000 PEPE, so the token and
  its multiplier come from ``data/universe.csv`` (``bybit_symbol``, ``bybit_multiplier``) and
  prices are divided by the multiplier (per token; returns and USDT turnover are unaffected).
- Every reader: exact duplicate rows → de-duplicated; a date (or hour) with two *different* rows
  is an error naming the file, the lines and the values. Dates in another format are errors
  naming the file and lines, never a raw pandas error.
- CoinGecko export: the row stamped 00:00 UTC on day D is the close of day D−1 → shifted back.
- Unattributed: gaps are left as gaps (listed by :func:`gaps`), never filled.

Every row keeps its provenance: ``file`` (the raw file) and ``line`` (1-based line in it, the
header being line 1), so a rule broken later is reported against the source file and line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import InputFormatError
from .universe import Contract

DAILY_COLUMNS = ["date", "token", "open", "high", "low", "close", "volume_usd", "market_cap_usd", "source"]
HOURLY_COLUMNS = ["timestamp", "token", "close", "source"]
#: Provenance columns every reader adds: the raw file and the 1-based line (header = line 1).
PROVENANCE_COLUMNS = ["file", "line"]
#: How many conflicting dates or bad values a message lists.
MAX_SHOWN = 5

#: Source names used in tables and in the ``source_priority`` parameter.
SOURCE_OF_KIND = {
    "binance_spot_1d": "binance_spot",
    "bybit_usdt_perp_1d": "bybit_perp",
    "unattributed_1d": "unattributed",
    "coingecko_export": "coingecko",
    "binance_spot_1h_close": "binance_spot",
}

BINANCE_1D_COLUMNS = [
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_asset_volume",
    "trades",
    "taker_buy_base",
    "taker_buy_quote",
    "ignore",
]


def _read_csv(path: Path, required: list[str], **kwargs) -> pd.DataFrame:
    """Read a CSV and check it has ``required`` columns and at least one row."""
    try:
        frame = pd.read_csv(path, **kwargs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputFormatError(f"{path}: cannot be parsed as CSV ({exc})") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputFormatError(
            f"{path}: missing column(s) {missing} (rule: the file must have columns {required}; "
            f"found {list(frame.columns)})"
        )
    if frame.empty:
        raise InputFormatError(f"{path}: no data rows (rule: at least one row)")
    frame["line"] = frame.index + 2  # header is line 1 (no quoted newlines in these files)
    frame["file"] = str(path)
    return frame


def _lines(frame: pd.DataFrame, mask: pd.Series) -> list[int]:
    return frame.loc[mask, "line"].head(MAX_SHOWN).astype(int).tolist()


def _dates(frame: pd.DataFrame, column: str, path: Path, *, utc: bool = True, unit: str | None = None) -> pd.Series:
    """Parse ``column`` as ISO 8601 dates (or epoch ``unit``); name the file and lines of any other format."""
    if unit is not None:
        parsed = pd.to_datetime(frame[column], unit=unit, errors="coerce")
    else:
        parsed = pd.to_datetime(frame[column].astype(str), format="ISO8601", utc=utc, errors="coerce")
        if utc:
            parsed = parsed.dt.tz_localize(None)
    bad = parsed.isna()
    if bad.any():
        shown = frame.loc[bad, column].head(3).tolist()
        raise InputFormatError(
            f"{path}: column '{column}' has value(s) {shown} at line(s) {_lines(frame, bad)} that are not "
            f"{'epoch ' + unit if unit else 'ISO 8601 dates (YYYY-MM-DD[ HH:MM:SS])'} (rule: one date format per file)"
        )
    return parsed


def one_row_per(frame: pd.DataFrame, key: str, path: Path, values: list[str]) -> pd.DataFrame:
    """Drop exact duplicate rows of ``key``; raise on a ``key`` whose rows differ.

    Parameters
    ----------
    frame : pandas.DataFrame
        A reader's rows, with ``line``.
    key : str
        ``date`` (daily files) or ``timestamp`` (hourly).
    path : Path
        The file, for messages.
    values : list of str
        Columns compared (the prices); rows equal on all of them are duplicates, kept once.

    Raises
    ------
    InputFormatError
        Naming the file, each conflicting date, its lines and their values.
    """
    frame = frame.drop_duplicates(subset=[key, *values], keep="first")
    clash = frame[key].duplicated(keep=False)
    if not clash.any():
        return frame
    parts = []
    for stamp, group in list(frame[clash].groupby(key, sort=True))[:MAX_SHOWN]:
        shown = "; ".join(
            f"line {int(r.line)}: " + ", ".join(f"{c} {getattr(r, c)!r}" for c in values) for r in group.itertuples()
        )
        parts.append(f"{pd.Timestamp(stamp):%Y-%m-%d %H:%M}".removesuffix(" 00:00") + f" ({shown})")
    count = frame.loc[clash, key].nunique()
    raise InputFormatError(
        f"{path}: {count} {key}(s) with conflicting rows (rule: one row per {key}; identical duplicates are "
        f"dropped): " + " | ".join(parts)
    )


def _numeric(frame: pd.DataFrame, columns: list[str], path: Path) -> pd.DataFrame:
    """Convert ``columns`` to float; name the file, column and rows of any non-numeric value."""
    converted_all = {}
    for col in columns:
        if pd.api.types.is_float_dtype(frame[col].dtype):  # parsed as numbers already: nothing to check
            if frame[col].dtype != "float64":
                converted_all[col] = frame[col].astype("float64")
            continue
        converted = pd.to_numeric(frame[col], errors="coerce")
        bad = converted.isna() & frame[col].notna()
        if bad.any():
            rows = (frame.index[bad][:5] + 2).tolist()  # +2: header line and 1-based
            raise InputFormatError(
                f"{path}: column '{col}' has non-numeric value(s) {frame.loc[bad, col].head(3).tolist()} "
                f"at line(s) {rows} (rule: numeric)"
            )
        converted_all[col] = converted.astype("float64")
    return frame.assign(**converted_all) if converted_all else frame


def _token_from_symbol(symbol: str, path: Path, known: set[str] | None) -> str:
    token = symbol.upper().removesuffix("USDT")
    if known is not None and token not in known:
        raise InputFormatError(
            f"{path}: token '{token}' is not in data/universe.csv (rule: every price file names a known token)"
        )
    return token


def _bybit_contract(path: Path, known: set[str] | None, contracts: dict[str, Contract] | None) -> Contract:
    """The token and multiplier of a Bybit file (``1000PEPEUSDT.csv`` → PEPE × 1000)."""
    if contracts is None:  # no universe given (tests of the reader alone): the symbol is the token
        return Contract(_token_from_symbol(path.stem, path, known), 1)
    contract = contracts.get(path.stem.upper())
    if contract is None:
        raise InputFormatError(
            f"{path}: Bybit contract '{path.stem}' is not in data/universe.csv (column bybit_symbol; rule: every "
            f"Bybit file maps to a token and its contract multiplier)"
        )
    return contract


def token_of_file(kind: str, path: Path, contracts: dict[str, Contract] | None = None) -> tuple[str, int]:
    """The token a raw price file holds and its price multiplier, as the readers find them."""
    if kind == "bybit_usdt_perp_1d":
        contract = _bybit_contract(path, None, contracts)
        return contract.token, contract.multiplier
    if kind == "binance_spot_1h_close":
        return path.name.split("_")[0].upper().removesuffix("USDT"), 1
    if kind == "coingecko_export":
        return path.name.split("-")[0].upper(), 1
    return path.stem.upper().removesuffix("USDT"), 1


def _finish_daily(frame: pd.DataFrame, token: str, source: str, path: Path, deduplicated: bool = False) -> pd.DataFrame:
    added = {col: np.nan for col in DAILY_COLUMNS if col not in frame.columns and col not in ("token", "source")}
    frame = frame.assign(token=token, source=source, **added)
    if not deduplicated:  # the Bybit reader has already kept one row per date
        frame = one_row_per(
            frame, "date", path, [c for c in ("open", "high", "low", "close") if frame[c].notna().any()]
        )
    return frame[DAILY_COLUMNS + PROVENANCE_COLUMNS].sort_values("date").reset_index(drop=True)


def read_binance_daily(path: Path, known: set[str] | None = None) -> pd.DataFrame:
    """Read a Binance spot daily klines file into the tidy daily layout.

    The header repeats ``open_time`` in three empty trailing columns; only the 12 kline columns
    are kept. ``volume_usd`` is the quote-asset (USDT) volume.
    """
    frame = _read_csv(path, BINANCE_1D_COLUMNS)
    frame = frame[BINANCE_1D_COLUMNS + PROVENANCE_COLUMNS].copy()
    frame = _numeric(frame, ["open", "high", "low", "close", "quote_asset_volume"], path)
    frame["date"] = _dates(frame, "open_time", path).dt.normalize()
    frame["volume_usd"] = frame["quote_asset_volume"]
    token = _token_from_symbol(path.stem, path, known)
    return _finish_daily(frame, token, "binance_spot", path)


def read_bybit_daily(
    path: Path, known: set[str] | None = None, contracts: dict[str, Contract] | None = None
) -> pd.DataFrame:
    """Read a Bybit USDT-perpetual daily file; drop the open last candle and exact duplicates.

    With ``contracts`` (:func:`chinabrief.data.universe.bybit_contracts`) the token and multiplier
    come from the universe, and open, high, low and close are divided by the multiplier (prices
    per token); ``volume_usd`` is the USDT turnover, unchanged.
    """
    contract = _bybit_contract(path, known, contracts)
    frame = _read_csv(path, ["timestamp", "open", "high", "low", "close", "volume", "turnover"])
    frame = _numeric(frame, ["timestamp", "open", "high", "low", "close", "turnover"], path)
    frame["date"] = _dates(frame, "timestamp", path, unit="ms").dt.normalize()
    frame = one_row_per(
        frame.sort_values("date", kind="stable"), "date", path, ["open", "high", "low", "close", "volume", "turnover"]
    )
    frame = frame.iloc[:-1]  # the export's last candle is the still-open day
    frame["volume_usd"] = frame["turnover"]
    if contract.multiplier != 1:
        frame[["open", "high", "low", "close"]] = frame[["open", "high", "low", "close"]] / contract.multiplier
    return _finish_daily(frame, contract.token, "bybit_perp", path, deduplicated=True)


def read_coingecko_export(path: Path, known: set[str] | None = None) -> pd.DataFrame:
    """Read a CoinGecko usd-max export; the 00:00 UTC snap of day D is day D−1's close."""
    frame = _read_csv(path, ["snapped_at", "price", "market_cap", "total_volume"])
    frame = _numeric(frame, ["price", "market_cap", "total_volume"], path)
    frame["snapped_at"] = frame["snapped_at"].astype(str).str.replace(" UTC", "", regex=False)
    frame["date"] = _dates(frame, "snapped_at", path).dt.normalize() - pd.Timedelta(days=1)
    frame["close"] = frame["price"]
    frame["market_cap_usd"] = frame["market_cap"].where(frame["market_cap"] > 0)
    frame["volume_usd"] = frame["total_volume"]
    token = _token_from_symbol(path.name.split("-")[0], path, known)
    return _finish_daily(frame, token, "coingecko", path)


def read_unattributed(path: Path, known: set[str] | None = None) -> pd.DataFrame:
    """Read an unattributed daily OHLC file (gaps are kept as gaps)."""
    frame = _read_csv(path, ["ticker", "date", "open", "high", "low", "close"])
    frame = _numeric(frame, ["open", "high", "low", "close"], path)
    frame["date"] = _dates(frame, "date", path).dt.normalize()
    token = _token_from_symbol(path.stem, path, known)
    other = frame["ticker"].astype(str).str.upper().ne(token)
    if other.any():
        raise InputFormatError(
            f"{path}: column 'ticker' holds {sorted(set(frame.loc[other, 'ticker'].astype(str)))} "
            f"at line(s) {_lines(frame, other)}, expected only '{token}'"
        )
    return _finish_daily(frame, token, "unattributed", path)


def read_binance_hourly(path: Path, known: set[str] | None = None) -> pd.DataFrame:
    """Read a Binance hourly-close file into ``timestamp, token, close, source``."""
    frame = _read_csv(path, ["open_time", "close"])
    frame = _numeric(frame, ["close"], path)
    frame["timestamp"] = _dates(frame, "open_time", path)
    token = _token_from_symbol(path.name.split("_")[0], path, known)
    frame = one_row_per(frame.assign(token=token, source="binance_spot"), "timestamp", path, ["close"])
    return frame[HOURLY_COLUMNS + PROVENANCE_COLUMNS].sort_values("timestamp").reset_index(drop=True)


DAILY_READERS = {
    "binance_spot_1d": read_binance_daily,
    "bybit_usdt_perp_1d": read_bybit_daily,
    "coingecko_export": read_coingecko_export,
    "unattributed_1d": read_unattributed,
}


def read_all(
    raw_dir: Path, entries, known: set[str], contracts: dict[str, Contract] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every price file listed in the manifest.

    ``contracts`` maps Bybit contract names to tokens and multipliers (see :func:`read_bybit_daily`).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        All daily rows from every source (``DAILY_COLUMNS``), and all hourly rows.
    """
    daily, hourly = [], []
    for entry in entries:
        path = raw_dir / entry.path
        shown = f"data/raw/{entry.path}"  # provenance as the project names it (no absolute paths)
        if entry.kind == "bybit_usdt_perp_1d":
            daily.append(read_bybit_daily(path, known, contracts).assign(file=shown))
        elif entry.kind in DAILY_READERS:
            daily.append(DAILY_READERS[entry.kind](path, known).assign(file=shown))
        elif entry.kind == "binance_spot_1h_close":
            hourly.append(read_binance_hourly(path, known).assign(file=shown))
    all_daily = (
        pd.concat(daily, ignore_index=True) if daily else pd.DataFrame(columns=DAILY_COLUMNS + PROVENANCE_COLUMNS)
    )
    all_hourly = (
        pd.concat(hourly, ignore_index=True) if hourly else pd.DataFrame(columns=HOURLY_COLUMNS + PROVENANCE_COLUMNS)
    )
    return all_daily, all_hourly


def choose_sources(all_daily: pd.DataFrame, tokens: list[str], priority: list[str]) -> pd.DataFrame:
    """Pick, for each token and day, the close of the most trusted source that has one.

    Parameters
    ----------
    all_daily : pandas.DataFrame
        Daily rows from every source (``DAILY_COLUMNS``).
    tokens : list of str
        Tokens wanted.
    priority : list of str
        Source names, most trusted first (e.g. ``["binance_spot", "bybit_perp", "unattributed"]``).

    Returns
    -------
    pandas.DataFrame
        ``DAILY_COLUMNS``, one row per token and day. Market caps are taken from CoinGecko where
        it has the day (it is the only source of market caps).

    Raises
    ------
    InputFormatError
        When a wanted token has no price from any allowed source.
    """
    rank = {name: i for i, name in enumerate(priority)}
    candidates = all_daily[all_daily["token"].isin(tokens) & all_daily["source"].isin(rank)].copy()
    missing = sorted(set(tokens) - set(candidates["token"].unique()))
    if missing:
        raise InputFormatError(
            f"no daily prices for {missing} from sources {priority} (rule: every selected token needs a source)"
        )
    candidates["_rank"] = candidates["source"].map(rank)
    chosen = (
        candidates.sort_values(["token", "date", "_rank"])
        .drop_duplicates(["token", "date"], keep="first")
        .drop(columns=["_rank", "market_cap_usd"])
    )
    caps = all_daily.loc[all_daily["source"].eq("coingecko"), ["token", "date", "market_cap_usd"]]
    chosen = chosen.merge(caps, on=["token", "date"], how="left")
    keep = DAILY_COLUMNS + [c for c in PROVENANCE_COLUMNS if c in chosen.columns]
    return chosen[keep].sort_values(["token", "date"]).reset_index(drop=True)


def source_segments(prices_daily: pd.DataFrame) -> pd.DataFrame:
    """Summarise which source serves each token over which date range (the recorded choice)."""
    frame = prices_daily.sort_values(["token", "date"])
    block = (frame["source"] != frame.groupby("token")["source"].shift()).cumsum()
    out = (
        frame.groupby(["token", block], sort=False)
        .agg(source=("source", "first"), start=("date", "min"), end=("date", "max"), days=("date", "size"))
        .reset_index(level=1, drop=True)
        .reset_index()
    )
    return out


def agreement(all_daily: pd.DataFrame, tokens: list[str]) -> pd.DataFrame:
    """Compare closes of every pair of sources that overlap for a token.

    Returns
    -------
    pandas.DataFrame
        token, source_a, source_b, days_compared, median_abs_diff_pct, max_abs_diff_pct,
        max_diff_date — differences relative to source_a's close, in percent.
    """
    frame = all_daily[all_daily["token"].isin(tokens)]
    wide = frame.pivot_table(index=["token", "date"], columns="source", values="close", aggfunc="first")
    sources = list(wide.columns)
    parts = []
    for i, a in enumerate(sources):  # vectorised over tokens: one pass per pair of sources
        for j, b in enumerate(sources[i + 1 :], start=i + 1):
            both = wide[[a, b]].dropna()
            if both.empty:
                continue
            diff = (both[b] / both[a] - 1.0).abs() * 100.0
            by_token = diff.groupby(level="token", sort=True)
            worst = by_token.idxmax()
            parts.append(
                pd.DataFrame(
                    {
                        "token": by_token.size().index,
                        "source_a": a,
                        "source_b": b,
                        "days_compared": by_token.size().to_numpy(),
                        "median_abs_diff_pct": by_token.median().to_numpy(),
                        "max_abs_diff_pct": by_token.max().to_numpy(),
                        "max_diff_date": [w[1] for w in worst.to_numpy()],
                        "_pair": i * len(sources) + j,
                    }
                )
            )
    rows = (
        pd.concat(parts, ignore_index=True)
        .sort_values(["token", "_pair"], kind="stable")
        .drop(columns="_pair")
        .to_dict(orient="records")
        if parts
        else []
    )
    cols = [
        "token",
        "source_a",
        "source_b",
        "days_compared",
        "median_abs_diff_pct",
        "max_abs_diff_pct",
        "max_diff_date",
    ]
    if not rows:  # typed, so an empty table still has the columns' types
        types = ["str", "str", "str", "int64", "float64", "float64", all_daily["date"].dtype]
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(cols, types)})
    return pd.DataFrame(rows, columns=cols)


def gaps(prices_daily: pd.DataFrame) -> pd.DataFrame:
    """List runs of missing days inside each token's chosen daily series.

    Returns
    -------
    pandas.DataFrame
        token, gap_start, gap_end, days_missing.
    """
    rows = []
    for token, part in prices_daily.groupby("token"):
        dates = part["date"].sort_values()
        step = dates.diff().dt.days
        for idx in step[step > 1].index:
            end = dates[idx] - pd.Timedelta(days=1)
            start = dates[idx] - pd.Timedelta(days=int(step[idx]) - 1)
            rows.append({"token": token, "gap_start": start, "gap_end": end, "days_missing": int(step[idx]) - 1})
    if not rows:  # typed, so an empty table still has the columns' types
        date_type = prices_daily["date"].dtype
        return pd.DataFrame(
            {
                "token": pd.Series(dtype="str"),
                "gap_start": pd.Series(dtype=date_type),
                "gap_end": pd.Series(dtype=date_type),
                "days_missing": pd.Series(dtype="int64"),
            }
        )
    return pd.DataFrame(rows, columns=["token", "gap_start", "gap_end", "days_missing"])


def daily_returns(prices_daily: pd.DataFrame) -> pd.DataFrame:
    """Simple and log close-to-close returns on consecutive UTC days.

    A return is defined only when the previous calendar day has a close (no return spans a
    gap). ``source_switch`` marks returns whose two closes come from different sources.

    Returns
    -------
    pandas.DataFrame
        date, token, ret, log_ret, source, source_switch.

    Examples
    --------
    >>> p = pd.DataFrame({"date": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-04"]),
    ...                   "token": "X", "close": [100.0, 110.0, 121.0], "source": "s"})
    >>> daily_returns(p)["ret"].round(2).tolist()
    [0.1]
    """
    frame = prices_daily.sort_values(["token", "date"])
    prev_close = frame.groupby("token")["close"].shift()
    prev_date = frame.groupby("token")["date"].shift()
    prev_source = frame.groupby("token")["source"].shift()
    consecutive = (frame["date"] - prev_date).dt.days.eq(1)
    out = frame.loc[consecutive, ["date", "token", "source"]].copy()
    out["ret"] = frame.loc[consecutive, "close"] / prev_close[consecutive] - 1.0
    out["log_ret"] = np.log1p(out["ret"])
    out["source_switch"] = frame.loc[consecutive, "source"] != prev_source[consecutive]
    return out[["date", "token", "ret", "log_ret", "source", "source_switch"]].reset_index(drop=True)
