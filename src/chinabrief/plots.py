"""Shared chart style and the token charts (mining charts live in ``mining_charts``)."""
from __future__ import annotations

from importlib import resources

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def use_style() -> None:
    """Apply the project's one matplotlib style."""
    plt.style.use(str(resources.files("chinabrief").joinpath("styles/brief.mplstyle")))


def source_note(ax: plt.Axes, text: str) -> None:
    """Write a small source line under the axes."""
    ax.annotate(text, xy=(0, -0.16), xycoords="axes fraction", fontsize=8, color="#5b6472", ha="left", va="top")


def car_paths(paths: pd.DataFrame, title: str, ylabel: str = "Cumulative abnormal return (%)") -> plt.Figure:
    """Line chart of cumulative abnormal returns by relative day, one line per token.

    Parameters
    ----------
    paths : pandas.DataFrame
        Index: rel_day; columns: tokens; values: CAR in percent.
    """
    use_style()
    fig, ax = plt.subplots()
    for token in paths.columns:
        ax.plot(paths.index, paths[token], marker="o", markersize=3, label=token)
    ax.axvline(0, color="#1d2430", linewidth=1, linestyle="--")
    ax.axhline(0, color="#1d2430", linewidth=0.8)
    ax.set_xlabel("Days relative to day 0 (UTC days)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(ncol=min(len(paths.columns), 6), loc="upper left")
    ax.set_xticks(np.arange(paths.index.min(), paths.index.max() + 1))
    return fig


def indexed_prices(frame: pd.DataFrame, title: str) -> plt.Figure:
    """Prices indexed to 100 on the day before day 0, one line per token, by relative day."""
    use_style()
    fig, ax = plt.subplots()
    for token in frame.columns:
        ax.plot(frame.index, frame[token], marker="o", markersize=3, label=token,
                linewidth=2.4 if token in ("BTC", "ETH") else 1.4)
    ax.axvline(0, color="#1d2430", linewidth=1, linestyle="--")
    ax.axhline(100, color="#1d2430", linewidth=0.8)
    ax.set_xlabel("Days relative to day 0 (UTC days)")
    ax.set_ylabel("Price, indexed (day −1 close = 100)")
    ax.set_title(title)
    ax.legend(ncol=min(len(frame.columns), 7), loc="upper left")
    return fig
