"""The charts of 'China, or just crypto?', from a :class:`~chinabrief.china_premium.ChinaPremium`."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..analysis import china_premium
from ..text import Markdown, window_label
from .figures import new_figure, set_alt

WINDOWS = [(0, 0), (-1, 1), (0, 3)]
COLOURS = ["#8fb3dc", "#1f5fa8", "#0b2f5c"]


def by_category(r) -> Figure | Markdown:
    """The premium by category with 95% confidence intervals (clustered), three windows."""
    if r.premium is None:
        return missing(r)
    p = r.premium
    fig = new_figure(figsize=(9, 3.6))
    ax = fig.subplots()
    scopes = china_premium.SCOPES
    y = np.arange(len(scopes))[::-1].astype(float)
    windows = [w for w in WINDOWS if ((p.premium["window_start"] == w[0]) & (p.premium["window_end"] == w[1])).any()]
    alt = []
    for i, window in enumerate(windows):
        rows = [china_premium.headline_row(p, s, window=window) for s in scopes]
        est = np.array([r["estimate"] for r in rows]) * 100
        low = np.array([r["ci_low"] for r in rows]) * 100
        high = np.array([r["ci_high"] for r in rows]) * 100
        offset = ((len(windows) - 1) / 2 - i) * 0.22  # the first window on top, as in the legend
        ax.errorbar(
            est,
            y + offset,
            xerr=[est - low, high - est],
            fmt="o",
            color=COLOURS[i % len(COLOURS)],
            capsize=3,
            label=window_label(window[0], window[1], "CAR"),
        )
        alt.append(
            f"{window_label(window[0], window[1], 'CAR')}: "
            + ", ".join(f"{s} {e:+.2f} pp" for s, e in zip(scopes, est))
        )
    ax.axvline(0, color="#1d2430", linewidth=0.8)
    ax.set_yticks(y, [china_premium.SCOPE_WORDS[s] for s in scopes])
    ax.set_xlabel("China-linked minus control CAR (percentage points), 95% CI clustered by overlapping events")
    ax.set_title(f"China premium by category (market model, vs {p.benchmark})")
    ax.legend(loc="best", fontsize=8, frameon=False)
    return set_alt(fig, "China premium with confidence intervals by category; " + "; ".join(alt))


def placebo(r, model: str = china_premium.BASE_MODEL, window=china_premium.BASE_WINDOW) -> Figure | Markdown:
    """The placebo distributions with the observed value marked, one panel per category."""
    if r.premium is None:
        return missing(r)
    p = r.premium
    scopes = china_premium.SCOPES
    fig = new_figure(figsize=(9.5, 3.2))
    axes = fig.subplots(1, len(scopes), sharey=False)
    alt = []
    for ax, scope in zip(np.atleast_1d(axes), scopes):
        result = p.draws[(scope, model, tuple(window))]
        draws = result.draws[np.isfinite(result.draws)] * 100
        shifted = result.shifted * 100
        values = np.concatenate([draws, shifted]) if shifted.size else draws
        if values.size:
            bins = np.linspace(
                np.nanmin(np.append(values, result.observed * 100)),
                np.nanmax(np.append(values, result.observed * 100)),
                40,
            )
            ax.hist(draws, bins=bins, density=True, color="#8fb3dc", alpha=0.8, label="random dates")
            if shifted.size:
                ax.hist(
                    shifted,
                    bins=bins,
                    density=True,
                    histtype="step",
                    color="#0b2f5c",
                    linewidth=1.2,
                    label="all dates shifted",
                )
        if np.isfinite(result.observed):
            ax.axvline(result.observed * 100, color="#c0392b", linewidth=1.6, label="observed")
        ax.set_title(f"{china_premium.SCOPE_WORDS[scope]} (p {result.p:.3f} / {result.p_block:.3f})", fontsize=9)
        ax.set_yticks([])
        ax.set_xlabel(f"mean {window_label(window[0], window[1], 'CAR')} of the difference (pp)", fontsize=8)
        alt.append(
            f"{scope}: observed {result.observed * 100:+.2f} pp, random-date p {result.p:.3f}, "
            f"block p {result.p_block:.3f}"
        )
    np.atleast_1d(axes)[0].legend(loc="upper left", fontsize=7, frameon=False)
    fig.suptitle(
        f"Placebos: {int(p.settings['placebo_draws']):,} random non-event date sets and every shift of all "
        "dates together",
        fontsize=10,
    )
    return set_alt(fig, "Placebo distributions of the difference portfolio's mean CAR; " + "; ".join(alt))


def missing(r) -> Markdown:
    """What shows instead when the data hold no control group."""
    return Markdown.paragraph(f"Not measured: {r.premium_missing}")
