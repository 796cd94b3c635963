"""Cambridge (CCAF) CBECI mining-map tables: parsing, ISO-3 codes, shares, rankings and provinces.

The mining map is a sample: mining pools geolocate the IP addresses of the hashers connected to
them and report each country's share of their hashrate; CCAF extrapolates the sample to the
network. Countries carry World Bank names ("Mainland China", "Iran, Islamic Rep."), and a
trailing asterisk ("Germany *", "Ireland *") marks shares CCAF thinks VPN/proxy routing inflates.
Everything here is a pure function of tables; the brief (``mining_brief``) renders them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pycountry

from ..exceptions import InputFormatError

COUNTRY_COLUMNS = ["date", "country", "iso3", "share_pct", "hashrate_ehs", "vpn_caveat"]
PROVINCE_COLUMNS = ["date", "province", "province_label", "share_of_china_pct", "china_share_pct", "implied_global_pct"]
FIGURE_COLUMNS = [
    "figure_id",
    "publication",
    "published",
    "metric",
    "refers_to",
    "country",
    "iso3",
    "value",
    "unit",
    "scope",
    "source_url",
    "certainty",
    "note",
]

#: CCAF spells countries as the World Bank does; where pycountry does not know the spelling,
#: this table gives the ISO name. 'Other' has no code on purpose.
WORLD_BANK_NAMES = {
    "Mainland China": "China",
    "Iran, Islamic Rep.": "Iran, Islamic Republic of",
}
OTHER = "Other"
NOT_A_COUNTRY = {OTHER}
CHINA = "CHN"
PROVINCE_LABELS = {"Nei Mongol": "Inner Mongolia"}
SHARE_TOLERANCE = 0.1

#: China's crackdown: the State Council's Financial Stability and Development Committee called
#: for a crackdown on Bitcoin mining on 21 May 2021; provincial shutdown orders followed in June.
CRACKDOWN_START = "2021-05"
CRACKDOWN_END = "2021-06"
#: Months compared in the brief (start, last month before the crackdown, China at zero, latest).
MILESTONE_MONTHS = ("2019-09", "2021-04", "2021-08", "2022-01")
#: Countries drawn next to China in the over-time chart.
PEER_COUNTRIES = ("USA", "KAZ", "RUS", "CAN")

#: Seasonal migration inside China: hydropower in Sichuan and Yunnan is cheap in the wet season;
#: miners move to coal-powered Xinjiang and Inner Mongolia in the dry season. Our definition of
#: the wet season: May to October.
WET_SEASON_MONTHS = (5, 6, 7, 8, 9, 10)
WET_PROVINCES = ("Sichuan", "Yunnan")
DRY_PROVINCES = ("Xinjiang", "Nei Mongol")


# --------------------------------------------------------------------------- parsing


def iso3(country: str) -> str | None:
    """ISO 3166-1 alpha-3 code of a CCAF country name (``None`` for 'Other').

    A trailing asterisk (CCAF's VPN/proxy caveat) is ignored.

    Parameters
    ----------
    country : str
        Country as CCAF spells it (World Bank names).

    Returns
    -------
    str or None
        The code, or ``None`` for 'Other'.

    Raises
    ------
    InputFormatError
        For a name neither pycountry nor :data:`WORLD_BANK_NAMES` knows.

    Examples
    --------
    >>> iso3("Mainland China"), iso3("Germany *"), iso3("Russian Federation"), iso3("Other")
    ('CHN', 'DEU', 'RUS', None)
    """
    name = str(country).rstrip(" *").strip()
    if name in NOT_A_COUNTRY:
        return None
    try:
        return pycountry.countries.lookup(WORLD_BANK_NAMES.get(name, name)).alpha_3
    except LookupError:
        raise InputFormatError(
            f"country {country!r} has no ISO-3 code (rule: every CCAF country maps to ISO-3; "
            "add its World Bank spelling to chinabrief.data.cbeci.WORLD_BANK_NAMES)"
        ) from None


def _iso3_column(countries: pd.Series, path: Path | str, column: str) -> list[str | None]:
    """:func:`iso3` of every row; an unknown country is named with its file, line and column."""
    out = []
    for index, country in countries.items():
        try:
            out.append(iso3(country))
        except InputFormatError as exc:
            raise InputFormatError(f"{path}:{index + 2}: column '{column}': {exc}") from None
    return out


def _require_columns(frame: pd.DataFrame, path: Path | str, need: list[str]) -> None:
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise InputFormatError(f"{Path(path).name}: missing column(s) {missing} (found {list(frame.columns)})")


def _numeric(values: pd.Series, path: Path | str, column: str) -> pd.Series:
    """Numbers from text, '%' signs allowed; an error names the file, column and lines."""
    text = values.astype(str).str.strip().str.rstrip("%").str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna()
    if bad.any():
        lines = (values.index[bad] + 2).tolist()[:5]
        raise InputFormatError(
            f"{Path(path).name}: column '{column}' is not numeric at line(s) {lines} "
            f"(values {values[bad].tolist()[:5]})"
        )
    return numbers.astype(float)


def _dates(values: pd.Series, path: Path | str, column: str) -> pd.Series:
    dates = pd.to_datetime(values, errors="coerce", format="%Y-%m-%d")
    bad = dates.isna()
    if bad.any():
        raise InputFormatError(
            f"{Path(path).name}: column '{column}' is not a YYYY-MM-DD date at line(s) "
            f"{(values.index[bad] + 2).tolist()[:5]}"
        )
    return dates


def check_sums(
    frame: pd.DataFrame,
    path: Path | str,
    share_col: str,
    column_label: str | None = None,
    allow_zero_months: bool = False,
) -> None:
    """Check that each month's shares sum to 100 (± :data:`SHARE_TOLERANCE`).

    Parameters
    ----------
    frame : pandas.DataFrame
        Has ``date`` and ``share_col``.
    path : Path or str
        The file the rows came from (named in the error).
    share_col : str
        Column of shares (%).
    column_label : str, optional
        Column name as written in the file, for the error message.
    allow_zero_months : bool
        Accept months where every share is 0 (China's provinces in 2021-07).

    Raises
    ------
    InputFormatError
        Naming the file, the column and each offending month with its total.
    """
    totals = frame.groupby("date")[share_col].sum()
    off = (totals - 100.0).abs() > SHARE_TOLERANCE
    if allow_zero_months:
        off &= totals.abs() > 1e-9
    if off.any():
        bad = totals[off]
        detail = ", ".join(f"{d:%Y-%m}: {v:.2f}" for d, v in bad.items())
        raise InputFormatError(
            f"{Path(path).name}: column '{column_label or share_col}' does not sum to 100 "
            f"± {SHARE_TOLERANCE} in month(s) {detail}"
        )


def read_countries(path: Path, with_lines: bool = False):
    """Parse the v1.2.0 ``mining_countries`` download ('%' strings) into numbers with ISO-3 codes.

    Parameters
    ----------
    path : Path
        CSV with date, country, ``monthly_hashrate_%``, ``monthly_absolute_hashrate_EH/S``.

    with_lines : bool
        Also return each row's line in ``path`` (header = line 1), so a rule broken later can be
        reported against the source line.

    Returns
    -------
    pandas.DataFrame, or (pandas.DataFrame, pandas.Series) with ``with_lines``
        :data:`COUNTRY_COLUMNS`; ``country`` without the asterisk, ``vpn_caveat`` where it had one.

    Raises
    ------
    InputFormatError
        For a missing column, a non-numeric share, an unknown country or a month not summing to 100.
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    share_col, ehs_col = "monthly_hashrate_%", "monthly_absolute_hashrate_EH/S"
    _require_columns(frame, path, ["date", "country", share_col, ehs_col])
    out = pd.DataFrame(
        {
            "date": _dates(frame["date"], path, "date"),
            "country": frame["country"].str.rstrip(" *").str.strip(),
            "iso3": _iso3_column(frame["country"], path, "country"),
            "share_pct": _numeric(frame[share_col], path, share_col),
            "hashrate_ehs": _numeric(frame[ehs_col], path, ehs_col),
            "vpn_caveat": frame["country"].str.strip().str.endswith("*"),
            "_line": frame.index + 2,
        }
    )
    check_sums(out, path, "share_pct", share_col)
    out = (
        out[COUNTRY_COLUMNS + ["_line"]]
        .sort_values(["date", "share_pct"], ascending=[True, False])
        .reset_index(drop=True)
    )
    lines = out.pop("_line")
    return (out, lines) if with_lines else out


def read_countries_v110(path: Path) -> pd.DataFrame:
    """Parse the older v1.1.0 download (Date, Country, Share.of.global.hashrate).

    Returns
    -------
    pandas.DataFrame
        date, iso3 (None for 'Other'), share_pct.
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    share_col = "Share.of.global.hashrate"
    _require_columns(frame, path, ["Date", "Country", share_col])
    out = pd.DataFrame(
        {
            "date": _dates(frame["Date"], path, "Date"),
            "country": frame["Country"],
            "iso3": _iso3_column(frame["Country"], path, "Country"),
            "share_pct": _numeric(frame[share_col], path, share_col),
        }
    )
    check_sums(out, path, "share_pct", share_col)
    return out


def cross_check(v120: pd.DataFrame, v110: pd.DataFrame) -> pd.DataFrame:
    """Compare the two download formats where they overlap; they must agree exactly.

    Parameters
    ----------
    v120, v110 : pandas.DataFrame
        From :func:`read_countries` and :func:`read_countries_v110`.

    Returns
    -------
    pandas.DataFrame
        One row: months_compared, rows_compared, max_abs_diff_pct.

    Raises
    ------
    InputFormatError
        When a share differs, a country of one is missing from the other in a shared month, or the
        two do not overlap at all.
    """
    key = ["date", "iso3"]
    a = v120.assign(iso3=v120["iso3"].fillna(OTHER))
    b = v110.assign(iso3=v110["iso3"].fillna(OTHER))
    shared = sorted(set(a["date"]) & set(b["date"]))
    if not shared:
        raise InputFormatError("the v1.2.0 and v1.1.0 mining_countries downloads share no month")
    a, b = a[a["date"].isin(shared)], b[b["date"].isin(shared)]
    both = a.merge(b[key + ["share_pct"]], on=key, how="outer", suffixes=("", "_v110"), indicator=True)
    lonely = both[both["_merge"].ne("both")]
    if not lonely.empty:
        row = lonely.iloc[0]
        raise InputFormatError(
            f"the two CCAF downloads list different countries: {row['iso3']} in {row['date']:%Y-%m} "
            f"is only in the {'v1.2.0' if row['_merge'] == 'left_only' else 'v1.1.0'} file"
        )
    diff = (both["share_pct"] - both["share_pct_v110"]).abs()
    if (diff > 1e-9).any():
        worst = both.loc[diff.idxmax()]
        raise InputFormatError(
            f"the two CCAF downloads disagree: {worst['country']} {worst['date']:%Y-%m}: "
            f"{worst['share_pct']} (v1.2.0 'monthly_hashrate_%') vs {worst['share_pct_v110']} "
            "(v1.1.0 'Share.of.global.hashrate') (rule: identical where they overlap)"
        )
    return pd.DataFrame(
        [{"months_compared": len(shared), "rows_compared": len(both), "max_abs_diff_pct": float(diff.max())}]
    )


def read_provinces(path: Path, countries: pd.DataFrame, with_lines: bool = False):
    """Parse China's provinces and add the implied share of global hashrate.

    ``implied_global_pct = share_of_china_pct × china_share_pct / 100``: a province's share of
    China's hashrate times China's share of the world.

    Parameters
    ----------
    path : Path
        CSV with Date, Province, ``Share of Chinese hashrate``.
    countries : pandas.DataFrame
        From :func:`read_countries` (for China's share).
    with_lines : bool
        Also return each row's line in ``path`` (as :func:`read_countries`).

    Raises
    ------
    InputFormatError
        For a missing column, a month not summing to 100 (all-zero months are accepted: China's
        provinces report nothing once its share is 0), or a month China has no share for.
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    share_col = "Share of Chinese hashrate"
    _require_columns(frame, path, ["Date", "Province", share_col])
    out = pd.DataFrame(
        {
            "date": _dates(frame["Date"], path, "Date"),
            "province": frame["Province"].str.strip(),
            "province_label": frame["Province"].str.strip().replace(PROVINCE_LABELS),
            "share_of_china_pct": _numeric(frame[share_col], path, share_col),
            "_line": frame.index + 2,
        }
    )
    check_sums(out, path, "share_of_china_pct", share_col, allow_zero_months=True)
    china = countries.loc[countries["iso3"].eq(CHINA), ["date", "share_pct"]].rename(
        columns={"share_pct": "china_share_pct"}
    )
    out = out.merge(china, on="date", how="left")
    if out["china_share_pct"].isna().any():
        months = sorted({f"{d:%Y-%m}" for d in out.loc[out["china_share_pct"].isna(), "date"]})
        raise InputFormatError(f"{Path(path).name}: no Mainland China share in the countries table for {months}")
    out["implied_global_pct"] = implied_global_share(out["share_of_china_pct"], out["china_share_pct"])
    out = (
        out[PROVINCE_COLUMNS + ["_line"]]
        .sort_values(["date", "share_of_china_pct"], ascending=[True, False])
        .reset_index(drop=True)
    )
    lines = out.pop("_line")
    return (out, lines) if with_lines else out


def implied_global_share(share_of_china_pct: pd.Series | float, china_share_pct: pd.Series | float):
    """A province's share of global hashrate (%) from its share of China's and China's share.

    Examples
    --------
    >>> implied_global_share(50.0, 40.0)
    20.0
    """
    return share_of_china_pct * china_share_pct / 100.0


def read_published_figures(path: Path) -> pd.DataFrame:
    """Read our compilation of figures CCAF published in text (``data/reference``).

    Returns
    -------
    pandas.DataFrame
        :data:`FIGURE_COLUMNS`; ``value`` numeric, ``iso3`` None where no country.

    Raises
    ------
    InputFormatError
        For a missing column, a duplicate ``figure_id`` or a country whose ``iso3`` is missing.
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    _require_columns(frame, path, FIGURE_COLUMNS)
    if frame["figure_id"].duplicated().any():
        raise InputFormatError(
            f"{Path(path).name}: duplicate figure_id {frame.loc[frame['figure_id'].duplicated(), 'figure_id'].tolist()}"
        )
    no_code = frame["country"].ne("") & frame["iso3"].eq("")
    if no_code.any():
        raise InputFormatError(
            f"{Path(path).name}: column 'iso3' is empty for {frame.loc[no_code, 'country'].tolist()}"
        )
    frame["value"] = _numeric(frame["value"], path, "value")
    frame["iso3"] = frame["iso3"].replace("", None)
    return frame[FIGURE_COLUMNS]


# --------------------------------------------------------------------------- validation


def months(countries: pd.DataFrame) -> list[str]:
    """The months of the countries table, ``YYYY-MM``, in order."""
    return [f"{d:%Y-%m}" for d in sorted(countries["date"].unique())]


def check_month(countries: pd.DataFrame, month: str) -> pd.Timestamp:
    """Return ``month`` (``YYYY-MM``) as a timestamp, or raise if the data lacks it.

    Raises
    ------
    InputFormatError
        When ``month`` is malformed or outside the data.
    """
    try:
        when = pd.Timestamp(f"{month}-01") if len(str(month)) == 7 else None
    except ValueError:
        when = None
    known = months(countries)
    if when is None or f"{when:%Y-%m}" not in known:
        raise InputFormatError(
            f"mining_month {month!r} is not in the CCAF mining-map data "
            f"(months {known[0]} .. {known[-1]}, format YYYY-MM)"
        )
    return when


def check_iso3(countries: pd.DataFrame, source: str = "mining_countries") -> None:
    """Every row but 'Other' must carry an ISO-3 code (maps join on it).

    Raises
    ------
    InputFormatError
        Naming the table, the countries and their months.
    """
    missing = countries["iso3"].isna() & countries["country"].ne(OTHER)
    if missing.any():
        bad = countries[missing]
        raise InputFormatError(
            f"{source}: column 'iso3' is empty for {sorted(bad['country'].astype(str).unique())} "
            f"in {sorted({f'{d:%Y-%m}' for d in bad['date']})} (rule: every country but 'Other' has an ISO-3 code)"
        )


# --------------------------------------------------------------------------- views


def display_name(row: pd.Series) -> str:
    """Country name as CCAF shows it (with the asterisk for VPN-affected shares)."""
    return f"{row['country']} *" if bool(row.get("vpn_caveat", False)) else str(row["country"])


def share_of(countries: pd.DataFrame, iso: str, month: str) -> float:
    """One country's share (%) in one month (NaN when not listed)."""
    rows = countries[countries["iso3"].eq(iso) & countries["date"].eq(pd.Timestamp(f"{month}-01"))]
    return float(rows["share_pct"].iloc[0]) if not rows.empty else float("nan")


def share_table(countries: pd.DataFrame) -> pd.DataFrame:
    """Month × country table of shares (%), countries ordered by their latest share, 'Other' last."""
    frame = countries.assign(label=countries.apply(display_name, axis=1))
    wide = frame.pivot_table(index="date", columns="label", values="share_pct", aggfunc="first")
    latest = wide.iloc[-1].sort_values(ascending=False)
    order = [c for c in latest.index if c != OTHER] + ([OTHER] if OTHER in wide.columns else [])
    return wide[order]


def top_n_mask(row: pd.Series, n: int = 5, exclude: tuple[str, ...] = (OTHER,)) -> list[bool]:
    """Booleans marking the ``n`` largest numeric values of a table row (ties included).

    Non-numeric cells and the columns in ``exclude`` are never marked.
    """
    values = pd.to_numeric(row.drop(labels=[c for c in exclude if c in row.index]), errors="coerce").dropna()
    threshold = values.nlargest(n).min() if len(values) else np.inf
    return [bool(col in values.index and values[col] >= threshold) for col in row.index]


def ranking(countries: pd.DataFrame, month: str, reference_month: str = "2021-04") -> pd.DataFrame:
    """Rank countries in ``month``, with changes vs 12 months earlier and vs ``reference_month``.

    'Other' is listed last and not ranked. Changes are in percentage points; NaN where the
    earlier month is not in the data.

    Parameters
    ----------
    countries : pandas.DataFrame
        The processed ``mining_countries`` table.
    month : str
        ``YYYY-MM``.
    reference_month : str
        The month to compare with (the last month before China's crackdown by default).

    Returns
    -------
    pandas.DataFrame
        rank, country, iso3, share_pct, hashrate_ehs, vpn_caveat, change_12m_pp, change_vs_ref_pp.

    Raises
    ------
    InputFormatError
        When the month is outside the data.
    """
    when = check_month(countries, month)
    now = countries[countries["date"].eq(when)].set_index("country")
    year_ago = countries[countries["date"].eq(when - pd.DateOffset(years=1))].set_index("country")["share_pct"]
    ref = countries[countries["date"].eq(pd.Timestamp(f"{reference_month}-01"))].set_index("country")["share_pct"]
    out = now[["iso3", "share_pct", "hashrate_ehs", "vpn_caveat"]].copy()
    out["change_12m_pp"] = out["share_pct"] - year_ago.reindex(out.index)
    out["change_vs_ref_pp"] = out["share_pct"] - ref.reindex(out.index)
    out = out.reset_index()
    ranked = out[out["country"].ne(OTHER)].sort_values(["share_pct", "country"], ascending=[False, True])
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    other = out[out["country"].eq(OTHER)].assign(rank=pd.NA)
    result = pd.concat([ranked, other], ignore_index=True)
    result["rank"] = result["rank"].astype("Int64")
    return result


def rank_of(countries: pd.DataFrame, iso: str, month: str) -> int | None:
    """A country's rank in ``month`` ('Other' not ranked); None when not listed."""
    table = ranking(countries, month)
    hit = table[table["iso3"].eq(iso)]
    return int(hit["rank"].iloc[0]) if not hit.empty else None


def country_series(countries: pd.DataFrame, codes: tuple[str, ...]) -> pd.DataFrame:
    """Month × country share (%) for the given ISO-3 codes (columns named by country)."""
    part = countries[countries["iso3"].isin(codes)]
    wide = part.pivot_table(index="date", columns="iso3", values="share_pct", aggfunc="first")
    names = part.drop_duplicates("iso3").set_index("iso3")["country"]
    return wide[[c for c in codes if c in wide.columns]].rename(columns=names)


def zero_months(countries: pd.DataFrame, iso: str = CHINA) -> list[str]:
    """Months (``YYYY-MM``) in which a country's share is exactly 0."""
    rows = countries[countries["iso3"].eq(iso) & countries["share_pct"].eq(0.0)]
    return [f"{d:%Y-%m}" for d in sorted(rows["date"])]


def last_month_before(countries: pd.DataFrame, month: str) -> str:
    """The last month in the data strictly before ``month`` (``YYYY-MM``).

    Raises
    ------
    InputFormatError
        When the data starts at or after ``month``.
    """
    earlier = [m for m in months(countries) if m < month]
    if not earlier:
        raise InputFormatError(f"the mining-map data has no month before {month}")
    return earlier[-1]


def milestones(countries: pd.DataFrame, wanted: tuple[str, ...] = MILESTONE_MONTHS) -> list[str]:
    """The milestone months that are in the data (small multiples, findings)."""
    known = set(months(countries))
    return [m for m in wanted if m in known]


# --------------------------------------------------------------------------- provinces


def province_months_with_data(provinces: pd.DataFrame) -> list[str]:
    """Months (``YYYY-MM``) in which the provinces' shares are not all zero."""
    totals = provinces.groupby("date")["share_of_china_pct"].sum()
    return [f"{d:%Y-%m}" for d in totals.index[totals > 0]]


def provinces_wide(provinces: pd.DataFrame, through: str | None = None) -> pd.DataFrame:
    """Month × province share of China's hashrate (%), through ``through`` (default: last month with data).

    Columns are ordered wet-season provinces first, then the rest by mean share, 'Other', then
    the dry-season provinces (so a stacked chart shows the swing at the bottom and the top).
    """
    through = through or province_months_with_data(provinces)[-1]
    part = provinces[provinces["date"].le(pd.Timestamp(f"{through}-01"))]
    wide = part.pivot_table(index="date", columns="province_label", values="share_of_china_pct", aggfunc="first")
    wet = [PROVINCE_LABELS.get(p, p) for p in WET_PROVINCES]
    dry = [PROVINCE_LABELS.get(p, p) for p in DRY_PROVINCES]
    middle = [c for c in wide.mean().sort_values(ascending=False).index if c not in (*wet, *dry, OTHER)]
    order = [c for c in (*wet, *middle, OTHER, *reversed(dry)) if c in wide.columns]
    return wide[order]


def province_table(provinces: pd.DataFrame, month: str) -> pd.DataFrame:
    """Provinces in one month: share of China's hashrate and implied share of global hashrate.

    Raises
    ------
    InputFormatError
        When the month has no province data.
    """
    rows = provinces[provinces["date"].eq(pd.Timestamp(f"{month}-01"))]
    if rows.empty or rows["share_of_china_pct"].sum() == 0:
        raise InputFormatError(
            f"mining_provinces has no data for {month} "
            f"(months with data: {', '.join(province_months_with_data(provinces))})"
        )
    out = rows.sort_values("share_of_china_pct", ascending=False)
    out = pd.concat([out[out["province"].ne(OTHER)], out[out["province"].eq(OTHER)]])
    return out[["province_label", "share_of_china_pct", "china_share_pct", "implied_global_pct"]].reset_index(drop=True)


def season_of(date: pd.Timestamp) -> str:
    """Season label of a month: 'wet YYYY' (May–Oct) or 'dry YYYY/YY' (Nov–Apr).

    Examples
    --------
    >>> season_of(pd.Timestamp("2020-07-01")), season_of(pd.Timestamp("2020-12-01")), season_of(pd.Timestamp("2021-02-01"))
    ('wet 2020', 'dry 2020/21', 'dry 2020/21')
    """
    if date.month in WET_SEASON_MONTHS:
        return f"wet {date.year}"
    start = date.year if date.month > max(WET_SEASON_MONTHS) else date.year - 1
    return f"dry {start}/{str(start + 1)[-2:]}"


def seasonal_swing(provinces: pd.DataFrame) -> pd.DataFrame:
    """Mean share of China's hashrate in the wet-season and dry-season provinces, by season.

    Months with no province data are left out; a season the data only partly covers says so.

    Returns
    -------
    pandas.DataFrame
        season, months (first–last), n_months, complete, wet_provinces_pct, dry_provinces_pct,
        wet_minus_dry_pp.
    """
    with_data = set(province_months_with_data(provinces))
    part = provinces[provinces["date"].dt.strftime("%Y-%m").isin(with_data)]
    wet = part[part["province"].isin(WET_PROVINCES)].groupby("date")["share_of_china_pct"].sum()
    dry = part[part["province"].isin(DRY_PROVINCES)].groupby("date")["share_of_china_pct"].sum()
    frame = pd.DataFrame({"wet": wet, "dry": dry}).fillna(0.0)
    frame["season"] = [season_of(d) for d in frame.index]
    rows = []
    for season, group in frame.groupby("season", sort=False):
        dates = group.index
        rows.append(
            {
                "season": season,
                "months": f"{dates.min():%Y-%m} – {dates.max():%Y-%m}",
                "n_months": len(group),
                "complete": len(group) == 6,
                "wet_provinces_pct": group["wet"].mean(),
                "dry_provinces_pct": group["dry"].mean(),
            }
        )
    out = pd.DataFrame(rows)
    out["wet_minus_dry_pp"] = out["wet_provinces_pct"] - out["dry_provinces_pct"]
    return out


# --------------------------------------------------------------------------- published figures


def published_vs_download(countries: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    """Mining-map figures CCAF published in text next to the same month in the download.

    Returns
    -------
    pandas.DataFrame
        figure_id, published, refers_to, country, iso3, published_pct, download_pct, diff_pp.
    """
    mm = figures[figures["metric"].eq("share_of_global_hashrate")].copy()
    mm["download_pct"] = [
        share_of(countries, iso, month) if iso else np.nan for iso, month in zip(mm["iso3"], mm["refers_to"])
    ]
    mm = mm.rename(columns={"value": "published_pct"})
    mm["diff_pp"] = mm["download_pct"] - mm["published_pct"]
    return mm[
        ["figure_id", "published", "refers_to", "country", "iso3", "published_pct", "download_pct", "diff_pp"]
    ].reset_index(drop=True)


def survey_countries(figures: pd.DataFrame) -> pd.DataFrame:
    """The April 2025 report's country shares of surveyed firms' reported activity, ranked."""
    survey = figures[figures["metric"].eq("share_of_reported_activity") & figures["iso3"].notna()]
    survey = survey.sort_values("value", ascending=False).reset_index(drop=True)
    survey.insert(0, "rank", range(1, len(survey) + 1))
    return survey


def survey_vs_map(countries: pd.DataFrame, figures: pd.DataFrame, month: str) -> pd.DataFrame:
    """Side by side: the mining map's ``month`` and the April 2025 survey, joined on ISO-3.

    Countries in either list are shown; a country absent from a list has NaN there.

    Returns
    -------
    pandas.DataFrame
        country, iso3, map_rank, map_share_pct, survey_rank, survey_share_pct.
    """
    ranked = ranking(countries, month)
    ranked = ranked[ranked["iso3"].notna()][["country", "iso3", "rank", "share_pct"]]
    ranked = ranked.rename(columns={"rank": "map_rank", "share_pct": "map_share_pct"})
    survey = survey_countries(figures)[["country", "iso3", "rank", "value"]]
    survey = survey.rename(columns={"country": "survey_country", "rank": "survey_rank", "value": "survey_share_pct"})
    both = ranked.merge(survey, on="iso3", how="outer")
    both["country"] = both["country"].fillna(both["survey_country"])
    both["survey_rank"] = both["survey_rank"].astype("Int64")
    both["map_rank"] = both["map_rank"].astype("Int64")
    both = both.sort_values(["survey_rank", "map_rank"], na_position="last")
    return both[["country", "iso3", "map_rank", "map_share_pct", "survey_rank", "survey_share_pct"]].reset_index(
        drop=True
    )


def figure_value(figures: pd.DataFrame, metric: str, iso: str | None = None) -> float:
    """One published figure's value (NaN when the compilation lacks it)."""
    hit = figures[figures["metric"].eq(metric)]
    hit = hit[hit["iso3"].eq(iso)] if iso else hit[hit["iso3"].isna()]
    return float(hit["value"].iloc[0]) if not hit.empty else float("nan")
