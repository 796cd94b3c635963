"""Charts of the mining brief, each from a :class:`~chinabrief.analysis.mining_share.MiningShare`: China's
share over time, China's provinces, and the world maps (drawn by :mod:`chinabrief.render.maps`).

Each returns a :class:`matplotlib.figure.Figure` with its alt text attached; source lines are the
notebook cells' ``source`` metadata, which the brief template prints under the figure."""

from __future__ import annotations

from typing import cast

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..analysis.mining_share import MiningShare
from ..data import cbeci
from ..text import pct
from . import charts, maps
from .figures import new_figure, set_alt


def china_share(r: MiningShare) -> Figure:
    """Mainland China's share of global hashrate over time, with the next largest miners."""
    c = r.countries
    zeros = cbeci.zero_months(c)
    alt = (
        f"Line chart of monthly shares of global hashrate, {r.first_month} to {r.last_month}. Mainland China "
        f"falls from {pct(cbeci.share_of(c, cbeci.CHINA, r.first_month))} to "
        + (f"0% in {' and '.join(zeros)} after the May–June 2021 crackdown, " if zeros else "")
        + f"and is {pct(cbeci.share_of(c, cbeci.CHINA, r.last_month))} in {r.last_month}; the United States "
        f"rises to {pct(cbeci.share_of(c, 'USA', r.last_month))}."
    )
    return set_alt(china_over_time(c), alt)


def provinces(r: MiningShare) -> Figure:
    """Each province's share of China's hashrate, wet seasons shaded."""
    p = r.inputs.provinces
    with_data = cbeci.province_months_with_data(p)
    swing = r.tables["seasonal_swing"]
    full = swing[swing["complete"]]
    alt = (
        f"Stacked area chart of provinces' shares of China's hashrate, {with_data[0]} to {with_data[-1]}; "
        "Sichuan and Yunnan grow in each wet season, Xinjiang and Inner Mongolia in each dry season."
    )
    if not full.empty:
        alt += (
            " Season means: "
            + "; ".join(
                f"{row['season']}: Sichuan + Yunnan {row['wet_provinces_pct']:.1f}%, Xinjiang + Inner Mongolia "
                f"{row['dry_provinces_pct']:.1f}%"
                for _, row in full.iterrows()
            )
            + "."
        )
    return set_alt(provinces_stacked(p), alt)


def world_map(r: MiningShare) -> Figure:
    """World map of each country's share of global hashrate in the chosen month."""
    leader = cbeci.ranking(r.countries, r.month).iloc[0]
    fig = maps.choropleth(r.inputs.world, r.countries, r.month)
    return set_alt(
        fig,
        f"World map of shares of global hashrate in {r.month}; the largest is "
        f"{leader['country']} at {pct(leader['share_pct'])}.",
    )


def milestone_maps(r: MiningShare) -> Figure:
    """Four world maps on one colour scale: first month, before the crackdown, China at 0%, latest."""
    shown = tuple(cbeci.milestones(r.countries))
    china = ", ".join(f"{m}: {pct(cbeci.share_of(r.countries, cbeci.CHINA, m))}" for m in shown)
    fig = maps.small_multiples(r.inputs.world, r.countries, shown)
    return set_alt(fig, f"{len(shown)} world maps on one colour scale; Mainland China's share {china}.")


CHINA_COLOUR = "#b3261e"
PEER_COLOURS = {"USA": "#1f5fa8", "KAZ": "#2e8540", "RUS": "#6b3fa0", "CAN": "#9a6400"}
CRACKDOWN_COLOUR = "#f3d6d3"
WET_BAND_COLOUR = "#e3eef9"
PROVINCE_COLOURS = {
    "Sichuan": "#1f5fa8",
    "Yunnan": "#7fb0e0",
    "Inner Mongolia": "#d4763b",
    "Xinjiang": "#b3261e",
    "Other": "#e4e6ea",
}
MIDDLE_GREYS = ("#8a929e", "#a3aab4", "#bcc2ca", "#cfd4da", "#9aa1ab", "#b0b6bf")


def _month_start(month: str) -> pd.Timestamp:
    return pd.Timestamp(f"{month}-01")


def _month_end(month: str) -> pd.Timestamp:
    return _month_start(month) + pd.offsets.MonthBegin(1)


def _format_month_axis(ax: Axes) -> None:
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    for label in ax.get_xticklabels():
        label.set_rotation(0)


def _end_labels(ax: Axes, series: pd.DataFrame, colours: dict[str, str], min_gap: float = 2.8) -> None:
    """Write each line's name and last value at its right end, nudged apart so none overlap.

    Call after the y limits are final (the nudge converts data units to points).
    """
    last = series.iloc[-1].dropna().sort_values()
    points_per_unit = _points_per_unit(ax)
    previous = None
    for name, value in last.items():
        y = value if previous is None else max(value, previous + min_gap)
        previous = y
        ax.annotate(
            f"{name} {value:.2f}%",
            xy=(series.index[-1], value),
            xytext=(8, (y - value) * points_per_unit),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color=colours.get(name, "#1d2430"),
            annotation_clip=False,
        )


def _points_per_unit(ax: Axes) -> float:
    """Points per y-data unit of an axes."""
    height_pt = ax.get_position().height * cast(Figure, ax.figure).get_figheight() * 72
    lo, hi = ax.get_ylim()
    return height_pt / (hi - lo)


def china_over_time(
    countries: pd.DataFrame, source: str | None = None, peers: tuple[str, ...] = cbeci.PEER_COUNTRIES
) -> Figure:
    """Line chart of Mainland China's share of global hashrate, with peer countries.

    The May–June 2021 crackdown is shaded; months in which China's share is 0% are marked.

    Parameters
    ----------
    countries : pandas.DataFrame
        The processed ``mining_countries`` table.
    source : str
        Source line under the chart.
    peers : tuple of str
        ISO-3 codes drawn next to China.

    Returns
    -------
    matplotlib.figure.Figure
    """
    series = cbeci.country_series(countries, (cbeci.CHINA, *peers))
    names = countries.drop_duplicates("iso3").set_index("iso3")["country"]
    colours = {names[cbeci.CHINA]: CHINA_COLOUR} | {
        names[c]: PEER_COLOURS.get(c, "#555555") for c in peers if c in names
    }
    fig = new_figure(figsize=(9, 4.8))
    ax = fig.subplots()
    ax.axvspan(
        _month_start(cbeci.CRACKDOWN_START),
        _month_end(cbeci.CRACKDOWN_END),
        color=CRACKDOWN_COLOUR,
        zorder=0,
        linewidth=0,
    )
    for name in series.columns:
        is_china = name == names[cbeci.CHINA]
        ax.plot(
            series.index,
            series[name],
            color=colours[name],
            linewidth=2.6 if is_china else 1.5,
            marker="o" if is_china else None,
            markersize=3,
            label=name,
            zorder=3 if is_china else 2,
        )
    ax.set_ylim(0, max(80.0, float(series.max().max()) + 5))
    ax.set_xlim(series.index[0] - pd.Timedelta(days=15), series.index[-1] + pd.Timedelta(days=15))
    _annotate_china(ax, countries, names[cbeci.CHINA])
    _end_labels(ax, series, colours)
    ax.set_title("Share of global Bitcoin hashrate: Mainland China and the next largest miners")
    ax.set_ylabel("Share of global hashrate (%)")
    ax.set_xlabel("Month (monthly average)")
    _format_month_axis(ax)
    if source:
        charts.source_note(ax, source)
    return fig


def _annotate_china(ax: Axes, countries: pd.DataFrame, china_name: str) -> None:
    first = cbeci.months(countries)[0]
    crack_mid = _month_start(cbeci.CRACKDOWN_START) + pd.Timedelta(days=30)
    ax.text(
        crack_mid,
        ax.get_ylim()[1] * 0.97,
        "China's crackdown\n(May–June 2021)",
        ha="center",
        va="top",
        fontsize=8,
        color=CHINA_COLOUR,
    )
    value = cbeci.share_of(countries, cbeci.CHINA, first)
    ax.annotate(
        f"{china_name} {value:.2f}% ({first})",
        xy=(_month_start(first), value),
        xytext=(10, 6),
        textcoords="offset points",
        fontsize=8,
        color=CHINA_COLOUR,
    )
    zeros = cbeci.zero_months(countries, cbeci.CHINA)
    if zeros:
        dates = [_month_start(m) for m in zeros]
        ax.scatter(
            dates,
            [0.0] * len(dates),
            s=40,
            facecolor="white",
            edgecolor=CHINA_COLOUR,
            zorder=4,
            linewidth=1.6,
            clip_on=False,
        )
        ax.text(
            dates[-1] + pd.Timedelta(days=12),
            1.4,
            f"◀ 0% in {' and '.join(zeros)}",
            ha="left",
            va="center",
            fontsize=8,
            color=CHINA_COLOUR,
            fontweight="bold",
        )


def provinces_stacked(provinces: pd.DataFrame, source: str | None = None) -> Figure:
    """Stacked area of each province's share of China's hashrate, wet seasons shaded.

    Sichuan and Yunnan (hydropower, cheap in the wet season) are stacked at the bottom,
    Xinjiang and Inner Mongolia (coal, the dry-season destinations) at the top, so the seasonal
    swing shows as the boundary moving up and down. Drawn through the last month with data.

    Parameters
    ----------
    provinces : pandas.DataFrame
        The processed ``mining_provinces`` table.
    source : str
        Source line under the chart.

    Returns
    -------
    matplotlib.figure.Figure
    """
    wide = cbeci.provinces_wide(provinces)
    greys = iter(MIDDLE_GREYS * 3)
    colours = [PROVINCE_COLOURS.get(c) or next(greys) for c in wide.columns]
    fig = new_figure(figsize=(9, 4.8))
    ax = fig.subplots()
    _shade_wet_seasons(ax, wide.index)
    ax.stackplot(
        wide.index,
        wide.T.to_numpy(),
        labels=wide.columns,
        colors=colours,
        alpha=0.95,
        edgecolor="white",
        linewidth=0.4,
        zorder=2,
    )
    ax.set_ylim(0, 100)
    ax.set_xlim(wide.index[0], wide.index[-1])
    ax.set_title(f"Share of China's hashrate by province, {wide.index[0]:%Y-%m} to {wide.index[-1]:%Y-%m}", pad=20)
    ax.set_ylabel("Share of China's hashrate (%)")
    ax.set_xlabel("Month (monthly average); dashed lines and blue bars above: wet season, May–October")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    _format_month_axis(ax)
    ax.grid(False)
    if source:
        charts.source_note(ax, source)
    return fig


def _shade_wet_seasons(ax: Axes, dates: pd.DatetimeIndex) -> None:
    """Mark May–October of each year: a labelled bar above the axes and dashed season boundaries."""
    first_wet, last_wet = min(cbeci.WET_SEASON_MONTHS), max(cbeci.WET_SEASON_MONTHS)
    for year in range(dates.min().year, dates.max().year + 1):
        start = pd.Timestamp(year=year, month=first_wet, day=1)
        end = pd.Timestamp(year=year, month=last_wet, day=1) + pd.offsets.MonthBegin(1)
        shown_start, shown_end = max(start, dates.min()), min(end, dates.max())
        if shown_start >= shown_end:
            continue
        ax.axvspan(shown_start, shown_end, ymin=1.005, ymax=1.04, color="#1f5fa8", clip_on=False, linewidth=0)
        ax.text(
            shown_start + (shown_end - shown_start) / 2,
            102.2,
            "wet",
            ha="center",
            va="center",
            fontsize=7,
            color="white",
            clip_on=False,
        )
        for edge in (start, end):
            if dates.min() < edge < dates.max():
                ax.axvline(edge, color="white", linestyle="--", linewidth=1.1, zorder=3)
