"""One event up close (stage 05's analysis, run once per event id): everything its brief shows.

:func:`compute` runs the event study for one model over the catalogue (so estimation windows can
leave out other events' days) and keeps what one event's brief needs: the CARs, the daily
abnormal returns, the prices around day 0 and the intraday reaction when the time is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..config import Paths
from ..data import prepare
from ..exceptions import ParameterError
from ..text import Markdown, fmt_number, md_escape, window_label
from . import china_premium, price_reactions, token_event_study
from .eventstudy import EventStudyResult
from .token_reactions import hourly_coverage, studied_tokens

STAGE = "05_event_brief"
WINDOW = (-5, 5)
MODEL = token_event_study.HEADLINE_MODEL


@dataclass
class EventReaction:
    """What one event's brief shows.

    Attributes
    ----------
    event : pandas.Series
        The event's catalogue row (label, date, time_utc, day0, category, description, source).
    tokens, benchmark, settings
        The study's tokens, benchmark and parameters.
    result : EventStudyResult
        The event study (market model) over the catalogue.
    headline_car : pandas.DataFrame
        The event's CAR[−1,+1] rows.
    prices : pandas.DataFrame
        Closes indexed to 100 at day −1, by relative day (tokens and benchmark).
    intraday : pandas.DataFrame
        token, horizon_h, ar (empty without a known time or hourly data).
    """

    event_id: str
    event: pd.Series
    tokens: list[str]
    benchmark: str
    settings: dict
    catalogue: pd.DataFrame
    result: EventStudyResult
    headline_car: pd.DataFrame
    prices: pd.DataFrame
    intraday: pd.DataFrame
    prices_hourly: pd.DataFrame = field(repr=False)
    #: The processed tables the study read (the data section reuses them instead of reading again).
    tables: dict = field(default_factory=dict, repr=False)
    #: The control group's CARs of this event (token, window_start, window_end, car), same benchmark and
    #: model; None without a control group in the data.
    control: pd.DataFrame | None = None

    @property
    def announced(self) -> pd.Timestamp | None:
        """The announcement's UTC time, when the catalogue knows it to the minute."""
        t = self.event["time_utc"]
        return self.event["date"] + pd.to_timedelta(f"{t}:00") if isinstance(t, str) and t else None

    @property
    def missing_tokens(self) -> list[str]:
        return [t for t in self.tokens if t not in set(self.headline_car["token"])]


def compute(
    P: Paths,
    *,
    event_id,
    tokens,
    include_extended,
    benchmark,
    estimation_window,
    min_estimation_obs,
    event_windows,
    exclude_event_days,
    cutoff_hour_utc,
) -> EventReaction:
    """Everything one event's brief shows.

    Raises
    ------
    ParameterError
        When ``event_id`` is not in the events catalogue.
    MissingInputError
        When stage 02 has not run.
    """
    tables = prepare.load(P, stage=STAGE)
    catalogue = tables["events"]
    if event_id not in set(catalogue["event_id"]):
        raise ParameterError(f"event_id {event_id!r} is not in the events catalogue ({P.relative(P.events)})")
    tokens = studied_tokens(P, tokens, include_extended)
    ev = catalogue.set_index("event_id").loc[event_id]
    result = token_event_study.run(
        tables,
        tokens=tokens,
        benchmark=benchmark,
        models=[MODEL],
        estimation_window=estimation_window,
        min_estimation_obs=min_estimation_obs,
        event_windows=event_windows,
        exclude_event_days=exclude_event_days,
        cutoff_hour_utc=cutoff_hour_utc,
        pool_categories=False,
    )
    car = result.car
    observed_as = token_event_study.observation_id(result, event_id)
    headline_car = car[car["event_id"].eq(observed_as) & car["window_start"].eq(-1) & car["window_end"].eq(1)]
    r = EventReaction(
        event_id=event_id,
        event=ev,
        tokens=tokens,
        benchmark=benchmark,
        settings=dict(
            estimation_window=list(estimation_window),
            min_estimation_obs=min_estimation_obs,
            cutoff_hour_utc=cutoff_hour_utc,
        ),
        catalogue=catalogue,
        result=result,
        headline_car=headline_car.reset_index(drop=True),
        prices=price_reactions.indexed_prices(tables["prices_daily"], list(tokens) + [benchmark], ev["day0"], WINDOW),
        intraday=pd.DataFrame(columns=["token", "horizon_h", "ar"]),
        prices_hourly=tables["prices_hourly"],
        tables=tables,
    )
    if r.announced is not None:
        r.intraday = price_reactions.intraday_reaction(tables["prices_hourly"], list(tokens), benchmark, r.announced)
    r.control = control_cars(
        P,
        tables,
        observed_as,
        benchmark=benchmark,
        estimation_window=estimation_window,
        min_estimation_obs=min_estimation_obs,
        event_windows=event_windows,
        exclude_event_days=exclude_event_days,
        exclude_tokens=tokens,
        cutoff_hour_utc=cutoff_hour_utc,
    )
    return r


def control_cars(
    P: Paths,
    tables: dict,
    observation: str,
    *,
    benchmark,
    estimation_window,
    min_estimation_obs,
    event_windows,
    exclude_event_days,
    exclude_tokens,
    cutoff_hour_utc,
) -> pd.DataFrame | None:
    """The control group's CARs (market model, same benchmark) of one observation; None without a control group."""
    groups = china_premium.load_groups(P)
    if groups is None:
        return None
    returns = china_premium.returns_with_indexes(tables, [benchmark])
    control = groups[
        groups["group"].eq(china_premium.CONTROL)
        & groups["token"].isin(returns.columns)
        & groups["token"].ne(benchmark)
        & ~groups["token"].isin(list(exclude_tokens))
    ]
    if control.empty or benchmark not in returns.columns:
        return None
    observations, _ = china_premium.observations_for(tables["events"])
    shifts = token_event_study.day0_shifts(tables, control["token"].tolist(), cutoff_hour_utc)
    car = china_premium.universe_cars(
        returns,
        observations,
        control.assign(group=china_premium.CONTROL),
        benchmark=benchmark,
        models=[MODEL],
        event_windows=event_windows,
        estimation_window=estimation_window,
        min_estimation_obs=min_estimation_obs,
        exclusion_window=(0, 0) if exclude_event_days else None,
        day0_shift=shifts,
    )
    return car[car["event_id"].eq(observation)][["token", "window_start", "window_end", "car"]].reset_index(drop=True)


def beside_control(r: EventReaction, window: tuple[int, int] = (-1, 1)) -> pd.DataFrame:
    """Each studied token's CAR beside the control group's average CAR (same window, model and benchmark).

    Returns
    -------
    pandas.DataFrame
        token, car, control_mean, control_n, difference (fractions); empty without a control group.
    """
    columns = ["token", "car", "control_mean", "control_n", "difference"]
    if r.control is None:
        return pd.DataFrame(columns=columns)
    c = r.control
    sel = c[c["window_start"].eq(window[0]) & c["window_end"].eq(window[1])]["car"].dropna()
    car = r.result.car
    mine = car[
        car["event_id"].eq(token_event_study.observation_id(r.result, r.event_id))
        & car["window_start"].eq(window[0])
        & car["window_end"].eq(window[1])
    ]
    out = pd.DataFrame({"token": mine["token"].to_numpy(), "car": mine["car"].to_numpy(dtype=float)})
    out["control_mean"] = sel.mean() if len(sel) else float("nan")
    out["control_n"] = len(sel)
    out["difference"] = out["car"] - out["control_mean"]
    return out[columns]


# --------------------------------------------------------------------------- sentences


def summary_sentence(car: pd.DataFrame, benchmark: str) -> str:
    """One sentence from the numbers: how many tokens beat the benchmark over [−1,+1], the extremes,
    and how many CARs are significant at 5%.

    Parameters
    ----------
    car : pandas.DataFrame
        The event's rows of the CAR table for one model and the [−1,+1] window (car as fraction).
    benchmark : str
        The benchmark's name.

    Examples
    --------
    >>> car = pd.DataFrame({"token": ["A", "B"], "car": [0.02, -0.01], "p": [0.01, 0.5]})
    >>> summary_sentence(car, "BTC")
    '1 of 2 tokens beat BTC over days −1 to +1; the strongest was A (+2.0%), the weakest B (−1.0%); 1 of 2 reactions are significant at 5%.'
    """
    if car.empty:
        return "No token has enough data around this event for the event study."
    values = car.set_index("token")["car"] * 100
    up = int((values > 0).sum())
    significant = int((car["p"] < 0.05).sum())
    return (
        f"{up} of {len(values)} tokens beat {benchmark} over days −1 to +1; the strongest was "
        f"{values.idxmax()} ({fmt_number(values.max(), '{:+.1f}%')}), the weakest {values.idxmin()} "
        f"({fmt_number(values.min(), '{:+.1f}%')}); "
        f"{significant} of {len(values)} reactions are significant at 5%."
    )


def findings_text(r: EventReaction) -> list[str]:
    """Key findings for one event, as sentences generated from the computed tables."""
    out = [summary_sentence(r.headline_car, r.benchmark).split("; ")[0] + "."]
    caar = r.result.caar
    scope = caar[caar["scope"].eq(token_event_study.observation_id(r.result, r.event_id)) & caar["model"].eq(MODEL)]
    for lo, hi in [(-1, 1), (-5, 5)]:
        rows = scope[scope["window_start"].eq(lo) & scope["window_end"].eq(hi)].set_index("test")
        if rows.empty or rows["n_tokens"].iloc[0] == 0:
            continue
        kp = rows.loc["bmp_kp", "p"] if "bmp_kp" in rows.index else float("nan")
        out.append(
            f"Average {window_label(lo, hi, 'CAR')} across {int(rows['n_tokens'].iloc[0])} tokens: "
            f"{fmt_number(rows['caar'].iloc[0] * 100, '{:+.2f}%')} versus {r.benchmark} (p = {kp:.3f}, BMP with "
            "the Kolari–Pynnönen adjustment)."
        )
    if not r.headline_car.empty:
        best = r.headline_car.loc[r.headline_car["t"].abs().idxmax()]
        out.append(
            f"Largest single reaction by t-statistic: {best['token']}, CAR[−1,+1] "
            f"{fmt_number(best['car'] * 100, '{:+.2f}%')} (t = {fmt_number(best['t'], '{:+.2f}')}, "
            f"p = {best['p']:.3f})."
        )
    four = r.intraday[r.intraday["horizon_h"].eq(4)] if not r.intraday.empty else r.intraday
    if not four.empty:
        out.append(
            f"Four hours after the announcement, the tokens with hourly data ({', '.join(four['token'])}) "
            f"had an average abnormal return of {fmt_number(four['ar'].mean() * 100, '{:+.2f}%')} versus "
            f"{r.benchmark}."
        )
    return out


def title(r: EventReaction) -> Markdown:
    """The brief's title: the event's label (a level-1 heading)."""
    return Markdown(f"# {md_escape(r.event['label'])}", [str(r.event["label"])])


def headline(r: EventReaction) -> Markdown:
    """The headline: the summary sentence, and the tokens without enough data."""
    text = summary_sentence(r.headline_car, r.benchmark)
    if r.missing_tokens:
        text += f" Not enough data for {', '.join(r.missing_tokens)} (see Abnormal returns)."
    return Markdown.paragraph(text)


def findings(r: EventReaction) -> Markdown:
    """The key findings, as a Markdown list."""
    return Markdown.bullets(findings_text(r))


def facts(r: EventReaction) -> Markdown:
    """Announcement, day 0, category, tokens, benchmark and model; the events sharing its day 0."""
    ev = r.event
    when = f"about {ev['time_utc']} UTC" if r.announced is not None else "time not known"
    members = r.result.members
    shared = []
    if members is not None:
        mine = members[members["observation_id"].eq(token_event_study.observation_id(r.result, r.event_id))]
        others = [e for e in mine["event_id"] if e != r.event_id]
        if others:
            labels = r.catalogue.set_index("event_id")["label"]
            shared = [
                f"Shares day 0 with {', '.join(str(labels[e]) for e in others)}: a daily study cannot tell "
                "them apart, so the numbers below are one observation for all of them."
            ]
    return Markdown.bullets(
        shared
        + [
            f"Announced {ev['date']:%Y-%m-%d}, {when}; day 0 {ev['day0']:%Y-%m-%d}; category: {ev['category']}.",
            f"Tokens {', '.join(r.tokens)}; benchmark {r.benchmark}; market model, estimation window "
            f"{window_label(*r.settings['estimation_window'])} days.",
        ]
    )


def description(r: EventReaction) -> Markdown:
    """What happened, with the catalogue's source (a link only for http(s) addresses)."""
    ev = r.event
    url = str(ev["source_url"])
    source = md_escape(ev["source_title"])
    link = (
        f"[{source}](<{url.replace('>', '%3E').replace(' ', '%20')}>)"
        if url.lower().startswith(("https://", "http://"))
        else f"{source} ({md_escape(url)})"
    )
    return Markdown(f"{md_escape(ev['description'])}\n\nSource: {link}", [str(ev["description"])])


def intraday_note(r: EventReaction) -> Markdown:
    """Why there is (or is no) intraday view, and which tokens have hourly data until when."""
    if r.announced is None:
        return Markdown.paragraph("The announcement time is not known to the hour, so there is no intraday view.")
    cov = hourly_coverage(r.prices_hourly, r.tokens)
    spans = "; ".join(f"{row['token']} to {row['last']:%Y-%m-%d}" for _, row in cov.iterrows()) or "none"
    lead = (
        f"No hourly closes around {r.announced:%Y-%m-%d %H:%M} UTC in the data. "
        if r.intraday.empty
        else f"Announced at about {r.announced:%Y-%m-%d %H:%M} UTC. "
    )
    without = [t for t in r.tokens if t not in set(cov["token"])]
    return Markdown.paragraph(
        lead + f"Hourly closes: {spans}." + (f" None for {', '.join(without)}." if without else "")
    )


def day0_note(r: EventReaction) -> Markdown:
    """The day-0 rule as applied to this event."""
    from ..data.event_catalogue import day0_rule_text

    return Markdown.paragraph(day0_rule_text(r.settings["cutoff_hour_utc"]))
