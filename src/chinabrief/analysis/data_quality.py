"""What the briefs are built on (stage 02's brief): everything the data-quality brief shows.

:func:`compute` takes the processed tables of :func:`chinabrief.data.prepare.prepare` and returns a
:class:`DataQuality`: coverage tables as DataFrames, the shared "Data and provenance" section
(:class:`~chinabrief.analysis.data_sources.DataSources`) and the facts the sentences need. :func:`headline`,
:func:`findings` and the ``*_note`` functions turn the numbers into sentences (Markdown). The
brief's headings and fixed prose live in ``notebooks/02_prepare.ipynb``; its tables in
:mod:`chinabrief.render.quality_tables` and :mod:`chinabrief.render.data_tables`.

Nothing here names a token, a source or a date of the seed data: which tokens rest on the
unattributed source alone, where the study period starts (a year before the first event, see
:func:`chinabrief.analysis.data_sources.study_start`) and when each series ends are read from the tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..data import close_hours as close_hour_rules
from ..data import market_index, universe
from ..data.event_catalogue import day0_rule_text
from ..data.prepare import Prepared
from ..text import Markdown, fmt_number, md_escape
from . import data_sources
from .data_sources import DataSources

#: The source of unknown origin: trusted least, shown wherever a token relies on it.
UNATTRIBUTED = "unattributed"


@dataclass
class DataQuality:
    """What the data-quality brief shows.

    Attributes
    ----------
    daily : pandas.DataFrame
        One row per token of the chosen daily series: ``token``, ``sources`` (in the order they
        serve it), ``first_day``, ``last_day``, ``days``, ``days_missing`` (inside its range).
    hourly : pandas.DataFrame
        One row per token of the daily series: ``token``, ``source``, ``first_hour``,
        ``last_hour``, ``hours`` (0 and missing times for a token without hourly closes).
    unattributed : pandas.DataFrame
        Tokens served by the unattributed source in the study period: ``token``, ``days``,
        ``first_day``, ``only_source`` (no other source serves the token there).
    events : pandas.DataFrame
        The events catalogue with its day 0 (``event_id``, ``date``, ``time_utc``, ``day0``,
        ``day0_shifted``, ``category``, ``label``, ``verified``).
    sources : DataSources
        The "Data and provenance" section (every token with prices).
    cross_check : pandas.DataFrame
        The two CCAF download formats compared (empty when only one was downloaded).
    mining_months : tuple of str
        First and last month of the CCAF mining map (``YYYY-MM``).
    files, megabytes : int, float
        Raw files imported (all verified) and their size.
    written : list of str
        The processed tables written.
    tokens : list of str
        The token selection (the ``tokens`` parameter).
    source_priority : list of str
        Which source serves a day when several could.
    cutoff_hour_utc : int
        The day-0 cutoff.
    price_checks : pandas.DataFrame
        Findings of the price plausibility rules that the parameters allow (:mod:`chinabrief.data.price_checks`).
    ignored : pandas.DataFrame
        Files in the snapshot that ingestion did not import (not listed in its ``SHA256SUMS``).
    groups : pandas.DataFrame
        Every snapshot token's final group (``universe_groups.csv``, :mod:`chinabrief.data.universe`).
    rule : ControlRule or None
        The control rule the groups were made with.
    index : pandas.DataFrame
        The control group's market index (``market_index.parquet``).
    close_hours : pandas.DataFrame
        Each daily source's measured close hour (``source_close_hours.csv``).
    """

    daily: pd.DataFrame
    hourly: pd.DataFrame
    unattributed: pd.DataFrame
    events: pd.DataFrame
    sources: DataSources
    cross_check: pd.DataFrame
    mining_months: tuple[str, str]
    files: int
    megabytes: float
    written: list[str]
    tokens: list[str]
    source_priority: list[str]
    cutoff_hour_utc: int
    price_checks: pd.DataFrame = field(default_factory=pd.DataFrame)
    ignored: pd.DataFrame = field(default_factory=pd.DataFrame)
    groups: pd.DataFrame = field(default_factory=universe.empty_groups)
    rule: universe.ControlRule | None = None
    index: pd.DataFrame = field(default_factory=market_index.empty)
    close_hours: pd.DataFrame = field(default_factory=close_hour_rules.empty)

    @property
    def control(self) -> list[str]:
        """The control tokens."""
        return self.groups.loc[self.groups["group"].eq("control"), "token"].tolist()

    @property
    def study_start(self) -> pd.Timestamp:
        """The first day the briefs look at (a year before the first event, start of its month)."""
        return self.sources.since

    @property
    def last_day(self) -> pd.Timestamp:
        """The latest day of the daily prices."""
        return self.daily["last_day"].max()


# --------------------------------------------------------------------------- computing


def daily_coverage(prices_daily: pd.DataFrame, gaps: pd.DataFrame) -> pd.DataFrame:
    """Per token: the sources of the chosen daily series, its first and last day, days, days missing.

    Examples
    --------
    >>> daily = pd.DataFrame({"token": ["A"] * 3, "date": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-04"]),
    ...                       "source": ["x", "x", "y"]})
    >>> gaps = pd.DataFrame({"token": ["A"], "days_missing": [1]})
    >>> daily_coverage(daily, gaps).iloc[0].to_dict()["sources"], int(daily_coverage(daily, gaps)["days_missing"][0])
    ('x, y', 1)
    """
    ordered = prices_daily.sort_values(["token", "date"])
    out = (
        ordered.groupby("token")
        .agg(
            sources=("source", lambda s: ", ".join(dict.fromkeys(s))),
            first_day=("date", "min"),
            last_day=("date", "max"),
            days=("date", "size"),
        )
        .reset_index()
    )
    missing = gaps.groupby("token")["days_missing"].sum()
    out["days_missing"] = out["token"].map(missing).fillna(0).astype("int64")
    return out


def hourly_coverage(prices_hourly: pd.DataFrame, tokens: list[str]) -> pd.DataFrame:
    """Per token of ``tokens``: the source, first and last hour and number of hourly closes."""
    got = prices_hourly.groupby("token").agg(
        source=("source", lambda s: ", ".join(dict.fromkeys(s))),
        first_hour=("timestamp", "min"),
        last_hour=("timestamp", "max"),
        hours=("timestamp", "size"),
    )
    out = got.reindex(tokens).rename_axis("token").reset_index()
    out["hours"] = out["hours"].fillna(0).astype("int64")
    out["source"] = out["source"].fillna("none")
    return out


def unattributed_use(prices_daily: pd.DataFrame, since: pd.Timestamp) -> pd.DataFrame:
    """Tokens whose chosen daily series uses the unattributed source on or after ``since``.

    Examples
    --------
    >>> daily = pd.DataFrame({"token": ["A", "A", "B", "B"], "date": pd.to_datetime(["2025-01-01", "2025-01-02"] * 2),
    ...                       "source": ["unattributed"] * 2 + ["spot", "unattributed"]})
    >>> unattributed_use(daily, pd.Timestamp("2025-01-01"))[["token", "days", "only_source"]].values.tolist()
    [['A', 2, True], ['B', 1, False]]
    """
    study = prices_daily[prices_daily["date"] >= since]
    used = study[study["source"].eq(UNATTRIBUTED)]
    out = used.groupby("token").agg(days=("date", "size"), first_day=("date", "min")).reset_index()
    others = set(study.loc[study["source"].ne(UNATTRIBUTED), "token"])
    out["only_source"] = ~out["token"].isin(others)
    return out.sort_values(["only_source", "token"], ascending=[False, True]).reset_index(drop=True)


def compute(
    prepared: Prepared, written: list[str], *, tokens: list[str], source_priority: list[str], cutoff_hour_utc: int
) -> DataQuality:
    """Everything the data-quality brief shows, from the processed tables.

    Parameters
    ----------
    prepared : Prepared
        From :func:`chinabrief.data.prepare.prepare`.
    written : list of str
        From :func:`chinabrief.data.prepare.write` (the tables written).
    tokens, source_priority, cutoff_hour_utc
        The stage's parameters, shown beside the numbers.

    Returns
    -------
    DataQuality
    """
    tables = {
        "source_choice": prepared.source_choice,
        "price_source_agreement": prepared.agreement,
        "price_gaps": prepared.gaps,
        "events": prepared.events,
    }
    sources = data_sources.from_tables(prepared.manifest, tables)
    daily = daily_coverage(prepared.prices_daily, prepared.gaps)
    groups = prepared.universe_groups if prepared.universe_groups is not None else universe.empty_groups()
    control = set(groups.loc[groups["group"].eq("control"), "token"])
    months = sorted(f"{d:%Y-%m}" for d in prepared.mining_countries["date"].unique())
    events = (
        prepared.events[["event_id", "date", "time_utc", "day0", "day0_shifted", "category", "label", "verified"]]
        .sort_values(["date", "event_id"])
        .reset_index(drop=True)
    )
    return DataQuality(
        daily=daily,
        hourly=hourly_coverage(prepared.prices_hourly, [t for t in daily["token"] if t not in control]),
        unattributed=unattributed_use(prepared.prices_daily, sources.since),
        events=events,
        sources=sources,
        cross_check=prepared.mining_cross_check,
        mining_months=(months[0], months[-1]) if months else ("–", "–"),
        files=len(prepared.manifest),
        megabytes=float(prepared.manifest["bytes"].sum()) / 1e6 if len(prepared.manifest) else 0.0,
        written=list(written),
        tokens=list(tokens),
        source_priority=list(source_priority),
        cutoff_hour_utc=int(cutoff_hour_utc),
        price_checks=prepared.price_checks if prepared.price_checks is not None else pd.DataFrame(),
        ignored=prepared.ignored if prepared.ignored is not None else pd.DataFrame(),
        groups=groups,
        rule=_rule(prepared.parameters),
        index=prepared.market_index if prepared.market_index is not None else market_index.empty(),
        close_hours=(
            prepared.source_close_hours if prepared.source_close_hours is not None else close_hour_rules.empty()
        ),
    )


def _rule(parameters: dict | None) -> universe.ControlRule | None:
    """The control rule of the stage's parameters (None for tables built by hand)."""
    if not parameters or "estimation_window" not in parameters:
        return None
    return universe.ControlRule(tuple(parameters["estimation_window"]), int(parameters["min_estimation_obs"]))


# --------------------------------------------------------------------------- sentences


def _day(value: pd.Timestamp) -> str:
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def _join(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``.

    Examples
    --------
    >>> _join(["A"]), _join(["A", "B"]), _join(["A", "B", "C"])
    ('A', 'A and B', 'A, B and C')
    """
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,d} {word if n == 1 else plural or word + 's'}"


#: Longest list of tokens a sentence names; longer ones are counted.
MAX_NAMED = 8


def _tokens(items: list[str], what: str = "token") -> str:
    """Name a few tokens, count many: ``A, B and C`` or ``189 tokens``."""
    return _join(items) if len(items) <= MAX_NAMED else _plural(len(items), what)


def group_counts(q: DataQuality, tokens: list[str]) -> str:
    """``2 benchmarks, 32 China-linked and 189 control tokens`` for ``tokens`` (by their final group)."""
    group = q.groups.set_index("token")["group"] if not q.groups.empty else pd.Series(dtype=str)
    counts = pd.Series([group.get(t, "other") for t in tokens]).value_counts()
    names = {
        "benchmark": ("benchmark", "benchmarks"),
        "china_linked": ("China-linked", "China-linked"),
        "control": ("control", "control"),
        "excluded": ("excluded", "excluded"),
        "other": ("other", "other"),
    }
    parts = [f"{counts[g]:,d} {names[g][0] if counts[g] == 1 else names[g][1]}" for g in names if g in counts]
    return _join(parts)


def _gaps_by_token(q: DataQuality) -> pd.DataFrame:
    g = q.sources.gaps
    return (
        g.groupby("token")
        .agg(gaps=("days_missing", "size"), days=("days_missing", "sum"))
        .reset_index()
        .sort_values("token")
    )


def only_unattributed(q: DataQuality) -> list[str]:
    """Tokens the unattributed source alone serves in the study period."""
    u = q.unattributed
    return u.loc[u["only_source"], "token"].tolist()


def headline_text(q: DataQuality) -> str:
    """One-line headline generated from the numbers (plain text)."""
    start = _day(q.study_start)
    lead = (
        f"{_plural(q.files, 'raw file')} verified; daily prices for {_plural(len(q.daily), 'token')} "
        f"to {_day(q.last_day)}"
    )
    alone = only_unattributed(q)
    missing = int(q.sources.gaps["days_missing"].sum())
    parts = []
    if alone:
        parts.append(
            f"{_join(alone)} {'comes' if len(alone) == 1 else 'come'} only from the medium-trust unattributed source"
        )
    if missing:
        owners = _gaps_by_token(q)["token"].tolist()
        parts.append(
            f"{_plural(missing, 'day')} {'is' if missing == 1 else 'are'} missing since {start}"
            + (f", all of them {owners[0]}'s" if len(owners) == 1 else f" ({_join(owners)})")
        )
    else:
        parts.append(f"no day is missing since {start}")
    return f"{lead}. {parts[0][:1].upper()}{parts[0][1:]}" + (f", and {parts[1]}." if len(parts) > 1 else ".")


def findings_text(q: DataQuality) -> list[str]:
    """Key findings, generated from the tables (plain sentences)."""
    start = _day(q.study_start)
    out = []
    u = q.unattributed
    if u.empty:
        out.append(f"Since {start} no token relies on the medium-trust unattributed source.")
    else:
        alone = [f"{r.token} on all {r.days:,d} days it has" for r in u.itertuples() if r.only_source]
        partly = u[~u["only_source"]]
        runs = [
            f"{_join(g['token'].tolist())} on {_plural(int(days), 'day')} from {_day(first)}"
            for (days, first), g in partly.groupby(["days", "first_day"], sort=True)
        ]
        parts = ([f"alone (no other source covers it), {_join(alone)}"] if alone else []) + (
            [f"beside other sources, {'; '.join(runs)}"] if runs else []
        )
        out.append(
            f"Since {start}, {len(u)} of {len(q.daily)} tokens rely on the medium-trust unattributed "
            f"source: {'; '.join(parts)}."
        )
    gaps = _gaps_by_token(q)
    if gaps.empty:
        out.append(f"No token misses a day since {start}.")
    else:
        g = q.sources.gaps.sort_values(["days_missing", "gap_start"], ascending=[False, True]).iloc[0]
        per = [
            f"{r.token} misses {_plural(int(r.days), 'day')} in {_plural(int(r.gaps), 'gap')}"
            for r in gaps.itertuples()
        ]
        rest = "every other token has none" if len(gaps) < len(q.daily) else "no token is complete"
        out.append(
            f"Since {start}, {_join(per)} (the longest {_plural(int(g['days_missing']), 'day')}, "
            f"{_day(g['gap_start'])} to {_day(g['gap_end'])}); {rest}."
        )
    ends = q.daily.groupby("last_day")["token"].apply(list).sort_index()
    if len(ends) > 1:
        early = [
            f"{_tokens(tokens)} {'ends' if len(tokens) == 1 else 'end'} on {_day(day)}"
            for day, tokens in ends.iloc[:-1].items()
        ]
        out.append(f"{_join(early)}, before the other {_plural(len(ends.iloc[-1]), 'token')} ({_day(ends.index[-1])}).")
    with_hours = q.hourly[q.hourly["hours"] > 0]
    if len(with_hours):
        none = q.hourly.loc[q.hourly["hours"].eq(0), "token"].tolist()
        out.append(
            f"Hourly closes cover {len(with_hours)} of {len(q.hourly)} tokens, to "
            f"{with_hours['last_hour'].max():%Y-%m-%d %H:%M} UTC"
            + (f"; none for {_tokens(none)}." if none else ".")
            + (f" The {_plural(len(q.control), 'control token')} have daily prices only." if q.control else "")
        )
    check = q.cross_check
    if not check.empty:
        row = check.iloc[0]
        how = (
            "exactly"
            if float(row["max_abs_diff_pct"]) == 0
            else f"within {fmt_number(float(row['max_abs_diff_pct']), '{:.3f}')} percentage points"
        )
        out.append(
            f"The two CCAF download formats agree {how} on {int(row['rows_compared']):,d} country-month "
            f"shares ({_plural(int(row['months_compared']), 'month')})."
        )
    out += [
        f"{_plural(q.files, 'raw file')} ({q.megabytes:,.1f} MB) imported and verified against the snapshot's "
        f"checksums; {_plural(len(q.written), 'processed table')} written, each checked against its schema."
    ]
    return out


def headline(q: DataQuality) -> Markdown:
    """The brief's one-line headline, as Markdown."""
    return Markdown.paragraph(headline_text(q))


def findings(q: DataQuality) -> Markdown:
    """The key findings, as a Markdown list."""
    return Markdown.bullets(findings_text(q))


def facts(q: DataQuality) -> Markdown:
    """What the data covers and the parameters it was prepared with, as a short list."""

    def item(label: str, text: str) -> tuple[str, str]:
        return f"- **{label}:** {md_escape(text)}", f"{label}: {text}"

    first_event, last_event = q.events["date"].min(), q.events["date"].max()
    rows = [
        item(
            "Daily prices",
            (
                f"{len(q.daily)} tokens ({', '.join(q.daily['token'])}), to {_day(q.last_day)}"
                if len(q.daily) <= 2 * MAX_NAMED or q.groups.empty
                else f"{len(q.daily)} tokens ({group_counts(q, q.daily['token'].tolist())}), to {_day(q.last_day)}"
            ),
        ),
        item("Tokens selected", ", ".join(q.tokens)),
        item("Study period", f"from {_day(q.study_start)}, a year before the first event ({_day(first_event)})"),
        item("Events", f"{len(q.events)}, {_day(first_event)} to {_day(last_event)}"),
        item("CCAF mining map", f"{q.mining_months[0]} to {q.mining_months[1]}"),
        item("Source priority", " > ".join(q.source_priority)),
        item("Day-0 cutoff", f"{q.cutoff_hour_utc:02d}:00 UTC"),
    ]
    return Markdown("\n".join(md for md, _ in rows), [plain for _, plain in rows])


def coverage_note(q: DataQuality) -> Markdown:
    """Under the daily coverage table: which tokens end early, and why a series has two sources."""
    switched = q.daily[q.daily["sources"].str.contains(",")]["token"].tolist()
    named = f" ({_join(switched)})" if len(switched) <= MAX_NAMED else ""
    text = (
        f"{_plural(len(switched), 'token')}{named} combine{'s' if len(switched) == 1 else ''} "
        "sources: each day comes from the first source in the priority order that has it."
        if switched
        else "Every token's daily series comes from a single source."
    )
    return Markdown.paragraph(text)


def hourly_note(q: DataQuality) -> Markdown:
    """Under the hourly table: what hourly closes are used for and where they stop."""
    none = q.hourly.loc[q.hourly["hours"].eq(0), "token"].tolist()
    text = (
        "Hourly closes serve the intraday checks (the article's 24-hour claims); a claim dated after "
        "a token's last hour cannot be checked hourly."
    )
    if none:
        text += f" No hourly source covers {_join(none)}."
    return Markdown.paragraph(text)


def agreement_note(q: DataQuality) -> Markdown:
    """The range of median differences between overlapping sources, and the largest single one."""
    a = q.sources.agreement
    if a.empty:
        return Markdown.paragraph("No two sources overlap, so none can be compared.")
    top = a.sort_values("max_abs_diff_pct", ascending=False).iloc[0]
    return Markdown.paragraph(
        f"{_plural(len(a), 'pair')} of overlapping sources; median daily-close differences "
        f"{a['median_abs_diff_pct'].min():.3f}% to {a['median_abs_diff_pct'].max():.3f}%. The largest single "
        f"difference is {top['max_abs_diff_pct']:.2f}% ({top['token']}, {top['source_a']} against {top['source_b']}, "
        f"{_day(top['max_diff_date'])}). Differences are over the whole overlap, which can reach back before the "
        "study period."
    )


def day0_rule(q: DataQuality) -> Markdown:
    """The day-0 rule with this build's cutoff."""
    return Markdown.paragraph(day0_rule_text(q.cutoff_hour_utc))


def events_note(q: DataQuality) -> Markdown:
    """How many events, of which kinds, how many have a time, which move to the next day."""
    e = q.events
    if e.empty:
        return Markdown.paragraph("The catalogue has no events.")
    counts = e["category"].value_counts()
    kinds = _join([f"{n} {cat}" for cat, n in counts.items()])
    timed = e[e["time_utc"].fillna("").astype(str).ne("")]
    shifted = e[e["day0_shifted"].astype(bool)]
    text = (
        f"{_plural(len(e), 'event')} from {_day(e['date'].min())} to {_day(e['date'].max())}: {kinds}. "
        f"{_plural(len(timed), 'event has', 'events have')} a known time (UTC)"
    )
    if len(shifted):
        moved = [f"{r.label} ({_day(r.date)} {r.time_utc} → {_day(r.day0)})" for r in shifted.itertuples()]
        text += (
            f"; {len(shifted)} of them {'was' if len(shifted) == 1 else 'were'} announced at or after "
            f"{q.cutoff_hour_utc:02d}:00 UTC and take the next day as day 0: {'; '.join(moved)}."
        )
    else:
        text += f"; none was announced at or after {q.cutoff_hour_utc:02d}:00 UTC."
    unverified = e[e["verified"].astype(str).str.lower().ne("yes")]
    if len(unverified):
        text += f" Not yet verified against its source: {'; '.join(unverified['label'].astype(str))}."
    return Markdown.paragraph(text)


def checks_note(q: DataQuality) -> Markdown:
    """What the price plausibility rules found, and what the snapshot held that was not imported."""
    checks = q.price_checks
    if checks.empty:
        text = (
            "Every price passed the plausibility rules (positive close; high ≥ open, close ≥ low; no one-day "
            "jump that reverts the next day; sources agree on the same day)."
        )
    else:
        tokens = sorted(set(checks["token"]))
        text = (
            f"{len(checks)} price finding(s) for {', '.join(tokens)} are allowed by the parameters and kept "
            "(listed below and in data/processed/price_checks.csv); any other finding would have stopped the build."
        )
    if not q.ignored.empty:
        text += f" {len(q.ignored)} file(s) in the snapshot are not listed in its SHA256SUMS and were not imported."
    return Markdown.paragraph(text)


# --------------------------------------------------------------------------- universe, index, close hours


def universe_note(q: DataQuality) -> Markdown:
    """The groups' sizes and the control rule with this build's numbers."""
    g = q.groups
    if g.empty:
        return Markdown.paragraph("No universe groups were computed for these tables.")
    counts = g["group"].value_counts()
    text = (
        f"{_plural(len(g), 'token')} are in the snapshot: {_plural(int(counts.get('benchmark', 0)), 'benchmark')}, "
        f"{counts.get('china_linked', 0)} China-linked, {counts.get('control', 0)} in the control group and "
        f"{counts.get('excluded', 0)} excluded."
    )
    if q.rule is not None:
        text += " " + universe.rule_text(q.rule, g, q.events["day0"])
    if not counts.get("control", 0):
        text += " This snapshot has no control tokens, so the market index (MKT_EW, MKT_TW) is not available."
    return Markdown.paragraph(text)


def outcome_reason(outcome: str) -> str:
    """The rule an outcome names, without its numbers (``liquidity``, ``kind meme`` ...)."""
    head = outcome.split(":")[0]
    if head.startswith("excluded by the universe table"):
        reason = outcome.split(":", 1)[1].strip()
        return "China ties unclear" if reason.startswith("China ties unclear") else f"universe table: {reason}"
    return head


def exclusions(q: DataQuality) -> pd.DataFrame:
    """Excluded tokens by reason: how many, and up to eight of them."""
    ex = q.groups[q.groups["group"].eq("excluded")].assign(why=lambda f: f["rule_outcome"].map(outcome_reason))
    out = ex.groupby("why", sort=True).agg(
        tokens=("token", "size"),
        examples=("token", lambda t: ", ".join(list(t)[:MAX_NAMED]) + (" …" if len(t) > MAX_NAMED else "")),
    )
    return out.sort_values("tokens", ascending=False, kind="stable").reset_index().rename(columns={"why": "reason"})


def group_table(q: DataQuality) -> pd.DataFrame:
    """Per final group: tokens, kinds, median history and median turnover."""
    g = q.groups

    def kinds(k: pd.Series) -> str:
        return ", ".join(f"{kind} {n}" for kind, n in k.value_counts().items())

    order = {name: i for i, name in enumerate(universe.FINAL_GROUPS)}
    out = (
        g.groupby("group")
        .agg(
            tokens=("token", "size"),
            kinds=("kind", kinds),
            median_history_days=("history_days", "median"),
            median_turnover_usd=("median_turnover_usd", "median"),
        )
        .reset_index()
    )
    return out.sort_values("group", key=lambda s: s.map(order)).reset_index(drop=True)


def index_note(q: DataQuality) -> Markdown:
    """The market index rule, and how many tokens it holds in the study period."""
    if q.index.empty:
        return Markdown.paragraph(market_index.rule_text() + " This snapshot has no control tokens: no index.")
    ew = q.index[q.index["index"].eq("MKT_EW") & q.index["date"].ge(q.study_start)]
    text = market_index.rule_text()
    if len(ew):
        text += (
            f" Since {_day(q.study_start)} it holds {int(ew['n_tokens'].min())} to {int(ew['n_tokens'].max())} "
            f"tokens a day (median {int(ew['n_tokens'].median())}); its first return is on "
            f"{_day(q.index['date'].min())}."
        )
    return Markdown.paragraph(text)


def close_hours_note(q: DataQuality) -> Markdown:
    """Which sources end their day at UTC midnight and which earlier or later, by how much."""
    summary = close_hour_rules.summary(q.close_hours)
    if summary.empty:
        return Markdown.paragraph("No daily source overlaps the hourly closes, so no close hour could be measured.")
    summary = summary.assign(source=summary["source"].astype(str))
    midnight = summary[
        summary["close_hour_utc"].eq(0)
        & summary["winter_close_hour_utc"].fillna(0).eq(0)
        & summary["summer_close_hour_utc"].fillna(0).eq(0)
    ]
    other = summary.drop(midnight.index)
    parts = []
    if len(midnight):
        parts.append(
            f"The daily source{'' if len(midnight) == 1 else 's'} {_join(midnight['source'].tolist())} "
            f"end{'s' if len(midnight) == 1 else ''} the day at midnight UTC, like the hourly closes "
            "they are measured against"
        )
    for r in other.itertuples():
        hours = sorted({int(h) for h in (r.winter_close_hour_utc, r.summer_close_hour_utc) if pd.notna(h)})
        seasonal = (
            f"{r.winter_close_hour_utc:02.0f}:00 UTC in European winter time and "
            f"{r.summer_close_hour_utc:02.0f}:00 UTC in summer time"
            if len(hours) > 1
            else f"{r.close_hour_utc:02d}:00 UTC"
        )
        parts.append(
            f"{r.source} ends it at {seasonal} (median difference {r.median_abs_diff_pct:.3f}% at that "
            f"hour, {r.midnight_median_abs_diff_pct:.3f}% against midnight UTC)"
        )
    text = "; ".join(parts) + "."
    if len(other):
        text += (
            " A token's day 0 follows its own source's close: an announcement counts for the day whose close "
            f"comes after it, and moves to the next day when it comes less than {24 - q.cutoff_hour_utc} hours "
            "before that close."
        )
    return Markdown.paragraph(text)
