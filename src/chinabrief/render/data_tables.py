"""The tables of every brief's "Data and provenance" section, from a
:class:`~chinabrief.analysis.data_sources.DataSources`."""

from __future__ import annotations

from pandas.io.formats.style import Styler

from ..analysis.data_sources import SOURCE_TRUST, DataSources
from .tables import table


def raw_datasets(d: DataSources) -> Styler:
    """Raw files imported, by kind, with their total size."""
    kinds = d.manifest.groupby("kind").agg(files=("path", "size"), bytes=("bytes", "sum")).reset_index()
    return table(
        kinds, name="raw", caption="Raw datasets imported (data/raw/MANIFEST.json)", formats={"bytes": "{:,.0f}"}
    )


def source_choice(d: DataSources) -> Styler:
    """Which source serves each token, in segments of consecutive days."""
    choice = d.source_choice.rename(columns={"start": "from", "end": "to"})
    choice["trust"] = choice["source"].map(SOURCE_TRUST)
    return table(
        choice, name="sources", caption=f"Which source serves each token (segments reaching past {d.since:%Y-%m-%d})"
    )


def agreement(d: DataSources) -> Styler:
    """Agreement between sources where they overlap."""
    agree = d.agreement.rename(
        columns={
            "source_a": "source A",
            "source_b": "source B",
            "days_compared": "days compared",
            "median_abs_diff_pct": "median |B/A − 1|",
            "max_abs_diff_pct": "max |B/A − 1|",
            "max_diff_date": "day of max",
        }
    )
    return table(
        agree,
        name="agreement",
        caption="Agreement between sources where they overlap (daily closes)",
        formats={"median |B/A − 1|": "{:.3f}%", "max |B/A − 1|": "{:.2f}%"},
    )


def gaps(d: DataSources) -> Styler:
    """Missing days in the chosen daily series."""
    gap = d.gaps.rename(
        columns={"gap_start": "first missing day", "gap_end": "last missing day", "days_missing": "days missing"}
    )
    return table(gap, name="gaps", caption=f"Missing days in the chosen daily series since {d.since:%Y-%m-%d}")


def checksums(d: DataSources) -> Styler:
    """Every raw file with the start of its SHA-256."""
    files = d.manifest[["path", "sha256"]].copy()
    files["sha256"] = files["sha256"].str[:16] + "…"
    return table(files, name="checksums", caption="SHA-256 of every raw file (first 16 hex digits)")
