"""The article briefs' charts: the prices around each price claim's ``as_of`` with the claimed
range drawn, and the mining series with the claimed value marked. Each returns one Figure (one
panel per claim) with its alt text attached."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..analysis.claim_checks import LAGS, resolve_country
from ..data import cbeci
from ..text import Markdown
from . import charts
from .figures import new_figure, set_alt

CLAIM_BAND = "#fff3c4"
CLAIM_EDGE = "#9a6400"
DAY_SHADE = "#eef1f5"
WINDOW_DAYS = (2, 1)  # days drawn before and after the claim's day (hourly)
DAILY_WINDOW = (7, 3)


def _changes(r, claim, token: str) -> tuple[pd.Series, str]:
    """The token's change over the claim's period around ``as_of`` (percent), and the table it is from."""
    day = pd.Timestamp(claim.as_of_day)
    lag = LAGS[str(claim.period)]
    hourly = r.data.prices_hourly
    h = hourly[hourly["token"].eq(token)].set_index("timestamp")["close"].sort_index()
    near = h[
        (h.index >= day - pd.Timedelta(days=WINDOW_DAYS[0] + 2))
        & (h.index < day + pd.Timedelta(days=WINDOW_DAYS[1] + 1))
    ]
    if (
        claim.period in ("1h", "24h")
        and not near[(near.index >= day) & (near.index < day + pd.Timedelta(days=1))].empty
    ):
        change = (near / near.reindex(near.index - lag).to_numpy() - 1) * 100
        change.index = change.index + pd.Timedelta(hours=1)  # stamped at the close
        lo, hi = day - pd.Timedelta(days=WINDOW_DAYS[0]), day + pd.Timedelta(days=WINDOW_DAYS[1] + 1)
        return change[(change.index >= lo) & (change.index <= hi)].dropna(), "hourly"
    d = r.data.prices_daily
    s = d[d["token"].eq(token)].set_index("date")["close"].sort_index()
    s = s[
        (s.index >= day - pd.Timedelta(days=DAILY_WINDOW[0] + 8))
        & (s.index <= day + pd.Timedelta(days=DAILY_WINDOW[1]))
    ]
    lag_days = 7 if claim.period == "7d" else 1
    full = s.reindex(pd.date_range(s.index.min(), s.index.max(), freq="D")) if not s.empty else s
    change = (full / full.shift(lag_days) - 1) * 100
    change.index = change.index + pd.Timedelta(hours=12)  # drawn in the middle of the UTC day it describes
    lo = day - pd.Timedelta(days=DAILY_WINDOW[0])
    return change[change.index >= lo].dropna(), "daily"


def price_claims(r) -> Figure | Markdown:
    """One panel per price claim: each token's change around ``as_of``, the claimed range shaded."""
    from ..analysis.article_check import claim_of, price_claim_ids

    ids = price_claim_ids(r)
    if not ids:
        return Markdown.paragraph("No price claim has data to draw.")
    fig = new_figure(figsize=(8.0, 3.0 * len(ids)))
    axes = fig.subplots(len(ids), 1, squeeze=False)[:, 0]
    for ax, claim_id in zip(axes, ids):
        claim = claim_of(r, claim_id)
        tol = r.check.measures[r.check.measures["claim_id"].eq(claim_id)]["tolerance_pp"].max()
        day = pd.Timestamp(claim.as_of_day)
        ax.axvspan(day, day + pd.Timedelta(days=1), color=DAY_SHADE, zorder=0, label=f"{claim.as_of_day} (UTC)")
        ax.axhspan(claim.low - tol, claim.high + tol, color=CLAIM_BAND, zorder=1, label=f"claimed ± {tol:g} pp")
        ax.axhline(claim.low, color=CLAIM_EDGE, lw=0.8, zorder=2)
        if claim.high != claim.low:
            ax.axhline(claim.high, color=CLAIM_EDGE, lw=0.8, zorder=2)
        kinds = set()
        for i, token in enumerate(claim.tokens):
            series, kind = _changes(r, claim, token)
            if claim.kind == "relative_change":
                bench, _ = _changes(r, claim, str(claim.benchmark))
                series = (series - bench.reindex(series.index)).dropna()
            if series.empty:
                continue
            kinds.add(kind)
            style = {"marker": "o", "ms": 4} if kind == "daily" else {}
            ax.plot(
                series.index,
                series.to_numpy(),
                color=charts.token_color(token, i),
                lw=1.4,
                label=token,
                zorder=3,
                **style,
            )
        ax.axhline(0, color="#5b6472", lw=0.6, zorder=2)
        versus = f" minus {claim.benchmark}" if claim.kind == "relative_change" else ""
        ax.set_title(
            charts.wrap_title(
                f"{claim_id}: {claim.period} change{versus} (%), {' and '.join(sorted(kinds)) or 'no'} closes"
            ),
            loc="left",
            fontsize=10,
        )
        ax.set_ylabel("%")
        ax.legend(fontsize=8, loc="best", ncol=3)
        _day_axis(ax)
    fig.tight_layout()
    return set_alt(fig, "Price changes around each price claim's day with the claimed range shaded: " + "; ".join(ids))


def _day_axis(ax) -> None:
    """One tick per UTC day, labelled month-day, at midnight."""
    import matplotlib.dates as mdates

    ax.xaxis.set_major_locator(mdates.DayLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    ax.set_xlabel("UTC; hourly changes drawn at the close they end at, daily ones mid-day", fontsize=8)


def mining_claims(r) -> Figure | Markdown:
    """One panel per mining claim: the country's share (or rank) on the mining map, the claim marked."""
    from ..analysis.article_check import claim_of, mining_claim_ids

    ids = mining_claim_ids(r)
    if not ids:
        return Markdown.paragraph("No mining claim names a country on the mining map.")
    countries = r.data.countries
    fig = new_figure(figsize=(8.0, 2.8 * len(ids)))
    axes = fig.subplots(len(ids), 1, squeeze=False)[:, 0]
    for ax, claim_id in zip(axes, ids):
        claim = claim_of(r, claim_id)
        iso, name = resolve_country(str(claim.country), countries, r.data.figures)
        series = countries[countries["iso3"].eq(iso)].sort_values("date")
        if claim.kind == "mining_share":
            tol = r.tolerances.share_rounding_pp
            ax.axhspan(
                claim.value_pct - tol,
                claim.value_pct + tol,
                color=CLAIM_BAND,
                label=f"claimed {claim.value_pct:g}% ± {tol:g} pp",
            )
            ax.axhline(claim.value_pct, color=CLAIM_EDGE, lw=0.8)
            ax.plot(
                series["date"],
                series["share_pct"],
                color=charts.token_color("BTC"),
                marker="o",
                ms=3,
                lw=1.4,
                label=f"{name}, share of global hashrate (mining map)",
            )
            hits = series[(series["share_pct"] - claim.value_pct).abs() <= tol]
            ax.plot(
                hits["date"],
                hits["share_pct"],
                ls="none",
                marker="o",
                ms=8,
                mfc="none",
                mec=CLAIM_EDGE,
                mew=1.5,
                label="months within the tolerance",
            )
            ax.set_ylabel("% of global hashrate")
        else:
            months = [f"{d:%Y-%m}" for d in sorted(countries["date"].unique())]
            ranks = [cbeci.rank_of(countries, str(iso), m) for m in months]
            dates = [pd.Timestamp(f"{m}-01") for m in months]
            ax.plot(
                dates,
                ranks,
                color=charts.token_color("BTC"),
                marker="o",
                ms=3,
                lw=1.4,
                label=f"{name}, rank on the mining map",
            )
            if claim.top_n:
                ax.axhline(claim.top_n + 0.5, color=CLAIM_EDGE, lw=1.0, ls="--", label=f"top {claim.top_n}")
            if claim.rank:
                ax.axhline(claim.rank, color=CLAIM_EDGE, lw=1.0, label=f"claimed rank {claim.rank}")
            ax.invert_yaxis()
            ax.set_ylabel("rank")
        ax.set_title(
            charts.wrap_title(f"{claim_id}: {claim.kind.replace('_', ' ')} of {name}"), loc="left", fontsize=10
        )
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return set_alt(fig, "Mining map series with each mining claim marked: " + "; ".join(ids))
