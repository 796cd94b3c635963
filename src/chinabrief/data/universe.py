"""The token universe (``data/universe.csv``) and the rule that picks the control group.

``data/universe.csv`` is the project's own compilation: one row per token of the snapshots, its
Bybit contract and multiplier, its kind, and a group with a reason and a source:

- ``benchmark``: BTC and ETH;
- ``china_linked``: tokens with China ties (``china_tier`` ``core``: the article's top 5;
  ``extended``: the others, studied with ``include_extended``);
- ``candidate``: no China ties known to the project; :func:`assign_groups` makes it ``control``
  when it passes :class:`ControlRule`, or ``excluded`` naming the rule it fails;
- ``excluded``: left out on purpose (China ties unclear, stablecoins, price ratios), with the reason.

The control rule (:class:`ControlRule`, shown in the briefs by :func:`rule_text`):

1. kind: meme coins, exchange tokens, fan tokens, stablecoins, wrapped and pegged tokens are not
   in the control group (their prices follow a community, one exchange's business, a team, or an
   outside asset rather than the crypto market);
2. history: at least ``min_estimation_obs`` daily returns in the estimation window of the
   catalogue's first event, so every event can be estimated;
3. liquidity: median daily Bybit turnover over the study period (the first event's estimation
   window start to the last event's day 0) within ``liquidity_factor`` times the median of the
   China-linked tokens' medians (either side).

Every token found in a snapshot gets exactly one final group: ``benchmark``, ``china_linked``,
``control`` or ``excluded`` (written to ``data/processed/universe_groups.csv``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import InputFormatError

COLUMNS = [
    "symbol",
    "name",
    "group",
    "china_tier",
    "kind",
    "coingecko_id",
    "binance_symbol",
    "bybit_symbol",
    "bybit_multiplier",
    "reason",
    "source",
]
#: Groups of ``data/universe.csv``.
GROUPS = ("benchmark", "china_linked", "candidate", "excluded")
#: Groups every snapshot token ends in (``data/processed/universe_groups.csv``).
FINAL_GROUPS = ("benchmark", "china_linked", "control", "excluded")
CHINA_TIERS = ("core", "extended")
KINDS = (
    "layer1",
    "layer2",
    "defi",
    "infrastructure",
    "gaming",
    "ai",
    "other",
    "meme",
    "exchange_token",
    "fan_token",
    "stablecoin",
    "wrapped",
    "pegged",
)
#: Kinds never in the control group (rule 1).
NOT_CONTROL_KINDS = ("meme", "exchange_token", "fan_token", "stablecoin", "wrapped", "pegged")
GROUPS_COLUMNS = [
    "token",
    "group",
    "china_tier",
    "kind",
    "name",
    "reason",
    "source",
    "first_date",
    "history_days",
    "median_turnover_usd",
    "rule_outcome",
]


def _where(path: Path, index: int) -> str:
    return f"{path}:{index + 2}"  # header is line 1


def load(path: Path) -> pd.DataFrame:
    """Read and check ``data/universe.csv``.

    Rules: the columns of :data:`COLUMNS`; one row per symbol and per Bybit symbol; ``group`` in
    :data:`GROUPS`; ``kind`` in :data:`KINDS`; ``china_tier`` ``core``/``extended`` exactly for
    ``china_linked`` rows; ``bybit_multiplier`` a positive whole number wherever ``bybit_symbol``
    is set (empty otherwise); a reason and a source on every row.

    Raises
    ------
    InputFormatError
        Naming the file, the line, the column and the rule.
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputFormatError(f"{path}: cannot be parsed as CSV ({exc})") from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputFormatError(f"{path}: missing column(s) {missing} (rule: the universe has columns {COLUMNS})")

    def fail(mask: pd.Series, column: str, rule: str) -> None:
        if mask.any():
            i = int(np.flatnonzero(mask.to_numpy())[0])
            raise InputFormatError(
                f"{_where(path, i)}: column '{column}' is {frame[column].iloc[i]!r} "
                f"(rule: {rule}; {int(mask.sum())} row(s) break it)"
            )

    fail(frame["symbol"].eq("") | ~frame["symbol"].str.fullmatch(r"[A-Z0-9]+"), "symbol", "an upper-case token symbol")
    fail(frame["symbol"].duplicated(), "symbol", "one row per symbol")
    fail(~frame["group"].isin(GROUPS), "group", f"one of {list(GROUPS)}")
    fail(~frame["kind"].isin(KINDS), "kind", f"one of {list(KINDS)}")
    china = frame["group"].eq("china_linked")
    fail(china & ~frame["china_tier"].isin(CHINA_TIERS), "china_tier", "core or extended for china_linked tokens")
    fail(~china & frame["china_tier"].ne(""), "china_tier", "empty unless the group is china_linked")
    bybit = frame["bybit_symbol"].ne("")
    fail(bybit & frame["bybit_symbol"].duplicated(), "bybit_symbol", "one token per Bybit contract")
    fail(
        bybit & ~frame["bybit_symbol"].str.fullmatch(r"[A-Z0-9]+USDT"),
        "bybit_symbol",
        "a Bybit USDT contract name such as 1000PEPEUSDT",
    )
    fail(
        bybit & ~frame["bybit_multiplier"].str.fullmatch(r"[1-9][0-9]*"),
        "bybit_multiplier",
        "a positive whole number (tokens per quoted price) where bybit_symbol is set",
    )
    fail(~bybit & frame["bybit_multiplier"].ne(""), "bybit_multiplier", "empty where bybit_symbol is empty")
    fail(frame["reason"].str.strip().eq(""), "reason", "every token has a one-line reason")
    fail(frame["source"].str.strip().eq(""), "source", "every token has a source")
    return frame


def symbols(universe: pd.DataFrame, group: str | None = None, tier: str | None = None) -> list[str]:
    """Symbols of a group (and China tier), in the table's order."""
    mask = pd.Series(True, index=universe.index)
    if group is not None:
        mask &= universe["group"].eq(group)
    if tier is not None:
        mask &= universe["china_tier"].eq(tier)
    return universe.loc[mask, "symbol"].tolist()


@dataclass(frozen=True)
class Contract:
    """A Bybit contract: the token it quotes and how many tokens one quoted price is for."""

    token: str
    multiplier: int


def bybit_contracts(universe: pd.DataFrame) -> dict[str, Contract]:
    """Bybit symbol (``1000PEPEUSDT``) → :class:`Contract` (``PEPE``, 1000)."""
    rows = universe[universe["bybit_symbol"].ne("")]
    return {r.bybit_symbol: Contract(r.symbol, int(r.bybit_multiplier)) for r in rows.itertuples()}


@dataclass(frozen=True)
class ControlRule:
    """The control-group rule (see the module docstring); values from the parameters."""

    estimation_window: tuple[int, int]
    min_estimation_obs: int
    #: Median turnover within this factor of the China-linked median, either side.
    liquidity_factor: float = 10.0
    not_control_kinds: tuple[str, ...] = field(default=NOT_CONTROL_KINDS)


def study_period(day0: pd.Series, rule: ControlRule) -> tuple[pd.Timestamp, pd.Timestamp]:
    """From the start of the first event's estimation window to the last event's day 0."""
    first, last = pd.Timestamp(day0.min()), pd.Timestamp(day0.max())
    return first + pd.Timedelta(days=rule.estimation_window[0]), last


def _history(returns: pd.DataFrame, day0: pd.Series, rule: ControlRule) -> pd.Series:
    """Per token: daily returns inside the first event's estimation window."""
    first = pd.Timestamp(day0.min())
    lo = first + pd.Timedelta(days=rule.estimation_window[0])
    hi = first + pd.Timedelta(days=rule.estimation_window[1])
    inside = returns[returns["date"].between(lo, hi)]
    return inside.groupby("token")["date"].size()


def median_turnover(all_daily: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Per token: median daily Bybit perpetual turnover (USDT) between ``start`` and ``end``."""
    bybit = all_daily[all_daily["source"].eq("bybit_perp") & all_daily["date"].between(start, end)]
    return bybit.groupby("token")["volume_usd"].median()


def assign_groups(
    universe: pd.DataFrame, all_daily: pd.DataFrame, returns: pd.DataFrame, day0: pd.Series, rule: ControlRule
) -> pd.DataFrame:
    """Give every token of the snapshot its final group, applying the control rule to candidates.

    Parameters
    ----------
    universe : pandas.DataFrame
        ``data/universe.csv`` (:func:`load`).
    all_daily : pandas.DataFrame
        Daily rows of every source (:func:`chinabrief.data.price_series.read_all`): the tokens found here
        are the snapshot's tokens; Bybit rows give the turnover.
    returns : pandas.DataFrame
        Daily returns (``date, token, ret``) of the chosen prices of those tokens.
    day0 : pandas.Series
        The catalogue's days 0 (fix the estimation window and the study period).
    rule : ControlRule

    Returns
    -------
    pandas.DataFrame
        :data:`GROUPS_COLUMNS`, one row per snapshot token, benchmarks, China-linked, control,
        excluded in that order, then by symbol.

    Raises
    ------
    InputFormatError
        When a snapshot token is not in the universe.
    """
    found = sorted(all_daily["token"].unique())
    unknown = sorted(set(found) - set(universe["symbol"]))
    if unknown:
        raise InputFormatError(
            f"data/universe.csv: no row for snapshot token(s) {unknown} "
            "(rule: every snapshot token has exactly one group)"
        )
    table = universe[universe["symbol"].isin(found)].copy()
    start, end = study_period(day0, rule)
    history = _history(returns, day0, rule)
    turnover = median_turnover(all_daily, start, end)
    first = all_daily.groupby("token")["date"].min()
    table["history_days"] = table["symbol"].map(history).fillna(0).astype("int64")
    table["median_turnover_usd"] = table["symbol"].map(turnover).astype("float64")
    table["first_date"] = table["symbol"].map(first)
    china_median = float(table.loc[table["group"].eq("china_linked"), "median_turnover_usd"].median())
    low, high = china_median / rule.liquidity_factor, china_median * rule.liquidity_factor
    outcomes, groups = [], []
    for r in table.itertuples():
        group, outcome = r.group, ""
        if r.group == "china_linked":
            outcome = "China-linked: not subject to the control rule"
        elif r.group == "benchmark":
            outcome = "benchmark: not subject to the control rule"
        elif r.group == "excluded":
            outcome = f"excluded by the universe table: {r.reason}"
        elif r.kind in rule.not_control_kinds:
            group, outcome = "excluded", f"kind {r.kind}: not in the control group"
        elif r.history_days < rule.min_estimation_obs:
            group, outcome = (
                "excluded",
                (
                    f"history: {r.history_days} returns in the first event's estimation window "
                    f"(needs {rule.min_estimation_obs})"
                ),
            )
        elif not np.isfinite(r.median_turnover_usd):
            group, outcome = "excluded", "liquidity: no Bybit turnover in the study period"
        elif not (low <= r.median_turnover_usd <= high):
            group, outcome = (
                "excluded",
                (
                    f"liquidity: median turnover {r.median_turnover_usd / 1e6:,.2f}M USD outside "
                    f"{low / 1e6:,.2f}M–{high / 1e6:,.2f}M"
                ),
            )
        else:
            group, outcome = "control", "control: passes kind, history and liquidity"
        groups.append(group)
        outcomes.append(outcome)
    table["group"] = groups
    table["rule_outcome"] = outcomes
    order = {g: i for i, g in enumerate(FINAL_GROUPS)}
    table = table.rename(columns={"symbol": "token"})
    table = table.sort_values(["group", "token"], key=lambda s: s.map(order) if s.name == "group" else s)
    return table[GROUPS_COLUMNS].reset_index(drop=True)


def empty_groups() -> pd.DataFrame:
    """A typed :data:`GROUPS_COLUMNS` table without rows (tables built by hand, without a universe)."""
    types = {"first_date": "datetime64[ns]", "history_days": "int64", "median_turnover_usd": "float64"}
    return pd.DataFrame({c: pd.Series(dtype=types.get(c, "str")) for c in GROUPS_COLUMNS})


def liquidity_band(groups: pd.DataFrame, rule: ControlRule) -> tuple[float, float, float]:
    """The China-linked median turnover and the band ``(median, low, high)`` the control must fall in."""
    china_median = float(groups.loc[groups["group"].eq("china_linked"), "median_turnover_usd"].median())
    return china_median, china_median / rule.liquidity_factor, china_median * rule.liquidity_factor


def rule_text(rule: ControlRule, groups: pd.DataFrame, day0: pd.Series) -> str:
    """The control rule as sentences for the briefs, with this build's numbers."""
    start, end = study_period(day0, rule)
    median, low, high = liquidity_band(groups, rule)
    kinds = ", ".join(k.replace("_", " ") for k in rule.not_control_kinds)
    band = (
        f"between {low / 1e6:,.2f}M and {high / 1e6:,.2f}M USD ({rule.liquidity_factor:g}× either side of the "
        f"China-linked tokens' median, {median / 1e6:,.2f}M USD)"
        if np.isfinite(median)
        else "comparable with the China-linked tokens' (no China-linked turnover in this snapshot)"
    )
    return (
        f"A token with no China ties known to the project is in the control group when (1) it is not a "
        f"{kinds} token; (2) it has at least {rule.min_estimation_obs} daily returns in the estimation window "
        f"of the first event (days {rule.estimation_window[0]} to {rule.estimation_window[1]}); and (3) its "
        f"median daily Bybit turnover from {start:%Y-%m-%d} to {end:%Y-%m-%d} is {band}. Tokens whose China "
        f"ties are unclear are excluded, not used as controls."
    )


def group_of_files(universe: pd.DataFrame, snapshot: Path) -> pd.DataFrame:
    """Each price file listed in a snapshot's ``SHA256SUMS`` with its token and universe group.

    Used by the tests to check that every snapshot token has exactly one group; the token is
    found the way the readers find it (:func:`chinabrief.data.price_series.token_of_file`).
    """
    from . import price_series as prices  # price_series imports this module's Contract
    from .sources.snapshot import kind_of, read_listing

    rows = []
    for item in read_listing(snapshot):
        if item.path.startswith("prices/"):
            token = prices.token_of_file(kind_of(item.path), Path(item.path), bybit_contracts(universe))[0]
            rows.append({"file": item.path, "token": token})
    files = pd.DataFrame(rows)
    groups = universe.set_index("symbol")["group"]
    files["groups"] = files["token"].map(lambda t: int((universe["symbol"] == t).sum()))
    files["group"] = files["token"].map(groups)
    return files
