"""Command line: ``python -m chinabrief COMMAND`` (option parsing only; the work is elsewhere).

Imports are deferred to the command that needs them, so ``params`` (run on every ``make``) stays
fast.
"""
from __future__ import annotations

import argparse
import sys

from .exceptions import ChinaBriefError

STAGE_NAMES = ["ingest", "prepare", "token_reactions", "mining_share", "event_brief"]


def _write_if_changed(target, text: str) -> None:
    from .fileio import write_text

    if not target.exists() or target.read_text() != text:
        write_text(target, text)


def _cmd_params(args) -> None:
    """Validate every parameter; write each stage's file and params.mk only when they change."""
    import json

    from . import params
    from .config import paths
    from .sources.snapshot import read_sums

    p = paths()
    values = params.load(p.params, args.set)
    params.check_focus_events(values, p.events)
    if values.source == "snapshot":
        read_sums(p.resolve(values.snapshot))  # fails at once, with a message, when it is missing
    import hashlib

    from . import provenance

    for stage in provenance.check(p, {s: params.for_stage(values, s) for s in provenance.TARGETS}):
        print(f"[chinabrief] {stage}: data/processed was last written with other parameters than params.yaml's "
              "(a notebook run by hand?); the stage will run again", flush=True)
    folder = p.resolve(args.dir)
    digest = hashlib.sha256()
    for stage in params.STAGE_PARAMS:
        stage_file = {"parameters": params.for_stage(values, stage), "cell_timeout": values.cell_timeout}
        text = json.dumps(stage_file, indent=2, sort_keys=True) + "\n"
        digest.update(text.encode())
        _write_if_changed(folder / f"{stage}.json", text)
    _write_if_changed(folder / "params.mk", f"# parameters digest {digest.hexdigest()}\n"
                                            f"FOCUS_EVENTS := {' '.join(values.focus_events)}\n")


def _cmd_run(args) -> int:
    from . import runner
    from .config import paths

    p = paths()
    stage_file = runner.load_stage_params(p.resolve(args.params))
    event_ids = args.event_id
    if event_ids and args.unless_newer_than:
        event_ids = runner.stale(p, args.stage, event_ids, args.unless_newer_than)
        if not event_ids:
            return 0
    if args.changed and not event_ids:
        record = runner.republish(p, args.stage, stage_file["parameters"], args.changed)
        if record is not None:
            runner.echo(record)
            return 0
    try:
        runner.run(p, args.stage, stage_file["parameters"], event_ids=event_ids,
                   cell_timeout=stage_file["cell_timeout"],
                   jobs=args.jobs if args.jobs is not None else runner.make_jobs())
    except ChinaBriefError:
        from . import index

        index.build(p)  # the index links the failed notebook; previous briefs stay in place
        raise
    return 0


def _cmd_index(args) -> None:
    from . import index
    from .config import paths

    p = paths()
    print(f"[chinabrief] index: {p.relative(index.build(p))}", flush=True)


def _cmd_verify(args) -> int:
    from pathlib import Path

    from . import verify
    from .config import paths

    p = paths()
    diffs = verify.verify(p.root, p.resolve(args.snapshot), p.resolve(args.workdir))
    for line in diffs:
        print(f"[chinabrief] verify: {line}", flush=True)
    if diffs:
        raise ChinaBriefError(f"{len(diffs)} file(s) differ between two builds from the same inputs")
    print("[chinabrief] verify: two builds are byte-identical "
          f"(reports/ and data/processed/, less {', '.join(sorted(verify.RUN_RECORD))})", flush=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chinabrief", description="China Crypto Brief pipeline")
    sub = parser.add_subparsers(dest="command", required=True)

    cmd = sub.add_parser("params", help="validate parameters; write build/params/<stage>.json and params.mk")
    cmd.add_argument("--dir", default="build/params")
    cmd.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    cmd.set_defaults(func=_cmd_params)

    cmd = sub.add_parser("run", help="execute one stage's notebook and publish its brief(s)")
    cmd.add_argument("stage", choices=STAGE_NAMES)
    cmd.add_argument("--params", required=True, help="stage parameter file (from `params`)")
    cmd.add_argument("--event-id", action="append", default=[],
                     help="per-event briefs: an event id (repeat for several; they share one kernel per job)")
    cmd.add_argument("--unless-newer-than", nargs="+", default=[], metavar="FILE",
                     help="skip event ids whose brief is newer than every FILE (make's rule)")
    cmd.add_argument("--changed", nargs="*", default=[], metavar="FILE",
                     help="the prerequisites newer than the brief (make's $?): when that is only the notebook "
                          "and its code cells are unchanged, the last run's outputs are carried over")
    cmd.add_argument("--jobs", type=int, default=None,
                     help="worker processes for several event ids (default: make's -jN, else 1)")
    cmd.set_defaults(func=_cmd_run)

    cmd = sub.add_parser("verify", help="build twice in fresh copies and compare every output byte")
    cmd.add_argument("--snapshot", default="../shared/data")
    cmd.add_argument("--workdir", default="build/verify")
    cmd.set_defaults(func=_cmd_verify)

    cmd = sub.add_parser("index", help="write reports/index.html and reports/run.json")
    cmd.set_defaults(func=_cmd_index)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except ChinaBriefError as exc:
        print(f"[chinabrief] error: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0
