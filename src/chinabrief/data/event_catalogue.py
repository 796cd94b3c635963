"""The US–China trade events catalogue and its day-0 rule for daily analysis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import InputFormatError

CATEGORIES = ["escalation", "de-escalation", "negotiation-announcement", "talks", "agreement"]
COLUMNS = [
    "event_id",
    "date",
    "time_utc",
    "time_precision",
    "label",
    "category",
    "description",
    "source_url",
    "source_title",
    "verified",
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
        raise InputFormatError(
            f"{path}: column 'event_id' repeats {sorted(frame.loc[dup, 'event_id'].unique())} (rule: unique)"
        )
    bad_cat = ~frame["category"].isin(CATEGORIES)
    if bad_cat.any():
        rows = (frame.index[bad_cat] + 2).tolist()
        raise InputFormatError(
            f"{path}: column 'category' has unknown value(s) at line(s) {rows} (allowed: {CATEGORIES})"
        )
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


def day0_for_close(catalogue: pd.DataFrame, cutoff_hour_utc: int, offset_hours: int | pd.Series = 0) -> pd.Series:
    """Day 0 of each event for a daily series whose day ends ``offset_hours`` after UTC midnight.

    Rule: an announcement counts for the day whose close comes after it, unless it comes less
    than ``24 − cutoff_hour_utc`` hours before that close: then the next day, the first to trade
    mostly after the news. For a UTC day (offset 0) this is "at or after ``cutoff_hour_utc``
    UTC, the next day"; for a source closing at 22:00 UTC (offset −2) the cutoff is 18:00 UTC.
    Events without a known time keep their date.

    Examples
    --------
    >>> cat = pd.DataFrame({"date": pd.to_datetime(["2025-04-09", "2025-05-06"]), "hour_utc": [17.0, 22.0]})
    >>> day0_for_close(cat, 20).dt.strftime("%m-%d").tolist()
    ['04-09', '05-07']
    >>> day0_for_close(cat, 20, -2).dt.strftime("%m-%d").tolist()
    ['04-09', '05-07']
    >>> day0_for_close(cat, 18, -2).dt.strftime("%m-%d").tolist()
    ['04-10', '05-07']
    """
    hours = catalogue["hour_utc"]
    offset = pd.to_timedelta(pd.Series(offset_hours, index=catalogue.index).astype(float), unit="h")
    moved = catalogue["date"] + pd.to_timedelta(hours, unit="h") - offset + pd.Timedelta(hours=24 - cutoff_hour_utc)
    return moved.dt.floor("D").where(hours.notna(), catalogue["date"])


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
    out = catalogue.copy()
    out["day0"] = day0_for_close(catalogue, cutoff_hour_utc)
    out["day0_shifted"] = out["day0"].ne(out["date"])
    return out


def day0_rule_text(cutoff_hour_utc: int) -> str:
    """The day-0 rule as a sentence for the briefs."""
    return (
        f"Day 0 is the UTC day of the announcement; an announcement at or after "
        f"{cutoff_hour_utc:02d}:00 UTC belongs to the next UTC day, whose daily candle is the first "
        f"to trade on the news. Events without a known time keep their date. For a token whose source "
        f"closes its day at another hour (measured in the data-quality brief), the cutoff moves with the "
        f"close: {24 - cutoff_hour_utc} hours before it."
    )


def day0_shifts(catalogue: pd.DataFrame, cutoff_hour_utc: int, token_offsets: pd.DataFrame) -> pd.DataFrame:
    """Per event and token: days by which the token's day 0 follows the event's (UTC) day 0.

    Parameters
    ----------
    catalogue : pandas.DataFrame
        ``event_id, date, hour_utc`` and ``day0`` (the UTC rule, :func:`assign_day0`).
    cutoff_hour_utc : int
        The cutoff of the UTC rule.
    token_offsets : pandas.DataFrame
        Index ``event_id``, columns tokens: the hours by which the token's source ends its day
        around the event after UTC midnight (:func:`chinabrief.data.close_hours.offset_for`).

    Returns
    -------
    pandas.DataFrame
        Same shape as ``token_offsets``, whole days (0 where the token's day 0 is the event's).
    """
    cat = catalogue.set_index("event_id").loc[token_offsets.index]
    # day0_for_close for every token at once (one (event, token) array; the same rule)
    hours = cat["hour_utc"].to_numpy(dtype=float)[:, None]
    date = cat["date"].to_numpy().astype("datetime64[h]").astype(np.int64)[:, None]
    offsets = np.nan_to_num(token_offsets.to_numpy(dtype=float))  # an unknown offset: the UTC day
    moved = np.floor((date + hours - offsets + (24 - cutoff_hour_utc)) / 24.0)
    own = np.where(np.isnan(hours), date // 24, moved)
    day0 = cat["day0"].to_numpy().astype("datetime64[D]").astype(np.int64)[:, None]
    return pd.DataFrame((own - day0).astype("int64"), index=token_offsets.index, columns=token_offsets.columns)
