"""Tests of chinabrief.fileio: atomic writes never leave half a file or a temporary file."""

from __future__ import annotations

import hashlib
import json
import stat

import pandas as pd
import pytest

from chinabrief import fileio


class Boom(Exception):
    pass


def test_old_file_intact_when_the_block_raises(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old\n")
    with pytest.raises(Boom):
        with fileio.atomic_open(target) as handle:
            handle.write("new, half-written")
            raise Boom
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]  # no temp file behind


def test_atomic_path_failure_leaves_no_file_when_there_was_none(tmp_path):
    target = tmp_path / "sub" / "out.bin"
    with pytest.raises(Boom):
        with fileio.atomic_path(target) as tmp:
            tmp.write_bytes(b"partial")
            assert tmp.parent == target.parent and tmp != target
            raise Boom
    assert not target.exists()
    assert list((tmp_path / "sub").iterdir()) == []


def test_failing_parquet_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "t.parquet"
    target.write_bytes(b"old")
    bad = pd.DataFrame({"a": [object()]})  # pyarrow cannot store this
    with pytest.raises(ValueError):  # pyarrow's ArrowInvalid
        fileio.write_parquet(target, bad)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test_success_replaces_the_file_and_removes_the_temp(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    fileio.write_text(target, "new\n")
    assert target.read_bytes() == b"new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_write_text_uses_newline_line_ends(tmp_path):
    fileio.write_text(tmp_path / "x.txt", "a\nb\n")
    assert (tmp_path / "x.txt").read_bytes() == b"a\nb\n"


def test_write_json_is_sorted_and_stable(tmp_path):
    fileio.write_json(tmp_path / "a.json", {"b": 1, "a": "é"})
    fileio.write_json(tmp_path / "b.json", {"a": "é", "b": 1})
    text = (tmp_path / "a.json").read_text(encoding="utf-8")
    assert text == '{\n  "a": "é",\n  "b": 1\n}\n'
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert json.loads(text) == {"a": "é", "b": 1}


def test_write_csv_has_no_index(tmp_path):
    fileio.write_csv(tmp_path / "t.csv", pd.DataFrame({"x": [1, 2]}, index=[5, 6]))
    assert (tmp_path / "t.csv").read_text() == "x\n1\n2\n"


def test_sha256_file(tmp_path):
    data = b"abc" * 1000
    (tmp_path / "f").write_bytes(data)
    assert fileio.sha256_file(tmp_path / "f", chunk=7) == hashlib.sha256(data).hexdigest()
