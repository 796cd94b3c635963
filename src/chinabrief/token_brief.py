"""The token-reactions brief (stage 03): do China-linked tokens react to US–China trade news
beyond the crypto market?"""
from __future__ import annotations

import pandas as pd
from IPython.display import HTML, display

from . import display as show
from . import events as events_mod
from . import plots, prepare, reactions, token_study
from .config import Paths
from .quality import data_section_for

GENEVA = ["2025-05-06-geneva-talks-announced", "2025-05-12-geneva-joint-statement"]
CLAIM_DAY = pd.Timestamp("2025-05-07")
TEST_NAMES = {"cross_sectional_t": "t", "patell_z": "Patell", "bmp": "BMP",
              "bmp_kp": "BMP-KP", "corrado_rank": "rank", "generalized_sign": "sign"}
MODEL_NAMES = {"market_model": "market model", "market_adjusted": "market-adjusted", "constant_mean": "constant mean"}


def event_car_table(result, event_id: str, model: str = token_study.HEADLINE_MODEL) -> pd.DataFrame:
    """One event's CARs: token rows × window columns, "CAR% stars" cells (p from the token's t-test)."""
    car = result.car
    sel = car[car["event_id"].eq(event_id) & car["model"].eq(model)].copy()
    sel["window"] = [show.window_label(a, b, "CAR") for a, b in zip(sel["window_start"], sel["window_end"])]
    sel["cell"] = [f"{show.fmt_number(c * 100, '{:+.2f}')}{show.stars(p)}" for c, p in zip(sel["car"], sel["p"])]
    wide = sel.pivot(index="token", columns="window", values="cell")
    order = list(dict.fromkeys(sel["window"]))
    wide = wide[order].reindex(list(dict.fromkeys(sel["token"])))
    n_est = sel.groupby("token")["n_est"].first()
    return wide.assign(**{"estimation days": n_est}).reset_index()


def car_path(result, event_id: str, tokens: list[str], model: str = token_study.HEADLINE_MODEL) -> pd.DataFrame:
    """Cumulative abnormal return (%) by relative day for one event, tokens in the given order."""
    ar = result.abnormal_returns
    sel = ar[ar["event_id"].eq(event_id) & ar["model"].eq(model)]
    wide = sel.pivot(index="rel_day", columns="token", values="ar")
    wide = wide[[t for t in tokens if t in wide.columns]]
    return wide.cumsum(skipna=False) * 100


def claims_check(changes: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """Set the article's 24h changes for 2025-05-07 beside the data's close-to-close change.

    ``changes`` is :func:`chinabrief.reactions.change_24h` for that day.

    Verdicts: 'consistent' (inside the claimed range, ±0.05 pp for rounding), 'same direction,
    different size', or 'not supported' (opposite sign).
    """
    daily = changes[changes["measure"].str.startswith("close-to-close")].set_index("token")
    rows = []
    for _, claim in claims[claims["claim_id"].isin(["tokens_24h_up", "okb_24h_down"])].iterrows():
        lo, hi = float(claim["value_low"]), float(claim["value_high"])
        for token in claim["subject"].split(";"):
            if token not in daily.index:
                continue
            value = float(daily.loc[token, "pct_change"])
            if lo - 0.05 <= value <= hi + 0.05:
                verdict = "consistent"
            elif (value > 0) == (hi > 0):
                verdict = "same direction, different size"
            else:
                verdict = "not supported"
            rows.append({"token": token, "claim": claim["claim"], "claimed %": f"{show.fmt_number(lo, '{:+.2f}')} to {show.fmt_number(hi, '{:+.2f}')}"
                         if lo != hi else show.fmt_number(lo, "{:+.2f}"), "data %": value, "source": daily.loc[token, "source"],
                         "verdict": verdict})
    return pd.DataFrame(rows, columns=["token", "claim", "claimed %", "data %", "source", "verdict"])


def _verdict_cell(text: str) -> str:
    css = {"consistent": "ok", "not supported": "no"}.get(text, "mixed")
    return f'<span class="verdict {css}">{show.escape(text)}</span>'


def findings(result, categories: pd.DataFrame, claims: pd.DataFrame, benchmark: str) -> list[str]:
    """Key findings as sentences generated from the computed tables."""
    out = []
    for _, row in categories[categories["scope"].isin(["escalation", "de-escalation", "talks & agreements"])].iterrows():
        out.append(
            f"{row['scope'].capitalize()} ({int(row['n_events'])} events, {int(row['n_tokens'])} token-events): "
            f"average CAR[−1,+1] {show.fmt_number(row['caar'], '{:+.2f}%')} versus {benchmark} "
            f"(95% CI {show.fmt_number(row['ci_low'], '{:+.2f}')} to "
            f"{show.fmt_number(row['ci_high'], '{:+.2f}')}); p = {row['cross_sectional_t']:.3f} by the cross-sectional t, "
            f"{row['bmp_kp']:.3f} once cross-correlation is allowed for (BMP + Kolari–Pynnönen)."
        )
    if not claims.empty:
        ok = int(claims["verdict"].eq("consistent").sum())
        out.append(f"The article's 24h moves for Wednesday 2025-05-07: {ok} of {len(claims)} token claims are "
                   "consistent with the UTC-day close-to-close change.")
    n_excl = len(result.exclusions)
    if n_excl:
        out.append(f"{n_excl} token-event-model combinations were excluded for lack of data (listed under Methods).")
    return out


def show_brief(P: Paths, *, tokens, include_extended, benchmark, estimation_window, min_estimation_obs,
               event_windows, models, exclude_event_days, focus_events, cutoff_hour_utc) -> None:
    """Run the event study, write its tables and render the brief into the notebook."""
    tables = prepare.load(P)
    universe = pd.read_csv(P.universe, dtype=str, keep_default_na=False)
    if include_extended:
        tokens = list(tokens) + [s for s in universe.loc[universe["group"].eq("extended"), "symbol"] if s not in tokens]
    catalogue = tables["events"]
    result = token_study.run(tables, tokens=tokens, benchmark=benchmark, models=models,
                             estimation_window=estimation_window, min_estimation_obs=min_estimation_obs,
                             event_windows=event_windows, exclude_event_days=exclude_event_days,
                             cutoff_hour_utc=cutoff_hour_utc)
    token_study.write(P, result)
    categories = token_study.category_table(result)
    claims_file = P.reference / "seed_article_claims.csv"
    changes = reactions.change_24h(tables["prices_daily"], tables["prices_hourly"], tokens, CLAIM_DAY)
    claims = claims_check(changes, pd.read_csv(claims_file)) if claims_file.exists() else pd.DataFrame()
    facts = findings(result, categories, claims, benchmark)
    esc = categories.set_index("scope")
    dek = (f"Escalations came with an average CAR[−1,+1] of {show.fmt_number(esc.loc['escalation', 'caar'], '{:+.1f}%')} for China-linked "
           f"tokens versus {benchmark}; allowing for the tokens' shared event dates, no category's reaction is "
           "significant at 5%." if (categories["bmp_kp"] >= 0.05).all() else
           f"Escalations came with an average CAR[−1,+1] of {show.fmt_number(esc.loc['escalation', 'caar'], '{:+.1f}%')} versus {benchmark}; "
           "see the tests for which reactions survive the cross-correlation adjustment.")
    show.show_title_block("Token reactions to US–China trade news", dek, {
        "Data as of": f"{tables['prices_daily']['date'].max():%Y-%m-%d}",
        "Tokens": ", ".join(tokens), "Benchmark": benchmark,
        "Events": f"{len(catalogue)} (Jan–Nov 2025)",
        "Model shown": f"{MODEL_NAMES[token_study.HEADLINE_MODEL]}, estimation window {show.window_label(*estimation_window)} days, "
                       f"minimum {min_estimation_obs} returns",
        "Day 0": f"announcements at/after {cutoff_hour_utc:02d}:00 UTC move to the next UTC day",
    })
    show.show_findings(facts)
    display(HTML(show.toc_html([
        ("heatmap", "Every event × token"), ("categories", "Escalation vs de-escalation vs talks"),
        ("strongest", "The strongest reactions"), ("geneva", "The Geneva talks"),
        ("intraday", "Intraday reactions"), ("claims", "The article's claims"),
        ("methods", "Methods and caveats"), ("data", "Data and provenance")])))

    show.show_section("heatmap", "Every event × token: CAR[−1,+1]")
    matrix = token_study.car_matrix(result, catalogue, tokens)
    labels = catalogue.set_index("event_id").loc[matrix.index]
    row_labels = [f"{d:%m-%d} {lab if len(lab) <= 58 else lab[:57] + '…'}" for d, lab in zip(labels["day0"], labels["label"])]
    fig = plots.heatmap(matrix, row_labels, f"CAR[−1,+1] versus {benchmark}, market model (%)")
    show.show_figure(fig, alt=f"Heatmap of cumulative abnormal returns over days −1 to +1 for {len(matrix)} events "
                              f"and tokens {', '.join(matrix.columns)}", source="chinabrief event study on the data snapshot")
    show.show_prose('<p class="table-note">Rows are events by day 0 (MM-DD); blue = the token beat {benchmark}, red = it '
                    'lagged; grey = excluded for lack of data (see Methods). Events that share a day 0 share their '
                    'numbers: a daily study cannot tell them apart.</p>', benchmark=benchmark)

    show.show_section("categories", "Escalation vs de-escalation vs talks and agreements")
    cat_show = categories[["scope", "n_events", "n_tokens", "caar", "ci_low", "ci_high", *TEST_NAMES]].rename(
        columns={"n_events": "events", "n_tokens": "N", "caar": "CAAR %", "ci_low": "CI low", "ci_high": "CI high", **{k: f"p {v}" for k, v in TEST_NAMES.items()}})
    show.show_table(cat_show, caption=f"CAAR[−1,+1] by category ({MODEL_NAMES[token_study.HEADLINE_MODEL]}, vs {benchmark})",
                    formats={"events": "{:d}", "N": "{:d}", "CAAR %": "{:+.2f}", "CI low": "{:+.2f}",
                             "CI high": "{:+.2f}", **{f"p {v}": show.fmt_p for v in TEST_NAMES.values()}},
                    note="Two-sided p-values; *** p<0.01, ** p<0.05, * p<0.10. Tests: t = cross-sectional t; Patell = Patell Z; "
                         "BMP = Boehmer–Musumeci–Poulsen; BMP-KP = BMP with the Kolari–Pynnönen adjustment for the "
                         "correlation of tokens that share an event date (read it before the others); rank = Corrado; "
                         "sign = generalized sign. 'talks & agreements' pools negotiation announcements, talks and agreements.")
    fig = plots.caar_intervals(categories, "Average reaction by category, 95% confidence intervals")
    show.show_figure(fig, alt="CAAR with confidence intervals by event category", source="chinabrief event study")

    show.show_section("strongest", "The strongest single reactions")
    top = token_study.strongest(result, catalogue).rename(
        columns={"day0": "day 0", "label": "event", "car": "CAR %", "se": "SE %"})
    show.show_table(top, caption="Ten token-events with the largest |t| (CAR[−1,+1], market model)",
                    formats={"CAR %": "{:+.2f}", "SE %": "{:.2f}", "t": "{:+.2f}", "p": show.fmt_p},
                    note="SE includes the market model's prediction error (MacKinlay 1997). "
                         "With ~300 token-events, about 15 would pass p<0.05 by chance alone.")

    show.show_section("geneva", "The Geneva talks: announcement and joint statement")
    for event_id in GENEVA:
        ev = catalogue.set_index("event_id").loc[event_id]
        table = event_car_table(result, event_id)
        show.show_table(table, caption=f"{ev['label']} — day 0 {ev['day0']:%Y-%m-%d}, CAR % (market model)",
                        formats={"estimation days": "{:d}"}, align_right=tuple(c for c in table.columns if c.startswith("CAR")),
                        note=f"Announced {ev['date']:%Y-%m-%d} at about {ev['time_utc']} UTC. *** p<0.01, ** p<0.05, "
                             "* p<0.10 (t-test with the prediction-error-corrected variance); estimation days = returns "
                             "in the estimation window.")
        paths = car_path(result, event_id, tokens)
        fig = plots.car_paths(paths, f"{ev['label']}: cumulative abnormal return vs {benchmark} (market model)")
        show.show_figure(fig, alt=f"Cumulative abnormal returns (market model) around {ev['label']}",
                         source="chinabrief event study; ARs cumulated from day −5, so the value at +5 is CAR[−5,+5]")

    show.show_section("intraday", "Intraday reactions (events with a known UTC time)")
    timed = catalogue[catalogue["time_utc"].notna() & catalogue["event_id"].isin(focus_events)]
    rows = []
    for _, ev in timed.iterrows():
        when = ev["date"] + pd.to_timedelta(f"{ev['time_utc']}:00")
        part = reactions.intraday_reaction(tables["prices_hourly"], tokens, benchmark, when)
        if not part.empty:
            wide = part.pivot(index="token", columns="horizon_h", values="ar") * 100
            wide.columns = [f"AR +{h}h %" for h in wide.columns]
            wide = wide.reset_index()
            # the event is named once, on its first token's row (a grouped table)
            wide.insert(0, "event", [f"{ev['label']} ({ev['date']:%Y-%m-%d} {ev['time_utc']} UTC)"]
                        + [""] * (len(wide) - 1))
            rows.append(wide)
    if rows:
        intraday = pd.concat(rows, ignore_index=True)
        cols = ["event", "token"] + [c for c in intraday.columns if c.startswith("AR +")]
        show.show_table(intraday[cols], formats={c: "{:+.2f}" for c in cols if c.startswith("AR +")},
                        caption=f"Hourly abnormal return versus {benchmark}, cumulated from the last close before the announcement hour",
                        note="Hourly Binance spot closes exist for TRX, NEO, VET, CFX (not OKB) up to 2025-06-13; "
                             "announcement times are approximate (see the events catalogue).")
    else:
        show.show_prose("<p>No selected event has both a known time and hourly data.</p>")

    show.show_section("claims", "The article's claims: 24h moves on Wednesday 2025-05-07")
    if not claims.empty:
        for claim_text, part in claims.groupby("claim", sort=False):
            show.show_table(part.drop(columns="claim"), formats={"data %": "{:+.3f}", "verdict": _verdict_cell},
                            caption=f"Claim: “{claim_text}” — against the UTC-day close-to-close change on 2025-05-07")
        wide = changes.pivot_table(index="token", columns="measure", values="pct_change", aggfunc="first")
        show.show_table(wide.reset_index(), caption="The same day measured several ways (%)",
                        formats={c: "{:+.2f}" for c in wide.columns})
        show.show_callout("Why the numbers can differ", [
            "CoinGecko's '24h change' is a rolling figure, volume-weighted across many exchanges, read at the moment "
            "the article was written; we measure UTC-day closes on one exchange (OKB: the unattributed source), and "
            "24-hour changes ending at several hours of the day where hourly closes exist. A claim is 'consistent' "
            "when the close-to-close change falls in the claimed range (±0.05 pp for rounding).",
        ], css_class="caveats")

    show.show_section("methods", "Methods and caveats")
    show.show_callout("Methods", [
        f"Returns: simple daily close-to-close returns on UTC days; no return spans a missing day. Benchmark: {benchmark}.",
        "Normal returns: market model (OLS of token on benchmark over the estimation window; shown), market-adjusted "
        "(token − benchmark) and constant mean; all three are in data/processed/event_study/.",
        f"Estimation window {show.window_label(*estimation_window)} days before day 0, at least {min_estimation_obs} valid returns; "
        + ("other catalogue events' day 0 are left out of each estimation window. " if exclude_event_days else "")
        + "Token-events without enough data are excluded, with the reason recorded.",
        "CAR variance includes the market model's prediction error (MacKinlay 1997). Across tokens and events: "
        "cross-sectional t, Patell Z, BMP (Boehmer, Musumeci & Poulsen 1991), BMP with the Kolari & Pynnönen (2010) "
        "adjustment for cross-correlation, the Corrado rank test and the generalized sign test (Cowan 1992).",
        events_mod.day0_rule_text(cutoff_hour_utc),
    ])
    show.show_callout("Caveats", [
        "Crypto trades 24/7: a 'day' is a UTC calendar day, and news from US evenings lands on the next day.",
        "Clustered events: trade news came in bursts (several events within days), so event windows overlap and "
        "one market move can count for several events.",
        "Small N: five tokens that share every event date; only the cross-correlation-adjusted test (BMP + KP) "
        "and the non-parametric tests are fair to that.",
        "Source mix: OKB's prices come from a medium-trust source of unknown origin with gaps; NEO and CFX from "
        "perpetual futures (see Data).",
    ], css_class="caveats")
    if not result.exclusions.empty:
        excl = result.exclusions.join(catalogue.set_index("event_id")[["label", "day0"]], on="event_id")
        excl = excl.sort_values(["day0", "token"]).drop_duplicates(["event_id", "token", "reason"])
        excl["reason"] = excl["reason"].str.replace(r"\((-?\d+), (-?\d+)\)", r"[\1,+\2]", regex=True)
        show.show_table(excl[["day0", "label", "token", "model", "reason"]].rename(columns={"day0": "day 0", "label": "event"}),
                        caption="Exclusions and their reasons (a token-event left out of a model or window)")
    display(HTML(data_section_for(P, tables, list(tokens) + [benchmark])))
