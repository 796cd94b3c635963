"""Known answers for chinabrief.analysis.token_event_study's views of an event study (made-up tables)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from chinabrief.analysis import token_event_study as tes

WINDOW = tes.HEADLINE_WINDOW
MODEL = tes.HEADLINE_MODEL


def car_row(event_id, token, car, t, model=MODEL, window=WINDOW):
    return {
        "event_id": event_id,
        "token": token,
        "model": model,
        "window_start": window[0],
        "window_end": window[1],
        "car": car,
        "se": abs(car / t),
        "t": t,
        "p": 0.5,
    }


CATALOGUE = pd.DataFrame(
    {
        "event_id": ["late", "early"],
        "label": ["Late event", "Early event"],
        "day0": pd.to_datetime(["2030-05-02", "2030-01-02"]),
        "category": ["escalation", "talks"],
    }
)
RESULT = SimpleNamespace(
    car=pd.DataFrame(
        [
            car_row("late", "AAA", 0.02, 1.0),
            car_row("late", "BBB", -0.05, -4.0),
            car_row("early", "AAA", 0.01, 2.5),
            car_row("early", "BBB", 0.03, 0.5),
            car_row("early", "AAA", 0.99, 99.0, model="market_adjusted"),  # another model: never shown here
            car_row("early", "AAA", 0.77, 77.0, window=(0, 0)),  # another window
        ]
    )
)


def test_car_matrix_orders_events_by_day0_and_tokens_as_asked():
    m = tes.car_matrix(RESULT, CATALOGUE, ["BBB", "AAA", "ZZZ"])
    assert list(m.index) == ["early", "late"] and list(m.columns) == ["BBB", "AAA"]
    np.testing.assert_allclose(m.to_numpy(), [[3.0, 1.0], [-5.0, 2.0]])


def test_strongest_ranks_by_absolute_t_and_shows_percent():
    top = tes.strongest(RESULT, CATALOGUE, n=2)
    assert list(top["token"]) == ["BBB", "AAA"] and list(top["label"]) == ["Late event", "Early event"]
    assert top["car"].tolist() == pytest.approx([-5.0, 1.0])
    assert top["se"].tolist() == pytest.approx([1.25, 0.4])


def test_category_table_puts_escalation_first_and_one_column_per_test():
    rows = []
    for scope, caar in (("talks", 0.01), ("escalation", -0.02), ("talks & agreements", 0.005)):
        for test, p in (("cross_sectional_t", 0.01), ("bmp_kp", 0.2)):
            rows.append(
                {
                    "scope_type": "category",
                    "scope": scope,
                    "model": MODEL,
                    "window_start": WINDOW[0],
                    "window_end": WINDOW[1],
                    "n_events": 2,
                    "n_tokens": 4,
                    "caar": caar,
                    "ci_low": caar - 0.01,
                    "ci_high": caar + 0.01,
                    "test": test,
                    "p": p,
                }
            )
    table = tes.category_table(SimpleNamespace(caar=pd.DataFrame(rows)))
    assert list(table["scope"]) == ["escalation", "talks & agreements", "talks"]
    assert table.loc[0, "caar"] == pytest.approx(-2.0) and table.loc[0, "ci_low"] == pytest.approx(-3.0)
    assert table.loc[0, "bmp_kp"] == 0.2 and table.loc[0, "cross_sectional_t"] == 0.01
