"""Plausibility rules for daily prices, checked before any price is used (stage 02).

Each rule is a named parameter of ``params.yaml`` (see :class:`Rules`), with a default measured
on the real snapshots (the measurements are written beside the defaults in ``params.yaml``):

``check_positive_close``
    every close is above zero;
``check_ohlc_order``
    high ≥ max(open, close) ≥ min(open, close) ≥ low, where the source has those columns;
``bad_print_factor``
    a close more than this factor above (or below) *both* the previous and the next day's close
    of the same file: a jump that reverts the next day, the signature of a bad print (a real
    re-pricing, such as OKB's rally of 2025-08-13, does not revert and passes);
``source_disagreement_pct``, ``source_disagreement_from``
    two sources' closes of one token and day differ by more than this many percent, on days from
    ``source_disagreement_from`` on (earlier disagreements are listed, not fatal).

A violation stops the build with file, line, value and rule, unless ``price_check_allow`` lists
it (``TOKEN:YYYY-MM-DD`` or ``data/raw/...csv:LINE``, the ``data/raw/`` prefix optional), or its rule
is switched off, or it falls before ``source_disagreement_from``. Every finding, fatal or not, is
returned as a table (``data/processed/price_checks.csv``) that the data-quality brief shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import pandas as pd

from ..exceptions import InputFormatError

#: The columns of the findings table.
COLUMNS = ["rule", "token", "date", "source", "file", "line", "value", "detail", "status"]
VIOLATION = "violation"
#: How many violations a message lists before summarising.
MAX_SHOWN = 10


@dataclass(frozen=True)
class Rules:
    """The price plausibility parameters (same names and defaults as in ``params.yaml``)."""

    check_positive_close: bool = True
    check_ohlc_order: bool = True
    bad_print_factor: float = 2.0
    source_disagreement_pct: float = 30.0
    source_disagreement_from: str = "2019-01-01"
    price_check_allow: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_params(cls, values: dict | None) -> Rules:
        """Build from a mapping holding (some of) the parameters; others keep their default."""
        names = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in (values or {}).items() if k in names}
        if "price_check_allow" in kwargs:
            kwargs["price_check_allow"] = tuple(kwargs["price_check_allow"] or ())
        return cls(**kwargs)


def _findings(rows: pd.DataFrame, rule: str, value: pd.Series, detail: pd.Series | str) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "rule": rule,
            "token": rows["token"].astype(str),
            "date": rows["date"],
            "source": rows["source"].astype(str),
            "file": rows["file"].astype(str),
            "line": rows["line"].astype("int64"),
            "value": value.astype(float),
            "detail": detail,
            "status": VIOLATION,
        }
    )
    return out[COLUMNS]


def empty() -> pd.DataFrame:
    """A typed, empty findings table."""
    types = {
        "rule": "str",
        "token": "str",
        "date": "datetime64[ns]",
        "source": "str",
        "file": "str",
        "line": "int64",
        "value": "float64",
        "detail": "str",
        "status": "str",
    }
    return pd.DataFrame({c: pd.Series(dtype=types[c]) for c in COLUMNS})


def positive_close(daily: pd.DataFrame) -> pd.DataFrame:
    """Rows whose close is not above zero (rule ``check_positive_close``)."""
    bad = daily[~(daily["close"] > 0)]
    return _findings(bad, "check_positive_close", bad["close"], "close <= 0")


def ohlc_order(daily: pd.DataFrame) -> pd.DataFrame:
    """Rows breaking high >= max(open, close) >= min(open, close) >= low (rule ``check_ohlc_order``).

    Only rows with all four prices are checked (close-only sources have none to compare).
    """
    full = daily.dropna(subset=["open", "high", "low", "close"])
    top = full[["open", "close"]].max(axis=1)
    bottom = full[["open", "close"]].min(axis=1)
    bad = (full["high"] < top) | (full["low"] > bottom)
    rows = full[bad]
    detail = pd.Series(
        [
            f"open {o!r}, high {h!r}, low {lo!r}, close {c!r}"
            for o, h, lo, c in zip(rows["open"], rows["high"], rows["low"], rows["close"])
        ],
        index=rows.index,
        dtype="str",
    )
    return _findings(rows, "check_ohlc_order", rows["close"], detail)


def bad_prints(daily: pd.DataFrame, factor: float) -> pd.DataFrame:
    """Closes more than ``factor`` above (or below) both neighbouring days' closes of the same file.

    Only consecutive days count: a close next to a gap is compared with nothing across the gap.

    Examples
    --------
    >>> d = pd.DataFrame({"date": pd.date_range("2025-01-01", periods=4), "token": "X", "source": "s",
    ...                   "file": "f.csv", "line": [2, 3, 4, 5], "close": [1.0, 10_000.0, 1.0, 1.1]})
    >>> bad_prints(d, 2.0)["line"].tolist()
    [3]
    """
    frame = daily.sort_values(["file", "date"])
    by_file = frame.groupby("file", sort=False)
    prev_close, next_close = by_file["close"].shift(1), by_file["close"].shift(-1)
    prev_day = (frame["date"] - by_file["date"].shift(1)).dt.days.eq(1)
    next_day = (by_file["date"].shift(-1) - frame["date"]).dt.days.eq(1)
    up = (frame["close"] > factor * prev_close) & (frame["close"] > factor * next_close)
    down = (frame["close"] * factor < prev_close) & (frame["close"] * factor < next_close)
    bad = (up | down) & prev_day & next_day
    rows = frame[bad]
    detail = pd.Series(
        [
            f"previous close {a!r}, next close {b!r} (more than {factor:g}x away from both)"
            for a, b in zip(prev_close[bad], next_close[bad])
        ],
        index=rows.index,
        dtype="str",
    )
    return _findings(rows, "bad_print_factor", rows["close"], detail)


def disagreement(daily: pd.DataFrame, pct: float) -> pd.DataFrame:
    """Same-day closes of one token from two sources that differ by more than ``pct`` percent.

    One finding per pair and day, on the row of the second source (in ``daily``'s source order);
    ``detail`` names the other source's file, line and close.
    """
    parts = []
    sources = list(dict.fromkeys(daily["source"]))
    keyed = {s: daily[daily["source"].eq(s)].set_index(["token", "date"]) for s in sources}
    for i, a in enumerate(sources):
        for b in sources[i + 1 :]:
            left, right = keyed[a], keyed[b]
            both = left.join(right, how="inner", suffixes=("_a", "_b"))
            if both.empty:
                continue
            diff = (both["close_b"] / both["close_a"] - 1.0).abs() * 100.0
            bad = both[diff > pct].reset_index()
            if bad.empty:
                continue
            rows = pd.DataFrame(
                {"token": bad["token"], "date": bad["date"], "source": b, "file": bad["file_b"], "line": bad["line_b"]}
            )
            over = diff[diff > pct].to_numpy()
            detail = pd.Series(
                [
                    f"differs by {x:.1f}% (limit {pct:g}%) from {a}'s close {ca!r} at {fa}:{int(la)}"
                    for x, ca, fa, la in zip(over, bad["close_a"], bad["file_a"], bad["line_a"])
                ],
                index=rows.index,
                dtype="str",
            )
            parts.append(_findings(rows, "source_disagreement_pct", bad["close_b"], detail))
    return pd.concat(parts, ignore_index=True) if parts else empty()


def _allowed_keys(finding: pd.DataFrame) -> pd.DataFrame:
    date = finding["date"].dt.strftime("%Y-%m-%d")
    return pd.DataFrame(
        {
            "token_date": finding["token"] + ":" + date,
            "file_line": finding["file"].str.removeprefix("data/raw/") + ":" + finding["line"].astype(str),
        }
    )


def check(daily: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Apply every rule to ``daily``; return the findings; raise on any not allowed.

    Parameters
    ----------
    daily : pandas.DataFrame
        Daily rows from every source, with the readers' provenance columns ``file`` and ``line``
        (:func:`chinabrief.data.price_series.read_all`), restricted to the tokens the build uses.
    rules : Rules
        The parameters.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`; ``status`` says why each finding is allowed (all are, when this returns).

    Raises
    ------
    InputFormatError
        Listing, for each violation not allowed, the file and line, token, date, value and rule,
        and how to allow it if it is real.
    """
    found = [
        positive_close(daily).assign(
            status=VIOLATION if rules.check_positive_close else "allowed: check_positive_close is false"
        ),
        ohlc_order(daily).assign(status=VIOLATION if rules.check_ohlc_order else "allowed: check_ohlc_order is false"),
        bad_prints(daily[daily["close"] > 0], rules.bad_print_factor),
    ]
    agree = disagreement(daily[daily["close"] > 0], rules.source_disagreement_pct)
    early = agree["date"] < pd.Timestamp(rules.source_disagreement_from)
    agree.loc[early, "status"] = f"allowed: before source_disagreement_from ({rules.source_disagreement_from})"
    found.append(agree)
    findings = (
        pd.concat([f for f in found if not f.empty], ignore_index=True) if any(not f.empty for f in found) else empty()
    )
    if findings.empty:
        return findings
    allow = set(rules.price_check_allow) | {a.removeprefix("data/raw/") for a in rules.price_check_allow}
    keys = _allowed_keys(findings)
    listed = keys["token_date"].isin(allow) | keys["file_line"].isin(allow)
    findings.loc[listed & findings["status"].eq(VIOLATION), "status"] = "allowed: listed in price_check_allow"
    findings = findings.sort_values(["rule", "token", "date", "file"], kind="stable").reset_index(drop=True)
    fatal = findings[findings["status"].eq(VIOLATION)]
    if not fatal.empty:
        lines = [
            f"{r.file}:{r.line}: {r.token} {r.date:%Y-%m-%d} close {r.value!r}: rule {r.rule} ({r.detail})"
            for r in fatal.head(MAX_SHOWN).itertuples()
        ]
        more = f"\n  … and {len(fatal) - MAX_SHOWN} more" if len(fatal) > MAX_SHOWN else ""
        raise InputFormatError(
            f"{len(fatal)} implausible price(s), nothing written:\n  "
            + "\n  ".join(lines)
            + more
            + "\nIf a price is real, allow it in params.yaml, e.g. price_check_allow: "
            + f'["{fatal["token"].iloc[0]}:{fatal["date"].iloc[0]:%Y-%m-%d}"] (it is then listed in the data-quality brief).'
        )
    return findings


def summary(findings: pd.DataFrame) -> pd.DataFrame:
    """Allowed findings by rule and status: how many, which tokens, first and last day."""
    if findings.empty:
        return pd.DataFrame(columns=["rule", "status", "findings", "tokens", "first_day", "last_day"])
    out = (
        findings.groupby(["rule", "status"], sort=True)
        .agg(
            findings=("token", "size"),
            tokens=("token", lambda s: ", ".join(sorted(set(s)))),
            first_day=("date", "min"),
            last_day=("date", "max"),
        )
        .reset_index()
    )
    return out
