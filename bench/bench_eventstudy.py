"""Benchmark of the vectorised event-study engine against a per-token-per-event statsmodels loop.

All data are SYNTHETIC (seeded NumPy RNG): a one-factor market model with t-distributed noise,
1,000 tokens x 100 events x 250-day estimation windows by default.

* vectorised: ``run_event_study`` with the market model and every CAR and CAAR test
  (tables included), full scale;
* loop: one ``statsmodels`` OLS per token-event plus the per-window CAR, its prediction-error
  variance, t and p, run on a subset of tokens and scaled linearly to full scale (the loop does
  not even compute the cross-sectional tests, so the ratio understates the gain).

Usage: ``python bench/bench_eventstudy.py [--out reports/bench_eventstudy.json]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm
from scipy import stats

from chinabrief.analysis.eventstudy import DEFAULT_EVENT_WINDOWS, run_event_study
from chinabrief.fileio import write_json

SEED = 20250402


def synthetic_panel(n_tokens: int, n_events: int, estimation_days: int, spacing: int, seed: int = SEED):
    """SYNTHETIC daily returns (tokens + 'BTC') and an event catalogue."""
    rng = np.random.default_rng(seed)
    lead = estimation_days + 10 + 5
    n_days = lead + n_events * spacing + 10
    index = pd.date_range("2022-01-01", periods=n_days, freq="D")
    market = rng.standard_t(5, n_days) * 0.025
    beta = rng.uniform(0.5, 1.8, n_tokens)
    alpha = rng.normal(0.0, 0.001, n_tokens)
    noise = rng.standard_t(4, (n_days, n_tokens)) * rng.uniform(0.02, 0.06, n_tokens)
    token_returns = alpha + market[:, None] * beta + noise
    token_returns[rng.random(token_returns.shape) < 0.005] = np.nan  # a few gaps
    columns = [f"T{i:04d}" for i in range(n_tokens)]
    returns = pd.DataFrame(token_returns, index=index, columns=columns)
    returns["BTC"] = market
    day0 = index[lead + np.arange(n_events) * spacing]
    events = pd.DataFrame(
        {
            "event_id": [f"E{i:03d}" for i in range(n_events)],
            "day0": day0,
            "category": np.where(np.arange(n_events) % 2 == 0, "escalation", "de-escalation"),
        }
    )
    return returns, events, columns


def loop_market_model(returns, events, tokens, estimation_window, event_windows):
    """Straightforward per-token-per-event statsmodels OLS; returns a CAR table for checking."""
    rows = []
    positions = returns.index.get_indexer(events["day0"])
    market_all = returns["BTC"].to_numpy()
    for event_id, day0_row in zip(events["event_id"], positions):
        est = slice(day0_row + estimation_window[0], day0_row + estimation_window[1] + 1)
        for token in tokens:
            token_all = returns[token].to_numpy()
            y, x = token_all[est], market_all[est]
            keep = ~np.isnan(y) & ~np.isnan(x)
            fit = sm.OLS(y[keep], sm.add_constant(x[keep])).fit()
            alpha, beta = fit.params
            n = int(keep.sum())
            x_mean = x[keep].mean()
            ssd = ((x[keep] - x_mean) ** 2).sum()
            for start, end in event_windows:
                window = slice(day0_row + start, day0_row + end + 1)
                ar = token_all[window] - (alpha + beta * market_all[window])
                if np.isnan(ar).any():
                    continue
                length = end - start + 1
                car = ar.sum()
                var = fit.scale * (length + length**2 / n + (market_all[window].sum() - length * x_mean) ** 2 / ssd)
                t = car / np.sqrt(var)
                rows.append((event_id, token, start, end, car, t, 2 * stats.t.sf(abs(t), n - 2)))
    return pd.DataFrame(rows, columns=["event_id", "token", "window_start", "window_end", "car", "t", "p"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="reports/bench_eventstudy.json", help="JSON output path")
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--estimation-days", type=int, default=250)
    parser.add_argument("--loop-tokens", type=int, default=50, help="tokens in the statsmodels loop subset")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    estimation_window = (-(args.estimation_days + 10), -11)
    event_windows = list(DEFAULT_EVENT_WINDOWS)
    returns, events, tokens = synthetic_panel(args.tokens, args.events, args.estimation_days, spacing=6)
    load_before = [round(x, 2) for x in os.getloadavg()]
    print(
        f"SYNTHETIC data: {args.tokens} tokens x {args.events} events x {args.estimation_days}-day "
        f"estimation windows, {len(returns)} days (seed {SEED}); {os.cpu_count()} CPU(s), "
        f"load average {load_before} (other processes share these CPUs)"
    )

    def vectorised():
        return run_event_study(
            returns,
            events,
            tokens,
            benchmark="BTC",
            models=["market_model"],
            estimation_window=estimation_window,
            min_estimation_obs=60,
            event_windows=event_windows,
            exclude_event_days=True,
        )

    vector_times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        result = vectorised()
        vector_times.append(time.perf_counter() - start)
    vector_best = min(vector_times)
    print(
        f"vectorised engine (market model, all CAR + CAAR tests, full scale): "
        f"best {vector_best:.2f} s of {args.repeats} runs ({', '.join(f'{t:.2f}' for t in vector_times)})"
    )

    subset = tokens[: args.loop_tokens]
    start = time.perf_counter()
    loop_table = loop_market_model(returns, events, subset, estimation_window, event_windows)
    loop_seconds = time.perf_counter() - start
    scale = args.tokens / args.loop_tokens
    loop_scaled = loop_seconds * scale
    print(
        f"statsmodels loop on a subset of {args.loop_tokens} tokens x {args.events} events: {loop_seconds:.2f} s; "
        f"scaled linearly x{scale:g} to {args.tokens} tokens: {loop_scaled:.1f} s (estimate, not measured)"
    )
    ratio = loop_scaled / vector_best
    print(f"ratio (scaled loop / vectorised): {ratio:.0f}x")

    # sanity: the loop and the engine agree on the subset (loop runs without exclude_event_days days,
    # so compare against an engine run with the same setting)
    check = run_event_study(
        returns[subset + ["BTC"]],
        events,
        subset,
        models=["market_model"],
        estimation_window=estimation_window,
        event_windows=event_windows,
        exclude_event_days=False,
    ).car
    merged = loop_table.merge(check, on=["event_id", "token", "window_start", "window_end"], suffixes=("_loop", ""))
    max_diff = float(np.max(np.abs(merged["car_loop"] - merged["car"]))) if len(merged) else float("nan")
    max_t_diff = float(np.max(np.abs(merged["t_loop"] - merged["t"]))) if len(merged) else float("nan")
    print(
        f"check on the subset: {len(merged)} CARs matched (of {len(loop_table)} loop, {len(check)} engine), "
        f"max |CAR diff| {max_diff:.2e}, max |t diff| {max_t_diff:.2e}"
    )

    report = {
        "synthetic": True,
        "description": "SYNTHETIC seeded one-factor data; vectorised engine vs per-token-per-event statsmodels OLS loop",
        "seed": SEED,
        "n_tokens": args.tokens,
        "n_events": args.events,
        "estimation_days": args.estimation_days,
        "estimation_window": list(estimation_window),
        "event_windows": [list(w) for w in event_windows],
        "n_days": len(returns),
        "cpu_count": os.cpu_count(),
        "load_average_1_5_15min_before": load_before,
        "load_average_1_5_15min_after": [round(x, 2) for x in os.getloadavg()],
        "vectorised_seconds_best": round(vector_best, 4),
        "vectorised_seconds_runs": [round(t, 4) for t in vector_times],
        "vectorised_scope": "run_event_study(models=['market_model']): windows, fit, ARs, CARs, all 6 CAAR tests, tables",
        "vectorised_rows": {
            "car": len(result.car),
            "caar": len(result.caar),
            "abnormal_returns": len(result.abnormal_returns),
        },
        "loop_subset_tokens": args.loop_tokens,
        "loop_subset_seconds": round(loop_seconds, 4),
        "loop_scaled_seconds_estimate": round(loop_scaled, 2),
        "loop_scaling": f"linear x{scale:g} from {args.loop_tokens} to {args.tokens} tokens (estimate)",
        "loop_scope": "statsmodels OLS + CARs, se, t, p per window; no cross-sectional tests",
        "ratio_loop_over_vectorised": round(ratio, 1),
        "check_max_abs_car_diff": max_diff,
        "check_max_abs_t_diff": max_t_diff,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "statsmodels": statsmodels.__version__,
        },
    }
    out = Path(args.out)
    write_json(out, report)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
