"""One article's claims checked against the data (stage 06's analysis): everything its brief shows.

:func:`compute` reads the article's claims file (``data/articles/<article-id>.yaml``, see
:mod:`chinabrief.data.claims`), the processed prices and mining tables and our compilation of CCAF's
published figures, and returns an :class:`ArticleBrief`: the verdicts with their evidence
(:mod:`chinabrief.analysis.claim_checks`) and what the charts draw. The ``*_text`` / Markdown functions
turn them into sentences. Nothing here names an article, a claim or a date.

The brief's headings and fixed prose live in ``notebooks/06_article_check.ipynb``; its tables and
charts in :mod:`chinabrief.render.claim_tables` and :mod:`chinabrief.render.claim_charts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..config import Paths
from ..data import cbeci, claims, prepare
from ..text import Markdown, md_escape
from .claim_checks import ArticleCheck, ClaimData, Tolerances, check_article

STAGE = "06_article_check"
FIGURES_FILE = "cambridge_published_figures.csv"


@dataclass
class ArticleBrief:
    """What an article brief shows.

    Attributes
    ----------
    check : ArticleCheck
        Verdicts, token rows and measures of every claim.
    data : ClaimData
        The tables the checks read (the charts draw from them).
    sources : dict
        Label → file read, relative to the project root (for the methods section).
    """

    check: ArticleCheck
    data: ClaimData = field(repr=False)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def article(self) -> claims.Article:
        return self.check.article

    @property
    def tolerances(self) -> Tolerances:
        return self.check.tolerances


def articles_folder(P: Paths):
    """``data/articles/``."""
    return P.root / claims.ARTICLES_FOLDER


def load_article(P: Paths, article_id: str) -> claims.Article:
    """The article's claims file, validated against the universe and the price data's span."""
    article = claims.find_article(articles_folder(P), article_id, claims.read_universe(P.universe), P.root)
    claims.check_dates(article, *claims.price_span(P.processed / "prices_daily.parquet"))
    return article


def claim_data(P: Paths, stage: str = STAGE, tables: dict | None = None) -> ClaimData:
    """The processed tables and published figures the checks read."""
    tables = tables if tables is not None else prepare.load(P, stage=stage)
    figures_path = P.reference / FIGURES_FILE
    return ClaimData(
        prices_daily=tables["prices_daily"],
        prices_hourly=tables["prices_hourly"],
        countries=tables.get("mining_countries"),
        figures=cbeci.read_published_figures(figures_path) if figures_path.is_file() else None,
    )


def compute(
    P: Paths,
    *,
    article_id: str,
    claim_rounding_pp: float,
    claim_aggregator_gap_pp: float,
    claim_share_rounding_pp: float,
    claim_misdate_days: int,
) -> ArticleBrief:
    """Check every claim of one article.

    Parameters are the stage's (see ``params.yaml``).

    Returns
    -------
    ArticleBrief

    Raises
    ------
    ClaimsFileError
        When the claims file is missing or breaks a rule.
    MissingInputError
        When stage 02 has not run.
    """
    article = load_article(P, article_id)
    data = claim_data(P)
    tol = Tolerances.from_params(
        claim_rounding_pp, claim_aggregator_gap_pp, claim_share_rounding_pp, claim_misdate_days
    )
    sources = {
        "Claims file": article.source_file,
        "Daily prices (processed)": P.relative(P.processed / "prices_daily.parquet"),
        "Hourly prices (processed)": P.relative(P.processed / "prices_hourly.parquet"),
    }
    if article.mining_claims():
        sources["Mining map (processed)"] = P.relative(P.processed / "mining_countries.csv")
        sources["Published figures (our compilation)"] = P.relative(P.reference / FIGURES_FILE)
    return ArticleBrief(check=check_article(article, data, tol), data=data, sources=sources)


# --------------------------------------------------------------------------- text


def counts_text(check: ArticleCheck) -> str:
    """``4 claims: 1 consistent, 2 misdated, 1 not checkable``."""
    counts = check.counts()
    n = len(check.verdicts)
    return f"{n} claim{'s' if n != 1 else ''}: " + ", ".join(f"{k} {v}" for v, k in counts.items())


def title(r: ArticleBrief) -> Markdown:
    """The brief's title: the article's own (level-1 heading)."""
    return Markdown(f"# Fact check: {md_escape(r.article.article.title)}", [r.article.article.title])


def headline(r: ArticleBrief) -> Markdown:
    """The verdict counts (the index card shows them)."""
    return Markdown.paragraph(counts_text(r.check) + ".")


def findings(r: ArticleBrief) -> Markdown:
    """One line per claim: its first words, the figure it claims and its verdict."""
    return Markdown.bullets(
        f"{_short(row['claim'], 8)} ({row['claimed']}): {row['verdict']}." for _, row in r.check.verdicts.iterrows()
    )


def _short(text: str, words: int = 12) -> str:
    parts = str(text).split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def metadata(r: ArticleBrief) -> Markdown:
    """The article: outlet, date, link (http(s) only), and where its claims file is."""
    a = r.article.article
    published = a.published.isoformat() if hasattr(a.published, "isoformat") else str(a.published)
    url = str(a.url)
    link = (
        f"[{md_escape(url)}](<{url.replace('>', '%3E').replace(' ', '%20')}>)"
        if url.lower().startswith(("https://", "http://"))
        else md_escape(url)
    )
    lines = [
        f"- Outlet: {md_escape(a.outlet)}",
        f"- Published: {md_escape(published)}",
        f"- Link: {link}",
        f"- Claims file: `{r.article.source_file.replace('`', '')}`",
    ]
    return Markdown("\n".join(lines), [a.outlet, published, url, r.article.source_file])


def tolerances_text(r: ArticleBrief) -> Markdown:
    """The tolerances the verdicts used (parameters of ``params.yaml``)."""
    t = r.tolerances
    return Markdown.bullets(
        [
            f"Rounding: a price change within {t.rounding_pp:g} percentage points of the claimed range counts "
            "(claim_rounding_pp).",
            f"Aggregator gap: a rolling-24h claim set beside a UTC-day close-to-close change (no hourly closes) gets "
            f"{t.aggregator_gap_pp:g} pp more (claim_aggregator_gap_pp): an aggregator's 24 hours end at another hour.",
            f"Mining shares: within {t.share_rounding_pp:g} pp of the claimed share (claim_share_rounding_pp).",
            f"Misdated price claims: the UTC days up to {t.misdate_days} day(s) either side of the claim's day are "
            "searched (claim_misdate_days).",
        ]
    )


def not_checkable_note(r: ArticleBrief) -> Markdown:
    """Which claims the data cannot judge, and why (empty paragraph if none)."""
    rows = r.check.tokens[r.check.tokens["verdict"].eq("not checkable")]
    parts = [f"{row['claim_id']} ({row['token']}): {row['reason']}" for _, row in rows.iterrows()]
    whole = r.check.verdicts[
        r.check.verdicts["verdict"].eq("not checkable") & ~r.check.verdicts["kind"].isin(claims.PRICE_KINDS)
    ]
    parts += [f"{row['claim_id']}: {row['data_says']}" for _, row in whole.iterrows()]
    if not parts:
        return Markdown.paragraph("The data can judge every claim of this article.")
    return Markdown.paragraph("Not checkable: " + "; ".join(parts) + ".")


def price_claim_ids(r: ArticleBrief) -> list[str]:
    """The price claims that have at least one measured change (each gets a chart)."""
    m = r.check.measures
    return [c.id for c in r.article.price_claims() if not m[m["claim_id"].eq(c.id)].empty]


def mining_claim_ids(r: ArticleBrief) -> list[str]:
    """The mining claims whose country is on the mining map (each gets a chart)."""
    from .claim_checks import resolve_country

    out = []
    countries = r.data.countries
    for c in r.article.mining_claims():
        if (
            countries is not None
            and not countries.empty
            and resolve_country(str(c.country), countries, r.data.figures)[0]
        ):
            out.append(c.id)
    return out


def coverage_text(r: ArticleBrief) -> Markdown:
    """What the price data covers for the claimed tokens: daily and hourly spans."""
    tokens = sorted({t for c in r.article.price_claims() for t in [*c.tokens, *([c.benchmark] if c.benchmark else [])]})
    if not tokens:
        return Markdown.paragraph("This article makes no price claim.")
    parts = []
    daily = r.data.prices_daily if r.data.prices_daily is not None else pd.DataFrame(columns=["token", "date"])
    hourly = r.data.prices_hourly if r.data.prices_hourly is not None else pd.DataFrame(columns=["token", "timestamp"])
    for token in tokens:
        d = daily[daily["token"].eq(token)]
        h = hourly[hourly["token"].eq(token)]
        text = (
            f"{token}: daily {d['date'].min():%Y-%m-%d} to {d['date'].max():%Y-%m-%d}"
            if not d.empty
            else f"{token}: no daily prices"
        )
        text += f", hourly to {h['timestamp'].max():%Y-%m-%d %H:%M} UTC" if not h.empty else ", no hourly closes"
        parts.append(text)
    return Markdown.paragraph("Price data for the claimed tokens: " + "; ".join(parts) + ".")


def claim_of(r: ArticleBrief, claim_id: str) -> claims.Claim:
    """The claim ``claim_id`` of the article."""
    return next(c for c in r.article.claims if c.id == claim_id)


def sources_text(r: ArticleBrief) -> Markdown:
    """The files the brief read."""
    return Markdown.bullets(f"{k}: {v}" for k, v in r.sources.items())
