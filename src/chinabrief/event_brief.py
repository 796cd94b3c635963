"""One brief per selected event (stage 05, run once per event id)."""
from __future__ import annotations

import pandas as pd
from IPython.display import HTML, display

from . import display as show
from . import events as events_mod
from . import manifest as manifest_mod
from . import plots, prepare, reactions
from .config import Paths
from .exceptions import ParameterError
from .quality import data_section_html
from .token_brief import car_table

WINDOW = (-5, 5)


def summary_sentence(label: str, table: pd.DataFrame, column: str, benchmark: str) -> str:
    """One sentence from the numbers: how many tokens beat the benchmark, and the extremes."""
    values = table.set_index("token")[column].dropna()
    if values.empty:
        return f"No token has enough data around {label}."
    up = int((values > 0).sum())
    return (f"Around {label}, {up} of {len(values)} tokens beat {benchmark} over {column.split(' ')[0]}; "
            f"the strongest was {values.idxmax()} ({values.max():+.1f}%), the weakest {values.idxmin()} "
            f"({values.min():+.1f}%).")


def show_brief(P: Paths, *, event_id, tokens, include_extended, benchmark, estimation_window,
               min_estimation_obs, event_windows, exclude_event_days, cutoff_hour_utc) -> None:
    """Render one event's brief into the notebook."""
    tables = prepare.load(P)
    catalogue = tables["events"].set_index("event_id")
    if event_id not in catalogue.index:
        raise ParameterError(f"event_id {event_id!r} is not in the events catalogue")
    ev = catalogue.loc[event_id]
    day0 = ev["day0"]
    window = reactions.market_adjusted_window(tables["returns"], tokens, benchmark, day0, WINDOW)
    spans = [tuple(w) for w in event_windows]
    table = car_table(window, spans)
    sentence = summary_sentence(ev["label"], table, "CAR[-1,+1] %", benchmark) if "CAR[-1,+1] %" in table else ""
    time_text = f"{ev['time_utc']} UTC" if isinstance(ev["time_utc"], str) and ev["time_utc"] else "time not known"
    show.show_title_block(ev["label"], sentence, {
        "Announced": f"{ev['date']:%Y-%m-%d}, {time_text}", "Day 0": f"{day0:%Y-%m-%d}",
        "Category": ev["category"], "Tokens": ", ".join(tokens), "Benchmark": benchmark,
    })
    show.show_prose('<p>{description}</p><p class="table-note">Source: <a href="{url}">{title}</a></p>',
                    description=ev["description"], url=ev["source_url"], title=ev["source_title"])
    show.show_section("prices", "Price paths")
    indexed = reactions.indexed_prices(tables["prices_daily"], tokens + [benchmark], day0, WINDOW)
    fig = plots.indexed_prices(indexed, f"{ev['label']}: prices indexed to the close before day 0")
    show.show_figure(fig, alt=f"Prices of {', '.join(indexed.columns)} indexed to 100 around {day0:%Y-%m-%d}",
                     source="chosen daily closes (see Data)")
    show.show_section("car", "Abnormal returns")
    show.show_table(table, caption=f"Market-adjusted CAR versus {benchmark} (%)",
                    formats={c: "{:+.2f}" for c in table.columns if c != "token"})
    ar = window.pivot(index="rel_day", columns="token", values="ar") * 100
    show.show_table(ar.reset_index(), caption="Daily abnormal returns (%) by day relative to day 0",
                    formats={c: "{:+.2f}" for c in ar.columns} | {"rel_day": "{:+d}"})
    show.show_callout("Day 0", [events_mod.day0_rule_text(cutoff_hour_utc)])
    entries = pd.DataFrame([e.__dict__ for e in manifest_mod.read(P.raw)])
    display(HTML(data_section_html(entries, tables["source_choice"], tables["price_source_agreement"],
                                   tables["price_gaps"], tokens + [benchmark])))
