"""Fault cases of issue 12 (inputs): bad parameters, a snapshot that tries to leave its folder,
prices that should not be believed, and errors that must name their file and line.

Most cases are unit-level: they call the reader, validator or parameter loader on a small
doctored copy of a real file. The make-level cases run `make` in one copy of the checkout and
stop at the parameter check (no kernel starts); the full-pipeline cases reuse the session's
``built`` copy, break one input, check the message and that the briefs are unchanged, then
recover byte-identically. Those are marked slow.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from chinabrief import fileio
from chinabrief.data import cbeci, manifest, price_series, schemas
from chinabrief.data.sources import snapshot
from chinabrief.exceptions import InputFormatError, OutputError, ParameterError
from chinabrief.pipeline import params, precheck, verify
from conftest import ROOT, SNAPSHOT, make

SNAPSHOT_V2 = (ROOT / ".." / "shared" / "data-v2").resolve()
needs_snapshot = pytest.mark.skipif(
    not (SNAPSHOT / "SHA256SUMS").is_file(), reason="no data snapshot at ../shared/data"
)
KNOWN = None  # readers: do not check tokens against the universe here

#: Shell and make metacharacters; each must arrive verbatim (or be rejected) and never run.
METACHARS = {
    "semicolon": "X;touch {canary}",
    "dollar-paren": "X$(touch {canary})",
    "make-shell": "X$(shell touch {canary})",
    "backticks": "X`touch {canary}`",
    "quotes": "X\"'\"touch {canary}'",
    "spaces": "X Y  touch {canary}",
    "and": "X && touch {canary}",
    "pipe": "X | touch {canary}",
    "newline": "X\ntouch {canary}",
}
MAKE_VARIABLES = ["SNAPSHOT", "SOURCE", "TOKENS", "BENCHMARK", "MINING_MONTH", "CUTOFF_HOUR", "EVENTS"]


def tree(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every file (and symlink) below ``folder`` with its SHA-256 (symlinks: their target)."""
    out = {}
    for dirpath, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d != ".venv"]
        for name in names + [d for d in dirs if (Path(dirpath) / d).is_symlink()]:
            path = Path(dirpath) / name
            rel = path.relative_to(folder).as_posix()
            if rel.startswith(skip):
                continue
            out[rel] = os.readlink(path) if path.is_symlink() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# === 1. No shell sees user values =================================================================
@pytest.mark.parametrize("case", sorted(METACHARS))
def test_make_variables_arrive_verbatim_in_the_environment(case, tmp_path):
    value = METACHARS[case].format(canary=tmp_path / "canary")
    env = {f"{params.MAKE_ENV_PREFIX}{var}": value for var in ("SNAPSHOT", "BENCHMARK", "MINING_MONTH")}
    got = {origin: v for _, v, origin in params.from_environment(env)}
    assert got == {"SNAPSHOT": value, "BENCHMARK": value, "MINING_MONTH": value}
    assert not (tmp_path / "canary").exists()


def test_tokens_with_a_space_after_the_comma():
    assert params.from_environment({"CHINABRIEF_MAKE_TOKENS": "TRX, NEO"}) == [("tokens", ["TRX", "NEO"], "TOKENS")]


def test_params_items_may_hold_spaces_quotes_and_metacharacters():
    text = "event_id=a;b $(x) `y` cutoff_hour_utc=21 tokens=TRX, NEO"
    assert params.split_params(text) == ["event_id=a;b $(x) `y`", "cutoff_hour_utc=21", "tokens=TRX, NEO"]
    got = params.from_environment({"CHINABRIEF_MAKE_PARAMS": text})
    assert got == [
        ("event_id", "a;b $(x) `y`", "PARAMS"),
        ("cutoff_hour_utc", 21, "PARAMS"),
        ("tokens", ["TRX", "NEO"], "PARAMS"),
    ]


def test_params_value_that_is_not_yaml_is_a_clear_error():
    with pytest.raises(ParameterError, match=r"PARAMS: the value of 'event_id' is not valid YAML .*: \"'a\""):
        params.from_environment({"CHINABRIEF_MAKE_PARAMS": "event_id='a"})


def test_a_rejected_value_names_the_make_variable(tmp_path):
    with pytest.raises(ParameterError) as info:
        params.load(tmp_path / "absent.yaml", environ={"CHINABRIEF_MAKE_BENCHMARK": "BTC;rm -rf x"})
    assert (
        "benchmark: Input should be 'BTC', 'ETH', 'EW', 'MKT_EW' or 'MKT_TW' (value 'BTC;rm -rf x') [from BENCHMARK]"
        in str(info.value)
    )


def test_unknown_token_is_rejected_at_parameter_validation():
    values = params.Params(tokens=["TRX", "XYZ"])
    with pytest.raises(
        ParameterError, match=r"tokens: not in the token universe data/universe.csv \(\d+ symbols\):\n  'XYZ'"
    ):
        params.check_tokens(values, ROOT / "data/universe.csv")
    params.check_tokens(params.Params(), ROOT / "data/universe.csv")  # the defaults pass


def test_invalid_params_yaml_names_file_line_and_column(tmp_path):
    bad = tmp_path / "params.yaml"
    bad.write_text("tokens: [TRX, NEO\nbenchmark: BTC\n")
    with pytest.raises(ParameterError, match=r"params.yaml:2:10: invalid YAML: .*rule: params.yaml is a mapping"):
        params.load(bad)
    bad.write_text("- just\n- a list\n")
    with pytest.raises(ParameterError, match=r"params.yaml:1:1: not a mapping"):
        params.load(bad)


def test_a_bad_value_in_params_yaml_names_its_line(tmp_path):
    bad = tmp_path / "params.yaml"
    bad.write_text("tokens: [TRX]\ncutoff_hour_utc: 31\n")
    with pytest.raises(ParameterError, match=r"cutoff_hour_utc: .*\(value 31\) \[from params.yaml:2\]"):
        params.load(bad)


def test_precheck_reads_the_effective_snapshot(tmp_path, capsys):
    (tmp_path / "params.yaml").write_text('snapshot: "snap shot"   # a path with a space\nsource: snapshot\n')
    assert precheck.effective(tmp_path, {}) == ("snapshot", "snap shot")
    assert precheck.main(tmp_path, {}) == 1
    assert "no data snapshot at 'snap shot'" in capsys.readouterr().err
    (tmp_path / "snap shot").mkdir()
    (tmp_path / "snap shot" / "SHA256SUMS").write_text("")
    assert precheck.main(tmp_path, {}) == 0
    assert precheck.main(tmp_path, {"CHINABRIEF_MAKE_SNAPSHOT": "/nowhere"}) == 1  # SNAPSHOT= wins
    assert precheck.main(tmp_path, {"CHINABRIEF_MAKE_SNAPSHOT": "/nowhere", "CHINABRIEF_MAKE_SOURCE": "live"}) == 0


# --- make-level: one copy of the checkout; every case stops at the parameter check -------------
@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    copy = verify.copy_checkout(ROOT, tmp_path_factory.mktemp("inputs") / "repo")
    return copy


def _metachar_case(checkout: Path, tmp_path: Path, variables: tuple[str, ...], template: str) -> tuple:
    """Run make's parameter check with ``template`` in each of ``variables`` (own canaries each)."""
    values, canaries = {}, []
    for var in variables:
        canary_file = tmp_path / f"canary-{var}"
        canary_dir = tmp_path / f"keep-{var}"
        canary_dir.mkdir(exist_ok=True)
        (canary_dir / "file").write_text("x")
        values[var] = template.format(canary=canary_file) + f" ; rm -rf {canary_dir}"
        canaries.append((canary_file, canary_dir))
    before = tree(checkout, skip=("build/",))
    done = make(
        checkout, "build/params/params.mk", f"SNAPSHOT={SNAPSHOT}", *(f"{var}={value}" for var, value in values.items())
    )
    for canary_file, canary_dir in canaries:
        assert not canary_file.exists(), done.stdout + done.stderr
        assert (canary_dir / "file").is_file(), done.stdout + done.stderr
    assert tree(checkout, skip=("build/",)) == before
    assert "Traceback" not in done.stderr
    return values, done


#: What the parameter check answers to a bad value of each variable.
REJECTED = {
    "SNAPSHOT": "no data snapshot at",
    "SOURCE": "source: Input should be 'snapshot' or 'live'",
    "TOKENS": "tokens: not in the token universe data/universe.csv",
    "BENCHMARK": "benchmark: Input should be 'BTC', 'ETH', 'EW', 'MKT_EW' or 'MKT_TW'",
    "MINING_MONTH": "mining_month: String should match pattern",
    "CUTOFF_HOUR": "cutoff_hour_utc: Input should be a valid integer",
    "EVENTS": "focus_events: not in the events catalogue us_china_trade_2025.csv",
}


def _expect_rejected(values: dict[str, str], done, checkout: Path) -> None:
    assert done.returncode != 0
    for var, value in values.items():
        assert REJECTED[var] in done.stderr, done.stderr
        if var in ("SOURCE", "BENCHMARK", "MINING_MONTH", "CUTOFF_HOUR"):
            assert f"(value {value!r}) [from {var}]" in done.stderr  # the value as typed, verbatim
        elif var == "EVENTS":
            assert repr(value.split(",")[0].strip()) in done.stderr
        elif var == "TOKENS":
            assert repr(value.split(",")[0].strip().upper()) in done.stderr
        elif var == "SNAPSHOT":
            assert f"no data snapshot at {checkout / value}" in done.stderr  # relative to the root, verbatim


@needs_snapshot
@pytest.mark.parametrize("case", ["semicolon", "make-shell"])
def test_make_tokens_injection_runs_nothing(checkout, tmp_path, case):
    values, done = _metachar_case(checkout, tmp_path, ("TOKENS",), METACHARS[case])
    _expect_rejected(values, done, checkout)


#: The typed variables fail together in one check (pydantic reports every field); the others alone.
VARIABLE_GROUPS = [("SOURCE", "BENCHMARK", "MINING_MONTH", "CUTOFF_HOUR"), ("TOKENS",), ("EVENTS",), ("SNAPSHOT",)]


@needs_snapshot
@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(METACHARS))
@pytest.mark.parametrize("variables", VARIABLE_GROUPS, ids=["+".join(g) for g in VARIABLE_GROUPS])
def test_every_metacharacter_through_every_make_variable(checkout, tmp_path, variables, case):
    values, done = _metachar_case(checkout, tmp_path, variables, METACHARS[case])
    _expect_rejected(values, done, checkout)


@needs_snapshot
@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(METACHARS))
def test_every_metacharacter_through_PARAMS_arrives_verbatim(checkout, tmp_path, case):
    value = METACHARS[case].format(canary=tmp_path / "canary")
    if case == "quotes":
        value = "X'touch " + str(tmp_path / "canary")  # YAML would read a leading quote as quoting
    shown = value.replace("\n", " ") if case == "newline" else value  # YAML folds a plain scalar's newline
    before = tree(checkout, skip=("build/",))
    done = make(checkout, "build/params/params.mk", f"SNAPSHOT={SNAPSHOT}", f"PARAMS=event_id={value}")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "canary").exists()
    assert tree(checkout, skip=("build/",)) == before
    stage = json.loads((checkout / "build/params/event_brief.json").read_text())
    assert stage["parameters"]["event_id"] == shown
    assert make(checkout, "build/params/params.mk", f"SNAPSHOT={SNAPSHOT}").returncode == 0  # back to the defaults


@needs_snapshot
def test_unknown_token_stops_make_report_before_any_stage(checkout):
    done = make(checkout, "report", f"SNAPSHOT={SNAPSHOT}", "TOKENS=TRX,XYZ")
    assert done.returncode != 0
    assert "tokens: not in the token universe data/universe.csv" in done.stderr and "'XYZ'" in done.stderr
    assert "ok in" not in done.stdout and not (checkout / "build/products").exists()


def test_no_snapshot_stops_before_the_venv_is_set_up(tmp_path):
    bare = verify.copy_checkout(ROOT, tmp_path / "bare")
    (bare / ".venv").unlink()
    done = make(bare, "report", "SNAPSHOT=/no where/$(shell touch x)")
    assert done.returncode != 0
    assert "no data snapshot at '/no where/$(shell touch x)' (no SHA256SUMS there)" in done.stderr
    assert not (bare / ".venv").exists() and not (bare / "x").exists()


@needs_snapshot
def test_invalid_params_yaml_stops_make_with_one_line(checkout):
    text = (checkout / "params.yaml").read_text()
    try:
        (checkout / "params.yaml").write_text(text.replace("benchmark: BTC", "benchmark: [BTC"))
        done = make(checkout, "build/params/params.mk", f"SNAPSHOT={SNAPSHOT}")
        assert done.returncode != 0 and "Traceback" not in done.stderr
        line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("benchmark:"))
        assert f"params.yaml:{line + 1}:" in done.stderr and "invalid YAML" in done.stderr
    finally:
        (checkout / "params.yaml").write_text(text)


@needs_snapshot
def test_tokens_with_a_space_reach_the_stage_files(checkout):
    done = make(checkout, "build/params/params.mk", f"SNAPSHOT={SNAPSHOT}", "TOKENS=TRX, NEO")
    assert done.returncode == 0, done.stderr
    assert json.loads((checkout / "build/params/ingest.json").read_text())["parameters"]["tokens"] == ["TRX", "NEO"]
    assert make(checkout, "build/params/params.mk", f"SNAPSHOT={SNAPSHOT}").returncode == 0


@needs_snapshot
def test_a_snapshot_path_with_spaces_and_metacharacters_works(checkout, tmp_path):
    odd = tmp_path / "my data; $(touch x) `y` 'z'"
    odd.symlink_to(SNAPSHOT, target_is_directory=True)
    done = make(checkout, "build/params/params.mk", f"SNAPSHOT={odd}")
    assert done.returncode == 0, done.stderr
    assert json.loads((checkout / "build/params/ingest.json").read_text())["parameters"]["snapshot"] == str(odd)
    assert not (checkout / "x").exists() and not (tmp_path / "x").exists()
    assert make(checkout, "build/params/params.mk", f"SNAPSHOT={SNAPSHOT}").returncode == 0


@needs_snapshot
def test_params_yaml_snapshot_is_honoured_unless_SNAPSHOT_is_given(checkout, tmp_path):
    text = (checkout / "params.yaml").read_text()
    try:
        (checkout / "params.yaml").write_text(
            text.replace("snapshot: ../shared/data", f"snapshot: {tmp_path / 'elsewhere'}")
        )
        done = make(checkout, "build/params/params.mk")
        assert done.returncode != 0 and f"no data snapshot at {tmp_path / 'elsewhere'}" in done.stderr
        done = make(checkout, "build/params/params.mk", f"SNAPSHOT={SNAPSHOT}")
        assert done.returncode == 0, done.stderr
        assert json.loads((checkout / "build/params/ingest.json").read_text())["parameters"]["snapshot"] == str(
            SNAPSHOT
        )
    finally:
        (checkout / "params.yaml").write_text(text)


@needs_snapshot
def test_dry_run_runs_nothing_and_writes_no_stage_file(checkout, tmp_path):
    assert make(checkout, "build/params/params.mk", f"SNAPSHOT={SNAPSHOT}").returncode == 0
    before = tree(checkout, skip=("build/params/plan.mk",))
    canary = tmp_path / "canary"
    for value in (f"TRX;touch {canary}", f"$(shell touch {canary})", "TRX,NEO"):
        done = make(checkout, "-n", "report", f"SNAPSHOT={SNAPSHOT}", f"TOKENS={value}")
        assert not canary.exists()
        assert tree(checkout, skip=("build/params/plan.mk",)) == before, done.stdout + done.stderr
    plan = make(checkout, "-n", "report", f"SNAPSHOT={SNAPSHOT}", "TOKENS=TRX,NEO")
    assert "run prepare" in plan.stdout, plan.stderr
    marked = (checkout / "build/params/plan.mk").read_text()  # the stage files a real run would rewrite
    assert "build/params/prepare.json: FORCE ;" in marked and "build/params/mining_share.json: FORCE" not in marked


# === 2. The snapshot stays a box ================================================================
def small_snapshot(root: Path, extra_sums: str = "") -> Path:
    folder = root / "snap shot"  # a path with a space works
    files = {
        "prices/unattributed_1d/OKB.csv": b"ticker,date,open,high,low,close\nOKB,2025-01-01,1,2,0.5,1.5\n",
        "reference/facts.csv": b"a,b\n1,2\n",
    }
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    sums = "".join(f"{hashlib.sha256(d).hexdigest()}  ./{rel}\n" for rel, d in sorted(files.items()))
    (folder / "SHA256SUMS").write_text(sums + extra_sums)
    return folder


@pytest.mark.parametrize(
    "listed, fragment",
    [
        (
            "./prices/binance_spot_1d/../../../../../elsewhere/evil.csv",
            "leaves the snapshot folder (normalised: '../../../elsewhere/evil.csv'",
        ),
        ("/etc/passwd", "is absolute"),
        ("prices/../../evil.csv", "leaves the snapshot folder"),
        ("prices/link/evil.csv", "outside the snapshot"),
    ],
)
def test_listed_paths_must_stay_inside_the_snapshot(tmp_path, listed, fragment):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "evil.csv").write_text("ticker,date\n")
    digest = hashlib.sha256(b"ticker,date\n").hexdigest()
    snap = small_snapshot(tmp_path / "in", f"{digest}  {listed}\n")
    (snap / "prices" / "link").symlink_to(outside, target_is_directory=True)
    repo = tmp_path / "repo"
    before = tree(tmp_path)
    with pytest.raises(InputFormatError) as info:
        snapshot.ingest(snap, repo / "data" / "raw")
    assert f"{snap / 'SHA256SUMS'}:3: path " in str(info.value) and fragment in str(info.value)
    assert tree(tmp_path) == before  # nothing written anywhere


def test_ingest_writes_only_below_data_raw_and_records_unlisted_files(tmp_path):
    snap = small_snapshot(tmp_path / "in")
    (snap / "prices" / "unlisted.csv").write_text("x\n")
    (snap / "notes.txt").write_text("y\n")
    repo = tmp_path / "repo"
    before = tree(tmp_path)
    snapshot.ingest(snap, repo / "data" / "raw")
    after = tree(tmp_path)
    created = sorted(set(after) - set(before))
    assert created and all(p.startswith("repo/data/raw/") for p in created), created
    assert {k: v for k, v in after.items() if k in before} == before  # the snapshot untouched
    ignored = manifest.read_ignored(repo / "data" / "raw")
    assert ignored.to_dict("records") == [
        {"path": "notes.txt", "reason": "not listed in SHA256SUMS"},
        {"path": "prices/unlisted.csv", "reason": "not listed in SHA256SUMS"},
    ]


def test_a_symlink_planted_in_data_raw_is_not_followed(tmp_path):
    snap = small_snapshot(tmp_path / "in")
    raw = tmp_path / "repo" / "data" / "raw"
    outside = tmp_path / "outside"
    outside.mkdir()
    raw.mkdir(parents=True)
    (raw / "prices").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InputFormatError, match=r"resolves outside .*rule: ingestion writes only below data/raw"):
        snapshot.ingest(snap, raw)
    assert list(outside.iterdir()) == []


# === 3. Prices are checked before they are believed ===============================================
BINANCE_HEADER = (
    "open_time,open,high,low,close,volume,close_time,quote_asset_volume,trades,taker_buy_base,taker_buy_quote,ignore\n"
)


def binance_text(rows):
    return BINANCE_HEADER + "".join(f"{d} 00:00:00+00:00,{o},{h},{lo},{c},1,0,100,1,0,0,0\n" for d, o, h, lo, c in rows)


def test_binance_daily_rejects_a_conflicting_duplicate_date_bad_row_first(tmp_path):
    path = tmp_path / "TRXUSDT.csv"
    path.write_text(
        binance_text(
            [
                ("2025-01-01", 1, 1.1, 0.9, 1.0),
                ("2025-01-02", 1, 1.1, 0.9, 10000.0),
                ("2025-01-02", 1, 1.1, 0.9, 1.05),
                ("2025-01-03", 1, 1.1, 0.9, 1.1),
            ]
        )
    )
    with pytest.raises(InputFormatError) as info:
        price_series.read_binance_daily(path)
    message = str(info.value)
    assert message.startswith(f"{path}: 1 date(s) with conflicting rows (rule: one row per date")
    assert (
        "2025-01-02 (line 3: open 1.0, high 1.1, low 0.9, close 10000.0; line 4: open 1.0, high 1.1, low 0.9, close 1.05)"
        in message
    )


def test_identical_duplicates_are_kept_once(tmp_path):
    path = tmp_path / "TRXUSDT.csv"
    path.write_text(binance_text([("2025-01-01", 1, 1.1, 0.9, 1.0), ("2025-01-01", 1, 1.1, 0.9, 1.0)]))
    out = price_series.read_binance_daily(path)
    assert out["close"].tolist() == [1.0] and out["line"].tolist() == [2]


def test_hourly_coingecko_and_unattributed_reject_conflicting_duplicates(tmp_path):
    hourly = tmp_path / "TRXUSDT_1h_close.csv"
    hourly.write_text("open_time,close\n2025-01-01 00:00:00,1.0\n2025-01-01 01:00:00,1.1\n2025-01-01 01:00:00,1.2\n")
    with pytest.raises(
        InputFormatError,
        match=r"1 timestamp\(s\) with conflicting rows .*2025-01-01 01:00 \(line 3: close 1.1; line 4: close 1.2\)",
    ):
        price_series.read_binance_hourly(hourly)
    gecko = tmp_path / "trx-usd-max.csv"
    gecko.write_text(
        "snapped_at,price,market_cap,total_volume\n2025-01-02 00:00:00 UTC,1.0,5,1\n2025-01-02 00:00:00 UTC,2.0,5,1\n"
    )
    with pytest.raises(
        InputFormatError,
        match=r"trx-usd-max.csv: 1 date\(s\) with conflicting rows .*\(line 2: close 1.0; line 3: close 2.0\)",
    ):
        price_series.read_coingecko_export(gecko)
    unattributed = tmp_path / "OKB.csv"
    unattributed.write_text("ticker,date,open,high,low,close\nOKB,2025-01-01,1,2,0.5,1.5\nOKB,2025-01-01,1,2,0.5,1.6\n")
    with pytest.raises(
        InputFormatError,
        match=r"OKB.csv: 1 date\(s\) with conflicting rows .*line 3: open 1.0, high 2.0, low 0.5, close 1.6",
    ):
        price_series.read_unattributed(unattributed)


def test_a_date_in_another_format_names_file_and_line(tmp_path):
    path = tmp_path / "OKB.csv"
    path.write_text("ticker,date,open,high,low,close\nOKB,2025-01-01,1,2,0.5,1.5\nOKB,02/01/2025,1,2,0.5,1.5\n")
    with pytest.raises(
        InputFormatError,
        match=r"OKB.csv: column 'date' has value\(s\) \['02/01/2025'\] at line\(s\) \[3\] "
        r"that are not ISO 8601 dates",
    ):
        price_series.read_unattributed(path)
    binance = tmp_path / "TRXUSDT.csv"
    binance.write_text(
        BINANCE_HEADER + "2025-01-01 00:00:00+00:00,1,1,1,1,1,0,1,1,0,0,0\nJan 2 2025,1,1,1,1,1,0,1,1,0,0,0\n"
    )
    with pytest.raises(
        InputFormatError, match=r"TRXUSDT.csv: column 'open_time' .*\['Jan 2 2025'\] at line\(s\) \[3\]"
    ):
        price_series.read_binance_daily(binance)


# === 4. Errors point at the source ================================================================
def test_schema_failures_name_the_source_file_and_line():
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-01", "2025-01-02"]),
            "token": "TRX",
            "open": [1.0, 1.0],
            "high": [1.0, 1.0],
            "low": [1.0, 1.0],
            "close": [1.0, -1.0],
            "volume_usd": [1.0, 1.0],
            "market_cap_usd": [float("nan")] * 2,
            "source": "binance_spot",
        }
    )
    origin = pd.DataFrame({"file": "data/raw/prices/binance_spot_1d/TRXUSDT.csv", "line": [2001, 2002]})
    with pytest.raises(InputFormatError) as info:
        schemas.validate("prices_daily", frame, "2025-01-02", provenance=origin)
    assert (
        "column 'close', source line(s) data/raw/prices/binance_spot_1d/TRXUSDT.csv:2002 (row 1): rule greater_than(0)"
        in str(info.value)
    )


def test_mining_schema_failures_name_the_ccaf_line(tmp_path):
    path = tmp_path / "ccaf_mining_countries.csv"
    path.write_text(
        "date,country,monthly_hashrate_%,monthly_absolute_hashrate_EH/S\n"
        "2020-01-01,Mainland China,30%,1\n2020-01-01,United States,40%,1\n2020-01-01,Mainland China,30%,1\n"
    )
    countries, lines = cbeci.read_countries(path, with_lines=True)
    origin = pd.DataFrame({"file": "data/raw/mining/ccaf_mining_countries.csv", "line": lines})
    with pytest.raises(InputFormatError) as info:
        schemas.validate("mining_countries", countries, "2020-01-01", provenance=origin)
    message = str(info.value)
    assert "unique key (date, country)" in message
    assert (
        "data/raw/mining/ccaf_mining_countries.csv:2 (row " in message
        and "ccaf_mining_countries.csv:4 (row " in message
    )


def test_an_unknown_country_names_file_line_and_column(tmp_path):
    path = tmp_path / "ccaf_mining_countries.csv"
    path.write_text(
        "date,country,monthly_hashrate_%,monthly_absolute_hashrate_EH/S\n"
        "2020-01-01,Mainland China,60%,1\n2020-01-01,Atlantis,40%,1\n"
    )
    with pytest.raises(InputFormatError, match=rf"{path}:3: column 'country': country 'Atlantis' has no ISO-3 code"):
        cbeci.read_countries(path)


def test_a_full_disk_names_the_file_being_written(tmp_path, monkeypatch):
    target = tmp_path / "processed" / "prices_daily.csv"
    target.parent.mkdir()
    target.write_text("old\n")
    real_open = open

    class FullDisk:
        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

    monkeypatch.setattr("builtins.open", lambda *a, **k: FullDisk(real_open(*a, **k)))
    with pytest.raises(
        OutputError, match=rf"cannot write {target}: the disk is full .*\[ENOSPC\]; the previous version"
    ):
        fileio.write_text(target, "new\n")
    monkeypatch.undo()
    assert target.read_text() == "old\n" and sorted(p.name for p in target.parent.iterdir()) == ["prices_daily.csv"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_named(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(
            OutputError, match=rf"cannot write {folder / 'index.html'}: the folder {folder} is not writable"
        ):
            fileio.write_text(folder / "index.html", "x")
    finally:
        folder.chmod(0o755)


def test_a_read_only_folder_is_named_even_as_root(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EROFS, "Read-only file system", str(tmp_path / "reports"))

    monkeypatch.setattr(fileio.tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError, match=r"reports/index.html: the folder .*reports is not writable .*\[EROFS\]"):
        fileio.write_text(tmp_path / "reports" / "index.html", "x")


def test_cli_prints_one_line_for_an_unwrapped_os_error(monkeypatch, capsys):
    from chinabrief import cli

    def boom(args):
        raise PermissionError(errno.EACCES, "Permission denied", "/x/reports/failed")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    parser._subparsers._group_actions[0].choices["index"].set_defaults(func=boom)
    assert cli.main(["index"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("[chinabrief] error: cannot write /x/reports/failed: the folder /x/reports is not writable")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


# === full pipeline: one broken input, the message, the briefs kept, a byte-identical recovery ====
def briefs(root: Path) -> dict[str, str]:
    """The published briefs (not the index or the failed/ pages, which a failure updates on purpose)."""
    out = {}
    for path in sorted((root / "reports").rglob("*.html")):
        rel = path.relative_to(root).as_posix()
        if rel != "reports/index.html" and not rel.startswith("reports/failed/"):
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def doctored_snapshot(dest: Path, rel: str, edit) -> Path:
    """A copy of the real snapshot with one file edited and its SHA256SUMS line updated.

    A copy, not symlinks: a symlink leading out of the snapshot is refused (the box rule).
    """
    copy = dest / "doctored snapshot"
    shutil.copytree(SNAPSHOT, copy)
    text = edit((SNAPSHOT / rel).read_text())
    (copy / rel).write_text(text)
    digest = hashlib.sha256(text.encode()).hexdigest()
    sums = [
        f"{digest}  ./{rel}" if line.endswith(f"./{rel}") else line
        for line in (SNAPSHOT / "SHA256SUMS").read_text().splitlines()
    ]
    (copy / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    return copy


def times_10000(day: str):
    def edit(text: str) -> str:
        lines = text.splitlines(keepends=True)
        for i, line in enumerate(lines):
            if line.startswith(day):
                cells = line.rstrip("\n").split(",")
                cells[4] = repr(float(cells[4]) * 10_000)  # close
                cells[2] = cells[4]  # high raised to match
                lines[i] = ",".join(cells) + "\n"
        return "".join(lines)

    return edit


@needs_snapshot
@pytest.mark.slow
def test_a_bad_print_stops_the_build_keeps_the_briefs_and_recovers(built, tmp_path):
    before = briefs(built)
    processed = tree(built / "data" / "processed")
    snap = doctored_snapshot(tmp_path, "prices/binance_spot_1d/TRXUSDT.csv", times_10000("2025-05-07"))
    done = make(built, "report", f"SNAPSHOT={snap}")
    assert done.returncode != 0
    line = next(
        i
        for i, text in enumerate((snap / "prices/binance_spot_1d/TRXUSDT.csv").read_text().splitlines(), 1)
        if text.startswith("2025-05-07")
    )
    assert f"data/raw/prices/binance_spot_1d/TRXUSDT.csv:{line}: TRX 2025-05-07 close " in done.stderr
    assert "rule bad_print_factor" in done.stderr
    assert briefs(built) == before
    assert tree(built / "data" / "processed") == processed  # nothing written
    recovered = make(built, "report", f"SNAPSHOT={SNAPSHOT}")
    assert recovered.returncode == 0, recovered.stderr
    assert briefs(built) == before
    assert tree(built / "data" / "processed") == processed


@needs_snapshot
@pytest.mark.slow
def test_the_data_quality_brief_lists_checks_and_ignored_files(built):
    html = (built / "reports" / "data-quality.html").read_text()
    assert "Price checks and ignored files" in html
    assert "allowed: before source_disagreement_from (2019-01-01)" in html
    assert "not listed in SHA256SUMS" in html and "README.md" in html
    table = pd.read_csv(built / "data" / "processed" / "price_checks.csv")
    assert set(table["status"]) == {"allowed: before source_disagreement_from (2019-01-01)"}
