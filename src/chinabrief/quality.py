"""The old HTML-string "Data and provenance" section, kept only for the token and event briefs
until they move to :mod:`chinabrief.data_sources` and :mod:`chinabrief.render.data_tables` (the
data-quality brief's computations are in :mod:`chinabrief.data_quality`). Delete this module once
``token_brief`` and ``event_brief`` no longer import it."""
from __future__ import annotations

import pandas as pd

from . import display as show
from .data_sources import SOURCE_TRUST


def data_section_html(manifest: pd.DataFrame, source_choice: pd.DataFrame, agreement: pd.DataFrame,
                      gaps: pd.DataFrame, tokens: list[str], since: str = "2024-06-01") -> str:
    """Data and provenance: datasets with checksums, the source choice, agreement and gaps.

    Parameters
    ----------
    manifest : pandas.DataFrame
        Rows of ``data/raw/MANIFEST.json`` (path, sha256, bytes, kind, origin).
    source_choice, agreement, gaps : pandas.DataFrame
        Tables from :mod:`chinabrief.prices`.
    tokens : list of str
        Tokens to show.
    since : str
        Only source segments and gaps that reach past this day are shown (the study period).
    """
    parts = [show.section_html("data", "Data and provenance")]
    kinds = manifest.groupby("kind").agg(files=("path", "size"), bytes=("bytes", "sum")).reset_index()
    parts.append(show.table_html(kinds, caption="Raw datasets imported (data/raw/MANIFEST.json)",
                                 formats={"files": "{:d}", "bytes": "{:,.0f}"},
                                 note="Every file was verified against the snapshot's SHA256SUMS before use."))
    choice = source_choice[source_choice["token"].isin(tokens) & (source_choice["end"] >= pd.Timestamp(since))].copy()
    choice = choice.rename(columns={"start": "from", "end": "to"})
    choice["trust"] = choice["source"].map(SOURCE_TRUST)
    parts.append(show.table_html(choice, caption=f"Which source serves each token (segments reaching past {since})",
                                 formats={"days": "{:,d}"},
                                 note="Rule: spot before perpetual futures before the unattributed source, day by day."))
    agree = agreement[agreement["token"].isin(tokens)].rename(columns={
        "source_a": "source A", "source_b": "source B", "days_compared": "days compared",
        "median_abs_diff_pct": "median |B/A − 1|", "max_abs_diff_pct": "max |B/A − 1|", "max_diff_date": "day of max"})
    agree_table = show.table_html(
        agree, caption="Agreement between sources where they overlap (daily closes)",
        formats={"days compared": "{:,d}", "median |B/A − 1|": "{:.3f}%", "max |B/A − 1|": "{:.2f}%"},
        note="Differences over the whole overlap, which for the unattributed source reaches back to 2014; "
             "its largest differences are isolated outliers, not level shifts.")
    summary = (f"Agreement between sources: {len(agree)} overlapping pairs, median differences "
               f"{agree['median |B/A − 1|'].min():.3f}% to {agree['median |B/A − 1|'].max():.3f}%"
               if len(agree) else "Agreement between sources: no overlapping sources")
    parts.append(f"<details><summary>{show.escape(summary)}</summary>{agree_table}</details>")
    gap = gaps[gaps["token"].isin(tokens) & (gaps["gap_end"] >= pd.Timestamp(since))].rename(
        columns={"gap_start": "first missing day", "gap_end": "last missing day", "days_missing": "days missing"})
    if gap.empty:
        parts.append(show.prose_html("<p>No gaps in the chosen daily series since {since}.</p>", since=since))
    else:
        parts.append(show.table_html(gap, caption=f"Missing days in the chosen daily series since {since}",
                                     formats={"days missing": "{:d}"},
                                     note="Gaps are left as gaps: no return is computed across a missing day."))
    files = manifest[["path", "sha256"]].copy()
    files["sha256"] = files["sha256"].str[:16] + "…"
    parts.append("<details><summary>Checksums of every raw file (SHA-256, first 16 hex digits)</summary>"
                 + show.table_html(files) + "</details>")
    return "\n".join(parts)


def data_section_for(paths, tables: dict, tokens: list[str]) -> str:
    """:func:`data_section_html` for an analysis brief, from the manifest and the processed tables.

    Parameters
    ----------
    paths : Paths
        Project paths (the manifest is read from ``data/raw``).
    tables : dict
        From :func:`chinabrief.prepare.load`.
    tokens : list of str
        Tokens whose sources, agreement and gaps are shown.
    """
    from . import manifest

    entries = pd.DataFrame([e.__dict__ for e in manifest.read(paths.raw)])
    return data_section_html(entries, tables["source_choice"], tables["price_source_agreement"],
                             tables["price_gaps"], tokens)
