"""Token reactions to US–China trade news (stage 03's analysis): everything the brief shows.

:func:`compute` runs the event study over the whole catalogue (:mod:`chinabrief.analysis.token_event_study`),
checks the seed article's 24-hour price claims, and measures the intraday reactions to the events
with a known time; :func:`write` stores the event-study tables. The ``*_text`` / Markdown
functions turn the numbers into sentences. Nothing here names a token, an event or a date: they
all come from the parameters and the data.

The brief's headings and fixed prose live in ``notebooks/03_token_reactions.ipynb``; its
tables and charts in :mod:`chinabrief.render.token_tables` and :mod:`chinabrief.render.token_charts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..config import Paths
from ..data import claims, close_hours, prepare, universe
from ..exceptions import ParameterError
from ..text import Markdown, fmt_number, window_label
from . import china_premium, price_reactions, token_event_study
from .claim_checks import ClaimData, Tolerances, check_claims
from .eventstudy import EventStudyResult

STAGE = "03_token_reactions"
MODEL_NAMES = {"market_model": "market model", "market_adjusted": "market-adjusted", "constant_mean": "constant mean"}
TEST_NAMES = {
    "cross_sectional_t": "t",
    "patell_z": "Patell",
    "bmp": "BMP",
    "bmp_kp": "BMP-KP",
    "corrado_rank": "rank",
    "generalized_sign": "sign",
}
HEADLINE_SCOPES = ["escalation", "de-escalation", "talks & agreements"]


@dataclass
class TokenReactions:
    """What the token-reactions brief shows.

    Attributes
    ----------
    tokens : list of str
        Tokens studied (the ``tokens`` parameter, plus the extended group when asked for).
    benchmark : str
        The market benchmark.
    settings : dict
        The event-study parameters (estimation window, minimum observations, cutoff hour, ...).
    catalogue : pandas.DataFrame
        The events catalogue with day 0.
    result : EventStudyResult
        The event study (every model and window).
    categories : pandas.DataFrame
        CAAR[−1,+1] with every test, by category (percent).
    matrix : pandas.DataFrame
        Event × token CAR[−1,+1] (percent) for the heatmap.
    strongest : pandas.DataFrame
        The token-events with the largest |t|.
    highlights : list of str
        Event ids shown up close (the ``highlight_events`` parameter).
    intraday : pandas.DataFrame
        Hourly abnormal returns after each focus event with a known time (event, token, horizon_h, ar).
    claims : pandas.DataFrame
        The ``claims_article``'s price claims beside the data, with verdicts (:func:`claims_check`).
    changes : pandas.DataFrame
        The claim day measured several ways (token, measure, pct_change, source).
    claim_day : pandas.Timestamp or None
        The day the article's first price claim refers to (from the claims file).
    article : Article
        The claims file checked.
    tolerances : Tolerances
        The claim tolerances (parameters).
    prices_daily, prices_hourly, source_choice : pandas.DataFrame
        The processed tables the views need.
    """

    tokens: list[str]
    benchmark: str
    settings: dict
    catalogue: pd.DataFrame
    result: EventStudyResult
    categories: pd.DataFrame
    matrix: pd.DataFrame
    strongest: pd.DataFrame
    highlights: list[str]
    intraday: pd.DataFrame
    claims: pd.DataFrame
    changes: pd.DataFrame
    claim_day: pd.Timestamp | None
    article: claims.Article | None = field(default=None, repr=False)
    tolerances: Tolerances = field(default_factory=Tolerances)
    prices_daily: pd.DataFrame = field(default=None, repr=False)
    prices_hourly: pd.DataFrame = field(default=None, repr=False)
    source_choice: pd.DataFrame = field(default=None, repr=False)
    #: The stage parameters as given (recorded beside the tables, see :mod:`chinabrief.provenance`).
    parameters: dict = field(default_factory=dict)
    #: The processed tables the study read (the data section reuses them instead of reading again).
    tables: dict = field(default_factory=dict, repr=False)
    #: Is it China, or just crypto? (None when the data hold no control group, e.g. snapshot v1.)
    premium: china_premium.ChinaPremium | None = None
    #: Why there is no premium, when there is none.
    premium_missing: str = ""

    @property
    def data_tokens(self) -> list[str]:
        """The tokens the data section shows: those studied and the benchmark."""
        return list(self.tokens) + [self.benchmark]


# --------------------------------------------------------------------------- inputs


def studied_tokens(P: Paths, tokens: list[str], include_extended: bool) -> list[str]:
    """The tokens parameter, plus the China-linked 'extended' tier of ``data/universe.csv`` when asked for."""
    tokens = list(dict.fromkeys(tokens))
    if include_extended:
        table = universe.load(P.universe)
        tokens += [s for s in universe.symbols(table, "china_linked", "extended") if s not in tokens]
    return tokens


def claims_check(article: claims.Article, tables: dict, tol: Tolerances) -> pd.DataFrame:
    """The article's ``price_change`` claims token by token, checked by :mod:`chinabrief.analysis.claim_checks`.

    Returns
    -------
    pandas.DataFrame
        claim_id, token, claim, claimed_low, claimed_high, data_pct, measure, fits, source, verdict, reason.
    """
    price = [c for c in article.claims if c.kind == "price_change"]
    data = ClaimData(prices_daily=tables["prices_daily"], prices_hourly=tables["prices_hourly"])
    _, rows, _ = check_claims(price, data, tol)
    text = {c.id: c.text for c in price}
    return rows.assign(claim=rows["claim_id"].map(text))[CLAIM_COLUMNS]


CLAIM_COLUMNS = [
    "claim_id",
    "token",
    "claim",
    "claimed_low",
    "claimed_high",
    "data_pct",
    "measure",
    "fits",
    "source",
    "verdict",
    "reason",
]


def intraday_table(
    catalogue: pd.DataFrame, prices_hourly: pd.DataFrame, tokens: list[str], benchmark: str, event_ids: list[str]
) -> pd.DataFrame:
    """Hourly abnormal returns after each of ``event_ids`` that has a known UTC time.

    Returns
    -------
    pandas.DataFrame
        event_id, label, announced (timestamp), token, horizon_h, ar (fraction).
    """
    timed = catalogue[catalogue["time_utc"].notna() & catalogue["event_id"].isin(event_ids)]
    parts = []
    for _, ev in timed.iterrows():
        when = ev["date"] + pd.to_timedelta(f"{ev['time_utc']}:00")
        part = price_reactions.intraday_reaction(prices_hourly, tokens, benchmark, when)
        if not part.empty:
            parts.append(part.assign(event_id=ev["event_id"], label=ev["label"], announced=when))
    columns = ["event_id", "label", "announced", "token", "horizon_h", "ar"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def compute(
    P: Paths,
    *,
    tokens,
    include_extended,
    benchmark,
    estimation_window,
    min_estimation_obs,
    event_windows,
    models,
    exclude_event_days,
    focus_events,
    cutoff_hour_utc,
    highlight_events,
    claims_article,
    claim_rounding_pp,
    claim_aggregator_gap_pp,
    claim_share_rounding_pp,
    claim_misdate_days,
    premium_benchmark="MKT_EW",
    premium_placebo_draws=2000,
    premium_seed=20250409,
    premium_block_min_shift=10,
    premium_min_tokens=3,
    robustness_benchmarks=("MKT_EW", "BTC", "ETH"),
    robustness_models=("market_model", "market_adjusted"),
    robustness_windows=((0, 0), (-1, 1), (0, 3)),
    robustness_cutoff_hours=(18, 20, 22),
    robustness_estimation_days=(60, 110, 250),
    robustness_exclusions=("day0", "window", "none"),
) -> TokenReactions:
    """Run the event study, the China premium and every view of the token-reactions brief.

    Parameters are the stage's (see ``params.yaml``).

    Returns
    -------
    TokenReactions

    Raises
    ------
    MissingInputError
        When stage 02 has not run.
    ParameterError
        When a highlighted event is not in the catalogue.
    """
    tables = prepare.load(P, stage=STAGE)
    tokens_given = list(tokens)
    tokens = studied_tokens(P, tokens, include_extended)
    catalogue = tables["events"]
    unknown = [e for e in highlight_events if e not in set(catalogue["event_id"])]
    if unknown:
        raise ParameterError(f"highlight_events: not in the events catalogue ({P.relative(P.events)}): {unknown}")
    settings = dict(
        estimation_window=list(estimation_window),
        min_estimation_obs=min_estimation_obs,
        exclude_event_days=exclude_event_days,
        cutoff_hour_utc=cutoff_hour_utc,
        models=list(models),
        event_windows=[list(w) for w in event_windows],
    )
    result = token_event_study.run(
        tables,
        tokens=tokens,
        benchmark=benchmark,
        models=models,
        estimation_window=estimation_window,
        min_estimation_obs=min_estimation_obs,
        event_windows=event_windows,
        exclude_event_days=exclude_event_days,
        cutoff_hour_utc=cutoff_hour_utc,
    )
    article = claims.find_article(
        P.root / claims.ARTICLES_FOLDER, claims_article, claims.read_universe(P.universe), P.root
    )
    tol = Tolerances.from_params(
        claim_rounding_pp, claim_aggregator_gap_pp, claim_share_rounding_pp, claim_misdate_days
    )
    checked = claims_check(article, tables, tol)
    price_claims = [c for c in article.claims if c.kind == "price_change"]
    claim_day = pd.Timestamp(price_claims[0].as_of_day) if price_claims else None
    if claim_day is not None:
        claimed = list(
            dict.fromkeys(t for c in price_claims if pd.Timestamp(c.as_of_day) == claim_day for t in c.tokens)
        )
        changes = price_reactions.change_24h(tables["prices_daily"], tables["prices_hourly"], claimed, claim_day)
    else:
        changes = pd.DataFrame(columns=["token", "measure", "pct_change", "source"])
    premium_settings = {
        "premium_benchmark": premium_benchmark,
        "premium_placebo_draws": premium_placebo_draws,
        "premium_seed": premium_seed,
        "premium_block_min_shift": premium_block_min_shift,
        "premium_min_tokens": premium_min_tokens,
        "robustness_benchmarks": list(robustness_benchmarks),
        "robustness_models": list(robustness_models),
        "robustness_windows": [list(w) for w in robustness_windows],
        "robustness_cutoff_hours": list(robustness_cutoff_hours),
        "robustness_estimation_days": list(robustness_estimation_days),
        "robustness_exclusions": list(robustness_exclusions),
    }
    premium, premium_missing = None, ""
    groups = china_premium.load_groups(P)
    if groups is None:
        premium_missing = (
            f"{P.relative(china_premium.groups_path(P))} is missing: the data hold no control group "
            "(snapshot v1 has none; the universe of snapshot v2 does)."
        )
    else:
        try:
            premium = china_premium.compute(
                tables,
                groups,
                benchmark=premium_benchmark,
                models=models,
                event_windows=event_windows,
                estimation_window=estimation_window,
                min_estimation_obs=min_estimation_obs,
                exclude_event_days=exclude_event_days,
                cutoff_hour_utc=cutoff_hour_utc,
                placebo_draws=premium_placebo_draws,
                seed=premium_seed,
                block_min_shift=premium_block_min_shift,
                min_tokens=premium_min_tokens,
                grid={
                    "benchmarks": list(robustness_benchmarks),
                    "models": list(robustness_models),
                    "windows": [list(w) for w in robustness_windows],
                    "cutoff_hours": list(robustness_cutoff_hours),
                    "estimation_days": list(robustness_estimation_days),
                    "exclusions": list(robustness_exclusions),
                },
            )
        except china_premium.NoControlGroup as exc:
            premium_missing = str(exc)
    return TokenReactions(
        premium=premium,
        premium_missing=premium_missing,
        tokens=tokens,
        benchmark=benchmark,
        settings=settings,
        catalogue=catalogue,
        result=result,
        categories=token_event_study.category_table(result),
        matrix=token_event_study.car_matrix(result, catalogue, tokens),
        strongest=token_event_study.strongest(result, catalogue),
        highlights=list(highlight_events),
        intraday=intraday_table(catalogue, tables["prices_hourly"], tokens, benchmark, list(focus_events)),
        claims=checked,
        changes=changes,
        claim_day=claim_day,
        article=article,
        tolerances=tol,
        prices_daily=tables["prices_daily"],
        prices_hourly=tables["prices_hourly"],
        source_choice=tables["source_choice"],
        tables=tables,
        parameters={
            "tokens": list(tokens_given),
            "include_extended": include_extended,
            "benchmark": benchmark,
            "estimation_window": list(estimation_window),
            "min_estimation_obs": min_estimation_obs,
            "event_windows": [list(w) for w in event_windows],
            "models": list(models),
            "exclude_event_days": exclude_event_days,
            "focus_events": list(focus_events),
            "cutoff_hour_utc": cutoff_hour_utc,
            "highlight_events": list(highlight_events),
            "claims_article": claims_article,
            "claim_rounding_pp": claim_rounding_pp,
            "claim_aggregator_gap_pp": claim_aggregator_gap_pp,
            "claim_share_rounding_pp": claim_share_rounding_pp,
            "claim_misdate_days": claim_misdate_days,
            **premium_settings,
        },
    )


def write(P: Paths, r: TokenReactions) -> list[str]:
    """Write the event-study tables (and the China premium's) to ``data/processed/event_study/``; return their paths."""
    extra = china_premium.products(r.premium) if r.premium is not None else {}
    return token_event_study.write(P, r.result, made_from=r.parameters, extra=extra)


# --------------------------------------------------------------------------- facts for the text


def catalogue_span(catalogue: pd.DataFrame) -> str:
    """The catalogue's months, e.g. 'Jan–Nov 2025'."""
    first, last = catalogue["date"].min(), catalogue["date"].max()
    if first.year == last.year:
        return f"{first:%b}–{last:%b %Y}" if first.month != last.month else f"{last:%b %Y}"
    return f"{first:%b %Y}–{last:%b %Y}"


def hourly_coverage(prices_hourly: pd.DataFrame, tokens: list[str]) -> pd.DataFrame:
    """Which tokens have hourly closes, from when to when (token, first, last, source)."""
    part = prices_hourly[prices_hourly["token"].isin(tokens)]
    if part.empty:
        return pd.DataFrame(columns=["token", "first", "last", "source"])
    out = (
        part.groupby("token")
        .agg(first=("timestamp", "min"), last=("timestamp", "max"), source=("source", "first"))
        .reset_index()
    )
    return out.set_index("token").reindex([t for t in tokens if t in set(out["token"])]).reset_index()


def sources_in_study(source_choice: pd.DataFrame, tokens: list[str], since: pd.Timestamp) -> dict[str, dict[str, int]]:
    """Source → {token: days it serves that token since ``since``} (the study period), in token order.

    Examples
    --------
    >>> choice = pd.DataFrame({"token": ["A", "A"], "source": ["spot", "other"],
    ...                        "start": pd.to_datetime(["2020-01-01", "2024-01-11"]),
    ...                        "end": pd.to_datetime(["2024-01-10", "2024-01-20"])})
    >>> sources_in_study(choice, ["A"], pd.Timestamp("2024-01-01"))
    {'spot': {'A': 10}, 'other': {'A': 10}}
    """
    out: dict[str, dict[str, int]] = {}
    part = source_choice[source_choice["token"].isin(tokens) & (source_choice["end"] >= since)]
    for token in tokens:
        for _, seg in part[part["token"].eq(token)].iterrows():
            days = int((seg["end"] - max(seg["start"], since)).days) + 1
            out.setdefault(seg["source"], {})
            out[seg["source"]][token] = out[seg["source"]].get(token, 0) + days
    return out


def _pct(value: float, digits: int = 2) -> str:
    return fmt_number(value, f"{{:+.{digits}f}}%")


def headline_text(r: TokenReactions) -> str:
    """One-line headline: the China premium when measured (is it China, or just crypto?), else the CAAR."""
    if r.premium is not None:
        return china_premium.headline_text(r.premium)
    cats = r.categories.set_index("scope")
    if "escalation" not in cats.index:
        return f"The event study of {len(r.tokens)} tokens against {r.benchmark} over {len(r.catalogue)} events."
    esc = _pct(cats.loc["escalation", "caar"], 1)
    if (r.categories["bmp_kp"] >= 0.05).all():
        return (
            f"Escalations came with an average CAR[−1,+1] of {esc} for the tokens studied versus {r.benchmark}; "
            "allowing for the tokens' shared event dates, no category's reaction is significant at 5%."
        )
    return (
        f"Escalations came with an average CAR[−1,+1] of {esc} versus {r.benchmark}; see the tests for which "
        "reactions survive the cross-correlation adjustment."
    )


def findings_text(r: TokenReactions) -> list[str]:
    """Key findings as plain sentences generated from the tables."""
    out = china_premium.findings_text(r.premium)[:2] if r.premium is not None else []
    for _, row in r.categories[r.categories["scope"].isin(HEADLINE_SCOPES)].iterrows():
        out.append(
            f"{row['scope'].capitalize()} ({int(row['n_events'])} events, {int(row['n_tokens'])} token-events): "
            f"average CAR[−1,+1] {_pct(row['caar'])} versus {r.benchmark} "
            f"(95% CI {fmt_number(row['ci_low'], '{:+.2f}')} to {fmt_number(row['ci_high'], '{:+.2f}')}); "
            f"p = {row['cross_sectional_t']:.3f} by the cross-sectional t, {row['bmp_kp']:.3f} once "
            "cross-correlation is allowed for (BMP + Kolari–Pynnönen)."
        )
    if not r.claims.empty and r.claim_day is not None:
        ok = int(r.claims["verdict"].eq("consistent").sum())
        out.append(
            f"The article's price moves for {r.claim_day:%A %Y-%m-%d}: {ok} of {len(r.claims)} token claims are "
            "consistent with the data (within the stated tolerances)."
        )
    if len(r.result.exclusions):
        out.append(
            f"{len(r.result.exclusions)} token-event-model combinations were excluded for lack of data "
            "(listed under Methods)."
        )
    return out


def premium_findings(r: TokenReactions) -> Markdown:
    """The China premium by category in sentences (or why it was not measured)."""
    if r.premium is None:
        return Markdown.paragraph(f"Not measured: {r.premium_missing}")
    p = r.premium
    lead = (
        f"{len(p.china)} China-linked tokens against {len(p.control)} control tokens, versus "
        f"{china_premium.benchmark_words(p.benchmark)}; {len(p.observations)} event days "
        f"({int(p.members['n_merged'].gt(1).sum())} catalogue events fall on "
        f"{int(p.observations['n_merged'].gt(1).sum())} shared days 0 and count once per day)."
    )
    return Markdown.bullets([lead, *china_premium.findings_text(p)])


def headline(r: TokenReactions) -> Markdown:
    """The brief's headline, as Markdown."""
    return Markdown.paragraph(headline_text(r))


def findings(r: TokenReactions) -> Markdown:
    """The key findings, as a Markdown list."""
    return Markdown.bullets(findings_text(r))


def study_facts(r: TokenReactions) -> Markdown:
    """What was studied: data end, tokens, benchmark, events, model, day-0 rule."""
    s = r.settings
    cutoff = s["cutoff_hour_utc"]
    return Markdown.bullets(
        [
            f"Data as of {r.prices_daily['date'].max():%Y-%m-%d}; tokens {', '.join(r.tokens)}; benchmark {r.benchmark}.",
            f"Events: {len(r.catalogue)} US–China trade events, {catalogue_span(r.catalogue)}.",
            f"Model shown: {MODEL_NAMES[token_event_study.HEADLINE_MODEL]}, estimation window "
            f"{window_label(*s['estimation_window'])} days, at least {s['min_estimation_obs']} returns.",
            f"Day 0: announcements at or after {cutoff:02d}:00 UTC move to the next UTC day.",
        ]
    )


def highlight_caption(r: TokenReactions, event_id: str) -> str:
    """How a highlighted event is named in its table: label, day 0, announcement time."""
    ev = r.catalogue.set_index("event_id").loc[event_id]
    when = f", announced {ev['date']:%Y-%m-%d} at about {ev['time_utc']} UTC" if isinstance(ev["time_utc"], str) else ""
    return f"{ev['label']} (day 0 {ev['day0']:%Y-%m-%d}{when})"


def intraday_note(r: TokenReactions) -> Markdown:
    """Which tokens have hourly data, and until when."""
    cov = hourly_coverage(r.prices_hourly, r.tokens)
    without = [t for t in r.tokens if t not in set(cov["token"])]
    if cov.empty:
        return Markdown.paragraph("None of the tokens studied has hourly closes in the data.")
    spans = "; ".join(f"{row['token']} to {row['last']:%Y-%m-%d}" for _, row in cov.iterrows())
    text = f"Hourly closes ({', '.join(sorted(set(cov['source'])))}): {spans}."
    if without:
        text += f" No hourly data for {', '.join(without)}."
    if r.intraday.empty:
        text += " No focus event with a known time falls inside that coverage."
    return Markdown.paragraph(text)


def claims_heading(r: TokenReactions) -> Markdown:
    """What the claims section checks: the article, its claim day and the tolerances (all from the
    claims file and the parameters)."""
    if r.claim_day is None or r.article is None:
        return Markdown.paragraph("The claims file lists no price claim for this brief.")
    t = r.tolerances
    return Markdown.paragraph(
        f"The price claims of {r.article.article.outlet}, {r.article.article.published} "
        f"({r.article.source_file}), for {r.claim_day:%A %Y-%m-%d}. A 24h claim is set beside every 24-hour change "
        f"ending in that day's hours where hourly closes exist (consistent if one is inside the claimed range "
        f"± {t.rounding_pp:g} pp), else beside the UTC-day close-to-close change (± {t.rounding_pp + t.aggregator_gap_pp:g} pp: "
        "an aggregator's rolling 24 hours end at another hour). Every article's full check is its own brief."
    )


def source_caveat(r: TokenReactions, since: pd.Timestamp) -> Markdown:
    """Which tokens rest on less-trusted sources in the study period, and on how many days."""
    by_source = sources_in_study(r.source_choice, r.tokens, since)
    notes = {
        "unattributed": "a medium-trust source of unknown origin, with gaps",
        "bybit_perp": "perpetual futures (Bybit), whose closes differ from spot by a few hundredths of a percent",
    }
    parts = []
    for source, note in notes.items():
        served = by_source.get(source, {})
        if served:
            parts.append(", ".join(f"{t} ({n:,} days)" for t, n in served.items()) + f" from {note}")
    if not parts:
        return Markdown.paragraph("Every token's prices in the study period come from spot markets.")
    return Markdown.paragraph(f"Source mix since {since:%Y-%m-%d}: " + "; ".join(parts) + " (see Data and provenance).")


def out_of_step_note(r: TokenReactions, since: pd.Timestamp) -> Markdown:
    """Which studied tokens' days end at another hour than the benchmark's, and what the day-0 rule did.

    The close hours are measured in stage 02 (``source_close_hours.csv``, :mod:`chinabrief.data.close_hours`);
    the shifts are the event study's (``params.json``: ``day0_shifts``).
    """
    hours = r.tables.get("source_close_hours")
    summary = close_hours.summary(hours) if hours is not None else pd.DataFrame()
    if summary.empty:
        return Markdown.paragraph(
            "The sources' close hours were not measured (no hourly closes overlap the daily "
            "ones); every token's day is taken as the UTC day."
        )
    late = summary[
        summary["close_hour_utc"].ne(0)
        | summary["winter_close_hour_utc"].fillna(0).ne(0)
        | summary["summer_close_hour_utc"].fillna(0).ne(0)
    ]
    by_source = sources_in_study(r.source_choice, r.tokens, since)
    parts = []
    for row in late.itertuples():
        served = by_source.get(row.source, {})
        if not served:
            continue
        seasons = sorted({int(h) for h in (row.winter_close_hour_utc, row.summer_close_hour_utc) if pd.notna(h)})
        when = (
            f"{row.winter_close_hour_utc:02.0f}:00 UTC in European winter time and "
            f"{row.summer_close_hour_utc:02.0f}:00 UTC in summer time"
            if len(seasons) > 1
            else f"{row.close_hour_utc:02d}:00 UTC"
        )
        early = sorted({(24 - h) % 24 for h in seasons} or {(24 - row.close_hour_utc) % 24})
        gap = f"{early[0]}–{early[-1]}" if len(early) > 1 else f"{early[0]}"
        tokens = ", ".join(f"{t} ({n:,} days)" for t, n in served.items())
        parts.append(
            f"the {row.source} source closes its day at {when}, {gap} hours before {r.benchmark}'s "
            f"UTC day; since {since:%Y-%m-%d} it serves {tokens}"
        )
    if not parts:
        return Markdown.paragraph(
            f"Every studied token's daily close is at midnight UTC, in step with {r.benchmark} and with the day-0 rule."
        )
    shifts = r.result.params.get("day0_shifts", [])
    labels = r.catalogue.set_index("event_id")["label"]
    moved = (
        f" With the {r.settings['cutoff_hour_utc']:02d}:00 UTC cutoff, that moves day 0 for "
        + "; ".join(f"{s['token']} on {labels.get(s['event_id'], s['event_id'])} (+{s['days']} day)" for s in shifts)
        + "."
        if shifts
        else f" With the {r.settings['cutoff_hour_utc']:02d}:00 UTC cutoff no event's day 0 moves for them."
    )
    text = (
        "Days out of step: " + "; ".join(parts) + ". Their returns run from close to close of those days, so "
        "they are compared with the benchmark's UTC-day returns a few hours apart. Their day 0 follows their own "
        "close: an announcement counts for the day whose close comes after it." + moved
    )
    return Markdown.paragraph(text)
