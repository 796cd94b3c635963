"""One brief per selected event (stage 05, run once per event id by papermill parameters)."""
from __future__ import annotations

import pandas as pd
from IPython.display import HTML, display

from . import display as show
from . import events as events_mod
from . import plots, prepare, reactions, token_study
from .config import Paths
from .exceptions import ParameterError
from .quality import data_section_for
from .token_brief import event_car_table

WINDOW = (-5, 5)
MODEL = token_study.HEADLINE_MODEL


def summary_sentence(car: pd.DataFrame, benchmark: str) -> str:
    """One sentence from the numbers: how many tokens beat the benchmark over [−1,+1], the extremes,
    and how many CARs are significant at 5%.

    Parameters
    ----------
    car : pandas.DataFrame
        The event's rows of the CAR table for one model and the [−1,+1] window (car as fraction).
    """
    if car.empty:
        return "No token has enough data around this event for the event study."
    values = car.set_index("token")["car"] * 100
    up = int((values > 0).sum())
    significant = int((car["p"] < 0.05).sum())
    return (f"{up} of {len(values)} tokens beat {benchmark} over days −1 to +1; the strongest was "
            f"{values.idxmax()} ({show.fmt_number(values.max(), '{:+.1f}%')}), the weakest {values.idxmin()} "
            f"({show.fmt_number(values.min(), '{:+.1f}%')}); "
            f"{significant} of {len(values)} reactions are significant at 5%.")


def findings(result, event_id: str, headline_car: pd.DataFrame, benchmark: str, intraday: pd.DataFrame) -> list[str]:
    """Key findings for one event, as sentences generated from the computed tables."""
    out = []
    caar = result.caar
    scope = caar[caar["scope"].eq(event_id) & caar["model"].eq(MODEL)]
    for lo, hi in [(-1, 1), (-5, 5)]:
        rows = scope[scope["window_start"].eq(lo) & scope["window_end"].eq(hi)].set_index("test")
        if rows.empty or rows["n_tokens"].iloc[0] == 0:
            continue
        kp = rows.loc["bmp_kp", "p"] if "bmp_kp" in rows.index else float("nan")
        out.append(f"Average {show.window_label(lo, hi, 'CAR')} across {int(rows['n_tokens'].iloc[0])} tokens: "
                   f"{show.fmt_number(rows['caar'].iloc[0] * 100, '{:+.2f}%')} versus {benchmark} (p = {kp:.3f}, BMP with the "
                   "Kolari–Pynnönen adjustment).")
    if not headline_car.empty:
        best = headline_car.loc[headline_car["t"].abs().idxmax()]
        out.append(f"Largest single reaction by t-statistic: {best['token']}, CAR[−1,+1] {show.fmt_number(best['car'] * 100, '{:+.2f}%')} "
                   f"(t = {show.fmt_number(best['t'], '{:+.2f}')}, p = {best['p']:.3f}).")
    if not intraday.empty:
        four = intraday[intraday["horizon_h"].eq(4)]
        if not four.empty:
            out.append(f"Four hours after the announcement, the tokens with hourly data ({', '.join(four['token'])}) "
                       f"had an average abnormal return of {show.fmt_number(four['ar'].mean() * 100, '{:+.2f}%')} versus {benchmark}.")
    return out


def show_brief(P: Paths, *, event_id, tokens, include_extended, benchmark, estimation_window,
               min_estimation_obs, event_windows, exclude_event_days, cutoff_hour_utc) -> None:
    """Render one event's brief into the notebook."""
    tables = prepare.load(P)
    catalogue = tables["events"]
    if event_id not in set(catalogue["event_id"]):
        raise ParameterError(f"event_id {event_id!r} is not in the events catalogue "
                             f"({P.relative(P.events)})")
    if include_extended:
        universe = pd.read_csv(P.universe, dtype=str, keep_default_na=False)
        tokens = list(tokens) + [s for s in universe.loc[universe["group"].eq("extended"), "symbol"] if s not in tokens]
    ev = catalogue.set_index("event_id").loc[event_id]
    day0 = ev["day0"]
    result = token_study.run(tables, tokens=tokens, benchmark=benchmark, models=[MODEL],
                             estimation_window=estimation_window, min_estimation_obs=min_estimation_obs,
                             event_windows=event_windows, exclude_event_days=exclude_event_days,
                             cutoff_hour_utc=cutoff_hour_utc, pool_categories=False)
    car = result.car
    headline = car[car["event_id"].eq(event_id) & car["window_start"].eq(-1) & car["window_end"].eq(1)]
    missing = [t for t in tokens if t not in set(headline["token"])]
    dek = summary_sentence(headline, benchmark)
    if missing:
        dek += f" Not enough data for {', '.join(missing)} (see Abnormal returns)."
    time_text = f"about {ev['time_utc']} UTC" if isinstance(ev["time_utc"], str) and ev["time_utc"] else "time not known"
    show.show_title_block(ev["label"], dek, {
        "Announced": f"{ev['date']:%Y-%m-%d}, {time_text}", "Day 0": f"{day0:%Y-%m-%d}",
        "Category": ev["category"], "Tokens": ", ".join(tokens), "Benchmark": benchmark,
        "Model": f"market model, estimation window {show.window_label(*estimation_window)} days",
    })
    intraday = pd.DataFrame(columns=["token", "horizon_h", "ar"])
    if isinstance(ev["time_utc"], str) and ev["time_utc"]:
        when = ev["date"] + pd.to_timedelta(f"{ev['time_utc']}:00")
        intraday = reactions.intraday_reaction(tables["prices_hourly"], list(tokens), benchmark, when)
    show.show_findings([dek.split("; ")[0] + "."] + findings(result, event_id, headline, benchmark, intraday))
    show.show_prose('<p>{description}</p><p class="table-note">Source: <a href="{url}">{title}</a></p>',
                    description=ev["description"], url=ev["source_url"], title=ev["source_title"])
    display(HTML(show.toc_html([("prices", "Price paths"), ("car", "Abnormal returns"),
                                ("intraday", "Intraday"), ("data", "Data and provenance")])))

    show.show_section("prices", "Price paths")
    indexed = reactions.indexed_prices(tables["prices_daily"], list(tokens) + [benchmark], day0, WINDOW)
    fig = plots.indexed_prices(indexed, f"{ev['label'][:60]}: prices indexed to the close before day 0")
    show.show_figure(fig, alt=f"Prices of {', '.join(indexed.columns)} indexed to 100 around {day0:%Y-%m-%d}",
                     source="chosen daily closes (see Data)")

    show.show_section("car", "Abnormal returns")
    car_table = event_car_table(result, event_id, MODEL)
    show.show_table(car_table, formats={"estimation days": "{:d}"},
                    align_right=tuple(c for c in car_table.columns if c.startswith("CAR")),
                    caption=f"Cumulative abnormal returns versus {benchmark}, % (market model)",
                    note="*** p<0.01, ** p<0.05, * p<0.10 (t-test with the prediction-error-corrected variance, "
                         "MacKinlay 1997).")
    ar = result.abnormal_returns
    ar = ar[ar["event_id"].eq(event_id)].pivot(index="rel_day", columns="token", values="ar") * 100
    ar = ar[[t for t in tokens if t in ar.columns]]
    if not ar.empty:
        ar.index = ar.index.astype(int)
        ar.index.name = "day"
        show.show_table(ar.reset_index(), caption="Daily abnormal returns (%) by day relative to day 0",
                        formats={c: "{:+.2f}" for c in ar.columns} | {"day": show.signed_int})
    excluded = result.exclusions[result.exclusions["event_id"].eq(event_id)]
    if not excluded.empty:
        show.show_table(excluded[["token", "reason"]].drop_duplicates(), caption="Excluded from the event study")

    show.show_section("intraday", "Intraday reaction")
    if isinstance(ev["time_utc"], str) and ev["time_utc"]:
        part = intraday
        if part.empty:
            show.show_prose("<p>No hourly closes around {when} UTC in the data (they end on 2025-06-13).</p>",
                            when=f"{when:%Y-%m-%d %H:%M}")
        else:
            wide = part.pivot(index="token", columns="horizon_h", values="ar") * 100
            wide.columns = [f"AR +{h}h %" for h in wide.columns]
            show.show_table(wide.reset_index(), formats={c: "{:+.2f}" for c in wide.columns},
                            caption=f"Hourly abnormal return versus {benchmark} after {when:%Y-%m-%d %H:%M} UTC (approx.)",
                            note="Only tokens with Binance spot hourly closes (TRX, NEO, VET, CFX; not OKB), "
                                 "which end on 2025-06-13.")
    else:
        show.show_prose("<p>The announcement time is not known to the hour, so no intraday view.</p>")
    show.show_callout("Day 0", [events_mod.day0_rule_text(cutoff_hour_utc)])
    display(HTML(data_section_for(P, tables, list(tokens) + [benchmark])))
