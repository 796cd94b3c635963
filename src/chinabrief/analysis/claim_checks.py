"""Verdicts for an article's claims, each with the measured values and the rule used.

The vocabulary is small (:data:`VERDICTS`): ``consistent``, ``same direction, different size``,
``not supported``, ``misdated`` (the figure exists, but for another date or publication) and
``not checkable`` (the data cannot judge the claim; the reason is given: no price for that token
at that time, a period finer than the data, a country absent from the source).

- Price claims (``price_change``, ``relative_change``) are measured on the processed prices: a
  ``24h`` claim on every 24-hour change ending in the hours of ``as_of`` the hourly closes cover
  (the claim fits if any of them is inside the claimed range, and the verdict says which), else
  on the UTC-day close-to-close change with a wider tolerance (an aggregator's rolling 24 hours
  ends at any hour; see :class:`Tolerances`); ``day`` and ``7d`` on daily closes; ``1h`` on
  hourly closes only.
- ``mining_share`` claims are searched in every month of the CCAF mining map and in our
  compilation of CCAF's published figures; ``mining_rank`` claims against the ranking of the
  publication the article names, else the map's latest month.

Every tolerance is a parameter (``params.yaml``), passed in as :class:`Tolerances`. Nothing here
names an article, a claim, a token or a date.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..data.claims import Article, Claim

CONSISTENT = "consistent"
DIFFERENT_SIZE = "same direction, different size"
NOT_SUPPORTED = "not supported"
MISDATED = "misdated"
NOT_CHECKABLE = "not checkable"
VERDICTS = (CONSISTENT, DIFFERENT_SIZE, NOT_SUPPORTED, MISDATED, NOT_CHECKABLE)
#: A claim on several tokens takes the first of these its tokens get (else consistent).
WORST_FIRST = (NOT_SUPPORTED, MISDATED, DIFFERENT_SIZE)
SHARE_METRIC = "share_of_global_hashrate"
COUNTRY_METRICS = ("share_of_global_hashrate", "share_of_reported_activity")
HOUR = pd.Timedelta(hours=1)
DAY = pd.Timedelta(days=1)
LAGS = {"1h": HOUR, "24h": DAY, "7d": pd.Timedelta(days=7), "day": DAY}

VERDICT_COLUMNS = ["claim_id", "kind", "claim", "claimed", "data_says", "verdict", "rule"]
TOKEN_COLUMNS = [
    "claim_id",
    "token",
    "claimed_low",
    "claimed_high",
    "data_pct",
    "measure",
    "fits",
    "source",
    "verdict",
    "reason",
]
MEASURE_COLUMNS = ["claim_id", "token", "measure", "ends", "pct", "tolerance_pp", "fits", "source"]


@dataclass(frozen=True)
class Tolerances:
    """How far a measured value may be from the claimed one and still count (all parameters).

    Attributes
    ----------
    rounding_pp : float
        Slack around a claimed price change, in percentage points (the article rounds).
    aggregator_gap_pp : float
        Extra slack when a rolling-24h claim can only be set beside a UTC-day close-to-close
        change (no hourly closes): the aggregator's 24 hours end at another hour.
    share_rounding_pp : float
        Slack around a claimed mining share, in percentage points (shares are quoted rounded).
    misdate_days : int
        Days either side of ``as_of`` searched when a price claim does not fit its own day.
    """

    rounding_pp: float = 0.05
    aggregator_gap_pp: float = 1.75
    share_rounding_pp: float = 0.5
    misdate_days: int = 1

    @classmethod
    def from_params(
        cls,
        claim_rounding_pp: float,
        claim_aggregator_gap_pp: float,
        claim_share_rounding_pp: float,
        claim_misdate_days: int,
    ) -> Tolerances:
        """From the parameters of ``params.yaml`` (their names there)."""
        return cls(claim_rounding_pp, claim_aggregator_gap_pp, claim_share_rounding_pp, claim_misdate_days)


@dataclass
class ClaimData:
    """The processed tables the checks read (a missing table makes its claims not checkable)."""

    prices_daily: pd.DataFrame | None = None
    prices_hourly: pd.DataFrame | None = None
    countries: pd.DataFrame | None = None
    figures: pd.DataFrame | None = None


@dataclass
class ArticleCheck:
    """Every claim of one article with its verdict and evidence.

    Attributes
    ----------
    article : Article
    verdicts : pandas.DataFrame
        One row per claim: :data:`VERDICT_COLUMNS`.
    tokens : pandas.DataFrame
        One row per token of each price claim: :data:`TOKEN_COLUMNS`.
    measures : pandas.DataFrame
        Every measured change of each price claim: :data:`MEASURE_COLUMNS`.
    tolerances : Tolerances
    """

    article: Article
    verdicts: pd.DataFrame
    tokens: pd.DataFrame
    measures: pd.DataFrame
    tolerances: Tolerances
    mining_evidence: dict = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Claims per verdict, in the order of :data:`VERDICTS` (verdicts given only)."""
        c = self.verdicts["verdict"].value_counts()
        return {v: int(c[v]) for v in VERDICTS if v in c.index}


# --------------------------------------------------------------------------- formatting


def fmt_pct(value: float, signed: bool = True) -> str:
    """``+1.23%`` with a true minus sign."""
    from ..text import fmt_number

    return fmt_number(value, "{:+.2f}%" if signed else "{:.2f}%")


def claimed_text(claim: Claim) -> str:
    """The claimed figure as text: ``+0.50% to +3.00%``, ``−0.16%``, ``21%``, ``not in the top 5``."""
    if claim.kind == "mining_rank":
        if claim.rank is not None:
            return f"rank {claim.rank}"
        return f"{'in' if claim.in_top else 'not in'} the top {claim.top_n}"
    if claim.kind == "mining_share":
        return f"{claim.value_pct:g}%"
    lo, hi = claim.low, claim.high
    text = fmt_pct(lo) if lo == hi else f"{fmt_pct(lo)} to {fmt_pct(hi)}"
    if claim.kind == "relative_change":
        text += f" versus {claim.benchmark}"
    return f"{text} ({claim.period})"


def _hours_text(ends: list[pd.Timestamp]) -> str:
    """End hours as compact runs: ``03:00–05:00, 09:00 UTC`` (24:00 for the day's last)."""

    def label(t: pd.Timestamp, day) -> str:
        return "24:00" if t.normalize() > day else f"{t:%H:%M}"

    if not ends:
        return ""
    ends = sorted(ends)
    day = ends[0].normalize() if ends[0].hour else ends[0].normalize() - DAY
    runs, start, prev = [], ends[0], ends[0]
    for t in ends[1:]:
        if t - prev == HOUR:
            prev = t
            continue
        runs.append((start, prev))
        start = prev = t
    runs.append((start, prev))
    return ", ".join(label(a, day) if a == b else f"{label(a, day)}–{label(b, day)}" for a, b in runs) + " UTC"


# --------------------------------------------------------------------------- prices


def _series(frame: pd.DataFrame | None, token: str, key: str) -> pd.Series:
    if frame is None or frame.empty:
        return pd.Series(dtype=float)
    part = frame[frame["token"].eq(token)]
    return part.set_index(key)["close"].sort_index()


def _source(frame: pd.DataFrame | None, token: str, key: str, when: pd.Timestamp) -> str:
    part = frame[frame["token"].eq(token) & frame[key].eq(when)] if frame is not None else None
    return str(part["source"].iloc[0]) if part is not None and not part.empty and "source" in part else ""


def _change(series: pd.Series, end: pd.Timestamp, lag: pd.Timedelta) -> float:
    if end in series.index and end - lag in series.index:
        return float((series[end] / series[end - lag] - 1) * 100)
    return float("nan")


def price_measures(claim: Claim, token: str, data: ClaimData, tol: Tolerances) -> tuple[pd.DataFrame, str | None]:
    """Every change of ``token`` that measures ``claim`` (``ends`` = when the change ends, UTC).

    Returns
    -------
    (pandas.DataFrame, str or None)
        token, measure, ends, pct, tolerance_pp, source, key (the row's timestamp in its table),
        table ('daily'/'hourly'); and why the data cannot judge the claim (None when it can).
    """
    day = pd.Timestamp(claim.as_of_day)
    when = pd.Timestamp(claim.as_of_time) if claim.as_of_time is not None else None
    daily = _series(data.prices_daily, token, "date")
    hourly = _series(data.prices_hourly, token, "timestamp")
    rows = []
    hourly_day = hourly[(hourly.index >= day) & (hourly.index < day + DAY)] if not hourly.empty else hourly
    if claim.period in ("1h", "24h") and not hourly_day.empty:
        lag = LAGS[str(claim.period)]
        # an hourly row is stamped at its candle's start: its close is at start + 1h
        keys = [when.floor("h") - HOUR] if when is not None else list(hourly_day.index)
        for key in keys:
            pct = _change(hourly, key, lag)
            if pct == pct:
                rows.append(
                    {
                        "token": token,
                        "measure": f"{claim.period} to {key + HOUR:%Y-%m-%d %H:%M} UTC (hourly closes)",
                        "ends": key + HOUR,
                        "pct": pct,
                        "tolerance_pp": tol.rounding_pp,
                        "source": _source(data.prices_hourly, token, "timestamp", key),
                        "key": key,
                        "table": "hourly",
                    }
                )
    elif claim.period == "1h":
        reason = (
            f"no price data for {token} on {day:%Y-%m-%d}"
            if day not in daily.index
            else f"the period 1h is finer than the data for {token} on {day:%Y-%m-%d} (daily closes only)"
        )
        return pd.DataFrame(rows, columns=_MEASURE_FRAME), reason
    else:
        lag = LAGS[str(claim.period)]
        slack = tol.rounding_pp + (tol.aggregator_gap_pp if claim.period == "24h" else 0.0)
        pct = _change(daily, day, lag)
        if pct == pct:
            what = {
                "day": "close to close, UTC day",
                "7d": "7 days to the UTC-day close",
                "24h": "close to close, UTC day (no hourly closes)",
            }[str(claim.period)]
            rows.append(
                {
                    "token": token,
                    "measure": f"{what} {day:%Y-%m-%d}",
                    "ends": day + DAY,
                    "pct": pct,
                    "tolerance_pp": slack,
                    "source": _source(data.prices_daily, token, "date", day),
                    "key": day,
                    "table": "daily",
                }
            )
    if not rows:
        return pd.DataFrame(rows, columns=_MEASURE_FRAME), f"no price data for {token} at {day:%Y-%m-%d}" + (
            f" {when:%H:%M} UTC" if when is not None else ""
        ) + " (or the period before it)"
    return pd.DataFrame(rows, columns=_MEASURE_FRAME), None


_MEASURE_FRAME = ["token", "measure", "ends", "pct", "tolerance_pp", "source", "key", "table"]


def _relative(claim: Claim, token: str, data: ClaimData, tol: Tolerances) -> tuple[pd.DataFrame, str | None]:
    """The token's changes minus the benchmark's over the same spans."""
    mine, reason = price_measures(claim, token, data, tol)
    if reason:
        return mine, reason
    bench, reason = price_measures(claim, str(claim.benchmark), data, tol)
    if reason:
        return mine.iloc[0:0], f"benchmark {claim.benchmark}: {reason}"
    both = mine.merge(bench[["ends", "pct", "table", "source"]], on=["ends", "table"], suffixes=("", "_bench"))
    if both.empty:
        return both[_MEASURE_FRAME], f"no span where both {token} and {claim.benchmark} have prices"
    both["pct"] = both["pct"] - both["pct_bench"]
    both["measure"] = both["measure"] + f", minus {claim.benchmark}"
    both["source"] = both["source"] + " / " + both["source_bench"]
    return both[_MEASURE_FRAME], None


def _fits(pct: float, lo: float, hi: float, slack: float) -> bool:
    return lo - slack - 1e-9 <= pct <= hi + slack + 1e-9


def _misdated(claim: Claim, token: str, data: ClaimData, tol: Tolerances) -> list[str]:
    """Other days within ``misdate_days`` of ``as_of`` whose UTC-day change fits the claim."""
    if claim.period not in ("day", "24h", "7d") or claim.as_of_time is not None or tol.misdate_days < 1:
        return []
    day = pd.Timestamp(claim.as_of_day)
    lag = LAGS[str(claim.period)]
    slack = tol.rounding_pp + (tol.aggregator_gap_pp if claim.period == "24h" else 0.0)
    daily = _series(data.prices_daily, token, "date")
    bench = _series(data.prices_daily, str(claim.benchmark), "date") if claim.kind == "relative_change" else None
    out = []
    for k in range(-tol.misdate_days, tol.misdate_days + 1):
        if k == 0:
            continue
        other = day + pd.Timedelta(days=k)
        pct = _change(daily, other, lag)
        if bench is not None:
            pct -= _change(bench, other, lag)
        if pct == pct and _fits(pct, claim.low, claim.high, slack):
            out.append(f"{other:%Y-%m-%d} ({fmt_pct(pct)})")
    return out


def _direction(lo: float, hi: float) -> int:
    return 1 if lo > 0 else -1 if hi < 0 else 0


def check_token(claim: Claim, token: str, data: ClaimData, tol: Tolerances) -> tuple[dict, pd.DataFrame]:
    """One token of a price claim: its row of :data:`TOKEN_COLUMNS` and its measures."""
    measures, reason = (_relative if claim.kind == "relative_change" else price_measures)(claim, token, data, tol)
    base = {"claim_id": claim.id, "token": token, "claimed_low": claim.low, "claimed_high": claim.high}
    if reason:
        return {
            **base,
            "data_pct": float("nan"),
            "measure": "",
            "fits": "",
            "source": "no data",
            "verdict": NOT_CHECKABLE,
            "reason": reason,
        }, measures
    lo, hi = claim.low, claim.high
    measures = measures.assign(fits=[_fits(p, lo, hi, s) for p, s in zip(measures["pct"], measures["tolerance_pp"])])
    hits = measures[measures["fits"]]
    if not hits.empty:
        shown = hits.iloc[-1]
        fits = _hours_text(list(hits["ends"])) if len(measures) > 1 else "yes"
        verdict, why = CONSISTENT, ""
    else:
        distance = measures["pct"].map(lambda p: max(lo - p, p - hi))
        shown = measures.loc[distance.idxmin()]
        fits = "no"
        other_days = _misdated(claim, token, data, tol)
        claimed_way = _direction(lo, hi)
        if other_days:
            verdict, why = MISDATED, "fits " + ", ".join(other_days) + " instead"
        elif claimed_way and (shown["pct"] > 0) == (claimed_way > 0) and shown["pct"] != 0:
            verdict, why = DIFFERENT_SIZE, ""
        else:
            verdict, why = NOT_SUPPORTED, ""
    row = {
        **base,
        "data_pct": float(shown["pct"]),
        "measure": shown["measure"],
        "fits": fits,
        "source": shown["source"],
        "verdict": verdict,
        "reason": why,
    }
    return row, measures


def _price_data_says(claim: Claim, rows: list[dict], measures: pd.DataFrame) -> str:
    parts = []
    for row in rows:
        token = row["token"]
        if row["verdict"] == NOT_CHECKABLE:
            parts.append(f"{token}: {row['reason']}")
            continue
        mine = measures[measures["token"].eq(token)]
        if len(mine) > 1:
            span = f"{len(mine)} changes ending on {claim.as_of_day}: {fmt_pct(mine['pct'].min())} to {fmt_pct(mine['pct'].max())}"
            fit = f"; inside the claim at {row['fits']}" if row["verdict"] == CONSISTENT else "; none inside the claim"
            parts.append(f"{token}: {span}{fit}")
        else:
            parts.append(f"{token}: {fmt_pct(row['data_pct'])} ({row['measure']})")
        if row["reason"]:
            parts[-1] += f"; {row['reason']}"
    return ". ".join(parts) + "."


def price_rule(claim: Claim, tol: Tolerances) -> str:
    """The rule a price claim's verdict used, in words."""
    if claim.period == "24h":
        how = (
            f"each 24h change ending in the hours of {claim.as_of_day} with hourly closes (± {tol.rounding_pp:g} pp), "
            f"else the UTC-day close-to-close change (± {tol.rounding_pp + tol.aggregator_gap_pp:g} pp)"
        )
    elif claim.period == "1h":
        how = f"each 1h change from hourly closes (± {tol.rounding_pp:g} pp)"
    else:
        how = f"the {'UTC-day' if claim.period == 'day' else '7-day'} close-to-close change (± {tol.rounding_pp:g} pp)"
    versus = f", minus {claim.benchmark}'s over the same span" if claim.kind == "relative_change" else ""
    return f"consistent if {how}{versus} is in the claimed range; misdated if only a day within {tol.misdate_days} of it fits"


def combine(verdicts: list[str]) -> str:
    """One verdict for a claim on several tokens: not checkable if none is checkable, consistent if
    every checkable one is, else the first of :data:`WORST_FIRST` among them."""
    checkable = [v for v in verdicts if v != NOT_CHECKABLE]
    if not checkable:
        return NOT_CHECKABLE
    for v in WORST_FIRST:
        if v in checkable:
            return v
    return CONSISTENT


def check_price_claim(claim: Claim, data: ClaimData, tol: Tolerances) -> tuple[dict, list[dict], pd.DataFrame]:
    """A price claim: its verdict row, its token rows and its measures."""
    rows, parts = [], []
    for token in claim.tokens:
        row, measures = check_token(claim, token, data, tol)
        rows.append(row)
        parts.append(measures.assign(claim_id=claim.id))
    measures = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=MEASURE_COLUMNS)
    if "fits" not in measures:
        measures["fits"] = pd.Series(dtype=bool)
    verdict = combine([r["verdict"] for r in rows])
    checkable = sum(r["verdict"] != NOT_CHECKABLE for r in rows)
    data_says = _price_data_says(claim, rows, measures)
    if 0 < checkable < len(rows):
        data_says += f" Verdict on the {checkable} of {len(rows)} tokens the data covers."
    return (
        {
            "claim_id": claim.id,
            "kind": claim.kind,
            "claim": claim.text,
            "claimed": claimed_text(claim),
            "data_says": data_says,
            "verdict": verdict,
            "rule": price_rule(claim, tol),
        },
        rows,
        measures[MEASURE_COLUMNS],
    )


# --------------------------------------------------------------------------- mining


def resolve_country(name: str, countries: pd.DataFrame, figures: pd.DataFrame | None) -> tuple[str | None, str]:
    """A CCAF country name or an ISO-3 code → (ISO-3 code or None, the name to show)."""
    wanted = str(name).strip()
    for frame in (countries, figures):
        if frame is None or frame.empty:
            continue
        rows = frame[frame["iso3"].notna()]
        hit = rows[
            rows["iso3"].astype(str).str.upper().eq(wanted.upper())
            | rows["country"].astype(str).str.casefold().eq(wanted.casefold())
        ]
        if not hit.empty:
            return str(hit["iso3"].iloc[0]), str(hit["country"].iloc[0])
    return None, wanted


def _same_period(published: str, wanted: str | None) -> bool:
    return bool(wanted) and str(published).startswith(str(wanted)[:7])


def check_share_claim(claim: Claim, data: ClaimData, tol: Tolerances) -> dict:
    """A ``mining_share`` claim against every month of the mining map and the published figures.

    consistent: a figure CCAF published in the month the article names (or, with no date named,
    the map's latest month) equals the claim within ``share_rounding_pp``; misdated: the share
    exists, but for another month or publication; not supported: no month or publication has it.
    """
    base = {
        "claim_id": claim.id,
        "kind": claim.kind,
        "claim": claim.text,
        "claimed": claimed_text(claim),
        "rule": (
            f"a share within ± {tol.share_rounding_pp:g} pp of the claim, in a CCAF publication of the "
            "date the article names (consistent) or in another month or publication (misdated)"
        ),
    }
    countries, figures = data.countries, data.figures
    if countries is None or countries.empty:
        return {**base, "data_says": "No mining map data.", "verdict": NOT_CHECKABLE}
    iso, name = resolve_country(str(claim.country), countries, figures)
    series = countries[countries["iso3"].eq(iso)].sort_values("date") if iso else countries.iloc[0:0]
    published = (
        figures[figures["metric"].eq(SHARE_METRIC) & figures["iso3"].eq(iso)]
        if iso and figures is not None
        else pd.DataFrame(columns=["value", "published", "refers_to"])
    )
    if series.empty and published.empty:
        return {
            **base,
            "data_says": f"{name} is absent from the mining map and from the published figures.",
            "verdict": NOT_CHECKABLE,
        }
    claimed = float(claim.value_pct or 0.0)
    close = lambda v: abs(float(v) - claimed) <= tol.share_rounding_pp + 1e-9  # noqa: E731
    map_hits = series[series["share_pct"].map(close)]
    pub_hits = published[published["value"].map(close)]
    wanted = claim.attributed_to.published if claim.attributed_to else None
    match_text = (
        ", ".join(f"{r['share_pct']:.2f}% in {r['date']:%Y-%m}" for _, r in map_hits.iterrows())
        if not map_hits.empty
        else "no month"
    )
    text = f"Months of the mining map within ± {tol.share_rounding_pp:g} pp of {claimed:g}%: {match_text}."
    if not series.empty:
        latest = series.iloc[-1]
        text += f" Its latest figure for {name} is {latest['share_pct']:.2f}% for {latest['date']:%Y-%m}."
    if not pub_hits.empty:
        text += (
            " Published by CCAF: "
            + ", ".join(
                f"{r['value']:g}% for {r['refers_to']} (published {r['published']})" for _, r in pub_hits.iterrows()
            )
            + "."
        )
    if wanted and figures is not None:
        same = int(figures["published"].astype(str).str.startswith(str(wanted)[:7]).sum())
        text += (
            f" Our compilation of CCAF's published figures has {same} published in {wanted}."
            if same
            else f" Our compilation of CCAF's published figures has none published in {wanted}."
        )
    if wanted:
        if any(_same_period(p, wanted) for p in pub_hits["published"]):
            verdict = CONSISTENT
        elif not map_hits.empty or not pub_hits.empty:
            verdict = MISDATED
        else:
            verdict = NOT_SUPPORTED
    elif not series.empty and close(series.iloc[-1]["share_pct"]):
        verdict = CONSISTENT
    else:
        verdict = MISDATED if not map_hits.empty or not pub_hits.empty else NOT_SUPPORTED
    return {**base, "data_says": text, "verdict": verdict}


def publication_ranking(figures: pd.DataFrame | None, claim: Claim) -> tuple[pd.DataFrame, str]:
    """The country ranking of the publication the claim names (rank, iso3, country, value), and its label."""
    empty = pd.DataFrame(columns=["rank", "iso3", "country", "value"])
    if figures is None or claim.attributed_to is None or not claim.attributed_to.published:
        return empty, ""
    rows = figures[
        figures["metric"].isin(COUNTRY_METRICS)
        & figures["iso3"].notna()
        & figures["published"].astype(str).map(lambda p: _same_period(p, claim.attributed_to.published))
    ]
    if claim.attributed_to.report:
        named = rows[
            rows["publication"].str.casefold().str.contains(claim.attributed_to.report.casefold(), regex=False)
        ]
        rows = named if not named.empty else rows
    if rows.empty:
        return empty, ""
    rows = rows[rows["metric"].eq(rows["metric"].iloc[0])].sort_values("value", ascending=False).reset_index(drop=True)
    rows.insert(0, "rank", range(1, len(rows) + 1))
    label = f"{rows['publication'].iloc[0]}, {rows['published'].iloc[0]} ({str(rows['scope'].iloc[0])})"
    return rows[["rank", "iso3", "country", "value"]], label


def map_ranking(countries: pd.DataFrame, month: str) -> pd.DataFrame:
    """The mining map's ranking of one month (rank, iso3, country, value); 'Other' not ranked."""
    part = countries[countries["date"].eq(pd.Timestamp(f"{month}-01")) & countries["iso3"].notna()]
    part = part.sort_values("share_pct", ascending=False).reset_index(drop=True)
    part.insert(0, "rank", range(1, len(part) + 1))
    return part.rename(columns={"share_pct": "value"})[["rank", "iso3", "country", "value"]]


def check_rank_claim(claim: Claim, data: ClaimData, tol: Tolerances) -> dict:
    """A ``mining_rank`` claim against the ranking of the publication it names (else the map's
    latest month). A country absent from a list of at least ``top_n`` countries is not in its top
    ``top_n``; absent from a shorter list, or asked for its rank, it is not checkable."""
    base = {
        "claim_id": claim.id,
        "kind": claim.kind,
        "claim": claim.text,
        "claimed": claimed_text(claim),
        "rule": "the country's place in the ranking of the publication the article names "
        "(else the mining map's latest month)",
    }
    countries = data.countries
    if countries is None or countries.empty:
        return {**base, "data_says": "No mining map data.", "verdict": NOT_CHECKABLE}
    iso, name = resolve_country(str(claim.country), countries, data.figures)
    ranking, label = publication_ranking(data.figures, claim)
    months = sorted(f"{d:%Y-%m}" for d in countries["date"].unique())
    if ranking.empty:
        ranking, label = map_ranking(countries, months[-1]), f"the mining map, {months[-1]}"
        if claim.attributed_to and claim.attributed_to.published:
            label += f" (no publication of {claim.attributed_to.published} in our compilation)"
    hit = ranking[ranking["iso3"].eq(iso)] if iso else ranking.iloc[0:0]
    rank = int(hit["rank"].iloc[0]) if not hit.empty else None
    n = claim.top_n or 0
    listed = ", ".join(f"{r['country']} {r['value']:g}%" for _, r in ranking.head(max(n, 5)).iterrows())
    text = f"{label}: {listed}. {name} is " + (
        f"#{rank}." if rank else f"not among the {len(ranking)} countries listed."
    )
    on_map = [(m, _map_rank(countries, iso, m)) for m in (months[0], months[-1])] if iso else []
    if on_map and "mining map" not in label:
        text += (
            " On the mining map (global network) "
            + name
            + " ranked "
            + " and ".join(f"#{r} in {m}" if r else f"unlisted in {m}" for m, r in on_map)
            + "."
        )
    if claim.rank is not None:
        if rank is None:
            return {**base, "data_says": text, "verdict": NOT_CHECKABLE}
        return {**base, "data_says": text, "verdict": CONSISTENT if rank == claim.rank else NOT_SUPPORTED}
    if rank is None and len(ranking) < n:
        return {
            **base,
            "data_says": text + f" The list is shorter than {n}: absence says nothing.",
            "verdict": NOT_CHECKABLE,
        }
    in_top = rank is not None and rank <= n
    return {**base, "data_says": text, "verdict": CONSISTENT if in_top == claim.in_top else NOT_SUPPORTED}


def _map_rank(countries: pd.DataFrame, iso: str, month: str) -> int | None:
    r = map_ranking(countries, month)
    hit = r[r["iso3"].eq(iso)]
    return int(hit["rank"].iloc[0]) if not hit.empty else None


# --------------------------------------------------------------------------- articles


def check_claims(
    claims: list[Claim], data: ClaimData, tol: Tolerances
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Verdicts, token rows and measures for ``claims`` (see :class:`ArticleCheck`)."""
    verdicts, token_rows, measures = [], [], []
    for claim in claims:
        if claim.kind in ("price_change", "relative_change"):
            row, rows, m = check_price_claim(claim, data, tol)
            token_rows += rows
            measures.append(m)
        elif claim.kind == "mining_share":
            row = check_share_claim(claim, data, tol)
        else:
            row = check_rank_claim(claim, data, tol)
        verdicts.append(row)
    measures_frame = pd.concat(measures, ignore_index=True) if measures else pd.DataFrame(columns=MEASURE_COLUMNS)
    return (
        pd.DataFrame(verdicts, columns=VERDICT_COLUMNS),
        pd.DataFrame(token_rows, columns=TOKEN_COLUMNS),
        measures_frame,
    )


def check_article(article: Article, data: ClaimData, tol: Tolerances) -> ArticleCheck:
    """Every claim of ``article`` with its verdict, evidence and rule.

    Examples
    --------
    >>> from chinabrief.data.claims import Article
    >>> a = Article.model_validate({"article": {"id": "a", "title": "T", "outlet": "O", "published": "2024-01-02",
    ...     "url": "https://x.test/a"}, "claims": [{"id": "up", "kind": "price_change", "tokens": ["A"],
    ...     "value_pct": 10, "period": "day", "as_of": "2024-01-02"}]})
    >>> daily = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-01-02"]), "token": "A",
    ...                       "close": [100.0, 110.0], "source": "synthetic"})
    >>> check_article(a, ClaimData(prices_daily=daily), Tolerances()).verdicts["verdict"].tolist()
    ['consistent']
    """
    verdicts, tokens, measures = check_claims(article.claims, data, tol)
    return ArticleCheck(article=article, verdicts=verdicts, tokens=tokens, measures=measures, tolerances=tol)
