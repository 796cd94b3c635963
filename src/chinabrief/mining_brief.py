"""The mining brief (stage 04): where Bitcoin is mined, and what became of China's share.

The brief is a sequence of small functions, each returning one HTML part (title block,
findings, sections); :func:`brief_parts` strings them together and :func:`show_brief` displays
them. Everything is loaded and validated first (:func:`load_inputs`, :func:`validate`), so bad
input fails with :class:`~chinabrief.exceptions.InputFormatError` before any chart is drawn.
Every number in the text is read from the tables; every string from data goes through the
escaping helpers of :mod:`chinabrief.display`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
from IPython.display import HTML, display

from . import display as show
from . import fileio, maps, mining, mining_charts, prepare, publish
from .config import Paths
from .exceptions import InputFormatError
from .sources import ccaf

TITLE = "Where Bitcoin is mined: China's share before and after the 2021 ban"
STAGE = "04_mining_share"
FIGURES_FILE = "cambridge_published_figures.csv"
CLAIMS_FILE = "seed_article_claims.csv"
OUTPUT_FOLDER = "mining"
CLAIM_SHARE = "china_share_21pct"
CLAIM_RANKING = "cambridge_2025_ranking"
SURVEY_METRIC = "share_of_reported_activity"
SURVEY_COVERAGE_METRIC = "surveyed_share_of_network_hashrate"
TOP_N = 5
MAP_SOURCE_NOTE = ("Source: Cambridge Centre for Alternative Finance (CCAF), CBECI mining map (mining_countries "
                   "download). Shapes: Natural Earth 110m (public domain). Projection: Equal Earth.")
CHART_SOURCE_NOTE = "Source: Cambridge Centre for Alternative Finance (CCAF), CBECI mining map (mining_countries download)."
PROVINCE_SOURCE_NOTE = ("Source: Cambridge Centre for Alternative Finance (CCAF), CBECI mining map "
                        "(mining_provinces download).")
MINING_MAP_URL = "https://ccaf.io/cbnsi/cbeci/mining_map"
METHODOLOGY_URL = "https://ccaf.io/cbnsi/cbeci/mining_map/methodology"
NATURAL_EARTH_URL = "https://www.naturalearthdata.com/about/terms-of-use/"
VERDICT_CLASSES = {"supported": "ok", "not supported": "no", "partly supported": "mixed", "misdated": "mixed"}

SECTIONS = [
    ("ranking", "Ranking in the chosen month"),
    ("china", "China's share over time"),
    ("maps", "Maps"),
    ("monthly", "Every month, every country"),
    ("provinces", "Inside China: provinces and seasons"),
    ("survey", "The April 2025 industry report beside the mining map"),
    ("claims", "The article's claims, checked"),
    ("methods", "Methods, caveats and sources"),
    ("data", "Data and provenance"),
]

MAP_METHOD = (
    "The CBECI mining map is a sample, not a census: mining pools that work with CCAF geolocate "
    "the IP addresses of the hashers connected to them and report each country's share of their "
    "hashrate; CCAF extrapolates that sample to the whole network. At launch the pools were BTC.com, "
    "Poolin and ViaBTC (about 37% of network hashrate, 2019-09 to 2020-04); Foundry USA was added "
    "for the October 2021 update. EH/s is the share applied to CCAF's monthly average network hashrate."
)
VPN_CAVEAT = (
    "* Germany and Ireland carry CCAF's asterisk: miners who route through VPN or proxy services "
    "appear where the proxy is, so these shares are probably inflated (and the true country's "
    "deflated)."
)
MAP_SHORT = ("The mining map, by contrast, estimates each country's share of the whole network's hashrate "
             "from the pools' IP geolocation of their hashers.")
CLAIMS_METHOD = (
    "The 21% claim is compared with every month of the mining map and with the publication dates in our "
    "compilation of CCAF's published figures (data/reference). The ranking claim is compared with the April "
    "2025 report's country shares as quoted by its official page and the press (one of them, marked "
    "uncertain, from a single press source). The second table checks that the figures CCAF published in "
    "text equal the downloaded series."
)
VPN_NOTE = "* VPN/proxy routing probably inflates these shares (CCAF's asterisk; see Methods)."
NAMES_CAVEAT = (
    "Countries follow the World Bank's names as CCAF reports them (\"Mainland China\", "
    "\"Iran, Islamic Rep.\"); maps join on ISO-3 codes, not names. 'Other' is every country CCAF "
    "does not list separately; it is shown but not ranked."
)
SURVEY_CAVEAT = (
    "The April 2025 Cambridge Digital Mining Industry Report measures something else: the share of "
    "the surveyed firms' own reported activity by country, not a share of the global network. "
    "A country's absence from its list means the surveyed firms reported little or no activity "
    "there, not that no one mines there."
)
PROVINCE_METHOD = (
    "Province shares are shares of China's hashrate, from the pools that report provinces; CCAF "
    "spreads the hashrate geolocated to Zhejiang (a VPN hub) over the other provinces. The implied "
    "share of global hashrate is the province's share of China's hashrate × China's share of the "
    "world ÷ 100. Wet season here: May–October, when hydropower in Sichuan and Yunnan is cheap; "
    "in the dry season miners move to coal-powered Xinjiang and Inner Mongolia."
)


@dataclass
class MiningInputs:
    """Everything the brief reads, loaded and ready to validate.

    Attributes
    ----------
    countries, provinces, cross_check : pandas.DataFrame
        The processed mining tables.
    figures : pandas.DataFrame
        Our compilation of CCAF's published figures.
    claims : pandas.DataFrame
        The seed article's claims this stage checks.
    world : geopandas.GeoDataFrame
        Verified world shapes in the map projection.
    sources : dict
        Label → path relative to the project root (for the methods section).
    """

    countries: pd.DataFrame
    provinces: pd.DataFrame
    cross_check: pd.DataFrame
    figures: pd.DataFrame
    claims: pd.DataFrame
    world: gpd.GeoDataFrame
    sources: dict[str, str]


# --------------------------------------------------------------------------- loading and checks


def read_claims(path: Path, stage: str = STAGE) -> pd.DataFrame:
    """The seed article's claims this stage checks (``checked_in == stage``).

    Raises
    ------
    InputFormatError
        When a column is missing.
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    need = ["claim_id", "claim", "subject", "as_of", "value_low", "value_high", "unit", "checked_in"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise InputFormatError(f"{path.name}: missing column(s) {missing}")
    return frame[frame["checked_in"].eq(stage)].reset_index(drop=True)


def load_inputs(P: Paths) -> MiningInputs:
    """Read the processed mining tables, the reference tables and the verified world shapes."""
    tables = prepare.load(P)
    figures_path, claims_path = P.reference / FIGURES_FILE, P.reference / CLAIMS_FILE
    return MiningInputs(
        countries=tables["mining_countries"],
        provinces=tables["mining_provinces"],
        cross_check=tables["mining_cross_check"],
        figures=mining.read_published_figures(figures_path),
        claims=read_claims(claims_path),
        world=maps.load_world(P.world_shapes),
        sources={
            "Countries (processed)": P.relative(P.processed / "mining_countries.csv"),
            "Provinces (processed)": P.relative(P.processed / "mining_provinces.csv"),
            "Published figures (our compilation)": P.relative(figures_path),
            "Article claims": P.relative(claims_path),
            "World shapes": P.relative(P.world_shapes),
        },
    )


def validate(inputs: MiningInputs, mining_month: str) -> None:
    """Check the parameter and the tables before anything is drawn.

    Raises
    ------
    InputFormatError
        For a month outside the data, a country without an ISO-3 code, or a milestone month the
        brief needs (the last month before the crackdown) missing from the data.
    """
    mining.check_iso3(inputs.countries, "mining_countries")
    mining.check_month(inputs.countries, mining_month)
    mining.last_month_before(inputs.countries, mining.CRACKDOWN_START)


# --------------------------------------------------------------------------- tables


def pre_crackdown_month(countries: pd.DataFrame) -> str:
    """The last month in the data before China's crackdown began (2021-04 here)."""
    return mining.last_month_before(countries, mining.CRACKDOWN_START)


def province_comparison(provinces: pd.DataFrame, countries: pd.DataFrame) -> pd.DataFrame:
    """Provinces in the last month before the crackdown and the last month with province data."""
    before = pre_crackdown_month(countries)
    last = mining.province_months_with_data(provinces)[-1]
    a = mining.province_table(provinces, before).set_index("province_label")
    b = mining.province_table(provinces, last).set_index("province_label")
    out = pd.DataFrame({
        "province": a.index,
        f"share_of_china_pct_{before}": a["share_of_china_pct"].to_numpy(),
        f"implied_global_pct_{before}": a["implied_global_pct"].to_numpy(),
        f"share_of_china_pct_{last}": b["share_of_china_pct"].reindex(a.index).to_numpy(),
        f"implied_global_pct_{last}": b["implied_global_pct"].reindex(a.index).to_numpy(),
    })
    return out


def claims_check(inputs: MiningInputs) -> pd.DataFrame:
    """Each of the article's mining claims beside what the tables say, with a verdict.

    Returns
    -------
    pandas.DataFrame
        claim_id, claim, data_says, verdict.
    """
    rows = []
    for _, claim in inputs.claims.iterrows():
        if claim["claim_id"] == CLAIM_SHARE:
            data_says, verdict = _check_share_claim(inputs, claim)
        elif claim["claim_id"] == CLAIM_RANKING:
            data_says, verdict = _check_ranking_claim(inputs, claim)
        else:
            continue
        rows.append({"claim_id": claim["claim_id"], "claim": claim["claim"], "data_says": data_says,
                     "verdict": verdict})
    return pd.DataFrame(rows, columns=["claim_id", "claim", "data_says", "verdict"])


def _check_share_claim(inputs: MiningInputs, claim: pd.Series) -> tuple[str, str]:
    """'A report published in October 2024 attributed 21% of global hash power to China.'"""
    claimed = float(claim["value_low"])
    china = inputs.countries[inputs.countries["iso3"].eq(mining.CHINA)].sort_values("date")
    matches = china[china["share_pct"].round(0).eq(round(claimed))]
    latest = china.iloc[-1]
    published = inputs.figures[inputs.figures["metric"].eq("share_of_global_hashrate")
                               & inputs.figures["iso3"].eq(mining.CHINA)
                               & inputs.figures["refers_to"].eq(f"{latest['date']:%Y-%m}")]
    published_in = published["published"].iloc[0] if not published.empty else None
    same_date = int(inputs.figures["published"].eq(claim["as_of"]).sum())
    match_text = (", ".join(f"{r['share_pct']:.2f}% in {r['date']:%Y-%m}" for _, r in matches.iterrows())
                  if not matches.empty else "no month")
    text = (f"The mining map's months that round to {claimed:g}%: {match_text}. Its latest figure for "
            f"{latest['country']} is {latest['share_pct']:.2f}% for {latest['date']:%Y-%m}"
            + (f", published by CCAF in {published_in}" if published_in else "")
            + f". The series ends in {latest['date']:%Y-%m}; our compilation of CCAF's published figures has "
            + (f"{same_date} published in {claim['as_of']}." if same_date else f"none published in {claim['as_of']}."))
    if abs(latest["share_pct"] - claimed) < 0.5 and published_in == claim["as_of"]:
        return text, "supported"
    if not matches.empty:
        return text, "misdated"
    return text, "not supported"


def _check_ranking_claim(inputs: MiningInputs, claim: pd.Series) -> tuple[str, str]:
    """'The April 2025 report ranks the top 5 countries; China has slipped in the ranks.'"""
    survey = mining.survey_countries(inputs.figures)
    top = survey.head(TOP_N)
    listed = ", ".join(f"{r['country']} {r['value']:g}%" for _, r in top.iterrows())
    china_in_survey = mining.CHINA in set(survey["iso3"])
    first, last = mining.months(inputs.countries)[0], mining.months(inputs.countries)[-1]
    rank_first = mining.rank_of(inputs.countries, mining.CHINA, first)
    rank_last = mining.rank_of(inputs.countries, mining.CHINA, last)
    coverage = mining.figure_value(inputs.figures, SURVEY_COVERAGE_METRIC)
    scope = survey["scope"].iloc[0] if not survey.empty else "surveyed firms"
    text = (f"The report's top {len(top)} countries by share of surveyed firms' reported activity: {listed}"
            f". Scope: {scope}. China is {'listed' if china_in_survey else 'not among the countries listed'}."
            f" On the mining map (global network) China ranked #{rank_first} in {first} and #{rank_last} in {last}."
            + (f" The surveyed firms hold about {coverage:g}% of network hashrate, so this is not a ranking of "
               "where the network's hashrate is." if coverage == coverage else ""))
    if china_in_survey:
        return text, "not supported"
    return text, "partly supported"


def build_tables(inputs: MiningInputs, mining_month: str) -> dict[str, pd.DataFrame]:
    """Every table of the brief, as plain numbers (written to CSV and rendered).

    Returns
    -------
    dict of str to pandas.DataFrame
        ranking, shares_by_month, provinces, seasonal_swing, published_vs_download,
        survey_vs_map, claims_check.
    """
    last = mining.months(inputs.countries)[-1]
    ranking = mining.ranking(inputs.countries, mining_month, pre_crackdown_month(inputs.countries))
    shares = mining.share_table(inputs.countries)
    return {
        "ranking": ranking.assign(month=mining_month),
        "shares_by_month": shares.reset_index().assign(date=lambda f: f["date"].dt.strftime("%Y-%m"))
                                  .rename(columns={"date": "month"}),
        "provinces": province_comparison(inputs.provinces, inputs.countries),
        "seasonal_swing": mining.seasonal_swing(inputs.provinces),
        "published_vs_download": mining.published_vs_download(inputs.countries, inputs.figures),
        "survey_vs_map": mining.survey_vs_map(inputs.countries, inputs.figures, last).assign(map_month=last),
        "claims_check": claims_check(inputs),
    }


def write_tables(P: Paths, tables: dict[str, pd.DataFrame]) -> list[str]:
    """Write each table to ``data/processed/mining/<name>.csv`` (one set, see :mod:`chinabrief.publish`)."""
    folder = P.processed / OUTPUT_FOLDER
    written = []
    with publish.writing(P, folder, "mining_share") as staged:
        for name, frame in tables.items():
            fileio.write_csv(staged / f"{name}.csv", frame)
            written.append(P.relative(folder / f"{name}.csv"))
    return written


# --------------------------------------------------------------------------- words from numbers


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


def _pct(value: float) -> str:
    return f"{value:.2f}%"


def _the(country: str) -> str:
    """A country name as it reads inside a sentence ('the United States', 'Kazakhstan')."""
    plural_or_formal = ("United ", "Russian Federation", "Netherlands", "Philippines", "Czech Republic")
    return f"the {country}" if str(country).startswith(plural_or_formal) else str(country)


def headline(countries: pd.DataFrame) -> str:
    """One-line headline (the title block's dek) generated from the numbers."""
    first, last = mining.months(countries)[0], mining.months(countries)[-1]
    china_first = mining.share_of(countries, mining.CHINA, first)
    china_last = mining.share_of(countries, mining.CHINA, last)
    zeros = mining.zero_months(countries)
    leader = mining.ranking(countries, last).iloc[0]
    middle = f", fell to 0% in {' and '.join(zeros)}," if zeros else ""
    lead = ("and still led" if leader["iso3"] == mining.CHINA
            else f"while {_the(leader['country'])} led with {_pct(leader['share_pct'])}")
    return (f"Mainland China's share of global Bitcoin hashrate went from {_pct(china_first)} in {first}"
            f"{middle} and stood at {_pct(china_last)} in {last}, {lead}.")


def findings(inputs: MiningInputs, tables: dict[str, pd.DataFrame], mining_month: str) -> list[str]:
    """Three to five key findings, generated from the tables."""
    c = inputs.countries
    first, last = mining.months(c)[0], mining.months(c)[-1]
    before = pre_crackdown_month(c)
    out = []
    top = tables["ranking"][tables["ranking"]["rank"].notna()].head(3)
    out.append(f"In {mining_month} {_the(top.iloc[0]['country'])} had the largest share of global hashrate "
               f"({_pct(top.iloc[0]['share_pct'])}), followed by "
               + " and ".join(f"{_the(r['country'])} ({_pct(r['share_pct'])})" for _, r in top.iloc[1:].iterrows()) + ".")
    out.append(f"Mainland China's share fell from {_pct(mining.share_of(c, mining.CHINA, first))} in {first} to "
               f"{_pct(mining.share_of(c, mining.CHINA, before))} in {before}, the last month before the "
               f"crackdown that began in {mining.CRACKDOWN_START}.")
    zeros = mining.zero_months(c)
    if zeros:
        out.append(f"The map shows China at 0% in {' and '.join(zeros)}; by {last} it was back at "
                   f"{_pct(mining.share_of(c, mining.CHINA, last))}, ranked #{mining.rank_of(c, mining.CHINA, last)}: "
                   "hashrate geolocated to China again despite the ban.")
    out.append(f"{_sentence_start(_the('United States'))} rose from {_pct(mining.share_of(c, 'USA', first))} in {first} to "
               f"{_pct(mining.share_of(c, 'USA', last))} in {last}.")
    verdicts = tables["claims_check"]
    if not verdicts.empty:
        out.append("The article's mining claims: " + "; ".join(
            f"{_claim_short(r['claim_id'])}: {r['verdict']}" for _, r in verdicts.iterrows()) + " (details below).")
    return out[:5]


def _claim_short(claim_id: str) -> str:
    return {CLAIM_SHARE: "'21% in an October 2024 report'",
            CLAIM_RANKING: "'China slipped in the April 2025 report's top 5'"}.get(claim_id, claim_id)


# --------------------------------------------------------------------------- HTML parts


def title_html(inputs: MiningInputs, mining_month: str) -> str:
    """Title block: title, generated headline, data range and parameters."""
    m = mining.months(inputs.countries)
    prov = mining.province_months_with_data(inputs.provinces)
    check = inputs.cross_check.iloc[0] if not inputs.cross_check.empty else None
    facts = {
        "Mining map data": f"{m[0]} to {m[-1]} ({len(m)} months)",
        "Province data": f"{prov[0]} to {prov[-1]} (later months all zero)",
        "Month shown": mining_month,
        "Download cross-check": (f"v1.1.0 and v1.2.0 downloads identical over {int(check['months_compared'])} months"
                                 if check is not None else "not run"),
        "Published figures": f"{len(inputs.figures)} figures ({inputs.sources.get('Published figures (our compilation)', '')})",
    }
    return show.title_block_html(TITLE, headline(inputs.countries), facts)


def _vpn_name(row: pd.Series) -> str:
    return mining.display_name(row)


def ranking_html(tables: dict[str, pd.DataFrame], mining_month: str, reference_month: str) -> str:
    """The chosen month's ranking table, with its footnotes."""
    r = tables["ranking"]
    year_ago = f"{pd.Timestamp(f'{mining_month}-01') - pd.DateOffset(years=1):%Y-%m}"
    frame = pd.DataFrame({
        "Rank": r["rank"].astype("object").where(r["rank"].notna(), "–").astype(str),
        "Country": r.apply(_vpn_name, axis=1),
        "Share of global hashrate (%)": r["share_pct"],
        "Hashrate (EH/s)": r["hashrate_ehs"],
        f"Change vs {year_ago} (pp)": r["change_12m_pp"],
        f"Change vs {reference_month} (pp)": r["change_vs_ref_pp"],
    })
    formats = {"Share of global hashrate (%)": "{:.2f}", "Hashrate (EH/s)": "{:.2f}",
               f"Change vs {year_ago} (pp)": "{:+.2f}", f"Change vs {reference_month} (pp)": "{:+.2f}"}
    note = ("pp = percentage points. – = not ranked ('Other') or month not in the data. "
            f"{reference_month} is the last month before China's crackdown. " + VPN_NOTE)
    return (show.section_html("ranking", f"Ranking in {mining_month}")
            + show.table_html(frame, formats=formats, caption=f"Share of global Bitcoin hashrate by country, {mining_month}",
                              note=note)
            + show.callout_html("How to read this table", [MAP_METHOD, NAMES_CAVEAT]))


def china_chart_html(inputs: MiningInputs) -> str:
    """China's share over time, with the US, Kazakhstan, Russia and Canada."""
    c = inputs.countries
    first, last = mining.months(c)[0], mining.months(c)[-1]
    zeros = mining.zero_months(c)
    alt = (f"Line chart of monthly shares of global hashrate, {first} to {last}. Mainland China falls from "
           f"{_pct(mining.share_of(c, mining.CHINA, first))} to "
           + (f"0% in {' and '.join(zeros)} after the May–June 2021 crackdown, " if zeros else "")
           + f"and is {_pct(mining.share_of(c, mining.CHINA, last))} in {last}; the United States rises to "
           f"{_pct(mining.share_of(c, 'USA', last))}.")
    fig = mining_charts.china_over_time(c, CHART_SOURCE_NOTE)
    return (show.section_html("china", "China's share over time")
            + show.figure_html(fig, alt)
            + show.callout_html("Caveats", [
                "Shares are of the pools' sample, extrapolated to the network. The 0% months say no hashrate in "
                "the sample was geolocated to China then; miners who stayed and hid behind foreign proxies would "
                "appear elsewhere (CCAF's May 2022 update attributes China's return to covert mining).",
                VPN_CAVEAT], css_class="caveats"))


def maps_html(inputs: MiningInputs, mining_month: str) -> str:
    """The chosen month's map and the small multiples on one colour scale."""
    c, world = inputs.countries, inputs.world
    other = mining.share_of(c.assign(iso3=c["iso3"].fillna(mining.OTHER)), mining.OTHER, mining_month)
    unmapped = maps.unmapped_countries(world, c, mining_month)
    caption = (f"Grey: countries CCAF does not list separately; their hashrate is inside 'Other' "
               f"({_pct(other)} in {mining_month}). Antarctica is left out. Projection: Equal Earth."
               + (f" Listed but too small for the 110m map: {', '.join(unmapped)}." if unmapped else ""))
    multiples = tuple(mining.milestones(c))
    leader = mining.ranking(c, mining_month).iloc[0]
    one = maps.choropleth(world, c, mining_month, MAP_SOURCE_NOTE)
    parts = [show.section_html("maps", "Maps"),
             show.figure_html(one, f"World map of shares of global hashrate in {mining_month}; the largest is "
                                   f"{leader['country']} at {_pct(leader['share_pct'])}."),
             show.prose_html('<p class="table-note">{caption}</p>', caption=caption)]
    if multiples:
        china = ", ".join(f"{m}: {_pct(mining.share_of(c, mining.CHINA, m))}" for m in multiples)
        many = maps.small_multiples(world, c, multiples, MAP_SOURCE_NOTE)
        parts += [show.figure_html(many, f"Four world maps on one colour scale; Mainland China's share {china}.",
                                   ),
                  show.prose_html('<p class="table-note">{text}</p>',
                                  text=f"Months chosen: the first month of data, the last month before the "
                                       f"crackdown, a month with China at 0%, and the latest month. " + VPN_NOTE)]
    return "".join(parts)


def _nowrap(value: object) -> str:
    return f'<span style="white-space:nowrap">{show.escape(value)}</span>'


#: Short column headers for the wide month × country table (the names elsewhere stay CCAF's).
SHORT_HEADERS = {"United States": "US", "Mainland China": "China", "Russian Federation": "Russia",
                 "Iran, Islamic Rep.": "Iran", "Kazakhstan": "Kazakh\u00adstan"}


def monthly_html(tables: dict[str, pd.DataFrame]) -> str:
    """The full month × country table, each month's top five highlighted."""
    frame = tables["shares_by_month"].rename(columns={"month": "Month", **SHORT_HEADERS})
    formats: dict = {col: "{:.2f}" for col in frame.columns if col != "Month"}
    formats["Month"] = _nowrap
    return (show.section_html("monthly", "Every month, every country")
            + show.table_html(frame, formats=formats, highlight=lambda row: mining.top_n_mask(row, TOP_N),
                              caption="Share of global Bitcoin hashrate (%) by month and country",
                              note=f"Highlighted: each month's {TOP_N} largest shares ('Other' excluded). "
                                   "Columns ordered by the latest month; US = United States, China = Mainland China, "
                                   "Russia = Russian Federation, Iran = Iran, Islamic Rep. " + VPN_NOTE)
            + show.callout_html("Reading these shares", [
                "A sample of mining pools' hashers, geolocated by IP and extrapolated to the network; World Bank "
                "country names; * = probably inflated by VPN/proxy routing. Details under 'How to read this "
                "table' above and in Methods."]))


def provinces_html(inputs: MiningInputs, tables: dict[str, pd.DataFrame]) -> str:
    """China's provinces: stacked area, the pre-crackdown table and the seasonal swing."""
    p = inputs.provinces
    before = pre_crackdown_month(inputs.countries)
    with_data = mining.province_months_with_data(p)
    after = sorted(set(mining.months(inputs.countries)) & set(f"{d:%Y-%m}" for d in p["date"]) - set(with_data))
    swing = tables["seasonal_swing"]
    full = swing[swing["complete"]]
    alt = (f"Stacked area chart of provinces' shares of China's hashrate, {with_data[0]} to {with_data[-1]}; "
           "Sichuan and Yunnan grow in each wet season, Xinjiang and Inner Mongolia in each dry season.")
    if not full.empty:
        alt += " Season means: " + "; ".join(
            f"{r['season']}: Sichuan + Yunnan {r['wet_provinces_pct']:.1f}%, Xinjiang + Inner Mongolia "
            f"{r['dry_provinces_pct']:.1f}%" for _, r in full.iterrows()) + "."
    fig = mining_charts.provinces_stacked(p, PROVINCE_SOURCE_NOTE)
    prov = tables["provinces"]
    last = with_data[-1]
    frame = pd.DataFrame({
        "Province": prov["province"],
        f"{before} % of China": prov[f"share_of_china_pct_{before}"],
        f"{before} % of global": prov[f"implied_global_pct_{before}"],
        f"{last} % of China": prov[f"share_of_china_pct_{last}"],
        f"{last} % of global": prov[f"implied_global_pct_{last}"],
    })
    swing_frame = pd.DataFrame({
        "Season": swing["season"] + swing["complete"].map({True: "", False: " (partial)"}),
        "Months": swing["months"],
        "Sichuan + Yunnan (%)": swing["wet_provinces_pct"],
        "Xinjiang + Inner Mongolia (%)": swing["dry_provinces_pct"],
        "Difference (pp)": swing["wet_minus_dry_pp"],
    })
    china_before = mining.share_of(inputs.countries, mining.CHINA, before)
    china_last = mining.share_of(inputs.countries, mining.CHINA, last)
    note = (f"{before} is the last month before the crackdown (China {_pct(china_before)} of global hashrate); "
            f"{last} is the last month with province data (China {_pct(china_last)})"
            + (f"; {', '.join(after)}: all provinces 0." if after else "."))
    return (show.section_html("provinces", "Inside China: provinces and seasons")
            + show.figure_html(fig, alt)
            + show.table_html(frame, formats={c: "{:.2f}" for c in frame.columns if c != "Province"},
                              caption=f"China's provinces in {before} and {last}: share of China's hashrate and implied share of global hashrate",
                              note="% of global = % of China × China's share of global hashrate ÷ 100. " + note)
            + show.table_html(swing_frame, formats={"Sichuan + Yunnan (%)": "{:.1f}",
                                                    "Xinjiang + Inner Mongolia (%)": "{:.1f}",
                                                    "Difference (pp)": "{:+.1f}"},
                              caption="The seasonal swing: mean share of China's hashrate by season",
                              note="Wet season: May–October; dry season: November–April. Partial seasons "
                                   "have fewer than six months of data (the series starts in 2019-09 and the "
                                   "crackdown ends it in mid-2021).")
            + show.callout_html("Methods", [PROVINCE_METHOD]))


def survey_html(inputs: MiningInputs, tables: dict[str, pd.DataFrame]) -> str:
    """The April 2025 report's country shares beside the mining map's last month (different measures)."""
    t = tables["survey_vs_map"]
    month = t["map_month"].iloc[0] if not t.empty else mining.months(inputs.countries)[-1]
    frame = pd.DataFrame({
        "Country": t["country"],
        "Map rank": t["map_rank"].astype("object").where(t["map_rank"].notna(), "–").astype(str),
        "Map share (%)": t["map_share_pct"],
        "Report rank": t["survey_rank"].astype("object").where(t["survey_rank"].notna(), "–").astype(str),
        "Report share (%)": t["survey_share_pct"],
    })
    survey = mining.survey_countries(inputs.figures)
    uncertain = survey[survey["certainty"].str.contains("uncertain", case=False)]["country"].tolist()
    note = ("Two different measures, side by side only to compare rankings: do not subtract one from the other. "
            + (f"Uncertain (a single press source): {', '.join(uncertain)}. " if uncertain else "")
            + "– = not in that list.")
    return (show.section_html("survey", "The April 2025 industry report beside the mining map")
            + show.table_html(frame, formats={frame.columns[2]: "{:.2f}", frame.columns[4]: "{:.1f}"},
                              caption=(f"Map: CBECI mining map, {month}, share of global network hashrate. Report: Cambridge "
                                       "Digital Mining Industry Report (April 2025), share of surveyed firms' "
                                       "reported activity."),
                              note=note)
            + show.callout_html("Different measures", [SURVEY_CAVEAT, MAP_SHORT], css_class="caveats"))


def _verdict_cell(verdict: str) -> str:
    css = VERDICT_CLASSES.get(verdict, "mixed")
    return f'<span class="verdict {css}">{show.escape(verdict)}</span>'


def claims_html(tables: dict[str, pd.DataFrame]) -> str:
    """The article's mining claims with what the data says, and the published-figures check."""
    claims = tables["claims_check"]
    frame = pd.DataFrame({"The article says": claims["claim"], "What the data says": claims["data_says"],
                          "Verdict": claims["verdict"]})
    check = tables["published_vs_download"]
    check_frame = pd.DataFrame({
        "Published": check["published"], "Refers to": check["refers_to"], "Country": check["country"],
        "Published figure (%)": check["published_pct"], "Download (%)": check["download_pct"],
        "Difference (pp)": check["diff_pp"],
    })
    agree = int((check["diff_pp"].abs() < 0.005).sum())
    return (show.section_html("claims", "The article's claims, checked")
            + show.table_html(frame, formats={"Verdict": _verdict_cell},
                              caption="Claims about Bitcoin mining in the seed article",
                              note="Verdicts: supported / misdated (the number exists but refers to another "
                                   "date) / partly supported / not supported.")
            + show.table_html(check_frame, formats={"Published figure (%)": "{:.2f}", "Download (%)": "{:.2f}",
                                                    "Difference (pp)": "{:+.2f}"},
                              caption="Do CCAF's published mining-map figures match the download?",
                              note=f"{agree} of {len(check)} published figures equal the download for the month "
                                   "they refer to.")
            + show.callout_html("How the claims were checked", [CLAIMS_METHOD]))


def _link(url: str, label: str) -> str:
    """An escaped link; anything but http(s) is shown as text, never as a link."""
    if not str(url).lower().startswith(("https://", "http://")):
        return show.escape(f"{label} ({url})")
    return f'<a href="{show.escape(url)}">{show.escape(label)}</a>'


def methods_html(inputs: MiningInputs) -> str:
    """Methods, caveats, data files and source links."""
    links = [(MINING_MAP_URL, "CCAF CBECI mining map"), (METHODOLOGY_URL, "Mining map methodology"),
             (ccaf.download_url(ccaf.COUNTRIES), "Download: mining_countries (v1.2.0)"),
             (ccaf.download_url(ccaf.PROVINCES), "Download: mining_provinces (v1.2.0)"),
             (NATURAL_EARTH_URL, "Natural Earth terms of use (public domain)")]
    for (pub, published, url), _ in inputs.figures.groupby(["publication", "published", "source_url"], sort=False):
        links.append((url, f"{pub}, {published}: {url.split('//', 1)[-1]}"))
    items = "".join(f"<li>{_link(url, label)}</li>" for url, label in links)
    files = "".join(f"<li>{show.escape(k)}: <code>{show.escape(v)}</code></li>" for k, v in inputs.sources.items())
    return (show.section_html("methods", "Methods, caveats and sources")
            + show.callout_html("The mining map", [MAP_METHOD, VPN_CAVEAT, NAMES_CAVEAT])
            + show.callout_html("Provinces", [PROVINCE_METHOD])
            + show.callout_html("The April 2025 report", [SURVEY_CAVEAT], css_class="caveats")
            + f"<h3>Sources</h3><ul>{items}</ul><h3>Files</h3><ul>{files}</ul>")


def brief_parts(inputs: MiningInputs, mining_month: str, tables: dict[str, pd.DataFrame] | None = None) -> list[str]:
    """Every HTML part of the brief, in order (validates first; draws charts only after).

    Parameters
    ----------
    inputs : MiningInputs
        From :func:`load_inputs`.
    mining_month : str
        ``YYYY-MM`` month for the ranking table and the single map.
    tables : dict, optional
        From :func:`build_tables` (built here when not given).

    Returns
    -------
    list of str
        HTML fragments.
    """
    validate(inputs, mining_month)
    tables = tables if tables is not None else build_tables(inputs, mining_month)
    reference = pre_crackdown_month(inputs.countries)
    return [
        title_html(inputs, mining_month),
        show.findings_html(findings(inputs, tables, mining_month)),
        show.toc_html(SECTIONS),
        ranking_html(tables, mining_month, reference),
        china_chart_html(inputs),
        maps_html(inputs, mining_month),
        monthly_html(tables),
        provinces_html(inputs, tables),
        survey_html(inputs, tables),
        claims_html(tables),
        methods_html(inputs),
    ]


def render(P: Paths, mining_month: str) -> str:
    """Load, validate, write the tables and return the whole brief as one HTML string."""
    inputs = load_inputs(P)
    validate(inputs, mining_month)
    tables = build_tables(inputs, mining_month)
    write_tables(P, tables)
    return "".join(brief_parts(inputs, mining_month, tables))


def show_brief(P: Paths, mining_month: str) -> None:
    """Render the mining brief into the notebook.

    Parameters
    ----------
    P : Paths
        Project paths.
    mining_month : str
        ``YYYY-MM``: the month of the ranking table and the single map.

    Raises
    ------
    InputFormatError
        For a month outside the data or a country without an ISO-3 code (before any chart).
    """
    inputs = load_inputs(P)
    validate(inputs, mining_month)
    tables = build_tables(inputs, mining_month)
    write_tables(P, tables)
    for part in brief_parts(inputs, mining_month, tables):
        display(HTML(part))
    display(HTML(data_html(P)))


def data_html(P: Paths) -> str:
    """The data section every brief carries: raw files with checksums, and the price sources."""
    from .quality import data_section_for  # the shared section (prices: source choice, agreement, gaps)

    processed = prepare.load(P)
    return data_section_for(P, processed, sorted(set(processed["source_choice"]["token"])))
