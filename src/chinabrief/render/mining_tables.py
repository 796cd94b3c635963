"""The mining brief's tables (pandas Stylers), each from a :class:`~chinabrief.analysis.mining_share.MiningShare`.

Fixed notes (how to read, caveats) are in the notebook's markdown cells; captions that carry a
parameter or a number are generated here.
"""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from ..analysis.mining_share import TOP_N, MiningShare
from ..data import cbeci
from .tables import table

#: Short column headers for the wide month × country table (the names elsewhere stay CCAF's).
SHORT_HEADERS = {
    "United States": "US",
    "Mainland China": "China",
    "Russian Federation": "Russia",
    "Iran, Islamic Rep.": "Iran",
    "Kazakhstan": "Kazakh\u00adstan",
}


def _rank(values: pd.Series) -> pd.Series:
    return values.astype("object").where(values.notna(), "–").astype(str).str.replace(r"\.0$", "", regex=True)


def ranking(r: MiningShare) -> Styler:
    """The chosen month's countries by share of global hashrate, with 12-month and pre-crackdown changes."""
    t = r.tables["ranking"]
    year_ago = f"{pd.Timestamp(f'{r.month}-01') - pd.DateOffset(years=1):%Y-%m}"
    frame = pd.DataFrame(
        {
            "Rank": _rank(t["rank"]),
            "Country": t.apply(cbeci.display_name, axis=1),
            "Share of global hashrate (%)": t["share_pct"],
            "Hashrate (EH/s)": t["hashrate_ehs"],
            f"Change vs {year_ago} (pp)": t["change_12m_pp"],
            f"Change vs {r.reference_month} (pp)": t["change_vs_ref_pp"],
        }
    )
    return table(
        frame,
        name="ranking",
        caption=f"Share of global Bitcoin hashrate by country, {r.month}",
        formats={f"Change vs {year_ago} (pp)": "{:+.2f}", f"Change vs {r.reference_month} (pp)": "{:+.2f}"},
        align_right=("Rank",),
    )


def monthly(r: MiningShare) -> Styler:
    """Every month × every country, each month's top five highlighted."""
    frame = r.tables["shares_by_month"].rename(columns={"month": "Month", **SHORT_HEADERS})
    return table(
        frame,
        name="monthly",
        caption="Share of global Bitcoin hashrate (%) by month and country",
        highlight=lambda row: cbeci.top_n_mask(row, TOP_N),
    )


def provinces(r: MiningShare) -> Styler:
    """China's provinces before the crackdown and in the last month with province data."""
    prov = r.tables["provinces"]
    before = r.reference_month
    last = cbeci.province_months_with_data(r.inputs.provinces)[-1]
    frame = pd.DataFrame(
        {
            "Province": prov["province"],
            f"{before} % of China": prov[f"share_of_china_pct_{before}"],
            f"{before} % of global": prov[f"implied_global_pct_{before}"],
            f"{last} % of China": prov[f"share_of_china_pct_{last}"],
            f"{last} % of global": prov[f"implied_global_pct_{last}"],
        }
    )
    return table(
        frame,
        name="provinces",
        caption=f"China's provinces in {before} and {last}: share of China's hashrate and implied "
        "share of global hashrate",
    )


def seasonal_swing(r: MiningShare) -> Styler:
    """Mean share of China's hashrate by season: the hydro provinces against the coal provinces."""
    swing = r.tables["seasonal_swing"]
    frame = pd.DataFrame(
        {
            "Season": swing["season"] + swing["complete"].map({True: "", False: " (partial)"}),
            "Months": swing["months"],
            "Sichuan + Yunnan (%)": swing["wet_provinces_pct"],
            "Xinjiang + Inner Mongolia (%)": swing["dry_provinces_pct"],
            "Difference (pp)": swing["wet_minus_dry_pp"],
        }
    )
    return table(
        frame,
        name="swing",
        caption="The seasonal swing: mean share of China's hashrate by season",
        formats={
            "Sichuan + Yunnan (%)": "{:.1f}",
            "Xinjiang + Inner Mongolia (%)": "{:.1f}",
            "Difference (pp)": "{:+.1f}",
        },
    )


def survey_vs_map(r: MiningShare) -> Styler:
    """The April 2025 report's country shares beside the mining map's last month (different measures)."""
    t = r.tables["survey_vs_map"]
    month = t["map_month"].iloc[0] if not t.empty else r.last_month
    frame = pd.DataFrame(
        {
            "Country": t["country"],
            "Map rank": _rank(t["map_rank"]),
            "Map share (%)": t["map_share_pct"],
            "Report rank": _rank(t["survey_rank"]),
            "Report share (%)": t["survey_share_pct"],
        }
    )
    return table(
        frame,
        name="survey",
        formats={"Report share (%)": "{:.1f}"},
        align_right=("Map rank", "Report rank"),
        caption=(
            f"Map: CBECI mining map, {month}, share of global network hashrate. Report: Cambridge "
            "Digital Mining Industry Report (April 2025), share of surveyed firms' reported activity."
        ),
    )


def claims(r: MiningShare) -> Styler:
    """The article's mining claims, what the data says, and the verdict."""
    c = r.tables["claims_check"]
    frame = pd.DataFrame(
        {
            "The article says": c["claim"],
            "Claimed": c["claimed"],
            "What the data says": c["data_says"],
            "Verdict": c["verdict"],
        }
    )
    return table(frame, name="claims", caption="The article's claims about Bitcoin mining", verdicts="Verdict")


def published_check(r: MiningShare) -> Styler:
    """CCAF's figures published in text beside the downloaded series."""
    check = r.tables["published_vs_download"]
    frame = pd.DataFrame(
        {
            "Published": check["published"],
            "Refers to": check["refers_to"],
            "Country": check["country"],
            "Published figure (%)": check["published_pct"],
            "Download (%)": check["download_pct"],
            "Difference (pp)": check["diff_pp"],
        }
    )
    return table(
        frame,
        name="published",
        caption="Do CCAF's published mining-map figures match the download?",
        formats={"Difference (pp)": "{:+.2f}"},
    )
