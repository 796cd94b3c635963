"""Tests of chinabrief.provenance: products made from other parameters are noticed."""

from __future__ import annotations

from chinabrief import provenance
from chinabrief.config import Paths


def test_same_parameters_are_current_and_other_ones_are_not(tmp_path):
    paths = Paths(tmp_path)
    provenance.write(paths, "mining_share", {"mining_month": "2022-01"})
    assert not provenance.differs(paths, "mining_share", {"mining_month": "2022-01"})
    assert provenance.differs(paths, "mining_share", {"mining_month": "2021-12"})
    assert not provenance.differs(paths, "prepare", {"tokens": ["X"]})  # no record: nothing to say


def test_tuples_and_lists_compare_equal(tmp_path):
    paths = Paths(tmp_path)
    provenance.write(paths, "token_reactions", {"estimation_window": (-120, -11)})
    assert not provenance.differs(paths, "token_reactions", {"estimation_window": [-120, -11]})


def test_stale_stages_names_only_the_stage_made_from_other_parameters(tmp_path):
    paths = Paths(tmp_path)
    provenance.write(paths, "prepare", {"tokens": ["TRX", "NEO"]})  # an interactive run with two tokens
    provenance.write(paths, "mining_share", {"mining_month": "2022-01"})
    stale = provenance.stale_stages(
        paths,
        {"prepare": {"tokens": ["TRX"]}, "mining_share": {"mining_month": "2022-01"}, "ingest": {"tokens": ["TRX"]}},
    )
    assert stale == ["prepare"]


def test_an_unreadable_record_counts_as_different(tmp_path):
    paths = Paths(tmp_path)
    provenance.record_path(paths, "prepare").parent.mkdir(parents=True)
    provenance.record_path(paths, "prepare").write_text("{not json")
    assert provenance.differs(paths, "prepare", {})
