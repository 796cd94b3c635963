"""Stage 02: ``data/raw`` → tidy, validated tables in ``data/processed``."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import events, fileio, manifest, mining, prices, provenance
from .config import Paths
from .exceptions import MissingInputError


def universe_tokens(paths: Paths, tokens: list[str], include_extended: bool) -> list[str]:
    """Tokens to prepare: the selection, the benchmarks, and (optionally) the extended group."""
    universe = pd.read_csv(paths.universe, dtype=str, keep_default_na=False)
    unknown = sorted(set(tokens) - set(universe["symbol"]))
    if unknown:
        raise ValueError(f"tokens {unknown} are not in {paths.relative(paths.universe)}")
    wanted = list(tokens) + [s for s in universe.loc[universe["group"].eq("benchmark"), "symbol"] if s not in tokens]
    if include_extended:
        wanted += [s for s in universe.loc[universe["group"].eq("extended"), "symbol"] if s not in wanted]
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
    #: The latest date of the raw data; no processed table may hold a later date.
    as_of: pd.Timestamp | None = None
    #: The parameters the tables were made from (recorded beside them, see :mod:`chinabrief.provenance`).
    parameters: dict | None = None


def latest_date(*columns: pd.Series) -> pd.Timestamp | None:
    """The latest day (dates or timestamps, normalised) found in ``columns``."""
    ends = [pd.Timestamp(c.max()).normalize() for c in columns if len(c) and pd.notna(c.max())]
    return max(ends) if ends else None


def prepare(paths: Paths, tokens: list[str], include_extended: bool, source_priority: list[str],
            cutoff_hour_utc: int) -> Prepared:
    """Build every processed table from ``data/raw`` (nothing is written; see :func:`write`)."""
    entries = manifest.read(paths.raw)
    universe = pd.read_csv(paths.universe, dtype=str, keep_default_na=False)
    wanted = universe_tokens(paths, tokens, include_extended)
    all_daily, all_hourly = prices.read_all(paths.raw, entries, set(universe["symbol"]))
    daily = prices.choose_sources(all_daily, wanted, source_priority)
    hourly = all_hourly[all_hourly["token"].isin(wanted)].reset_index(drop=True)
    by_kind = {e.kind: paths.raw / e.path for e in entries}
    countries = mining.read_countries(by_kind["ccaf_mining_countries"])
    if "ccaf_mining_countries_v110" in by_kind:  # the snapshot has both formats; live runs only v1.2.0
        cross = mining.cross_check(countries, mining.read_countries_v110(by_kind["ccaf_mining_countries_v110"]))
    else:
        cross = pd.DataFrame({"months_compared": pd.Series(dtype="int64"), "rows_compared": pd.Series(dtype="int64"),
                              "max_abs_diff_pct": pd.Series(dtype="float64")})
    provinces = mining.read_provinces(by_kind["ccaf_mining_provinces"], countries)
    catalogue = events.assign_day0(events.load_catalogue(paths.events), cutoff_hour_utc)
    return Prepared(
        parameters={"tokens": list(tokens), "include_extended": include_extended,
                    "source_priority": list(source_priority), "cutoff_hour_utc": cutoff_hour_utc},
        prices_daily=daily,
        prices_hourly=hourly,
        returns=prices.daily_returns(daily),
        source_choice=prices.source_segments(daily),
        agreement=prices.agreement(all_daily, wanted),
        gaps=prices.gaps(daily),
        events=catalogue,
        mining_countries=countries,
        mining_provinces=provinces,
        mining_cross_check=cross,
        manifest=pd.DataFrame([e.__dict__ for e in entries]),
        as_of=latest_date(all_daily["date"], all_hourly["timestamp"], countries["date"], provinces["date"]),
    )


def write(paths: Paths, prepared: Prepared) -> list[str]:
    """Validate every processed table, then write them (each atomically) and the data dictionary.

    Every table is checked against its schema (:mod:`chinabrief.schemas`) before any file is
    written, so a violation writes nothing. Returns the written paths relative to the root.
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
    }
    as_of = prepared.as_of
    if as_of is None:  # built by hand: the price tables' own end
        as_of = latest_date(prepared.prices_daily["date"], prepared.prices_hourly["timestamp"])
    for name, frame in targets.items():
        schemas.validate(name, frame, as_of)
    for name, frame in targets.items():
        if name.endswith(".parquet"):
            fileio.write_parquet(out / name, frame)
        else:
            fileio.write_csv(out / name, frame)
    fileio.write_csv(out / schemas.DICTIONARY_FILE, schemas.data_dictionary())
    written = [paths.relative(out / name) for name in [*targets, schemas.DICTIONARY_FILE]]
    if prepared.parameters is not None:
        written.append(provenance.write(paths, "prepare", prepared.parameters))
    return written


#: The processed CSV tables the analysis stages read, with their date columns.
PROCESSED_CSV = {"source_choice": ["start", "end"], "price_source_agreement": ["max_diff_date"],
                 "price_gaps": ["gap_start", "gap_end"], "events": ["date", "day0"],
                 "mining_countries": ["date"], "mining_provinces": ["date"], "mining_cross_check": []}


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
    out = paths.processed
    needed = [out / f"{name}.parquet" for name in ("prices_daily", "prices_hourly", "returns")]
    needed += [out / f"{name}.csv" for name in PROCESSED_CSV]
    missing = [paths.relative(f) for f in needed if not f.is_file()]
    if missing:
        who = f"{stage} needs" if stage else "this needs"
        raise MissingInputError(
            f"{who} the processed tables of stage 02, and {', '.join(missing[:3])}"
            + (f" and {len(missing) - 3} more are" if len(missing) > 3 else (" is" if len(missing) == 1 else " are"))
            + " missing. Run `make data` first (or, in JupyterLab, notebooks/01_ingest.ipynb and then "
              "notebooks/02_prepare.ipynb).")
    tables = {
        "prices_daily": pd.read_parquet(out / "prices_daily.parquet"),
        "prices_hourly": pd.read_parquet(out / "prices_hourly.parquet"),
        "returns": pd.read_parquet(out / "returns.parquet"),
    }
    for name, cols in PROCESSED_CSV.items():
        tables[name] = pd.read_csv(out / f"{name}.csv", parse_dates=cols, keep_default_na=True)
    return tables
