"""Typed pipeline parameters: ``params.yaml`` plus command-line overrides, validated up front.

papermill only *warns* on unknown parameters; we validate names and types with pydantic before
any kernel starts, and fail with a message listing every valid name and its type.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .exceptions import ParameterError

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

    snapshot: str = Field("../shared/data", description="snapshot folder, relative to the repo root")
    source: Literal["snapshot", "live"] = Field("snapshot", description="where ingestion reads from")
    tokens: list[str] = Field(default_factory=lambda: list(CORE_TOKENS), description="tokens studied")
    include_extended: bool = Field(False, description="add the 'extended' group of data/universe.csv")
    benchmark: Literal["BTC", "ETH", "EW"] = Field("BTC", description="market benchmark")
    source_priority: list[Literal["binance_spot", "bybit_perp", "unattributed", "coingecko"]] = Field(
        default_factory=lambda: ["binance_spot", "bybit_perp", "unattributed", "coingecko"],
        description="daily price sources, most trusted first",
    )
    cutoff_hour_utc: int = Field(20, ge=0, le=24, description="announcements at/after this UTC hour move day 0 to the next day")
    estimation_window: Window = Field((-120, -11), description="estimation window, days relative to day 0")
    min_estimation_obs: int = Field(60, ge=10, description="minimum valid returns in the estimation window")
    event_windows: list[Window] = Field(
        default_factory=lambda: [(0, 0), (0, 1), (-1, 1), (0, 3), (-5, 5)],
        description="CAR windows",
    )
    models: list[Literal["market_adjusted", "market_model", "constant_mean"]] = Field(
        default_factory=lambda: ["market_adjusted", "market_model", "constant_mean"],
        description="normal-return models",
    )
    exclude_event_days: bool = Field(True, description="drop other events' days from estimation windows")
    focus_events: list[str] = Field(default_factory=lambda: list(DEFAULT_FOCUS_EVENTS), description="events with their own brief")
    highlight_events: list[str] = Field(
        default_factory=lambda: ["2025-05-06-geneva-talks-announced", "2025-05-12-geneva-joint-statement"],
        description="events the token brief shows up close (CAR table and path each)")
    event_id: str = Field("2025-05-06-geneva-talks-announced", description="event of a per-event brief")
    mining_month: str = Field("2022-01", pattern=r"^\d{4}-\d{2}$", description="month of the mining ranking and map")
    cell_timeout: int = Field(600, ge=1, description="seconds a notebook cell may run")

    @field_validator("tokens")
    @classmethod
    def _upper(cls, v: list[str]) -> list[str]:
        return [t.strip().upper() for t in v if t.strip()]

    @field_validator("focus_events", "highlight_events")
    @classmethod
    def _once_each(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(e.strip() for e in v if e.strip()))

    @field_validator("estimation_window", "event_windows")
    @classmethod
    def _ordered(cls, v):
        for w in [v] if isinstance(v, tuple) else v:
            if w[0] > w[1]:
                raise ValueError(f"window {list(w)} starts after it ends")
        return v


#: Which parameters each stage's notebook receives (its ``parameters`` cell names exactly these).
STAGE_PARAMS: dict[str, list[str]] = {
    "ingest": ["snapshot", "source", "tokens", "include_extended"],
    "prepare": ["tokens", "include_extended", "source_priority", "cutoff_hour_utc"],
    "token_reactions": [
        "tokens", "include_extended", "benchmark", "estimation_window", "min_estimation_obs",
        "event_windows", "models", "exclude_event_days", "focus_events", "cutoff_hour_utc", "highlight_events",
    ],
    "event_brief": [
        "event_id", "tokens", "include_extended", "benchmark", "estimation_window",
        "min_estimation_obs", "event_windows", "exclude_event_days", "cutoff_hour_utc",
    ],
    "mining_share": ["mining_month"],
}


def describe() -> str:
    """Return the valid parameter names with their types and descriptions, one a line."""
    lines = []
    for name, field in Params.model_fields.items():
        ann = field.annotation
        # list[str] and Literal[...] keep their arguments (the allowed values); plain types their name
        text = ann.__name__ if isinstance(ann, type) and not get_args(ann) else str(ann).replace("typing.", "")
        lines.append(f"  {name}: {text} — {field.description}")
    return "\n".join(lines)


def parse_override(text: str) -> tuple[str, Any]:
    """Parse one ``name=value`` override; the value is YAML, bare ``A,B`` lists are allowed.

    Examples
    --------
    >>> parse_override("tokens=TRX,NEO")
    ('tokens', ['TRX', 'NEO'])
    >>> parse_override("cutoff_hour_utc=21")
    ('cutoff_hour_utc', 21)
    """
    if "=" not in text:
        raise ParameterError(f"override {text!r} is not of the form name=value")
    name, raw = text.split("=", 1)
    name = name.strip()
    value = yaml.safe_load(raw) if raw.strip() else None
    field = Params.model_fields.get(name)
    if isinstance(value, str) and field is not None and "list" in str(field.annotation):
        value = [part.strip() for part in value.split(",") if part.strip()]
    return name, value


def load(params_file: Path, overrides: list[str] | None = None) -> Params:
    """Load ``params.yaml``, apply ``name=value`` overrides, and validate.

    Raises
    ------
    ParameterError
        On an unknown name or a wrong type, listing every valid name and type.
    """
    data = yaml.safe_load(params_file.read_text()) if params_file.is_file() else {}
    data = data or {}
    for text in overrides or []:
        name, value = parse_override(text)
        data[name] = value
    try:
        return Params(**data)
    except ValidationError as exc:
        problems = "\n".join(
            f"  {'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ParameterError(
            f"invalid parameters (from {params_file.name} and overrides):\n{problems}\n"
            f"Valid parameters:\n{describe()}"
        ) from None


def for_stage(params: Params, stage: str) -> dict[str, Any]:
    """Return the JSON-ready parameters one stage's notebook receives."""
    if stage not in STAGE_PARAMS:
        raise ParameterError(f"unknown stage {stage!r}; stages: {', '.join(STAGE_PARAMS)}")
    dumped = json.loads(params.model_dump_json())
    return {name: dumped[name] for name in STAGE_PARAMS[stage]}


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
        known = [row.get("event_id") for row in csv.DictReader(handle)]
    unknown = [e for e in dict.fromkeys([*params.focus_events, *params.highlight_events]) if e not in known]
    if unknown:
        lines = []
        for event_id in unknown:
            close = difflib.get_close_matches(event_id, known, n=3, cutoff=0.5)
            lines.append(f"  {event_id!r}" + (f" (closest: {', '.join(close)})" if close else ""))
        raise ParameterError(f"focus_events/highlight_events: not in the events catalogue {catalogue.name} "
                             f"({len(known)} events):\n" + "\n".join(lines))

