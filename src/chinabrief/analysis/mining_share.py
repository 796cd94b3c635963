"""Where Bitcoin is mined (stage 04's analysis): everything the mining brief shows, computed once.

:func:`compute` loads and validates the processed mining tables, our compilation of CCAF's
published figures and the seed article's mining claims, and returns a :class:`MiningShare`:
tables as DataFrames plus the inputs the charts draw. :func:`write` stores the tables in
``data/processed/mining/``. :func:`headline`, :func:`findings` and the ``*_note`` functions turn
the numbers into sentences (Markdown). The brief's headings and fixed prose live in
``notebooks/04_mining_share.ipynb``; its tables and charts in :mod:`chinabrief.render`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from .. import fileio, provenance, publish
from ..config import Paths
from ..data import cbeci, prepare, world_shapes
from ..data import claims as claims_files
from ..text import Markdown, md_escape
from .claim_checks import ClaimData, Tolerances, check_claims

STAGE = "04_mining_share"
FIGURES_FILE = "cambridge_published_figures.csv"
OUTPUT_FOLDER = "mining"
#: Claim kinds this stage checks (``kind`` in the claims file).
SHARE_CLAIM = "mining_share"
RANK_CLAIM = "mining_rank"
SURVEY_METRIC = "share_of_reported_activity"
SURVEY_COVERAGE_METRIC = "surveyed_share_of_network_hashrate"
TOP_N = 5


@dataclass
class MiningInputs:
    """Everything the brief reads, loaded and ready to validate.

    Attributes
    ----------
    countries, provinces, cross_check : pandas.DataFrame
        The processed mining tables.
    figures : pandas.DataFrame
        Our compilation of CCAF's published figures.
    claims : list of Claim
        The mining claims of the ``claims_article`` (see :mod:`chinabrief.data.claims`).
    world : geopandas.GeoDataFrame
        Verified world shapes in the map projection.
    sources : dict
        Label → path relative to the project root (for the methods section).
    """

    countries: pd.DataFrame
    provinces: pd.DataFrame
    cross_check: pd.DataFrame
    figures: pd.DataFrame
    claims: list
    world: gpd.GeoDataFrame
    sources: dict[str, str]
    #: The claim tolerances (only ``share_rounding_pp`` matters here).
    tolerances: Tolerances = field(default_factory=Tolerances)
    #: Every processed table as read (the data section reuses them instead of reading again).
    tables: dict = field(default_factory=dict, repr=False)


@dataclass
class MiningShare:
    """What the mining brief shows.

    Attributes
    ----------
    inputs : MiningInputs
        The validated inputs (the charts draw from them).
    month : str
        ``YYYY-MM``: the month of the ranking table and the single map.
    reference_month : str
        The last month before China's crackdown (the ranking's comparison month).
    tables : dict of str to pandas.DataFrame
        ranking, shares_by_month, provinces, seasonal_swing, published_vs_download,
        survey_vs_map, claims_check (the files :func:`write` stores).
    """

    inputs: MiningInputs
    month: str
    reference_month: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: The stage parameters as given (recorded beside the tables, see :mod:`chinabrief.provenance`).
    parameters: dict = field(default_factory=dict)

    @property
    def countries(self) -> pd.DataFrame:
        return self.inputs.countries

    @property
    def first_month(self) -> str:
        return cbeci.months(self.countries)[0]

    @property
    def last_month(self) -> str:
        return cbeci.months(self.countries)[-1]


# --------------------------------------------------------------------------- loading and checks


def load_inputs(
    P: Paths, claims_article: str, claim_share_rounding_pp: float = Tolerances.share_rounding_pp
) -> MiningInputs:
    """Read the processed mining tables, the reference tables, the claims file of ``claims_article``
    and the verified world shapes."""
    tables = prepare.load(P, stage=STAGE)
    figures_path = P.reference / FIGURES_FILE
    article = claims_files.find_article(P.root / claims_files.ARTICLES_FOLDER, claims_article, root=P.root)
    claims_path = P.root / article.source_file
    return MiningInputs(
        countries=tables["mining_countries"],
        provinces=tables["mining_provinces"],
        cross_check=tables["mining_cross_check"],
        figures=cbeci.read_published_figures(figures_path),
        claims=article.mining_claims(),
        tolerances=Tolerances(share_rounding_pp=claim_share_rounding_pp),
        world=world_shapes.load_world(P.world_shapes),
        sources={
            "Countries (processed)": P.relative(P.processed / "mining_countries.parquet"),
            "Provinces (processed)": P.relative(P.processed / "mining_provinces.parquet"),
            "Published figures (our compilation)": P.relative(figures_path),
            "Article claims": P.relative(claims_path),
            "World shapes": P.relative(P.world_shapes),
        },
        tables=tables,
    )


def validate(inputs: MiningInputs, mining_month: str) -> None:
    """Check the parameter and the tables before anything is drawn.

    Raises
    ------
    InputFormatError
        For a month outside the data, a country without an ISO-3 code, or a milestone month the
        brief needs (the last month before the crackdown) missing from the data.
    """
    cbeci.check_iso3(inputs.countries, "mining_countries")
    cbeci.check_month(inputs.countries, mining_month)
    cbeci.last_month_before(inputs.countries, cbeci.CRACKDOWN_START)


def compute(
    P: Paths, mining_month: str, claims_article: str, claim_share_rounding_pp: float = Tolerances.share_rounding_pp
) -> MiningShare:
    """Load, validate and compute everything the mining brief shows.

    Parameters
    ----------
    P : Paths
        Project paths.
    mining_month : str
        ``YYYY-MM``: the month of the ranking table and the single map.
    claims_article : str
        The article whose mining claims the brief checks (``data/articles/<id>.yaml``).
    claim_share_rounding_pp : float
        Slack around a claimed mining share.

    Returns
    -------
    MiningShare

    Raises
    ------
    InputFormatError
        For a month outside the data or a country without an ISO-3 code.
    MissingInputError
        When stage 02 has not run (names the command to run first).
    """
    inputs = load_inputs(P, claims_article, claim_share_rounding_pp)
    validate(inputs, mining_month)
    result = build(inputs, mining_month)
    result.parameters = {
        "mining_month": mining_month,
        "claims_article": claims_article,
        "claim_share_rounding_pp": claim_share_rounding_pp,
    }
    return result


def build(inputs: MiningInputs, mining_month: str) -> MiningShare:
    """:func:`compute` on inputs already loaded (and validated)."""
    reference = pre_crackdown_month(inputs.countries)
    last = cbeci.months(inputs.countries)[-1]
    ranking = cbeci.ranking(inputs.countries, mining_month, reference)
    shares = cbeci.share_table(inputs.countries)
    tables = {
        "ranking": ranking.assign(month=mining_month),
        "shares_by_month": shares.reset_index()
        .assign(date=lambda f: f["date"].dt.strftime("%Y-%m"))
        .rename(columns={"date": "month"}),
        "provinces": province_comparison(inputs.provinces, inputs.countries),
        "seasonal_swing": cbeci.seasonal_swing(inputs.provinces),
        "published_vs_download": cbeci.published_vs_download(inputs.countries, inputs.figures),
        "survey_vs_map": cbeci.survey_vs_map(inputs.countries, inputs.figures, last).assign(map_month=last),
        "claims_check": claims_check(inputs),
    }
    return MiningShare(inputs=inputs, month=mining_month, reference_month=reference, tables=tables)


def write(P: Paths, result: MiningShare) -> list[str]:
    """Write each table to ``data/processed/mining/<name>.csv`` and what they were made from, as one
    set (see :mod:`chinabrief.publish` and :mod:`chinabrief.provenance`); return relative paths."""
    written = []
    with publish.writing(P, P.processed, "mining_share") as staged:
        for name, frame in result.tables.items():
            fileio.write_csv(staged / OUTPUT_FOLDER / f"{name}.csv", frame)
            written.append(P.relative(P.processed / OUTPUT_FOLDER / f"{name}.csv"))
        written.append(provenance.write(P, "mining_share", result.parameters, folder=staged))
    return written


# --------------------------------------------------------------------------- tables


def pre_crackdown_month(countries: pd.DataFrame) -> str:
    """The last month in the data before China's crackdown began (2021-04 here)."""
    return cbeci.last_month_before(countries, cbeci.CRACKDOWN_START)


def province_comparison(provinces: pd.DataFrame, countries: pd.DataFrame) -> pd.DataFrame:
    """Provinces in the last month before the crackdown and the last month with province data."""
    before = pre_crackdown_month(countries)
    last = cbeci.province_months_with_data(provinces)[-1]
    a = cbeci.province_table(provinces, before).set_index("province_label")
    b = cbeci.province_table(provinces, last).set_index("province_label")
    out = pd.DataFrame(
        {
            "province": a.index,
            f"share_of_china_pct_{before}": a["share_of_china_pct"].to_numpy(),
            f"implied_global_pct_{before}": a["implied_global_pct"].to_numpy(),
            f"share_of_china_pct_{last}": b["share_of_china_pct"].reindex(a.index).to_numpy(),
            f"implied_global_pct_{last}": b["implied_global_pct"].reindex(a.index).to_numpy(),
        }
    )
    return out


def claims_check(inputs: MiningInputs) -> pd.DataFrame:
    """Each of the article's mining claims beside what the tables say, with a verdict
    (:func:`chinabrief.analysis.claim_checks.check_claims`: every month of the mining map and the published
    figures for a share, the named publication's ranking for a rank).

    Returns
    -------
    pandas.DataFrame
        claim_id, kind, claim, claimed, data_says, verdict, rule.
    """
    data = ClaimData(countries=inputs.countries, figures=inputs.figures)
    verdicts, _, _ = check_claims(list(inputs.claims), data, inputs.tolerances)
    return verdicts


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


def _pct(value: float) -> str:
    return f"{value:.2f}%"


def _the(country: str) -> str:
    """A country name as it reads inside a sentence ('the United States', 'Kazakhstan')."""
    plural_or_formal = ("United ", "Russian Federation", "Netherlands", "Philippines", "Czech Republic")
    return f"the {country}" if str(country).startswith(plural_or_formal) else str(country)


def headline_text(countries: pd.DataFrame) -> str:
    """One-line headline generated from the numbers (plain text)."""
    first, last = cbeci.months(countries)[0], cbeci.months(countries)[-1]
    china_first = cbeci.share_of(countries, cbeci.CHINA, first)
    china_last = cbeci.share_of(countries, cbeci.CHINA, last)
    zeros = cbeci.zero_months(countries)
    leader = cbeci.ranking(countries, last).iloc[0]
    middle = f", fell to 0% in {' and '.join(zeros)}," if zeros else ""
    lead = (
        "and still led"
        if leader["iso3"] == cbeci.CHINA
        else f"while {_the(leader['country'])} led with {_pct(leader['share_pct'])}"
    )
    return (
        f"Mainland China's share of global Bitcoin hashrate went from {_pct(china_first)} in {first}"
        f"{middle} and stood at {_pct(china_last)} in {last}, {lead}."
    )


def findings_text(result: MiningShare) -> list[str]:
    """Three to five key findings, generated from the tables (plain sentences)."""
    tables, mining_month = result.tables, result.month
    c = result.countries
    first, last = cbeci.months(c)[0], cbeci.months(c)[-1]
    before = pre_crackdown_month(c)
    out = []
    top = tables["ranking"][tables["ranking"]["rank"].notna()].head(3)
    out.append(
        f"In {mining_month} {_the(top.iloc[0]['country'])} had the largest share of global hashrate "
        f"({_pct(top.iloc[0]['share_pct'])}), followed by "
        + " and ".join(f"{_the(r['country'])} ({_pct(r['share_pct'])})" for _, r in top.iloc[1:].iterrows())
        + "."
    )
    out.append(
        f"Mainland China's share fell from {_pct(cbeci.share_of(c, cbeci.CHINA, first))} in {first} to "
        f"{_pct(cbeci.share_of(c, cbeci.CHINA, before))} in {before}, the last month before the "
        f"crackdown that began in {cbeci.CRACKDOWN_START}."
    )
    zeros = cbeci.zero_months(c)
    if zeros:
        out.append(
            f"The map shows China at 0% in {' and '.join(zeros)}; by {last} it was back at "
            f"{_pct(cbeci.share_of(c, cbeci.CHINA, last))}, ranked #{cbeci.rank_of(c, cbeci.CHINA, last)}: "
            "hashrate geolocated to China again despite the ban."
        )
    out.append(
        f"{_sentence_start(_the('United States'))} rose from {_pct(cbeci.share_of(c, 'USA', first))} in {first} to "
        f"{_pct(cbeci.share_of(c, 'USA', last))} in {last}."
    )
    verdicts = tables["claims_check"]
    if not verdicts.empty:
        out.append(
            "The article's mining claims: "
            + "; ".join(f"'{_short(r['claim'])}': {r['verdict']}" for _, r in verdicts.iterrows())
            + " (details below)."
        )
    return out[:5]


def _short(claim: str, words: int = 8) -> str:
    """The first words of a claim, for a findings sentence."""
    parts = str(claim).split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def headline(result: MiningShare) -> Markdown:
    """The brief's one-line headline, as Markdown."""
    return Markdown.paragraph(headline_text(result.countries))


def findings(result: MiningShare) -> Markdown:
    """The key findings, as a Markdown list."""
    return Markdown.bullets(findings_text(result))


def coverage_note(result: MiningShare) -> Markdown:
    """What the data covers: months of the map and of the provinces, and the download cross-check."""
    m = cbeci.months(result.countries)
    prov = cbeci.province_months_with_data(result.inputs.provinces)
    check = result.inputs.cross_check
    text = (
        f"Mining map data: {m[0]} to {m[-1]} ({len(m)} months). Province data: {prov[0]} to {prov[-1]} "
        f"(later months all zero). Month shown in the ranking and the single map: {result.month}."
    )
    if not check.empty:
        text += f" The v1.1.0 and v1.2.0 downloads are identical over {int(check['months_compared'].iloc[0])} months."
    text += f" Published figures compiled: {len(result.inputs.figures)}."
    return Markdown.paragraph(text)


def map_note(result: MiningShare) -> Markdown:
    """Under the single map: what grey means, how much 'Other' holds, countries too small to draw."""
    c, month = result.countries, result.month
    other = cbeci.share_of(c.assign(iso3=c["iso3"].fillna(cbeci.OTHER)), cbeci.OTHER, month)
    unmapped = world_shapes.unmapped_countries(result.inputs.world, c, month)
    text = (
        f"Grey: countries CCAF does not list separately; their hashrate is inside 'Other' "
        f"({_pct(other)} in {month}). Antarctica is left out."
        + (f" Listed but too small for the 110m map: {', '.join(unmapped)}." if unmapped else "")
    )
    return Markdown.paragraph(text)


def milestones_note(result: MiningShare) -> Markdown:
    """Under the small multiples: Mainland China's share in each month drawn."""
    c = result.countries
    shown = cbeci.milestones(c)
    text = (
        "Mainland China's share in the months drawn: "
        + "; ".join(f"{m}: {_pct(cbeci.share_of(c, cbeci.CHINA, m))}" for m in shown)
        + "."
    )
    return Markdown.paragraph(text)


def provinces_note(result: MiningShare) -> Markdown:
    """Which months the province table compares, and China's share of the world in each."""
    c, p = result.countries, result.inputs.provinces
    before = result.reference_month
    with_data = cbeci.province_months_with_data(p)
    last = with_data[-1]
    after = sorted(set(cbeci.months(c)) & {f"{d:%Y-%m}" for d in p["date"]} - set(with_data))
    text = (
        f"{before} is the last month before the crackdown (China {_pct(cbeci.share_of(c, cbeci.CHINA, before))} "
        f"of global hashrate); {last} is the last month with province data (China "
        f"{_pct(cbeci.share_of(c, cbeci.CHINA, last))})" + (f"; {', '.join(after)}: all provinces 0." if after else ".")
    )
    return Markdown.paragraph(text)


def survey_note(result: MiningShare) -> Markdown:
    """Which of the report's figures rest on a single press source."""
    survey = cbeci.survey_countries(result.inputs.figures)
    uncertain = survey[survey["certainty"].str.contains("uncertain", case=False)]["country"].tolist()
    if not uncertain:
        return Markdown.paragraph("Every country share of the report comes from its official page.")
    return Markdown.paragraph(f"Uncertain (a single press source): {', '.join(uncertain)}.")


def published_note(result: MiningShare) -> Markdown:
    """How many of CCAF's published figures equal the download."""
    check = result.tables["published_vs_download"]
    agree = int((check["diff_pp"].abs() < 0.005).sum())
    return Markdown.paragraph(
        f"{agree} of {len(check)} published figures equal the download for the month they refer to."
    )


def publication_links(result: MiningShare) -> Markdown:
    """Links to every publication of our compilation of CCAF's figures (http(s) only)."""
    items = []
    for (pub, published, url), _ in result.inputs.figures.groupby(
        ["publication", "published", "source_url"], sort=False
    ):
        label = md_escape(f"{pub}, {published}")
        if str(url).lower().startswith(("https://", "http://")):
            items.append(f"- [{label}](<{str(url).replace('>', '%3E').replace(' ', '%20')}>)")
        else:
            items.append(f"- {label} ({md_escape(url)})")
    files = [f"- {md_escape(k)}: `{str(v).replace('`', '')}`" for k, v in result.inputs.sources.items()]
    return Markdown(
        "\n".join(items + ["", "Files read by this brief:", ""] + files),
        [
            f"{p}, {d}"
            for (p, d, _), _ in result.inputs.figures.groupby(["publication", "published", "source_url"], sort=False)
        ],
    )
