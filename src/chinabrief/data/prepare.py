"""Stage 02: ``data/raw`` → tidy, validated tables in ``data/processed``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from .. import fileio, provenance, publish
from ..config import Paths
from ..exceptions import MissingInputError, ParameterError
from . import cbeci, close_hours, event_catalogue, manifest, market_index, price_checks, price_series, universe


def universe_tokens(paths: Paths, tokens: list[str], include_extended: bool) -> list[str]:
    """Tokens studied: the selection, the benchmarks, and (optionally) the extended China-linked tier."""
    table = universe.load(paths.universe)
    unknown = sorted(set(tokens) - set(table["symbol"]))
    if unknown:
        raise ParameterError(f"tokens {unknown} are not in {paths.relative(paths.universe)}")
    wanted = list(tokens) + [s for s in universe.symbols(table, "benchmark") if s not in tokens]
    if include_extended:
        wanted += [s for s in universe.symbols(table, "china_linked", "extended") if s not in wanted]
    return wanted


@dataclass
class Prepared:
    """The processed tables of one build."""

    prices_daily: pd.DataFrame
    prices_hourly: pd.DataFrame
    returns: pd.DataFrame
    source_choice: pd.DataFrame
    agreement: pd.DataFrame
    gaps: pd.DataFrame
    events: pd.DataFrame
    mining_countries: pd.DataFrame
    mining_provinces: pd.DataFrame
    mining_cross_check: pd.DataFrame
    manifest: pd.DataFrame
    #: Findings of the price plausibility rules, all allowed (:mod:`chinabrief.data.price_checks`).
    price_checks: pd.DataFrame | None = None
    #: Unlisted snapshot files that ingestion ignored (``data/raw/IGNORED.csv``), if any.
    ignored: pd.DataFrame | None = None
    #: Source file and line of every row of the price tables, by table name (not written).
    provenance: dict[str, pd.DataFrame] | None = None
    #: The latest date of the raw data; no processed table may hold a later date.
    as_of: pd.Timestamp | None = None
    #: The parameters the tables were made from (recorded beside them, see :mod:`chinabrief.provenance`).
    parameters: dict | None = None
    #: Every snapshot token's final group and the control rule's outcome (:mod:`chinabrief.data.universe`).
    universe_groups: pd.DataFrame | None = None
    #: The control group's daily index, equal- and turnover-weighted (:mod:`chinabrief.data.market_index`).
    market_index: pd.DataFrame | None = None
    #: Each daily source's measured close hour (:mod:`chinabrief.data.close_hours`).
    source_close_hours: pd.DataFrame | None = None


def latest_date(*columns: pd.Series) -> pd.Timestamp | None:
    """The latest day (dates or timestamps, normalised) found in ``columns``."""
    ends = [pd.Timestamp(c.max()).normalize() for c in columns if len(c) and pd.notna(c.max())]
    return max(ends) if ends else None


def _split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the readers' provenance columns (file, line) off a table, keeping row order."""
    cols = [c for c in price_series.PROVENANCE_COLUMNS if c in frame.columns]
    return frame.drop(columns=cols), frame[cols].reset_index(drop=True)


def prepare(
    paths: Paths,
    tokens: list[str],
    include_extended: bool,
    source_priority: list[str],
    cutoff_hour_utc: int,
    price_rules: dict | None = None,
    estimation_window: tuple[int, int] = (-120, -11),
    min_estimation_obs: int = 60,
) -> Prepared:
    """Build every processed table from ``data/raw`` (nothing is written; see :func:`write`).

    Parameters
    ----------
    paths : Paths
        Project paths.
    tokens, include_extended, source_priority, cutoff_hour_utc
        The stage's parameters (see ``params.yaml``).
    estimation_window, min_estimation_obs
        The event study's estimation window: the control rule's history test
        (:class:`chinabrief.data.universe.ControlRule`).
    price_rules : dict, optional
        The price plausibility parameters (:class:`chinabrief.data.price_checks.Rules`); defaults
        when omitted.

    Raises
    ------
    InputFormatError
        When an input breaks a rule: named by its source file and line.
    """
    publish.settle(paths)  # a complete data/raw only (see publish.py)
    entries = manifest.read(paths.raw)
    table = universe.load(paths.universe)
    wanted = universe_tokens(paths, tokens, include_extended)
    all_daily, all_hourly = price_series.read_all(
        paths.raw, entries, set(table["symbol"]), universe.bybit_contracts(table)
    )
    catalogue = event_catalogue.assign_day0(event_catalogue.load_catalogue(paths.events), cutoff_hour_utc)
    rule = universe.ControlRule((int(estimation_window[0]), int(estimation_window[1])), min_estimation_obs)
    served = sorted(all_daily.loc[all_daily["source"].isin(source_priority), "token"].unique())
    all_chosen = price_series.choose_sources(all_daily, served, source_priority)
    groups = universe.assign_groups(table, all_daily, price_series.daily_returns(all_chosen), catalogue["day0"], rule)
    studied = wanted + [
        t for t in groups.loc[groups["group"].isin(["china_linked", "control"]), "token"] if t not in wanted
    ]
    missing = [t for t in wanted if t not in served]
    if missing:  # the selection needs a source (message of choose_sources)
        price_series.choose_sources(all_daily, wanted, source_priority)
    checks = price_checks.check(
        all_daily[all_daily["token"].isin(studied)], price_checks.Rules.from_params(price_rules)
    )
    chosen = all_chosen[all_chosen["token"].isin(studied)].reset_index(drop=True)
    daily, daily_origin = _split(chosen)
    hourly, hourly_origin = _split(all_hourly[all_hourly["token"].isin(studied)].reset_index(drop=True))
    returns = price_series.daily_returns(daily)
    index = market_index.build(returns, daily, groups.loc[groups["group"].eq("control"), "token"].tolist())
    keyed = pd.concat([daily[["token", "date"]], daily_origin], axis=1)  # a return is traced to its day's close
    returns_origin = returns[["token", "date"]].merge(keyed, on=["token", "date"], how="left")[daily_origin.columns]
    by_kind = {e.kind: paths.raw / e.path for e in entries}
    shown = {e.kind: f"data/raw/{e.path}" for e in entries}
    countries, country_lines = cbeci.read_countries(by_kind["ccaf_mining_countries"], with_lines=True)
    if "ccaf_mining_countries_v110" in by_kind:  # the snapshot has both formats; live runs only v1.2.0
        cross = cbeci.cross_check(countries, cbeci.read_countries_v110(by_kind["ccaf_mining_countries_v110"]))
    else:
        cross = pd.DataFrame(
            {
                "months_compared": pd.Series(dtype="int64"),
                "rows_compared": pd.Series(dtype="int64"),
                "max_abs_diff_pct": pd.Series(dtype="float64"),
            }
        )
    provinces, province_lines = cbeci.read_provinces(by_kind["ccaf_mining_provinces"], countries, with_lines=True)
    return Prepared(
        parameters={
            "tokens": list(tokens),
            "include_extended": include_extended,
            "source_priority": list(source_priority),
            "cutoff_hour_utc": cutoff_hour_utc,
            "estimation_window": list(estimation_window),
            "min_estimation_obs": min_estimation_obs,
            **dataclasses.asdict(price_checks.Rules.from_params(price_rules)),
        },
        prices_daily=daily,
        prices_hourly=hourly,
        returns=returns,
        source_choice=price_series.source_segments(daily),
        agreement=price_series.agreement(all_daily, studied),
        universe_groups=groups,
        market_index=index,
        source_close_hours=close_hours.measure(all_daily, all_hourly),
        gaps=price_series.gaps(daily),
        events=catalogue,
        mining_countries=countries,
        mining_provinces=provinces,
        mining_cross_check=cross,
        manifest=pd.DataFrame([e.__dict__ for e in entries]),
        price_checks=checks,
        ignored=manifest.read_ignored(paths.raw),
        provenance={
            "prices_daily": daily_origin,
            "prices_hourly": hourly_origin,
            "returns": returns_origin,
            "mining_countries": pd.DataFrame({"file": shown["ccaf_mining_countries"], "line": country_lines}),
            "mining_provinces": pd.DataFrame({"file": shown["ccaf_mining_provinces"], "line": province_lines}),
        },
        as_of=latest_date(all_daily["date"], all_hourly["timestamp"], countries["date"], provinces["date"]),
    )


def write(paths: Paths, prepared: Prepared) -> list[str]:
    """Validate every processed table, then write them (each atomically) and the data dictionary.

    Every table is checked against its schema (:mod:`chinabrief.data.schemas`) before any file is
    written, so a violation writes nothing. The tables are one set (:mod:`chinabrief.publish`):
    a failure part-way (a full disk) leaves the previous tables. Returns the published paths
    relative to the root.
    """
    from . import schemas  # pandera is heavy; the analysis stages only read (see load)

    out = paths.processed
    targets = {
        "prices_daily.parquet": prepared.prices_daily,
        "prices_hourly.parquet": prepared.prices_hourly,
        "returns.parquet": prepared.returns,
        "source_choice.csv": prepared.source_choice,
        "price_source_agreement.csv": prepared.agreement,
        "price_gaps.csv": prepared.gaps,
        "events.csv": prepared.events,
        "mining_countries.csv": prepared.mining_countries,
        "mining_provinces.csv": prepared.mining_provinces,
        "mining_cross_check.csv": prepared.mining_cross_check,
        "price_checks.csv": prepared.price_checks if prepared.price_checks is not None else price_checks.empty(),
        "universe_groups.csv": (
            prepared.universe_groups if prepared.universe_groups is not None else universe.empty_groups()
        ),
        "market_index.parquet": (prepared.market_index if prepared.market_index is not None else market_index.empty()),
        "source_close_hours.csv": (
            prepared.source_close_hours if prepared.source_close_hours is not None else close_hours.empty()
        ),
    }
    as_of = prepared.as_of
    if as_of is None:  # built by hand: the price tables' own end
        as_of = latest_date(prepared.prices_daily["date"], prepared.prices_hourly["timestamp"])
    origin = prepared.provenance or {}
    for name, frame in targets.items():
        schemas.validate(name, frame, as_of, provenance=origin.get(name.split(".")[0]))
    with publish.writing(paths, out, "prepare") as staged:
        for name, frame in targets.items():
            if name.endswith(".parquet"):
                fileio.write_parquet(staged / name, frame)
            else:
                fileio.write_csv(staged / name, frame)
        fileio.write_csv(staged / schemas.DICTIONARY_FILE, schemas.data_dictionary())
        written = [paths.relative(out / name) for name in [*targets, schemas.DICTIONARY_FILE]]
        if prepared.parameters is not None:  # in the same set: what these tables were made from
            written.append(provenance.write(paths, "prepare", prepared.parameters, folder=staged))
    return written


#: The processed CSV tables the analysis stages read, with their date columns.
PROCESSED_CSV = {
    "source_choice": ["start", "end"],
    "price_source_agreement": ["max_diff_date"],
    "price_gaps": ["gap_start", "gap_end"],
    "events": ["date", "day0"],
    "mining_countries": ["date"],
    "mining_provinces": ["date"],
    "mining_cross_check": [],
    "universe_groups": ["first_date"],
    "source_close_hours": [],
}


def load(paths: Paths, stage: str | None = None) -> dict[str, pd.DataFrame]:
    """Read the processed tables back (dates parsed) for the analysis stages.

    Parameters
    ----------
    paths : Paths
        Project paths.
    stage : str, optional
        The notebook asking (e.g. ``"04_mining_share"``), named in the error when a table is missing.

    Raises
    ------
    MissingInputError
        When ``data/processed`` lacks a table: stages 01 and 02 have not run (or not completely);
        the message says to run ``make data`` (or the two notebooks) first.
    """
    publish.settle(paths)  # a complete set only (see publish.py)
    out = paths.processed
    needed = [out / f"{name}.parquet" for name in ("prices_daily", "prices_hourly", "returns", "market_index")]
    needed += [out / f"{name}.csv" for name in PROCESSED_CSV]
    missing = [paths.relative(f) for f in needed if not f.is_file()]
    if missing:
        who = f"{stage} needs" if stage else "this needs"
        raise MissingInputError(
            f"{who} the processed tables of stage 02, and {', '.join(missing[:3])}"
            + (f" and {len(missing) - 3} more are" if len(missing) > 3 else (" is" if len(missing) == 1 else " are"))
            + " missing. Run `make data` first (or, in JupyterLab, notebooks/01_ingest.ipynb and then "
            "notebooks/02_prepare.ipynb)."
        )
    tables = {
        "prices_daily": pd.read_parquet(out / "prices_daily.parquet"),
        "prices_hourly": pd.read_parquet(out / "prices_hourly.parquet"),
        "returns": pd.read_parquet(out / "returns.parquet"),
        "market_index": pd.read_parquet(out / "market_index.parquet"),
    }
    for name, cols in PROCESSED_CSV.items():
        tables[name] = pd.read_csv(out / f"{name}.csv", parse_dates=cols, keep_default_na=True)
    return tables
