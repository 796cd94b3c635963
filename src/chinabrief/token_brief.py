"""The token-reactions brief (stage 03): how China-linked tokens move around US–China trade news."""
from __future__ import annotations

import pandas as pd
from IPython.display import HTML, display

from . import display as show
from . import events as events_mod
from . import manifest as manifest_mod
from . import plots, prepare, reactions
from .config import Paths

GENEVA = ["2025-05-06-geneva-talks-announced", "2025-05-12-geneva-joint-statement"]
CLAIM_DAY = pd.Timestamp("2025-05-07")


def car_table(window: pd.DataFrame, spans: list[tuple[int, int]]) -> pd.DataFrame:
    """Market-adjusted CAR (%) per token for each span of relative days."""
    rows = []
    for token, part in window.groupby("token", sort=False):
        row = {"token": token}
        for lo, hi in spans:
            sel = part[part["rel_day"].between(lo, hi)]["ar"]
            row[f"CAR[{lo:+d},{hi:+d}] %"] = sel.sum(skipna=False) * 100
        rows.append(row)
    return pd.DataFrame(rows)


def claims_check(tables: dict, tokens: list[str], claims: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Set the article's 24h changes for 2025-05-07 beside the data's."""
    changes = reactions.change_24h(tables["prices_daily"], tables["prices_hourly"], tokens, CLAIM_DAY)
    daily = changes[changes["measure"].str.startswith("close-to-close")].set_index("token")["pct_change"]
    verdicts = []
    rows = []
    for _, claim in claims[claims["claim_id"].isin(["tokens_24h_up", "okb_24h_down"])].iterrows():
        subjects = [s for s in claim["subject"].split(";") if s in tokens]
        lo, hi = float(claim["value_low"]), float(claim["value_high"])
        for token in subjects:
            value = daily.get(token, float("nan"))
            inside = lo - 0.05 <= value <= hi + 0.05 if lo != hi else abs(value - lo) < 0.5
            same_sign = (value > 0) == (hi > 0)
            verdict = "consistent" if inside else ("same direction, different size" if same_sign else "not supported")
            rows.append({"token": token, "claimed %": f"{lo:+.2f} to {hi:+.2f}" if lo != hi else f"{lo:+.2f}",
                         "data close-to-close %": value, "verdict": verdict})
            verdicts.append(verdict)
    return pd.DataFrame(rows), verdicts


def show_brief(P: Paths, *, tokens, include_extended, benchmark, estimation_window, min_estimation_obs,
               event_windows, models, exclude_event_days, focus_events, cutoff_hour_utc) -> None:
    """Render the token-reactions brief into the notebook."""
    tables = prepare.load(P)
    catalogue = tables["events"].set_index("event_id")
    claims = pd.read_csv(P.root / "data" / "reference" / "seed_article_claims.csv") \
        if (P.root / "data" / "reference" / "seed_article_claims.csv").exists() else None
    spans = [tuple(w) for w in event_windows]
    windows = {}
    for event_id in GENEVA:
        day0 = catalogue.loc[event_id, "day0"]
        windows[event_id] = reactions.market_adjusted_window(tables["returns"], tokens, benchmark, day0, (-5, 5))
    announce = car_table(windows[GENEVA[0]], spans)
    best = announce.set_index("token")["CAR[-1,+1] %"] if "CAR[-1,+1] %" in announce else None
    findings = []
    for event_id in GENEVA:
        t = car_table(windows[event_id], [(0, 0), (-1, 1)])
        ev = catalogue.loc[event_id]
        findings.append(
            f"{ev['label']} (day 0 {ev['day0']:%Y-%m-%d}): market-adjusted CAR[-1,+1] ranges from "
            f"{t.iloc[:, 2].min():+.1f}% to {t.iloc[:, 2].max():+.1f}% across {len(t)} tokens versus {benchmark}."
        )
    claim_rows, verdicts = (claims_check(tables, tokens, claims) if claims is not None else (pd.DataFrame(), []))
    if verdicts:
        findings.append(f"The article's 24h moves for 2025-05-07: {verdicts.count('consistent')} of {len(verdicts)} "
                        "token claims are consistent with the daily close-to-close change.")
    dek = findings[0]
    show.show_title_block(
        "Token reactions to US–China trade news", dek,
        {"Data as of": f"{tables['prices_daily']['date'].max():%Y-%m-%d}", "Tokens": ", ".join(tokens),
         "Benchmark": benchmark, "Day-0 rule": f"cutoff {cutoff_hour_utc:02d}:00 UTC"},
    )
    show.show_findings(findings)
    display(HTML(show.toc_html([("geneva", "The Geneva talks"), ("claims", "The article's claims"),
                                ("methods", "Methods and caveats"), ("data", "Data and provenance")])))
    show.show_section("geneva", "The Geneva talks: announcement and joint statement")
    for event_id in GENEVA:
        ev = catalogue.loc[event_id]
        w = windows[event_id]
        table = car_table(w, spans)
        show.show_table(table, caption=f"{ev['label']} — market-adjusted CAR versus {benchmark} (%)",
                        formats={c: "{:+.2f}" for c in table.columns if c != "token"},
                        note=f"Day 0 = {ev['day0']:%Y-%m-%d} (announced {ev['date']:%Y-%m-%d} "
                             f"{ev['time_utc'] if isinstance(ev['time_utc'], str) else ''} UTC).")
        paths = w.pivot(index="rel_day", columns="token", values="car") * 100
        fig = plots.car_paths(paths, f"{ev['label']}: cumulative abnormal return vs {benchmark}")
        plots.source_note(fig.axes[0], "Source: chosen daily closes (see Data); CAR from day −5.")
        show.show_figure(fig, alt=f"Cumulative market-adjusted abnormal returns of {', '.join(paths.columns)} "
                                  f"around {ev['label']}", source="data snapshot; chinabrief")
    show.show_section("claims", "The article's claims: 24h moves on Wednesday 2025-05-07")
    if not claim_rows.empty:
        show.show_table(claim_rows, formats={"data close-to-close %": "{:+.2f}"})
        changes = reactions.change_24h(tables["prices_daily"], tables["prices_hourly"], tokens, CLAIM_DAY)
        show.show_table(changes, caption="24h changes on 2025-05-07 by measure", formats={"pct_change": "{:+.2f}"})
        show.show_callout("Why the numbers can differ", [
            "CoinGecko's '24h change' is a rolling figure across many exchanges, read at the moment the article "
            "was written; we measure UTC-day closes on one exchange, and hourly closes where we have them.",
        ], css_class="caveats")
    show.show_callout("Methods and caveats", [
        "Abnormal return = token return − benchmark return on the same UTC day (market-adjusted model).",
        "Crypto trades 24/7: days are UTC calendar days; " + events_mod.day0_rule_text(cutoff_hour_utc),
        "All tokens share each event date, so their abnormal returns are correlated; and trade news clusters "
        "(several events within days), so windows overlap. Few tokens and few events: treat single numbers with care.",
    ])
    entries = pd.DataFrame([e.__dict__ for e in manifest_mod.read(P.raw)])
    from .quality import data_section_html
    display(HTML(data_section_html(entries, tables["source_choice"], tables["price_source_agreement"],
                                   tables["price_gaps"], tokens + [benchmark])))
