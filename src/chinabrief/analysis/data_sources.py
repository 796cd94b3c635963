"""What every brief says about its data: raw files with checksums, which source serves each token,
how the sources agree, and the gaps (the "Data and provenance" section).

:func:`compute` reads ``data/raw/MANIFEST.json`` and the processed tables; the tables of the
section are drawn by :mod:`chinabrief.render.data_tables`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..config import Paths
from ..data import manifest, prepare
from ..text import Markdown

#: How far before the first event the section looks (the estimation windows reach back this far).
LOOKBACK = pd.DateOffset(years=1)
SOURCE_TRUST = {
    "binance_spot": "high",
    "bybit_perp": "high (perpetual futures)",
    "unattributed": "medium (unknown origin)",
    "coingecko": "high (market caps)",
}


@dataclass
class DataSources:
    """The data behind a brief.

    Attributes
    ----------
    manifest : pandas.DataFrame
        Rows of ``data/raw/MANIFEST.json`` (path, sha256, bytes, kind, origin).
    source_choice, agreement, gaps : pandas.DataFrame
        The processed source-choice, source-agreement and gap tables, for :attr:`tokens`.
    tokens : list of str
        The tokens shown.
    since : pandas.Timestamp
        Source segments and gaps ending before this day are left out (before the study period).
    """

    manifest: pd.DataFrame
    source_choice: pd.DataFrame
    agreement: pd.DataFrame
    gaps: pd.DataFrame
    tokens: list[str]
    since: pd.Timestamp


def study_start(events: pd.DataFrame) -> pd.Timestamp:
    """The first day the briefs look at: a year before the first event, at the start of its month."""
    first = pd.Timestamp(events["date"].min()) - LOOKBACK
    return first.normalize().replace(day=1)


def from_tables(entries: pd.DataFrame, tables: dict[str, pd.DataFrame], tokens: list[str] | None = None) -> DataSources:
    """:class:`DataSources` from manifest rows and the processed tables (as :func:`prepare.load` gives)."""
    tokens = sorted(set(tables["source_choice"]["token"])) if tokens is None else list(dict.fromkeys(tokens))
    since = study_start(tables["events"])
    choice, agreement, gaps = tables["source_choice"], tables["price_source_agreement"], tables["price_gaps"]
    return DataSources(
        manifest=entries,
        source_choice=choice[choice["token"].isin(tokens) & (choice["end"] >= since)].reset_index(drop=True),
        agreement=agreement[agreement["token"].isin(tokens)].reset_index(drop=True),
        gaps=gaps[gaps["token"].isin(tokens) & (gaps["gap_end"] >= since)].reset_index(drop=True),
        tokens=tokens,
        since=since,
    )


def compute(
    P: Paths, tokens: list[str] | None = None, tables: dict[str, pd.DataFrame] | None = None, stage: str | None = None
) -> DataSources:
    """The data section of a brief.

    Parameters
    ----------
    P : Paths
        Project paths.
    tokens : list of str, optional
        Tokens whose sources, agreement and gaps are shown (default: every token with prices).
    tables : dict, optional
        The processed tables when already loaded (:func:`chinabrief.data.prepare.load`).
    stage : str, optional
        The notebook asking, for the message when stage 02 has not run.

    Returns
    -------
    DataSources
    """
    tables = tables if tables is not None else prepare.load(P, stage=stage)
    entries = pd.DataFrame([e.__dict__ for e in manifest.read(P.raw)])
    return from_tables(entries, tables, tokens)


def agreement_summary(d: DataSources) -> str:
    """One line for the folded agreement table."""
    a = d.agreement
    if a.empty:
        return "Agreement between sources: no overlapping sources"
    return (
        f"Agreement between sources: {len(a)} overlapping pairs, median differences "
        f"{a['median_abs_diff_pct'].min():.3f}% to {a['median_abs_diff_pct'].max():.3f}%"
    )


def gaps_note(d: DataSources) -> Markdown:
    """Whether the chosen daily series have gaps in the study period."""
    if d.gaps.empty:
        return Markdown.paragraph(f"No gaps in the chosen daily series since {d.since:%Y-%m-%d}.")
    days = int(d.gaps["days_missing"].sum())
    return Markdown.paragraph(
        f"{len(d.gaps)} gap(s), {days} missing day(s) in all, in the chosen daily series since {d.since:%Y-%m-%d}."
    )
