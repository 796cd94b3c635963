"""The control-group market index: known answers on synthetic panels (labelled as such)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chinabrief.analysis import token_event_study as token_study
from chinabrief.data import market_index
from chinabrief.exceptions import ParameterError

DAYS = pd.date_range("2025-01-01", periods=60, freq="D")


def panel(spec: dict[str, tuple[float, float]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic returns and turnover: token -> (daily return, daily turnover), every day."""
    rets = pd.concat([pd.DataFrame({"date": DAYS, "token": t, "ret": r}) for t, (r, _) in spec.items()])
    volume = pd.concat([pd.DataFrame({"date": DAYS, "token": t, "volume_usd": v}) for t, (_, v) in spec.items()])
    return rets, volume


def test_equal_and_turnover_weights_give_the_known_returns():
    rets, volume = panel({"A": (0.01, 1.0), "B": (0.02, 1.0), "C": (0.03, 2.0), "D": (0.04, 2.0), "E": (0.05, 4.0)})
    out = market_index.build(rets, volume, list("ABCDE"))
    ew = out[out["index"].eq("MKT_EW")]
    tw = out[out["index"].eq("MKT_TW")]
    assert ew["ret"].to_numpy() == pytest.approx(0.03)
    assert tw["ret"].to_numpy() == pytest.approx((0.01 + 0.02 + 0.06 + 0.08 + 0.20) / 10)
    # the first day with weights: MIN_TURNOVER_DAYS previous days of turnover
    assert ew["date"].min() == DAYS[market_index.MIN_TURNOVER_DAYS]
    assert ew["level"].iloc[0] == pytest.approx(103.0)
    assert ew["level"].iloc[-1] == pytest.approx(100 * 1.03 ** len(ew))
    assert set(ew["n_tokens"]) == {5}


def test_weights_use_only_the_previous_days_turnover():
    rets, volume = panel({t: (0.01 * (i + 1), 1.0) for i, t in enumerate("ABCDE")})
    day = DAYS[25]
    volume.loc[volume["token"].eq("E") & volume["date"].ge(day), "volume_usd"] = 1e9  # a jump from `day` on
    tw = market_index.build(rets, volume, list("ABCDE")).query("index == 'MKT_TW'").set_index("date")["ret"]
    assert tw[day] == pytest.approx(0.03)  # day t's weights do not see day t's turnover
    assert tw[DAYS[-1]] > 0.049  # once the jump dominates the previous 30 days' median, E dominates


def test_a_day_with_too_few_tokens_has_no_return():
    rets, volume = panel({t: (0.01, 1.0) for t in "ABCDE"})
    rets = rets[~(rets["token"].eq("E") & rets["date"].eq(DAYS[40]))]  # 4 tokens that day
    out = market_index.build(rets, volume, list("ABCDE"))
    assert DAYS[40] not in set(out["date"]) and DAYS[41] in set(out["date"])


def test_no_constituents_gives_an_empty_typed_table():
    rets, volume = panel({"A": (0.01, 1.0)})
    out = market_index.build(rets, volume, [])
    assert out.empty and list(out.columns) == market_index.COLUMNS


def test_the_index_is_a_benchmark_column_and_its_absence_is_a_clear_error():
    rets, volume = panel({t: (0.01, 1.0) for t in "ABCDE"})
    tables = {
        "returns": rets.assign(log_ret=np.log1p(rets["ret"])),
        "market_index": market_index.build(rets, volume, list("ABCDE")),
    }
    both = token_study.benchmark_returns(tables, "MKT_EW")
    assert set(both["token"]) == set("ABCDE") | {"MKT_EW"}
    assert token_study.benchmark_returns(tables, "BTC")["token"].nunique() == 5
    tables["market_index"] = market_index.empty()
    with pytest.raises(ParameterError, match="benchmark MKT_TW: .*market_index.parquet has no MKT_TW returns"):
        token_study.benchmark_returns(tables, "MKT_TW")
