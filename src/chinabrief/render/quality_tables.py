"""The tables of the data-quality brief, from a :class:`~chinabrief.analysis.data_quality.DataQuality`.

The "Data and provenance" tables every brief shares are in :mod:`chinabrief.render.data_tables`.
"""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from ..analysis import data_quality
from ..analysis.data_quality import DataQuality
from ..data import close_hours as close_hour_rules
from ..data.event_catalogue import CATEGORIES
from .tables import table


def _nowrap(styler: Styler, columns: list[str]) -> Styler:
    """Keep dates and times on one line (a column rule, no per-cell ids)."""
    styler.set_table_styles({c: [{"selector": "td", "props": "white-space: nowrap"}] for c in columns}, overwrite=False)
    return styler


def _hour(value) -> str:
    return "–" if pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M}"


def _coverage(q: DataQuality, frame: pd.DataFrame, name: str, caption: str) -> Styler:
    frame = frame.rename(
        columns={
            "first_day": "first day",
            "last_day": "last day",
            "days": "days with a price",
            "days_missing": "days missing",
        }
    )
    latest = q.last_day
    return table(
        frame,
        name=name,
        caption=caption,
        highlight=lambda row: [c == "last day" and row["last day"] < latest for c in row.index],
    )


def daily_coverage(q: DataQuality) -> Styler:
    """Per token but the control group's: sources, first and last day, days with a price and days missing."""
    shown = q.daily[~q.daily["token"].isin(q.control)]
    what = "benchmarks and China-linked tokens" if q.control else "by token"
    return _coverage(q, shown, "daily", f"Chosen daily series, {what}")


def daily_coverage_control(q: DataQuality) -> Styler:
    """Per control token: the same columns as :func:`daily_coverage`."""
    shown = q.daily[q.daily["token"].isin(q.control)]
    return _coverage(q, shown, "daily-control", f"Chosen daily series of the {len(shown)} control tokens")


def hourly_coverage(q: DataQuality) -> Styler:
    """Per token with hourly closes: the source, first and last hour (UTC) and number of closes."""
    frame = q.hourly[q.hourly["hours"].gt(0)].rename(
        columns={"first_hour": "first hour (UTC)", "last_hour": "last hour (UTC)", "hours": "hourly closes"}
    )
    styler = table(
        frame,
        name="hourly",
        caption="Hourly closes, by token (tokens without any are named below)",
        formats={"first hour (UTC)": _hour, "last hour (UTC)": _hour},
    )
    return _nowrap(styler, ["first hour (UTC)", "last hour (UTC)"])


def events_by_category(q: DataQuality) -> Styler:
    """Events per category: how many, first and last date, with a known time, day 0 moved."""
    e = q.events.assign(
        timed=q.events["time_utc"].fillna("").astype(str).ne(""), moved=q.events["day0_shifted"].astype(bool)
    )
    order = {c: i for i, c in enumerate(CATEGORIES)}
    e = e.sort_values("category", key=lambda c: c.map(order).fillna(len(order)), kind="stable")
    frame = (
        e.groupby("category", sort=False)
        .agg(
            events=("event_id", "size"),
            first=("date", "min"),
            last=("date", "max"),
            timed=("timed", "sum"),
            moved=("moved", "sum"),
        )
        .reset_index()
        .rename(columns={"timed": "with a time", "moved": "day 0 moved"})
    )
    frame[["with a time", "day 0 moved"]] = frame[["with a time", "day 0 moved"]].astype("int64")
    return table(frame, name="categories", caption="Events by category")


def events(q: DataQuality) -> Styler:
    """Every event of the catalogue with its day 0 (highlighted where it moved to the next day)."""
    frame = q.events.rename(columns={"time_utc": "time (UTC)", "day0": "day 0"})
    frame = frame[["date", "time (UTC)", "day 0", "category", "label", "verified", "event_id"]].copy()
    frame["time (UTC)"] = frame["time (UTC)"].fillna("").astype(str).replace("", "–")
    styler = table(
        frame,
        name="events",
        caption=f"The events catalogue ({len(frame)} events)",
        highlight=lambda row: [c == "day 0" and row["day 0"] != row["date"] for c in row.index],
    )
    return _nowrap(styler, ["date", "time (UTC)", "day 0"])


def price_checks(q: DataQuality) -> Styler:
    """The allowed price findings by rule: how many, which tokens, first and last day."""
    from ..data.price_checks import summary

    return table(summary(q.price_checks), name="price-checks", caption="Implausible prices the parameters allow")


def price_check_findings(q: DataQuality) -> Styler:
    """Every allowed price finding with its source file and line."""
    columns = ["rule", "token", "date", "file", "line", "value", "status"]
    shown = q.price_checks[columns] if not q.price_checks.empty else pd.DataFrame(columns=columns)
    return table(
        shown,
        name="price-findings",
        formats={"line": "{:d}", "value": "{:g}"},
        caption=f"Allowed price findings ({len(shown)}; also in data/processed/price_checks.csv)",
    )


def ignored_files(q: DataQuality) -> Styler:
    """Files in the snapshot that were not imported."""
    return table(
        q.ignored,
        name="ignored",
        caption="Files in the snapshot not listed in its SHA256SUMS, not imported (data/raw/MANIFEST.json)",
    )


def universe_groups(q: DataQuality) -> Styler:
    """Per final group: tokens, kinds, median history and median Bybit turnover."""
    frame = data_quality.group_table(q).rename(
        columns={"median_history_days": "median history (days)", "median_turnover_usd": "median daily turnover (USD)"}
    )
    return table(
        frame,
        name="groups",
        caption="The universe by group (history: returns in the first event's "
        "estimation window; turnover: Bybit, study period)",
        formats={"median history (days)": "{:,.0f}", "median daily turnover (USD)": _money},
    )


def universe_exclusions(q: DataQuality) -> Styler:
    """Excluded tokens by reason."""
    return table(data_quality.exclusions(q), name="excluded", caption="Excluded tokens, by reason")


def universe_members(q: DataQuality) -> Styler:
    """Every snapshot token: group, tier, kind, history, turnover and the rule's outcome."""
    frame = q.groups[
        [
            "token",
            "name",
            "group",
            "china_tier",
            "kind",
            "history_days",
            "median_turnover_usd",
            "rule_outcome",
            "reason",
            "source",
        ]
    ].rename(
        columns={
            "china_tier": "tier",
            "history_days": "history (days)",
            "median_turnover_usd": "median turnover (USD)",
            "rule_outcome": "rule outcome",
        }
    )
    return table(
        frame,
        name="members",
        caption=f"Every token of the snapshot ({len(frame)}; data/processed/universe_groups.csv)",
        formats={"median turnover (USD)": _money},
    )


def close_hours(q: DataQuality) -> Styler:
    """Per daily source: the measured close hour (all days, winter, summer) and how well it fits."""
    frame = close_hour_rules.summary(q.close_hours).rename(
        columns={
            "close_hour_utc": "close hour (UTC)",
            "winter_close_hour_utc": "in EU winter time",
            "summer_close_hour_utc": "in EU summer time",
            "median_abs_diff_pct": "median |daily/hourly − 1|",
            "midnight_median_abs_diff_pct": "same at midnight UTC",
            "days_compared": "days compared",
        }
    )
    hour = lambda v: "–" if pd.isna(v) else f"{int(v):02d}:00"  # noqa: E731
    return table(
        frame,
        name="close-hours",
        caption="Each daily source's close hour, measured on BTC and ETH against Binance hourly closes",
        formats={
            "close hour (UTC)": hour,
            "in EU winter time": hour,
            "in EU summer time": hour,
            "median |daily/hourly − 1|": "{:.3f}%",
            "same at midnight UTC": "{:.3f}%",
        },
    )


def _money(value) -> str:
    return "–" if pd.isna(value) else f"{value / 1e6:,.2f}M"
