"""Tests of chinabrief.pipeline.build_graph: the make rules generated from the one list of stages."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from chinabrief.config import Paths
from chinabrief.pipeline import build_graph
from chinabrief.pipeline.stages import STAGES

ROOT = Path(__file__).resolve().parents[1]


def rules(tmp_path: Path, focus: list[str]) -> dict[str, list[str]]:
    """target → prerequisites of the generated fragment, for a copy of the notebooks and package."""
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    shutil.copytree(ROOT / "src" / "chinabrief", tmp_path / "src" / "chinabrief")
    (tmp_path / "data" / "reference").mkdir(parents=True)
    (tmp_path / "data" / "reference" / "facts.csv").write_text("a\n1\n")
    (tmp_path / "data" / "universe.csv").write_text("symbol\nTRX\n")
    text = build_graph.makefile(Paths(tmp_path), focus, "build/params")
    variables = dict(re.findall(r"^(\w+) := ?(.*)$", text, re.M))
    out = {}
    for line in text.splitlines():
        if ":" in line and ":=" not in line and not line.startswith(("#", "\t")):
            targets, prerequisites = line.split(":", 1)
            targets = targets.removesuffix(" &")  # a grouped target
            expanded = re.sub(r"\$\((\w+)\)", lambda m: variables[m.group(1)], prerequisites).split()
            for target in targets.split():
                out[target] = expanded
    return out


def test_one_target_per_run_and_each_stage_after_the_ones_it_reads(tmp_path):
    graph = rules(tmp_path, ["e1", "e2"])
    assert sorted(graph) == sorted(
        [
            "build/products/ingest.json",
            "build/products/prepare.json",
            "build/products/token_reactions.json",
            "build/products/mining_share.json",
            "build/products/event_brief-e1.json",
            "build/products/event_brief-e2.json",
        ]
    )
    for name, stage in STAGES.items():
        for target, prerequisites in graph.items():
            if target.startswith(f"build/products/{name}"):
                assert f"notebooks/{stage.notebook}" in prerequisites
                assert f"build/params/{name}.json" in prerequisites
                assert all(f"build/products/{before}.json" in prerequisites for before in stage.after)


def test_prerequisites_come_from_the_imports_and_the_declared_inputs(tmp_path):
    graph = rules(tmp_path, ["e1"])
    mining = graph["build/products/mining_share.json"]
    assert "src/chinabrief/analysis/mining_share.py" in mining and "src/chinabrief/data/cbeci.py" in mining
    assert "src/chinabrief/analysis/token_reactions.py" not in mining  # the mining notebook never imports it
    assert "data/reference/facts.csv" in mining  # a declared input pattern, expanded
    assert "src/chinabrief/pipeline/runner.py" in graph["build/products/ingest.json"]
    assert "src/chinabrief/analysis/event_reaction.py" in graph["build/products/event_brief-e1.json"]


def test_the_stage_list_and_the_variables(tmp_path):
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    text = build_graph.makefile(Paths(tmp_path), ["e1"], "build/params")
    assert "FOCUS_EVENTS := e1" in text.splitlines()
    assert re.search(r"^STAGE_TARGETS := build/products/ingest.json .*build/products/event_brief-e1.json$", text, re.M)


def test_the_event_briefs_are_grouped_targets_one_command_each_dealt_into_lanes(tmp_path):
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    text = build_graph.makefile(Paths(tmp_path), ["e1", "e2", "e3"], "build/params", lane_count=2)
    lines = text.splitlines()
    grouped = [line for line in lines if " &: " in line]
    assert [g.split(" &: ")[0] for g in grouped] == [
        "build/products/event_brief-e1.json build/products/event_brief-e3.json",
        "build/products/event_brief-e2.json",
    ]
    assert lines[lines.index(grouped[0]) + 1] == (
        "\t@$(RUN) event_brief --params build/params/event_brief.json --event-id e1 --event-id e3 "
        "--unless-newer-than $^"
    )
    one = build_graph.makefile(Paths(tmp_path), ["e1", "e2", "e3"], "build/params", lane_count=1)
    assert len([line for line in one.splitlines() if " &: " in line]) == 1


def test_lanes_deal_round_robin_and_never_leave_one_empty():
    assert build_graph.lanes([1, 2, 3, 4, 5], 2) == [[1, 3, 5], [2, 4]]
    assert build_graph.lanes([1], 4) == [[1]]
    assert build_graph.lanes([], 3) == [[]]


def test_one_target_per_article_with_only_its_own_claims_file(tmp_path):
    """Adding a claims file adds a target; each article's file is a prerequisite of its own run only,
    and the claims_article's file of the token and mining briefs."""
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    shutil.copytree(ROOT / "src" / "chinabrief", tmp_path / "src" / "chinabrief")
    (tmp_path / "data" / "articles").mkdir(parents=True)
    for article in ("a-one", "a-two"):
        (tmp_path / "data" / "articles" / f"{article}.yaml").write_text("article: {}\n")
    text = build_graph.makefile(
        Paths(tmp_path), [], "build/params", articles=["a-one", "a-two"], claims_article="a-one"
    )
    lines = {
        line.split(":", 1)[0]: line.split(":", 1)[1].split()
        for line in text.splitlines()
        if ": " in line and ":=" not in line and not line.startswith("#")
    }
    assert "ARTICLES := a-one a-two" in text.splitlines()
    assert "data/articles/a-one.yaml" in lines["build/products/article_check-a-one.json"]
    assert "data/articles/a-two.yaml" not in lines["build/products/article_check-a-one.json"]
    assert "data/articles/a-two.yaml" in lines["build/products/article_check-a-two.json"]
    for brief in ("token_reactions", "mining_share"):
        assert "data/articles/a-one.yaml" in lines[f"build/products/{brief}.json"]
        assert "data/articles/a-two.yaml" not in lines[f"build/products/{brief}.json"]
