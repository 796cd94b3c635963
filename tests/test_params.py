"""Tests of chinabrief.pipeline.params: override parsing, validation messages, stage parameter sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from chinabrief.exceptions import ParameterError
from chinabrief.pipeline import params, stages

ROOT = Path(__file__).resolve().parents[1]


def write_yaml(tmp_path: Path, text: str = "") -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(text)
    return path


# --- parse_override -----------------------------------------------------------------------------
def test_bare_comma_list_for_a_list_parameter():
    assert params.parse_override("tokens=TRX,NEO") == ("tokens", ["TRX", "NEO"])


def test_single_item_for_a_list_parameter_becomes_a_list():
    assert params.parse_override("tokens=TRX") == ("tokens", ["TRX"])


def test_int_value():
    name, value = params.parse_override("cutoff_hour_utc=21")
    assert (name, value) == ("cutoff_hour_utc", 21) and isinstance(value, int)


def test_yaml_values():
    assert params.parse_override("estimation_window=[-100, -20]") == ("estimation_window", [-100, -20])
    assert params.parse_override("include_extended=true") == ("include_extended", True)
    assert params.parse_override("mining_month='2021-06'") == ("mining_month", "2021-06")
    assert params.parse_override("event_windows=[[0, 0], [-2, 2]]") == ("event_windows", [[0, 0], [-2, 2]])


def test_value_may_contain_equals_sign():
    assert params.parse_override("snapshot=/data/a=b") == ("snapshot", "/data/a=b")


def test_override_without_equals_sign():
    with pytest.raises(ParameterError, match="not of the form name=value"):
        params.parse_override("tokens")


# --- load ---------------------------------------------------------------------------------------
def test_load_applies_overrides_over_the_yaml(tmp_path):
    path = write_yaml(tmp_path, "tokens: [VET]\ncutoff_hour_utc: 18\n")
    p = params.load(path, ["tokens=trx, neo", "min_estimation_obs=90"])
    assert p.tokens == ["TRX", "NEO"]  # upper-cased and stripped
    assert p.cutoff_hour_utc == 18
    assert p.min_estimation_obs == 90
    assert p.estimation_window == (-120, -11)  # default


def test_committed_params_yaml_equals_the_defaults():
    assert params.load(ROOT / "params.yaml") == params.Params()


def test_unknown_parameter_lists_valid_names_and_types(tmp_path):
    with pytest.raises(ParameterError) as info:
        params.load(write_yaml(tmp_path), ["tokenz=TRX"])
    message = str(info.value)
    assert "tokenz" in message and "Extra inputs are not permitted" in message
    assert "Valid parameters:" in message
    for name in params.Params.model_fields:
        assert f"  {name}: " in message
    assert "cutoff_hour_utc: int" in message
    assert "tokens: list[str]" in message
    assert "include_extended: bool" in message
    assert "benchmark: Literal['BTC', 'ETH', 'EW', 'MKT_EW', 'MKT_TW']" in message  # allowed values shown


def test_unknown_parameter_in_the_yaml_file(tmp_path):
    with pytest.raises(ParameterError, match="colour"):
        params.load(write_yaml(tmp_path, "colour: red\n"))


def test_wrong_type(tmp_path):
    with pytest.raises(ParameterError) as info:
        params.load(write_yaml(tmp_path), ["min_estimation_obs=many"])
    assert "min_estimation_obs" in str(info.value)
    assert "integer" in str(info.value)


def test_value_outside_allowed_choices(tmp_path):
    with pytest.raises(ParameterError, match="benchmark"):
        params.load(write_yaml(tmp_path), ["benchmark=DOGE"])


def test_out_of_range(tmp_path):
    with pytest.raises(ParameterError, match="cutoff_hour_utc"):
        params.load(write_yaml(tmp_path), ["cutoff_hour_utc=25"])


def test_bad_mining_month_pattern(tmp_path):
    with pytest.raises(ParameterError, match="mining_month"):
        params.load(write_yaml(tmp_path), ["mining_month=2022-1"])


def test_estimation_window_start_after_end(tmp_path):
    with pytest.raises(ParameterError) as info:
        params.load(write_yaml(tmp_path), ["estimation_window=[-10, -20]"])
    assert "estimation_window" in str(info.value)
    assert "window [-10, -20] starts after it ends" in str(info.value)


def test_event_window_start_after_end(tmp_path):
    with pytest.raises(ParameterError, match=r"window \[3, 1\] starts after it ends"):
        params.load(write_yaml(tmp_path), ["event_windows=[[0, 0], [3, 1]]"])


def test_missing_params_file_gives_defaults(tmp_path):
    assert params.load(tmp_path / "absent.yaml") == params.Params()


# --- for_stage ----------------------------------------------------------------------------------
@pytest.mark.parametrize("stage", list(stages.STAGES))
def test_for_stage_returns_exactly_the_stage_names(stage):
    values = params.for_stage(params.Params(), stage)
    assert list(values) == list(stages.STAGES[stage].parameters)


def test_for_stage_is_json_ready():
    values = params.for_stage(params.Params(), "token_reactions")
    assert values["estimation_window"] == [-120, -11]  # tuple → list
    assert values["event_windows"][0] == [0, 0]


def test_for_unknown_stage():
    with pytest.raises(ParameterError, match="unknown stage 'report'; stages: ingest, prepare"):
        params.for_stage(params.Params(), "report")


def test_every_stage_parameter_is_a_parameter():
    for names in [list(st.parameters) for st in stages.STAGES.values()]:
        assert set(names) <= set(params.Params.model_fields)


def test_an_unknown_focus_event_fails_with_the_closest_ids(tmp_path):
    catalogue = tmp_path / "events.csv"
    catalogue.write_text(
        "event_id,date\n2025-05-06-geneva-talks-announced,2025-05-06\n2025-05-12-geneva-joint-statement,2025-05-12\n"
    )
    good = params.Params(focus_events=["2025-05-12-geneva-joint-statement"])
    params.check_focus_events(good, catalogue)  # no error
    bad = params.Params(focus_events=["2025-05-12-geneva-joint-statment", "no-such-event"])
    with pytest.raises(
        ParameterError,
        match=r"(?s)events.csv \(2 events\).*geneva-joint-statment' \(closest: "
        r"2025-05-12-geneva-joint-statement.*'no-such-event'$",
    ):
        params.check_focus_events(bad, catalogue)


def test_a_missing_catalogue_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match="events catalogue .* is missing"):
        params.check_focus_events(params.Params(), tmp_path / "nowhere.csv")


def test_focus_events_are_kept_once_each_in_order():
    assert params.Params(focus_events=["b", "a", "b", " a "]).focus_events == ["b", "a"]
