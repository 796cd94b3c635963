"""The 'crypto market ex-China' index: the control group's daily returns, equal- and turnover-weighted.

Rule (stated in the briefs by :func:`rule_text`): on day *t* the index holds every control
token (``data/processed/universe_groups.csv``) that has a return on *t* and at least
:data:`MIN_TURNOVER_DAYS` turnover observations in the :data:`WEIGHT_WINDOW` days before *t*
(*t−30 … t−1*). ``MKT_EW`` weighs them equally; ``MKT_TW`` in proportion to their median daily
turnover over those days, so the weights are rebalanced daily from the previous days' data only
(no look-ahead). A day with fewer than :data:`MIN_CONSTITUENTS` tokens has no index return. The
level starts at 100 on the day before the first return and compounds the returns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Benchmark names (a value of the ``benchmark`` parameter) → weighting.
INDEXES = {"MKT_EW": "equal", "MKT_TW": "turnover"}
#: Days before *t* whose turnover sets the weights of day *t*.
WEIGHT_WINDOW = 30
#: Turnover observations needed in that window for a token to be held.
MIN_TURNOVER_DAYS = 20
#: Tokens needed on a day for the index to have a return.
MIN_CONSTITUENTS = 5
COLUMNS = ["date", "index", "ret", "level", "n_tokens"]


def _wide(frame: pd.DataFrame, column: str, tokens: list[str]) -> pd.DataFrame:
    wide = frame[frame["token"].isin(tokens)].pivot_table(index="date", columns="token", values=column, aggfunc="first")
    if wide.empty:
        return wide
    full = pd.date_range(wide.index.min(), wide.index.max(), freq="D")
    return wide.reindex(full).sort_index(axis=1)


def build(
    returns: pd.DataFrame, prices_daily: pd.DataFrame, constituents: list[str], min_constituents: int = MIN_CONSTITUENTS
) -> pd.DataFrame:
    """Daily returns and levels of ``MKT_EW`` and ``MKT_TW`` from the constituents' returns.

    Parameters
    ----------
    returns : pandas.DataFrame
        ``date, token, ret`` (:func:`chinabrief.data.price_series.daily_returns`).
    prices_daily : pandas.DataFrame
        ``date, token, volume_usd``: the daily turnover (USD) that sets the weights.
    constituents : list of str
        The control tokens.
    min_constituents : int, default :data:`MIN_CONSTITUENTS`
        Tokens needed on a day for a return.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`, long (one row per index and day with a return), sorted by index and date.

    Examples
    --------
    Two synthetic tokens with constant turnover 1 and 3 and returns 1% and 5%:

    >>> days = pd.date_range("2025-01-01", periods=40, freq="D")
    >>> r = pd.concat([pd.DataFrame({"date": days, "token": t, "ret": v}) for t, v in (("A", .01), ("B", .05))])
    >>> p = pd.concat([pd.DataFrame({"date": days, "token": t, "volume_usd": v}) for t, v in (("A", 1.), ("B", 3.))])
    >>> build(r, p, ["A", "B"], min_constituents=2).groupby("index")["ret"].first().round(4).to_dict()
    {'MKT_EW': 0.03, 'MKT_TW': 0.04}
    """
    rets = _wide(returns, "ret", constituents)
    if rets.empty:
        return empty()
    volume = _wide(prices_daily, "volume_usd", constituents).reindex(index=rets.index, columns=rets.columns)
    previous = volume.shift(1)  # weights of day t from days t-30 .. t-1 only
    median = previous.rolling(WEIGHT_WINDOW, min_periods=MIN_TURNOVER_DAYS).median()
    held = rets.notna() & median.notna() & median.gt(0)
    count = held.sum(axis=1)
    frames = []
    for name, weighting in INDEXES.items():
        weights = held.astype(float) if weighting == "equal" else median.where(held, 0.0).fillna(0.0)
        total = weights.sum(axis=1)
        ret = (rets.fillna(0.0) * weights).sum(axis=1) / total.where(total > 0)
        ret = ret.where(count >= min_constituents)
        ret = ret.dropna()
        level = 100.0 * np.cumprod(1.0 + ret.to_numpy())
        frames.append(
            pd.DataFrame(
                {
                    "date": ret.index,
                    "index": name,
                    "ret": ret.to_numpy(),
                    "level": level,
                    "n_tokens": count.reindex(ret.index).to_numpy().astype("int64"),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def empty() -> pd.DataFrame:
    """A typed index table without rows (a snapshot without control tokens, such as v1)."""
    types = {"date": "datetime64[ns]", "index": "str", "ret": "float64", "level": "float64", "n_tokens": "int64"}
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in types.items()})


def as_returns(index_table: pd.DataFrame) -> pd.DataFrame:
    """The index returns in the long returns layout (``date, token, ret``), the index name as token."""
    return index_table.rename(columns={"index": "token"})[["date", "token", "ret"]]


def rule_text() -> str:
    """The index rule as a sentence for the briefs."""
    return (
        f"The 'crypto market ex-China' index holds, each day, every control token with a return that day and "
        f"at least {MIN_TURNOVER_DAYS} days of turnover in the {WEIGHT_WINDOW} days before it: MKT_EW weighs "
        f"them equally, MKT_TW by their median daily turnover over those {WEIGHT_WINDOW} days (weights "
        f"rebalanced daily from the previous days only). Days with fewer than {MIN_CONSTITUENTS} tokens have "
        f"no index return."
    )
