"""Typed pipeline parameters: ``params.yaml`` plus command-line overrides, validated up front.

papermill only *warns* on unknown parameters; we validate names and types with pydantic before
any kernel starts, and fail with a message listing every valid name and its type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..exceptions import ParameterError
from .stages import STAGES

Window = tuple[int, int]

#: The article's top 5 of CoinGecko's 'Made in China' category.
CORE_TOKENS = ["TRX", "NEO", "VET", "CFX", "OKB"]

#: Default per-event briefs (ids of data/events/us_china_trade_2025.csv).
DEFAULT_FOCUS_EVENTS = [
    "2025-04-02-liberation-day",
    "2025-04-09-125pct-hike",
    "2025-05-06-geneva-talks-announced",
    "2025-05-12-geneva-joint-statement",
    "2025-06-10-london-framework",
    "2025-10-10-100pct-tariff-threat",
    "2025-10-30-busan-meeting",
]


class Params(BaseModel):
    """Every parameter of the pipeline, with its type and default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    snapshot: str = Field("../shared/data-v2", description="snapshot folder, relative to the repo root")
    source: Literal["snapshot", "live"] = Field("snapshot", description="where ingestion reads from")
    tokens: list[str] = Field(default_factory=lambda: list(CORE_TOKENS), description="tokens studied")
    include_extended: bool = Field(False, description="add the China-linked 'extended' tier of data/universe.csv")
    benchmark: Literal["BTC", "ETH", "EW", "MKT_EW", "MKT_TW"] = Field(
        "BTC",
        description="market benchmark: BTC, ETH, EW (the other studied tokens), MKT_EW / MKT_TW (the control "
        "group's index, equal- or turnover-weighted)",
    )
    source_priority: list[Literal["binance_spot", "bybit_perp", "unattributed", "coingecko"]] = Field(
        ["binance_spot", "bybit_perp", "unattributed", "coingecko"],  # pydantic copies a mutable default
        description="daily price sources, most trusted first",
    )
    cutoff_hour_utc: int = Field(
        20, ge=0, le=24, description="announcements at/after this UTC hour move day 0 to the next day"
    )
    estimation_window: Window = Field((-120, -11), description="estimation window, days relative to day 0")
    min_estimation_obs: int = Field(60, ge=10, description="minimum valid returns in the estimation window")
    event_windows: list[Window] = Field(
        default_factory=lambda: [(0, 0), (0, 1), (-1, 1), (0, 3), (-5, 5)],
        description="CAR windows",
    )
    models: list[Literal["market_adjusted", "market_model", "constant_mean"]] = Field(
        ["market_adjusted", "market_model", "constant_mean"],
        description="normal-return models",
    )
    exclude_event_days: bool = Field(True, description="drop other events' days from estimation windows")
    focus_events: list[str] = Field(
        default_factory=lambda: list(DEFAULT_FOCUS_EVENTS), description="events with their own brief"
    )
    highlight_events: list[str] = Field(
        default_factory=lambda: ["2025-05-06-geneva-talks-announced", "2025-05-12-geneva-joint-statement"],
        description="events the token brief shows up close (CAR table and path each)",
    )
    event_id: str = Field("2025-05-06-geneva-talks-announced", description="event of a per-event brief")
    article_id: str = Field(
        "2025-05-07-made-in-china-tokens",
        pattern=r"^[a-z0-9][a-z0-9._-]*$",
        description="article of a per-article brief (a file data/articles/<id>.yaml)",
    )
    claims_article: str = Field(
        "2025-05-07-made-in-china-tokens",
        pattern=r"^[a-z0-9][a-z0-9._-]*$",
        description="article whose claims the token and mining briefs check",
    )
    # --- claim tolerances (src/chinabrief/analysis/claim_checks.py; measured values in params.yaml)
    claim_rounding_pp: float = Field(0.05, ge=0, description="slack around a claimed price change, percentage points")
    claim_aggregator_gap_pp: float = Field(
        1.75, ge=0, description="extra slack when a rolling-24h claim meets only a UTC-day close-to-close change"
    )
    claim_share_rounding_pp: float = Field(
        0.5, ge=0, description="slack around a claimed mining share, percentage points"
    )
    claim_misdate_days: int = Field(
        1, ge=0, le=7, description="days either side of as_of searched for a misdated price claim"
    )
    mining_month: str = Field("2022-01", pattern=r"^\d{4}-\d{2}$", description="month of the mining ranking and map")
    cell_timeout: int = Field(600, ge=1, description="seconds a notebook cell may run")
    # --- price plausibility rules (src/chinabrief/data/price_checks.py); thresholds measured on the
    # real snapshots v1 and v2, see params.yaml
    check_positive_close: bool = Field(True, description="every close is > 0 (false: violations are only listed)")
    check_ohlc_order: bool = Field(
        True, description="high >= max(open, close) >= min(open, close) >= low where present"
    )
    bad_print_factor: float = Field(
        2.0,
        gt=1.0,
        description="a close more than this factor above (or below) both the day before and the day after is a bad print",
    )
    source_disagreement_pct: float = Field(
        30.0, gt=0, description="two sources' closes of one token and day may differ by at most this many percent"
    )
    source_disagreement_from: str = Field(
        "2019-01-01",
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="the disagreement rule applies from this day on (earlier days are listed, not fatal)",
    )
    price_check_allow: list[str] = Field(
        default_factory=list,
        description="violations allowed on purpose: 'TOKEN:YYYY-MM-DD' or 'raw/file.csv:LINE' (shown in the data-quality brief)",
    )

    # --- the China premium (src/chinabrief/china_premium.py): China-linked tokens versus the control
    # group of the universe (data/processed/universe_groups.csv), its placebos and robustness grid
    premium_benchmark: str = Field(
        "MKT_EW",
        pattern=r"^[A-Z0-9_]+$",
        description="benchmark of the China-premium comparison: a token of the returns (BTC, ETH) or a market index "
        "(MKT_EW, MKT_TW: the control group's, ex-China)",
    )
    premium_placebo_draws: int = Field(2000, ge=100, description="random non-event date sets of the placebo (seeded)")
    premium_seed: int = Field(20250409, ge=0, description="seed of the placebo draws (same seed, same bytes)")
    premium_block_min_shift: int = Field(
        10, ge=1, description="the block placebo shifts all of a category's dates by at least this many days"
    )
    premium_min_tokens: int = Field(
        3, ge=1, description="fewest tokens in each leg of the difference portfolio on a day"
    )
    robustness_benchmarks: list[str] = Field(
        default_factory=lambda: ["MKT_EW", "BTC", "ETH"], description="benchmarks of the robustness table"
    )
    robustness_models: list[Literal["market_adjusted", "market_model"]] = Field(
        default_factory=lambda: ["market_model", "market_adjusted"],  # type: ignore[arg-type]
        description="models of the robustness table",
    )
    robustness_windows: list[Window] = Field(
        default_factory=lambda: [(0, 0), (-1, 1), (0, 3)], description="CAR windows of the robustness table"
    )
    robustness_cutoff_hours: list[int] = Field(
        default_factory=lambda: [18, 20, 22], description="day-0 cutoff hours (UTC) of the robustness table"
    )
    robustness_estimation_days: list[int] = Field(
        default_factory=lambda: [60, 110, 250], description="estimation-window lengths (days) of the robustness table"
    )
    robustness_exclusions: list[Literal["day0", "window", "none"]] = Field(
        default_factory=lambda: ["day0", "window", "none"],  # type: ignore[arg-type]
        description="what of other events estimation leaves out: their day 0, their days -1..+1, or nothing",
    )

    @field_validator("robustness_cutoff_hours")
    @classmethod
    def _hours(cls, v: list[int]) -> list[int]:
        bad = [h for h in v if not 0 <= h <= 24]
        if bad:
            raise ValueError(f"cutoff hours must lie in 0..24, got {bad}")
        return v

    @field_validator("robustness_estimation_days")
    @classmethod
    def _days(cls, v: list[int]) -> list[int]:
        bad = [d for d in v if d < 10]
        if bad:
            raise ValueError(f"estimation windows must have at least 10 days, got {bad}")
        return v

    @field_validator("tokens")
    @classmethod
    def _upper(cls, v: list[str]) -> list[str]:
        return [t.strip().upper() for t in v if t.strip()]

    @field_validator("focus_events", "highlight_events")
    @classmethod
    def _once_each(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(e.strip() for e in v if e.strip()))

    @field_validator("estimation_window", "event_windows", "robustness_windows")
    @classmethod
    def _ordered(cls, v):
        for w in [v] if isinstance(v, tuple) else v:
            if w[0] > w[1]:
                raise ValueError(f"window {list(w)} starts after it ends")
        return v


#: Make variable → parameter. make exports each one's raw text (``$(value VAR)``) in the
#: environment as ``CHINABRIEF_MAKE_<VAR>``; no shell and no make expansion ever sees it.
MAKE_VARIABLES: dict[str, str] = {
    "SNAPSHOT": "snapshot",
    "SOURCE": "source",
    "TOKENS": "tokens",
    "BENCHMARK": "benchmark",
    "MINING_MONTH": "mining_month",
    "CUTOFF_HOUR": "cutoff_hour_utc",
    "EVENTS": "focus_events",
}
MAKE_ENV_PREFIX = "CHINABRIEF_MAKE_"


def describe() -> str:
    """Return the valid parameter names with their types and descriptions, one a line."""
    lines = []
    for name, field in Params.model_fields.items():
        ann = field.annotation
        # list[str] and Literal[...] keep their arguments (the allowed values); plain types their name
        text = ann.__name__ if isinstance(ann, type) and not get_args(ann) else str(ann).replace("typing.", "")
        lines.append(f"  {name}: {text} — {field.description}")
    return "\n".join(lines)


def _is_list(name: str) -> bool:
    field = Params.model_fields.get(name)
    return field is not None and "list" in str(field.annotation)


def parse_override(text: str, origin: str = "override") -> tuple[str, Any]:
    """Parse one ``name=value`` override; the value is YAML, bare ``A,B`` lists are allowed.

    Parameters
    ----------
    text : str
        ``name=value``, exactly as typed (never seen by a shell).
    origin : str
        Where it came from, for messages (e.g. ``PARAMS``).

    Raises
    ------
    ParameterError
        When ``text`` has no ``=`` or its value is not valid YAML.

    Examples
    --------
    >>> parse_override("tokens=TRX,NEO")
    ('tokens', ['TRX', 'NEO'])
    >>> parse_override("cutoff_hour_utc=21")
    ('cutoff_hour_utc', 21)
    """
    if "=" not in text:
        raise ParameterError(f"{origin}: override {text!r} is not of the form name=value")
    name, raw = text.split("=", 1)
    name = name.strip()
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as exc:
        raise ParameterError(
            f"{origin}: the value of {name!r} is not valid YAML ({_yaml_problem(exc)}): {raw!r}"
        ) from None
    if isinstance(value, str) and _is_list(name):
        value = [part.strip() for part in value.split(",") if part.strip()]
    return name, value


def split_params(text: str) -> list[str]:
    """Split the ``PARAMS`` make variable into ``name=value`` items.

    Items are separated by whitespace followed by ``name=``, so a value may hold spaces
    (``tokens=TRX, NEO``); nothing else is interpreted (quotes, ``;``, ``$`` stay as typed).

    Examples
    --------
    >>> split_params("tokens=TRX, NEO  cutoff_hour_utc=21")
    ['tokens=TRX, NEO', 'cutoff_hour_utc=21']
    """
    return [part.strip() for part in re.split(r"\s+(?=[A-Za-z_][A-Za-z0-9_]*=)", text.strip()) if part.strip()]


def make_value(name: str, raw: str) -> Any:
    """Type the raw text of a named make variable: comma lists for list parameters, else the text.

    The text is not YAML-parsed (a path such as ``/data/a: b`` stays a string); pydantic then
    converts ``"21"`` to an int where the parameter is an int.
    """
    if _is_list(name):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def from_environment(environ: Mapping[str, str]) -> list[tuple[str, Any, str]]:
    """The overrides make passed in the environment, as ``(name, value, origin)``.

    Named variables (``TOKENS``...) come first, then ``PARAMS`` items, so ``PARAMS`` wins.
    Empty variables are not overrides.
    """
    out: list[tuple[str, Any, str]] = []
    for var, name in MAKE_VARIABLES.items():
        raw = environ.get(MAKE_ENV_PREFIX + var, "")
        if raw.strip():
            out.append((name, make_value(name, raw), var))
    for item in split_params(environ.get(MAKE_ENV_PREFIX + "PARAMS", "")):
        name, value = parse_override(item, "PARAMS")
        out.append((name, value, "PARAMS"))
    return out


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark is not None else problem


def read_yaml(params_file: Path) -> dict[str, Any]:
    """Read ``params.yaml`` into a dict (empty when the file is absent).

    Raises
    ------
    ParameterError
        Naming the file, line and column of a YAML syntax error, or saying the file is not a
        mapping of ``name: value``.
    """
    if not params_file.is_file():
        return {}
    try:
        data = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{params_file}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(params_file)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        start = getattr(exc, "context_mark", None)
        if context and start is not None:
            context += f" that starts at line {start.line + 1}, column {start.column + 1}"
        raise ParameterError(
            f"{where}: invalid YAML: {problem}"
            + (f" ({context})" if context else "")
            + " (rule: params.yaml is a mapping of 'name: value' lines)"
        ) from None
    except UnicodeDecodeError as exc:
        raise ParameterError(f"{params_file}: not UTF-8 text ({exc})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterError(f"{params_file}:1:1: not a mapping of 'name: value' lines (found {type(data).__name__})")
    return data


def _yaml_line(params_file: Path, name: str) -> int | None:
    if not params_file.is_file():
        return None
    for number, line in enumerate(params_file.read_text(encoding="utf-8").splitlines(), start=1):
        if re.match(rf"^{re.escape(name)}\s*:", line):
            return number
    return None


def load(params_file: Path, overrides: list[str] | None = None, environ: Mapping[str, str] | None = None) -> Params:
    """Load ``params.yaml``, apply overrides, and validate.

    Parameters
    ----------
    params_file : Path
        ``params.yaml``.
    overrides : list of str, optional
        ``name=value`` items (``--set``), applied after the environment's.
    environ : mapping, optional
        The environment make passed (``CHINABRIEF_MAKE_*``, see :func:`from_environment`).

    Raises
    ------
    ParameterError
        On invalid YAML (file, line, column), an unknown name or a wrong type, naming where each
        bad value came from and listing every valid name and type.
    """
    data = read_yaml(params_file)
    origins = {name: f"{params_file.name}:{_yaml_line(params_file, name) or 1}" for name in data}
    items = from_environment(environ or {})
    items += [(*parse_override(text, "--set"), "--set") for text in overrides or []]
    for name, value, origin in items:
        data[name] = value
        origins[name] = origin
    try:
        return Params(**data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else ""
            where = origins.get(name, "")
            shown = f" (value {err['input']!r})" if "input" in err and not isinstance(err["input"], dict) else ""
            lines.append(
                f"  {'.'.join(str(p) for p in err['loc'])}: {err['msg']}{shown}" + (f" [from {where}]" if where else "")
            )
        raise ParameterError(
            f"invalid parameters (from {params_file.name} and overrides):\n"
            + "\n".join(lines)
            + f"\nValid parameters:\n{describe()}"
        ) from None


def for_stage(params: Params, stage: str) -> dict[str, Any]:
    """Return the JSON-ready parameters one stage's notebook receives."""
    if stage not in STAGES:
        raise ParameterError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    dumped = json.loads(params.model_dump_json())
    return {name: dumped[name] for name in STAGES[stage].parameters}


#: The parameters that name events of the catalogue (checked by :func:`check_focus_events`).
EVENT_ID_PARAMS = ("focus_events", "highlight_events")


def check_focus_events(params: Params, catalogue: Path) -> None:
    """Fail before any kernel starts if a focus event is not in the events catalogue.

    Reads only the ``event_id`` column with the csv module: this runs on every ``make``.

    Raises
    ------
    ParameterError
        Naming each unknown id, the catalogue, and the closest known ids.
    """
    import csv
    import difflib

    if not catalogue.is_file():
        raise ParameterError(f"the events catalogue {catalogue} is missing (focus_events are checked against it)")
    with catalogue.open(newline="", encoding="utf-8") as handle:
        known = [row.get("event_id") or "" for row in csv.DictReader(handle)]
    problems = []
    for name in EVENT_ID_PARAMS:  # each parameter that names events, named in the message
        unknown = [e for e in getattr(params, name) if e not in known]
        if unknown:
            lines = []
            for event_id in unknown:
                close = difflib.get_close_matches(event_id, known, n=3, cutoff=0.5)
                lines.append(f"  {event_id!r}" + (f" (closest: {', '.join(close)})" if close else ""))
            problems.append(
                f"{name}: not in the events catalogue {catalogue.name} ({len(known)} events):\n" + "\n".join(lines)
            )
    if problems:
        raise ParameterError("\n".join(problems))


def check_tokens(params: Params, universe: Path) -> None:
    """Fail before any kernel starts if a token is not in ``data/universe.csv``.

    Reads only the ``symbol`` column with the csv module: this runs on every ``make``.

    Raises
    ------
    ParameterError
        Naming each unknown token (as typed), the universe file and the closest known symbols.
    """
    import csv
    import difflib

    if not universe.is_file():
        raise ParameterError(f"the token universe {universe} is missing (tokens are checked against it)")
    with universe.open(newline="", encoding="utf-8") as handle:
        known = [row.get("symbol") or "" for row in csv.DictReader(handle)]
    unknown = [t for t in params.tokens if t not in known]
    if unknown:
        lines = []
        for token in unknown:
            close = difflib.get_close_matches(token, known, n=3, cutoff=0.5)
            lines.append(f"  {token!r}" + (f" (closest: {', '.join(close)})" if close else ""))
        raise ParameterError(
            f"tokens: not in the token universe {universe.parent.name}/{universe.name} "
            f"({len(known)} symbols):\n" + "\n".join(lines)
        )


def check_articles(params: Params, folder: Path, universe: Path, prices_daily: Path | None = None) -> list[str]:
    """Fail before any kernel starts if a claims file of ``data/articles/`` breaks a rule.

    Every file is read and validated (:mod:`chinabrief.data.claims`): its name a plain id, its fields,
    kinds and tokens; its dates against the price data when ``prices_daily`` exists (else the
    article stage checks them before its kernel starts). ``claims_article`` must be one of them.

    Returns
    -------
    list of str
        The article ids (file names), sorted.

    Raises
    ------
    ParameterError
        For a file name that is not a plain id, or a ``claims_article`` without a file.
    ClaimsFileError
        For a file that breaks a rule (naming the file, line, claim id and field).
    """
    from ..data import claims

    root = folder.parent.parent
    ids = []
    for path in claims.article_files(folder):
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", path.stem):
            raise ParameterError(
                f"{folder.name}/{path.name}: an article file is named by its id (lower-case letters, digits, . _ -)"
            )
        ids.append(path.stem)
    known = claims.read_universe(universe) if universe.is_file() else None
    span = claims.price_span(prices_daily) if prices_daily is not None else (None, None)
    for article in claims.load_articles(folder, known, root=root):
        claims.check_dates(article, *span)
    if params.claims_article not in ids:
        raise ParameterError(
            f"claims_article: no claims file {folder.name}/{params.claims_article}.yaml "
            f"(articles: {', '.join(ids) or 'none'})"
        )
    return ids
