"""The US–China trade events catalogue and its day-0 rule for daily analysis."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..exceptions import InputFormatError

CATEGORIES = ["escalation", "de-escalation", "negotiation-announcement", "talks", "agreement"]
COLUMNS = [
    "event_id", "date", "time_utc", "time_precision", "label", "category", "description",
    "source_url", "source_title", "verified",
]


def load_catalogue(path: Path) -> pd.DataFrame:
    """Read and check the committed events catalogue.

    Raises
    ------
    InputFormatError
        Missing columns, duplicate ids, unknown categories, or unparsable dates/times, naming the
        file, column and rows.
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputFormatError(f"{path}: missing column(s) {missing}")
    dup = frame["event_id"].duplicated(keep=False)
    if dup.any():
        raise InputFormatError(f"{path}: column 'event_id' repeats {sorted(frame.loc[dup, 'event_id'].unique())} (rule: unique)")
    bad_cat = ~frame["category"].isin(CATEGORIES)
    if bad_cat.any():
        rows = (frame.index[bad_cat] + 2).tolist()
        raise InputFormatError(f"{path}: column 'category' has unknown value(s) at line(s) {rows} (allowed: {CATEGORIES})")
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    if frame["date"].isna().any():
        rows = (frame.index[frame["date"].isna()] + 2).tolist()
        raise InputFormatError(f"{path}: column 'date' is not YYYY-MM-DD at line(s) {rows}")
    times = frame["time_utc"].where(frame["time_utc"] != "")
    parsed = pd.to_datetime(times, format="%H:%M", errors="coerce")
    bad_time = parsed.isna() & times.notna()
    if bad_time.any():
        rows = (frame.index[bad_time] + 2).tolist()
        raise InputFormatError(f"{path}: column 'time_utc' is not HH:MM at line(s) {rows}")
    frame["hour_utc"] = parsed.dt.hour + parsed.dt.minute / 60.0
    return frame


def assign_day0(catalogue: pd.DataFrame, cutoff_hour_utc: int) -> pd.DataFrame:
    """Add ``day0``: the UTC day whose daily return first reflects the news.

    Rule: an announcement at or after ``cutoff_hour_utc`` (UTC) moves day 0 to the next UTC
    day, since that day's candle is the first to trade mostly after the news. Events without a
    known time keep their date.

    Examples
    --------
    >>> cat = pd.DataFrame({"date": pd.to_datetime(["2025-05-06", "2025-05-12"]),
    ...                     "hour_utc": [22.0, 7.0]})
    >>> assign_day0(cat, 20)["day0"].dt.strftime("%m-%d").tolist()
    ['05-07', '05-12']
    """
    late = catalogue["hour_utc"].ge(cutoff_hour_utc).fillna(False).astype(bool)
    out = catalogue.copy()
    out["day0"] = out["date"] + pd.to_timedelta(late.astype(int), unit="D")
    out["day0_shifted"] = late
    return out


def day0_rule_text(cutoff_hour_utc: int) -> str:
    """The day-0 rule as a sentence for the briefs."""
    return (
        f"Day 0 is the UTC day of the announcement; an announcement at or after "
        f"{cutoff_hour_utc:02d}:00 UTC belongs to the next UTC day, whose daily candle is the first "
        f"to trade on the news. Events without a known time keep their date."
    )
