"""Integration: the whole pipeline on the real snapshot, in a fresh copy of the checkout.

One build is shared by the tests of this module (it takes about a minute); each test then checks
one behaviour: the briefs and their key numbers, the no-op rebuild, the incremental plan, the
missing-snapshot message and a failing stage.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import SNAPSHOT, make

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (SNAPSHOT / "SHA256SUMS").is_file(), reason="no data snapshot at ../shared/data"),
]


def test_report_writes_index_and_every_brief(built):
    reports = built / "reports"
    focus = json.loads((built / "build/params/token_reactions.json").read_text())["parameters"]["focus_events"]
    expected = ["index.html", "token-reactions.html", "mining-share.html", "data-quality.html"]
    expected += [f"events/{e}.html" for e in focus]
    expected += [f"articles/{f.stem}.html" for f in sorted((built / "data/articles").glob("*.yaml"))]
    missing = [name for name in expected if not (reports / name).is_file()]
    assert not missing
    index = (reports / "index.html").read_text()
    for name in expected[1:]:
        assert f'href="{name}"' in index


def test_briefs_show_real_figures_and_no_code(built):
    mining = (built / "reports/mining-share.html").read_text()
    for figure in ("75.53", "21.11", "37.84"):
        assert figure in mining
    tokens = (built / "reports/token-reactions.html").read_text()
    for token in ("TRX", "NEO", "VET", "CFX", "OKB"):
        assert f">{token}<" in tokens
    assert "CAR" in tokens
    for brief in (built / "reports").rglob("*.html"):
        text = brief.read_text()
        assert "import chinabrief" not in text and "from chinabrief" not in text, brief
        assert "Traceback" not in text, brief


def test_executed_notebooks_are_kept_and_normalised(built):
    executed = built / "reports/notebooks/03_token_reactions.ipynb"
    nb = json.loads(executed.read_text())
    assert set(nb["metadata"]["papermill"]) == {"parameters"}
    assert all(c["id"] == f"cell-{i:03d}" for i, c in enumerate(nb["cells"]))
    assert str(built) not in executed.read_text()


def test_second_build_runs_no_notebook(built):
    done = make(built, "report", f"SNAPSHOT={SNAPSHOT}")
    assert done.returncode == 0, done.stderr
    assert "ok in" not in done.stdout


def test_changing_one_module_replans_only_its_stage(built):
    module = built / "src/chinabrief/render/mining_charts.py"
    module.touch()
    plan = make(built, "-n", "report", f"SNAPSHOT={SNAPSHOT}").stdout
    assert "run mining_share" in plan
    assert "run token_reactions" not in plan and "run prepare" not in plan and "run event_brief" not in plan


def test_changing_one_parameter_replans_only_dependent_stages(built):
    plan = make(built, "-n", "report", f"SNAPSHOT={SNAPSHOT}", "MINING_MONTH=2021-12").stdout
    assert "run mining_share" in plan
    assert "run token_reactions" not in plan and "run prepare" not in plan
    # the dry run must not leave the changed parameter behind for the next tests
    make(built, "-n", "report", f"SNAPSHOT={SNAPSHOT}")


def test_missing_snapshot_stops_with_a_message(built):
    done = make(built, "report", "SNAPSHOT=/nonexistent/snapshot")
    assert done.returncode != 0
    assert "SNAPSHOT" in done.stderr and "Traceback" not in done.stderr


def test_unknown_parameter_fails_before_any_kernel(built):
    done = make(built, "report", f"SNAPSHOT={SNAPSHOT}", "PARAMS=no_such_parameter=1")
    assert done.returncode != 0
    assert "no_such_parameter" in done.stderr and "Valid parameters" in done.stderr
    assert "ok in" not in done.stdout


def test_failing_stage_keeps_previous_brief_and_links_the_failure(built):
    notebook = built / "notebooks/04_mining_share.ipynb"
    original = notebook.read_text()
    brief = built / "reports/mining-share.html"
    before = brief.read_bytes()
    nb = json.loads(original)
    nb["cells"].append(
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "boom",
            "metadata": {},
            "outputs": [],
            "source": "raise RuntimeError('deliberate failure for the test')",
        }
    )
    notebook.write_text(json.dumps(nb))
    try:
        done = make(built, "report", f"SNAPSHOT={SNAPSHOT}")
        assert done.returncode != 0
        assert "04_mining_share.ipynb" in done.stderr and "deliberate failure" in done.stderr
        assert brief.read_bytes() == before
        assert (built / "reports/failed/mining_share.html").is_file()
        assert (built / "reports/notebooks/04_mining_share.ipynb").is_file()
        assert 'href="failed/mining_share.html"' in (built / "reports/index.html").read_text()
    finally:
        notebook.write_text(original)
    done = make(built, "report", f"SNAPSHOT={SNAPSHOT}")
    assert done.returncode == 0, done.stderr
    assert "failed/mining_share.html" not in (built / "reports/index.html").read_text()
    assert not (built / "reports/failed/mining_share.html").exists()  # the stale failure page is gone


def test_one_plain_line_per_stage(built):
    (built / "build/products/ingest.json").touch()  # prepare, and what follows it, run again
    done = make(built, "report", f"SNAPSHOT={SNAPSHOT}")
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert lines and all(re.match(r"^\[chinabrief\] ", line) for line in lines), lines


def test_api_key_never_reaches_any_output(built):
    from conftest import FAKE_API_KEY

    leaks = [
        p
        for folder in ("reports", "data", "build")
        for p in (built / folder).rglob("*")
        if p.is_file() and FAKE_API_KEY.encode() in p.read_bytes()
    ]
    assert not leaks


def _focus_events(built) -> list[str]:
    return json.loads((built / "build/params/token_reactions.json").read_text())["parameters"]["focus_events"]


def _ran(done) -> list[str]:
    return re.findall(r"^\[chinabrief\] (\S+): ok in", done.stdout, re.M)


@pytest.mark.parametrize(
    "product, first",
    [
        ("data/processed/prices_daily.parquet", "prepare"),
        ("data/raw/MANIFEST.json", "ingest"),
        ("reports/mining-share.html", "mining_share"),
    ],
)
def test_a_deleted_product_is_rebuilt_byte_identical_with_what_follows_it(built, product, first):
    """Deleting any product re-runs the stage that made it and the stages after it, nothing else."""
    from chinabrief.pipeline.stages import STAGES

    watched = [
        built / product,
        built / "reports/token-reactions.html",
        built / "reports/mining-share.html",
        built / "reports/data-quality.html",
    ]
    before = {f: f.read_bytes() for f in watched}
    (built / product).unlink()
    done = make(built, "report", f"SNAPSHOT={SNAPSHOT}")
    assert done.returncode == 0, done.stderr
    after_first = {name for name, stage in STAGES.items() if first in stage.after}
    after_first |= {name for name, stage in STAGES.items() if after_first & set(stage.after)}
    expected = {first} | after_first
    # a per-item run's key is its stage's name, "-" and the item (an event, an article)
    assert {key.split("-")[0] for key in _ran(done)} == expected
    assert {f: f.read_bytes() for f in watched} == before


def test_a_product_edited_by_hand_is_noticed_and_rebuilt(built):
    target = built / "data/processed/mining/ranking.csv"
    if not target.is_file():
        target = sorted((built / "data/processed/mining").glob("*.csv"))[0]
    before = target.read_bytes()
    target.write_bytes(before.replace(b",", b";", 1))
    done = make(built, "report", f"SNAPSHOT={SNAPSHOT}")
    assert done.returncode == 0, done.stderr
    assert f"mining_share: data/processed/mining/{target.name} differs" in done.stdout
    assert _ran(done) == ["mining_share"]
    assert target.read_bytes() == before


def test_a_brief_built_in_a_shared_kernel_equals_one_built_alone(built):
    """A lane's event briefs share one kernel (reset between runs); the outputs must not show it."""
    shared = [
        e
        for e in _focus_events(built)
        if json.loads((built / f"build/status/event_brief-{e}.json").read_text()).get("kernel_run", 1) > 1
    ]
    assert shared, "no event brief was built as a later run in a shared kernel"
    event = shared[-1]
    files = [built / f"reports/events/{event}.html", built / f"reports/notebooks/05_event_brief-{event}.ipynb"]
    before = [f.read_bytes() for f in files]
    for f in files:
        f.unlink()
    done = make(built, "report", f"SNAPSHOT={SNAPSHOT}")
    assert done.returncode == 0, done.stderr
    assert json.loads((built / f"build/status/event_brief-{event}.json").read_text())["kernel_run"] == 1
    assert [f.read_bytes() for f in files] == before


def test_one_missing_event_brief_rebuilds_only_that_brief(built):
    event = _focus_events(built)[0]
    (built / f"reports/events/{event}.html").unlink()
    done = make(built, "report", f"SNAPSHOT={SNAPSHOT}")
    assert done.returncode == 0, done.stderr
    ran = re.findall(r"^\[chinabrief\] (\S+): ok in", done.stdout, re.M)
    assert ran == [f"event_brief-{event}"], done.stdout


def test_event_briefs_are_one_command_per_lane_in_the_plan(built):
    from chinabrief.pipeline.build_graph import default_lanes

    # -W: plan as if the module had changed, without touching it
    plan = make(built, "-n", "-W", "src/chinabrief/analysis/event_reaction.py", "report", f"SNAPSHOT={SNAPSHOT}").stdout
    commands = [line for line in plan.splitlines() if "run event_brief" in line]
    events = _focus_events(built)
    assert len(commands) == min(default_lanes(), len(events))
    assert sorted(e for c in commands for e in re.findall(r"--event-id (\S+)", c)) == sorted(events)
    assert "run ingest" not in plan and "run prepare" not in plan  # they do not import it
