"""The data section every brief carries (sources, checksums, coverage, source choice, agreement,
gaps) and the data-quality brief of stage 02."""
from __future__ import annotations

import pandas as pd

from . import display as show
from . import events as events_mod
from .prepare import Prepared

SOURCE_TRUST = {"binance_spot": "high", "bybit_perp": "high (perpetual futures)",
                "unattributed": "medium (unknown origin)", "coingecko": "high (market caps)"}


def coverage(prices_daily: pd.DataFrame) -> pd.DataFrame:
    """First and last day and number of days per token of the chosen daily series."""
    return (prices_daily.groupby("token")
            .agg(first_day=("date", "min"), last_day=("date", "max"), days=("date", "size"))
            .reset_index())


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


def show_brief(prepared: Prepared, written: list[str], *, tokens: list[str], source_priority: list[str],
               cutoff_hour_utc: int) -> None:
    """Render the data-quality brief of stage 02 into the notebook."""
    cov = coverage(prepared.prices_daily)
    daily = prepared.prices_daily
    study = daily[daily["date"] >= "2025-01-01"]
    unattributed = study[study["source"].eq("unattributed")].groupby("token")["date"].size()
    okb = prepared.gaps[prepared.gaps["token"].eq("OKB")]
    findings = [
        f"{len(prepared.manifest)} raw files imported and verified; {len(written)} processed tables written.",
        f"In 2025, {', '.join(f'{t} ({n} days)' for t, n in unattributed.items()) or 'no token'} relies on the "
        "medium-trust unattributed source.",
        f"OKB, covered only by the unattributed source, misses {int(okb['days_missing'].sum())} days in {len(okb)} gap(s).",
    ]
    if not prepared.mining_cross_check.empty:
        findings.append(f"The two CCAF download formats agree exactly on "
                        f"{int(prepared.mining_cross_check['rows_compared'].iloc[0])} country-month shares.")
    show.show_title_block(
        "Data quality and provenance",
        "What the briefs are built on: sources, coverage, source choice, agreement and gaps.",
        {"Data": f"daily prices to {daily['date'].max():%Y-%m-%d}; CCAF mining map "
                 f"{prepared.mining_countries['date'].min():%Y-%m} to {prepared.mining_countries['date'].max():%Y-%m}",
         "Tokens": ", ".join(tokens), "Source priority": " > ".join(source_priority),
         "Day-0 cutoff": f"{cutoff_hour_utc:02d}:00 UTC"},
    )
    show.show_findings(findings)
    show.show_section("coverage", "Coverage of the chosen daily series")
    show.show_table(cov, formats={"days": "{:,d}"})
    from IPython.display import HTML, display
    display(HTML(data_section_html(prepared.manifest, prepared.source_choice, prepared.agreement,
                                   prepared.gaps, sorted(set(daily["token"])))))
    show_checks(prepared)
    show.show_section("events", "Events catalogue")
    show.show_prose("<p>{rule}</p>", rule=events_mod.day0_rule_text(cutoff_hour_utc))
    ev = prepared.events[["event_id", "date", "time_utc", "day0", "category", "label"]]
    show.show_table(ev, caption=f"{len(ev)} US–China trade events, 2025")


def show_checks(prepared: Prepared) -> None:
    """Render the price plausibility findings the parameters allowed, and the ignored files."""
    show.show_section("checks", "Price checks and ignored files")
    checks = prepared.price_checks
    if checks is None or checks.empty:
        show.show_prose("<p>Every price passed the plausibility rules (params.yaml: check_positive_close, "
                        "check_ohlc_order, bad_print_factor, source_disagreement_pct).</p>")
    else:
        from . import price_checks

        show.show_table(price_checks.summary(checks), caption="Implausible prices the parameters allow",
                        formats={"findings": "{:,d}"})
        shown = checks[["rule", "token", "date", "file", "line", "value", "status"]].head(50)
        show.show_table(shown, caption=f"Allowed findings (first {len(shown)} of {len(checks)}; all in "
                                       "data/processed/price_checks.csv)", formats={"line": "{:d}", "value": "{:g}"})
    ignored = prepared.ignored
    if ignored is not None and not ignored.empty:
        show.show_table(ignored, caption="Files in the snapshot that were not imported (recorded in data/raw/MANIFEST.json)")
