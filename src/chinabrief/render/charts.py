"""Shared chart style and the token charts (mining charts live in ``mining_charts``)."""

from __future__ import annotations

import textwrap

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..text import fmt_number
from .figures import new_figure

#: One colour per token in every chart of every brief (benchmarks dark and thick).
TOKEN_COLORS = {
    "TRX": "#b3261e",
    "NEO": "#2e8540",
    "VET": "#1f5fa8",
    "CFX": "#d4763b",
    "OKB": "#6b3fa0",
    "BTC": "#1d2430",
    "ETH": "#5b6472",
}
FALLBACK_COLORS = ["#17becf", "#9a6400", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"]


def token_color(token: str, index: int = 0) -> str:
    """The token's colour (fixed for the core tokens and benchmarks)."""
    return TOKEN_COLORS.get(token, FALLBACK_COLORS[index % len(FALLBACK_COLORS)])


def wrap_title(title: str, width: int = 72) -> str:
    """Break a long chart title over lines so it stays within the figure."""
    return "\n".join(textwrap.wrap(title, width)) or title


def source_note(ax: Axes, text: str) -> None:
    """Write a small source line under the axes."""
    ax.annotate(text, xy=(0, -0.16), xycoords="axes fraction", fontsize=8, color="#5b6472", ha="left", va="top")


def car_paths(paths: pd.DataFrame, title: str, ylabel: str = "Cumulative abnormal return (%)") -> Figure:
    """Line chart of cumulative abnormal returns by relative day, one line per token.

    Parameters
    ----------
    paths : pandas.DataFrame
        Index: rel_day; columns: tokens; values: CAR in percent.
    """
    fig = new_figure()
    draw_car_paths(fig.subplots(), paths, title, ylabel)
    return fig


def car_paths_panels(panels: list[tuple[str, pd.DataFrame]], ylabel: str = "Cumulative abnormal return (%)") -> Figure:
    """One :func:`draw_car_paths` panel per (title, paths), side by side on a shared y axis."""
    n = max(1, len(panels))
    fig = new_figure(figsize=(4.8 * n if n > 1 else 9, 4.6))
    axes = fig.subplots(1, n, sharey=True, squeeze=False)[0]
    for i, (ax, (title, paths)) in enumerate(zip(axes, panels)):
        draw_car_paths(ax, paths, title, ylabel if i == 0 else "", legend=n == 1)
        if n > 1:
            ax.set_title(wrap_title(title, 40), fontsize=10)
    if n > 1 and panels:
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, ncol=min(len(labels), 8), loc="lower center", bbox_to_anchor=(0.5, -0.08))
    return fig


def draw_car_paths(
    ax: Axes, paths: pd.DataFrame, title: str, ylabel: str = "Cumulative abnormal return (%)", legend: bool = True
) -> None:
    """Draw cumulative abnormal returns by relative day into ``ax``, one line per token."""
    for i, token in enumerate(paths.columns):
        ax.plot(paths.index, paths[token], marker="o", markersize=3, label=token, color=token_color(token, i))
    ax.axvline(0, color="#1d2430", linewidth=1, linestyle="--")
    ax.axhline(0, color="#1d2430", linewidth=0.8)
    ax.set_xlabel("Days relative to day 0 (UTC days)")
    ax.set_ylabel(ylabel)
    ax.set_title(wrap_title(title))
    if legend:
        ax.legend(ncol=min(len(paths.columns), 6), loc="upper center", bbox_to_anchor=(0.5, -0.2))
    if len(paths.index):
        ax.set_xticks(np.arange(paths.index.min(), paths.index.max() + 1))


def indexed_prices(frame: pd.DataFrame, title: str) -> Figure:
    """Prices indexed to 100 on the day before day 0, one line per token, by relative day."""
    fig = new_figure()
    ax = fig.subplots()
    for i, token in enumerate(frame.columns):
        ax.plot(
            frame.index,
            frame[token],
            marker="o",
            markersize=3,
            label=token,
            color=token_color(token, i),
            linewidth=2.4 if token in ("BTC", "ETH") else 1.4,
        )
    ax.axvline(0, color="#1d2430", linewidth=1, linestyle="--")
    ax.axhline(100, color="#1d2430", linewidth=0.8)
    ax.set_xlabel("Days relative to day 0 (UTC days)")
    ax.set_ylabel("Price, indexed (day −1 close = 100)")
    ax.set_title(wrap_title(title))
    ax.legend(ncol=min(len(frame.columns), 7), loc="upper center", bbox_to_anchor=(0.5, -0.2))
    return fig


def heatmap(
    matrix: pd.DataFrame, row_labels: list[str], title: str, unit: str = "%", marks: pd.DataFrame | None = None
) -> Figure:
    """Diverging heatmap (rows × columns) centred on zero, values printed in cells; NaN greyed.

    ``marks``: text appended to each cell's value (e.g. significance stars), same shape."""
    values = matrix.to_numpy(dtype=float)
    limit = float(np.nanpercentile(np.abs(values), 95)) if np.isfinite(values).any() else 1.0
    height = max(4.0, 0.28 * len(row_labels) + 1.6)  # rows tall enough for 9-point labels
    fig = new_figure(figsize=(9.5, height))
    ax = fig.subplots()
    cmap = matplotlib.colormaps["RdBu"].copy()
    cmap.set_bad("#e6e8ec")
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(matrix.shape[1]), matrix.columns)
    ax.set_yticks(range(len(row_labels)), row_labels, fontsize=9)
    ax.xaxis.tick_top()
    ax.grid(False)
    for (i, j), value in np.ndenumerate(values):
        if np.isfinite(value):
            mark = "" if marks is None or not isinstance(marks.iat[i, j], str) else marks.iat[i, j]
            ax.text(
                j,
                i,
                fmt_number(value, "{:+.1f}") + mark,
                ha="center",
                va="center",
                fontsize=8.5,
                color="white" if abs(value) > 0.6 * limit else "#1d2430",
            )
    bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    bar.set_label(f"CAR ({unit}); grey: excluded (not enough data)")
    ax.set_title(title, pad=24)
    return fig


def caar_intervals(table: pd.DataFrame, title: str) -> Figure:
    """CAAR per scope with its 95% confidence interval (percent), one row per scope."""
    fig = new_figure(figsize=(9, 0.5 * len(table) + 1.4))
    ax = fig.subplots()
    y = np.arange(len(table))[::-1]
    ax.errorbar(
        table["caar"],
        y,
        xerr=[table["caar"] - table["ci_low"], table["ci_high"] - table["caar"]],
        fmt="o",
        color="#1f5fa8",
        ecolor="#5b6472",
        capsize=4,
    )
    ax.axvline(0, color="#1d2430", linewidth=0.8)
    ax.set_yticks(y, [f"{s} (N={n})" for s, n in zip(table["scope"], table["n_tokens"])])
    ax.set_xlabel("CAAR[−1,+1] with 95% confidence interval (%)")
    ax.set_title(title)
    return fig
