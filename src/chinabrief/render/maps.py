"""World choropleths of the CCAF mining map (the shapes and the ISO-3 join: :mod:`chinabrief.data.world_shapes`)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..data.world_shapes import join_shares
from .figures import new_figure

#: Shared colour classes for every map (percent of global hashrate, left-closed bins).
SHARE_BINS = (0.0, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 100.0)
SHARE_COLOURS = ("#fff1d6", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#990000")
NO_DATA_COLOUR = "#d4d7dc"
BORDER_COLOUR = "#ffffff"
NO_DATA_LABEL = "no data: not listed by CCAF (inside 'Other')"
SMALL_MULTIPLE_MONTHS = ("2019-09", "2021-04", "2021-08", "2022-01")


def share_classes(shares: pd.Series) -> pd.Series:
    """Colour-class index (0..n-1) of each share in :data:`SHARE_BINS`; -1 for no data."""
    index = np.digitize(shares.fillna(-1.0).to_numpy(), SHARE_BINS[1:-1], right=False)
    return pd.Series(np.where(shares.isna(), -1, index), index=shares.index)


def bin_labels() -> list[str]:
    """Legend labels of the colour classes, in percent."""
    edges = [f"{b:g}" for b in SHARE_BINS]
    labels = [f"{lo}–{hi}%" for lo, hi in zip(edges[:-1], edges[1:])]
    labels[0] = f"under {edges[1]}% (incl. 0%)"
    return labels


def legend_handles() -> list[Patch]:
    """Patches for the shared legend: one per colour class, then the no-data grey."""
    handles = [
        Patch(facecolor=c, edgecolor="#9aa1ab", linewidth=0.5, label=label)
        for c, label in zip(SHARE_COLOURS, bin_labels())
    ]
    handles.append(Patch(facecolor=NO_DATA_COLOUR, edgecolor="#9aa1ab", linewidth=0.5, label=NO_DATA_LABEL))
    return handles


def _draw(ax: Axes, joined: gpd.GeoDataFrame, title: str, label_iso3: str | None = "CHN") -> None:
    cmap = ListedColormap(SHARE_COLOURS)
    norm = BoundaryNorm(SHARE_BINS, cmap.N)
    missing = joined[joined["share_pct"].isna()]
    present = joined[joined["share_pct"].notna()]
    missing.plot(ax=ax, color=NO_DATA_COLOUR, edgecolor=BORDER_COLOUR, linewidth=0.3)
    if not present.empty:
        present.plot(ax=ax, column="share_pct", cmap=cmap, norm=norm, edgecolor="#6b7280", linewidth=0.35)
    if label_iso3 is not None:
        _label_country(ax, joined, label_iso3)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    ax.set_axis_off()
    ax.set_xlim(*joined.total_bounds[[0, 2]])
    ax.set_ylim(*joined.total_bounds[[1, 3]])


def _label_country(ax: Axes, joined: gpd.GeoDataFrame, iso3: str) -> None:
    row = joined[joined["iso_a3"].eq(iso3)]
    if row.empty or row["share_pct"].isna().all():
        return
    point = row.geometry.iloc[0].representative_point()
    ax.annotate(
        f"{row['name'].iloc[0]} {row['share_pct'].iloc[0]:.2f}%",
        xy=(point.x, point.y),
        xytext=(0, -22),
        textcoords="offset points",
        ha="center",
        fontsize=8,
        fontweight="bold",
        color="#1d2430",
        arrowprops={"arrowstyle": "-", "color": "#1d2430", "linewidth": 0.6},
        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
    )


LEGEND_BAND_IN = 0.95
TITLE_BAND_IN = 0.55
PANEL_TITLE_IN = 0.28


def _map_aspect(world: gpd.GeoDataFrame) -> float:
    """Width / height of the projected world's bounding box."""
    minx, miny, maxx, maxy = world.total_bounds
    return (maxx - minx) / (maxy - miny)


def _map_grid(
    world: gpd.GeoDataFrame, n_panels: int, n_cols: int, width_in: float, panel_titles: bool
) -> tuple[Figure, list[Axes]]:
    """A figure whose map panels have the world's aspect, with bands for the title and legend."""
    n_rows = int(np.ceil(n_panels / n_cols))
    panel_w = width_in / n_cols
    panel_h = panel_w / _map_aspect(world) + (PANEL_TITLE_IN if panel_titles else 0.0)
    height = TITLE_BAND_IN + n_rows * panel_h + LEGEND_BAND_IN
    fig = new_figure(figsize=(width_in, height))
    axes = []
    for i in range(n_panels):
        row, col = divmod(i, n_cols)
        bottom = LEGEND_BAND_IN + (n_rows - 1 - row) * panel_h
        map_h = panel_h - (PANEL_TITLE_IN if panel_titles else 0.0)
        axes.append(
            fig.add_axes((col * panel_w / width_in, bottom / height, panel_w / width_in * 0.98, map_h / height))
        )
    return fig, axes


def _finish(fig: Figure, title: str, source: str | None) -> None:
    """Figure title at the top, the shared legend and the source line at the bottom."""
    height = fig.get_figheight()
    fig.text(0.005, 1 - 0.12 / height, title, ha="left", va="top", fontsize=12, fontweight="bold")
    fig.legend(
        handles=legend_handles(),
        loc="upper center",
        ncol=4,
        fontsize=8,
        title="Share of global hashrate (%), same classes in every map",
        title_fontsize=8,
        bbox_to_anchor=(0.5, (LEGEND_BAND_IN - 0.02) / height),
        frameon=False,
    )
    if source:
        fig.text(0.005, 0.02 / height, source, fontsize=8, color="#5b6472", ha="left", va="bottom")


def choropleth(world: gpd.GeoDataFrame, countries: pd.DataFrame, month: str, source: str | None = None) -> Figure:
    """World map of each country's share of global hashrate in ``month`` (shared colour classes).

    Parameters
    ----------
    world : geopandas.GeoDataFrame
        From :func:`load_world`.
    countries : pandas.DataFrame
        The processed ``mining_countries`` table.
    month : str
        ``YYYY-MM``.
    source : str, optional
        Source line under the map (the brief prints it from the cell's metadata instead).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (ax,) = _map_grid(world, 1, 1, 10.0, panel_titles=False)
    _draw(ax, join_shares(world, countries, month), "")
    _finish(fig, f"Share of global Bitcoin hashrate by country, {month} (%)", source)
    return fig


def small_multiples(
    world: gpd.GeoDataFrame, countries: pd.DataFrame, months: tuple[str, ...], source: str | None = None
) -> Figure:
    """A grid of world maps, one per month, on one shared colour scale and one legend.

    Parameters
    ----------
    world : geopandas.GeoDataFrame
        From :func:`load_world`.
    countries : pandas.DataFrame
        The processed ``mining_countries`` table.
    months : tuple of str
        ``YYYY-MM`` months, drawn left to right, top to bottom (two per row).
    source : str, optional
        Source line under the maps.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = _map_grid(world, len(months), 2, 11.0, panel_titles=True)
    for ax, month in zip(axes, months):
        _draw(ax, join_shares(world, countries, month), month)
    _finish(fig, "Share of global Bitcoin hashrate by country (%), " + ", ".join(months), source)
    return fig
