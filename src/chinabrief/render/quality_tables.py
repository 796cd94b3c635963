"""The tables of the data-quality brief, from a :class:`~chinabrief.analysis.data_quality.DataQuality`.

The "Data and provenance" tables every brief shares are in :mod:`chinabrief.render.data_tables`.
"""
from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from ..analysis.data_quality import DataQuality
from ..data.event_catalogue import CATEGORIES
from .tables import table


def _nowrap(styler: Styler, columns: list[str]) -> Styler:
    """Keep dates and times on one line (a column rule, no per-cell ids)."""
    styler.set_table_styles({c: [{"selector": "td", "props": "white-space: nowrap"}] for c in columns},
                            overwrite=False)
    return styler


def _hour(value) -> str:
    return "–" if pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M}"


def daily_coverage(q: DataQuality) -> Styler:
    """Per token: sources, first and last day, days with a price and days missing."""
    frame = q.daily.rename(columns={"first_day": "first day", "last_day": "last day", "days": "days with a price",
                                    "days_missing": "days missing"})
    latest = q.last_day
    return table(frame, name="daily", caption="Chosen daily series, by token",
                 highlight=lambda row: [c == "last day" and row["last day"] < latest for c in row.index])


def hourly_coverage(q: DataQuality) -> Styler:
    """Per token: the hourly source, first and last hour (UTC) and number of hourly closes."""
    frame = q.hourly.rename(columns={"first_hour": "first hour (UTC)", "last_hour": "last hour (UTC)",
                                     "hours": "hourly closes"})
    styler = table(frame, name="hourly", caption="Hourly closes, by token",
                   formats={"first hour (UTC)": _hour, "last hour (UTC)": _hour})
    return _nowrap(styler, ["first hour (UTC)", "last hour (UTC)"])


def events_by_category(q: DataQuality) -> Styler:
    """Events per category: how many, first and last date, with a known time, day 0 moved."""
    e = q.events.assign(timed=q.events["time_utc"].fillna("").astype(str).ne(""),
                        moved=q.events["day0_shifted"].astype(bool))
    order = {c: i for i, c in enumerate(CATEGORIES)}
    e = e.sort_values("category", key=lambda c: c.map(order).fillna(len(order)), kind="stable")
    frame = (e.groupby("category", sort=False)
             .agg(events=("event_id", "size"), first=("date", "min"), last=("date", "max"),
                  timed=("timed", "sum"), moved=("moved", "sum"))
             .reset_index()
             .rename(columns={"timed": "with a time", "moved": "day 0 moved"}))
    frame[["with a time", "day 0 moved"]] = frame[["with a time", "day 0 moved"]].astype("int64")
    return table(frame, name="categories", caption="Events by category")


def events(q: DataQuality) -> Styler:
    """Every event of the catalogue with its day 0 (highlighted where it moved to the next day)."""
    frame = q.events.rename(columns={"time_utc": "time (UTC)", "day0": "day 0"})
    frame = frame[["date", "time (UTC)", "day 0", "category", "label", "verified", "event_id"]].copy()
    frame["time (UTC)"] = frame["time (UTC)"].fillna("").astype(str).replace("", "–")
    styler = table(frame, name="events", caption=f"The events catalogue ({len(frame)} events)",
                   highlight=lambda row: [c == "day 0" and row["day 0"] != row["date"] for c in row.index])
    return _nowrap(styler, ["date", "time (UTC)", "day 0"])


def price_checks(q: DataQuality) -> Styler:
    """The allowed price findings by rule: how many, which tokens, first and last day."""
    from ..data.price_checks import summary

    return table(summary(q.price_checks), name="price-checks", caption="Implausible prices the parameters allow")


def price_check_findings(q: DataQuality) -> Styler:
    """Every allowed price finding with its source file and line."""
    columns = ["rule", "token", "date", "file", "line", "value", "status"]
    shown = q.price_checks[columns] if not q.price_checks.empty else pd.DataFrame(columns=columns)
    return table(shown, name="price-findings", formats={"line": "{:d}", "value": "{:g}"},
                 caption=f"Allowed price findings ({len(shown)}; also in data/processed/price_checks.csv)")


def ignored_files(q: DataQuality) -> Styler:
    """Files in the snapshot that were not imported."""
    return table(q.ignored, name="ignored",
                 caption="Files in the snapshot not listed in its SHA256SUMS, not imported (data/raw/MANIFEST.json)")
