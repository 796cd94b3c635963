"""Tests of chinabrief.data.event_catalogue: catalogue checks, the day-0 rule, and the committed catalogue.

Bad catalogues are small synthetic CSVs written into tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chinabrief.data import event_catalogue
from chinabrief.exceptions import InputFormatError
from chinabrief.pipeline import params

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "data" / "events" / "us_china_trade_2025.csv"
HEADER = ",".join(event_catalogue.COLUMNS)


def row(event_id="2025-05-06-talks", date="2025-05-06", time="", category="talks") -> str:
    precision = "minute" if time else "day"
    return f"{event_id},{date},{time},{precision},Label,{category},desc,https://example.org,title,yes"


def write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def day0(tmp_path: Path, time: str, cutoff: int) -> str:
    catalogue = event_catalogue.load_catalogue(write(tmp_path, row(time=time)))
    return event_catalogue.assign_day0(catalogue, cutoff)["day0"].iloc[0].strftime("%Y-%m-%d")


# --- the day-0 rule -----------------------------------------------------------------------------
def test_late_announcement_moves_day0_to_the_next_day(tmp_path):
    assert day0(tmp_path, "22:00", 20) == "2025-05-07"


def test_morning_announcement_keeps_its_day(tmp_path):
    assert day0(tmp_path, "07:00", 20) == "2025-05-06"


def test_announcement_without_time_keeps_its_day(tmp_path):
    assert day0(tmp_path, "", 20) == "2025-05-06"
    assert day0(tmp_path, "", 0) == "2025-05-06"  # even when every hour is 'late'


def test_announcement_exactly_at_the_cutoff_is_late(tmp_path):
    assert day0(tmp_path, "20:00", 20) == "2025-05-07"
    assert day0(tmp_path, "19:59", 20) == "2025-05-06"


def test_cutoff_parameter_changes_the_result(tmp_path):
    assert day0(tmp_path, "22:00", 23) == "2025-05-06"
    assert day0(tmp_path, "07:00", 6) == "2025-05-07"
    assert day0(tmp_path, "23:59", 24) == "2025-05-06"  # cutoff 24: never shift


def test_day0_shift_crosses_month_end(tmp_path):
    catalogue = event_catalogue.load_catalogue(write(tmp_path, row(date="2025-05-31", time="21:30")))
    out = event_catalogue.assign_day0(catalogue, 20)
    assert out["day0"].iloc[0] == pd.Timestamp("2025-06-01")
    assert bool(out["day0_shifted"].iloc[0]) is True
    assert out["hour_utc"].iloc[0] == 21.5


def test_assign_day0_does_not_modify_its_input(tmp_path):
    catalogue = event_catalogue.load_catalogue(write(tmp_path, row(time="22:00")))
    event_catalogue.assign_day0(catalogue, 20)
    assert "day0" not in catalogue.columns


def test_day0_rule_text_names_the_cutoff():
    assert "at or after 21:00 UTC" in event_catalogue.day0_rule_text(21)


# --- bad catalogues -----------------------------------------------------------------------------
def test_duplicate_event_id(tmp_path):
    path = write(tmp_path, row(), row(date="2025-05-07"))
    with pytest.raises(InputFormatError) as info:
        event_catalogue.load_catalogue(path)
    assert str(path) in str(info.value)
    assert "column 'event_id' repeats ['2025-05-06-talks']" in str(info.value)


def test_unknown_category_names_the_line(tmp_path):
    path = write(tmp_path, row(), row(event_id="b", category="truce"))
    with pytest.raises(InputFormatError) as info:
        event_catalogue.load_catalogue(path)
    assert str(path) in str(info.value)
    assert "column 'category'" in str(info.value) and "line(s) [3]" in str(info.value)


def test_bad_date_names_the_line(tmp_path):
    path = write(tmp_path, row(), row(event_id="b"), row(event_id="c", date="2025-13-01"))
    with pytest.raises(InputFormatError, match=r"column 'date' is not YYYY-MM-DD at line\(s\) \[4\]"):
        event_catalogue.load_catalogue(path)


def test_date_in_another_format_is_rejected(tmp_path):
    path = write(tmp_path, row(date="06/05/2025"))
    with pytest.raises(InputFormatError, match=r"column 'date' is not YYYY-MM-DD at line\(s\) \[2\]"):
        event_catalogue.load_catalogue(path)


def test_bad_time_names_the_line(tmp_path):
    path = write(tmp_path, row(time="07:00"), row(event_id="b", time="7pm"))
    with pytest.raises(InputFormatError) as info:
        event_catalogue.load_catalogue(path)
    assert str(path) in str(info.value)
    assert "column 'time_utc' is not HH:MM at line(s) [3]" in str(info.value)


def test_missing_column(tmp_path):
    header = HEADER.replace(",verified", "")
    path = write(tmp_path, row().rsplit(",", 1)[0], header=header)
    with pytest.raises(InputFormatError, match=r"missing column\(s\) \['verified'\]"):
        event_catalogue.load_catalogue(path)


# --- the committed catalogue --------------------------------------------------------------------
def test_committed_catalogue_follows_the_rules():
    """Rules, not today's count: unique slugs that start with their date, known categories, 2025
    dates, a source URL for each, and one row per CSV line."""
    catalogue = event_catalogue.load_catalogue(CATALOGUE)
    lines = [line for line in CATALOGUE.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    assert len(catalogue) == len(lines) > 0
    assert catalogue["event_id"].is_unique
    assert (catalogue["event_id"].str[:10] == catalogue["date"].dt.strftime("%Y-%m-%d")).all()
    assert catalogue["source_url"].str.match(r"https?://").all()
    assert set(catalogue["category"]) <= set(event_catalogue.CATEGORIES)
    assert catalogue["date"].between("2025-01-01", "2025-12-31").all()


def test_committed_catalogue_has_every_default_focus_event():
    ids = set(event_catalogue.load_catalogue(CATALOGUE)["event_id"])
    missing = [e for e in params.DEFAULT_FOCUS_EVENTS if e not in ids]
    assert missing == []
    assert params.Params().event_id in ids


def test_geneva_announcement_at_22_utc_has_day0_on_may_7():
    # The README: the Geneva talks announcement came about 22:00 UTC on 2025-05-06.
    catalogue = event_catalogue.assign_day0(event_catalogue.load_catalogue(CATALOGUE), 20).set_index("event_id")
    geneva = catalogue.loc["2025-05-06-geneva-talks-announced"]
    assert geneva["date"] == pd.Timestamp("2025-05-06")
    assert geneva["day0"] == pd.Timestamp("2025-05-07")
