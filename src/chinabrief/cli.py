"""Command line: ``python -m chinabrief COMMAND`` (option parsing only; the work is elsewhere).

Imports are deferred to the command that needs them, so ``params`` (run on every ``make``) stays
fast.
"""

from __future__ import annotations

import argparse
import signal
import sys

from .exceptions import ChinaBriefError
from .pipeline.stages import STAGES

#: The signal that interrupted the command (see :func:`_interrupt_on_signals`).
_interrupted_by: list[int] = []


def _write_if_changed(target, text: str) -> None:
    from .fileio import write_text

    if not target.exists() or target.read_text() != text:
        write_text(target, text)


def _cmd_params(args) -> None:
    """Validate every parameter; write each stage's file and params.mk only when they change."""
    import json
    import os
    import re

    from .config import paths
    from .data.sources.snapshot import read_sums
    from .pipeline import params

    p = paths()
    values = params.load(p.params, args.set, os.environ)
    params.check_tokens(values, p.universe)
    params.check_focus_events(values, p.events)
    articles = params.check_articles(
        values, p.root / "data" / "articles", p.universe, p.processed / "prices_daily.parquet"
    )
    for event_id in values.focus_events:  # they go into params.mk, which make reads: plain names only
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", event_id):
            raise params.ParameterError(f"focus_events: {event_id!r} is not a plain event id (letters, digits, . _ -)")
    if values.source == "snapshot":
        read_sums(p.resolve(values.snapshot))  # fails at once, with a message, when it is missing
    import hashlib

    from . import provenance
    from .pipeline import build_graph, products

    stage_parameters = {s: params.for_stage(values, s) for s in STAGES}
    dry_run = bool(args.plan)
    out_of_date: list[str] = []
    for stage in provenance.stale_stages(p, stage_parameters):
        print(
            f"[chinabrief] {stage}: data/processed was last written with other parameters than params.yaml's "
            "(a notebook run by hand?); the stage will run again",
            flush=True,
        )
        if dry_run or products.invalidate(p, stage):
            out_of_date.append(stage)
    for stale_run in products.check(p, mark=not dry_run):
        print(
            f"[chinabrief] {stale_run.key}: {stale_run.reason}; it {'would' if dry_run else 'will'} run again",
            flush=True,
        )
        if dry_run:
            out_of_date.append(stale_run.key)
    folder = p.resolve(args.dir)
    digest = hashlib.sha256()
    stale = []
    for stage in STAGES:
        stage_file = {"parameters": stage_parameters[stage], "cell_timeout": values.cell_timeout}
        text = json.dumps(stage_file, indent=2, sort_keys=True) + "\n"
        digest.update(text.encode())
        target = folder / f"{stage}.json"
        if dry_run:
            if not target.is_file() or target.read_text() != text:
                stale.append(f"{args.dir}/{stage}.json")
        else:
            _write_if_changed(target, text)
    rules = build_graph.makefile(
        p,
        values.focus_events,
        args.dir,
        articles=articles,
        claims_article=values.claims_article,
        keep_cache=not dry_run,
    )
    if dry_run:  # the stage files stay as they are; make is told which would change
        forced = [p.relative(products.manifest_path(p, key)) for key in out_of_date]
        _write_if_changed(
            p.resolve(args.plan),
            "# plan of a dry run (make -n); no stage file was written\n"
            + rules
            + "".join(f"{name}: FORCE ;\n" for name in stale)
            + "".join(f"{name}: FORCE\n" for name in forced),
        )
        return
    # one file: it changes (and make re-reads the graph) exactly when a parameter or a rule does
    _write_if_changed(folder / "params.mk", f"# parameters digest {digest.hexdigest()}\n" + rules)


def _interrupt_on_signals() -> None:
    """Turn SIGTERM, like SIGINT, into a ``KeyboardInterrupt``, once: the stage's clean-up (its
    kernels and their connection files, its unpublished staging folder) then runs in ``finally``
    blocks, undisturbed by a second Ctrl-C."""

    def handler(signum, frame):
        import logging

        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _interrupted_by.append(signum)
        # nbclient's cell task then ends with the kernel we kill: asyncio would log it, traceback and all
        logging.getLogger("asyncio").setLevel(logging.CRITICAL + 1)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _cmd_run(args) -> int:
    from .config import paths
    from .pipeline import runner

    _interrupt_on_signals()
    p = paths()
    stage_file = runner.load_stage_params(p.resolve(args.params))
    if args.stage == "article_check":  # the claims file against the data, before any kernel starts
        from .data import claims

        article_id = args.article_id or stage_file["parameters"]["article_id"]
        article = claims.find_article(
            p.root / claims.ARTICLES_FOLDER, article_id, claims.read_universe(p.universe), p.root
        )
        claims.check_dates(article, *claims.price_span(p.processed / "prices_daily.parquet"))
    event_ids = args.event_id or ([args.article_id] if args.article_id else [])
    if event_ids and args.unless_newer_than:
        event_ids = runner.stale(p, args.stage, event_ids, args.unless_newer_than)
        if not event_ids:
            return 0
    if args.changed and len(event_ids) <= 1:
        record = runner.republish(
            p, args.stage, stage_file["parameters"], args.changed, event_id=event_ids[0] if event_ids else None
        )
        if record is not None:
            runner.echo(record)
            return 0
    try:
        runner.run(
            p, args.stage, stage_file["parameters"], event_ids=event_ids, cell_timeout=stage_file["cell_timeout"]
        )
    except ChinaBriefError:
        from .pipeline import index

        try:
            index.build(p)  # the index links the failed notebook; previous briefs stay in place
        except (ChinaBriefError, OSError) as exc:  # e.g. reports/ read-only: the first error is the news
            print(f"[chinabrief] note: the index was not updated either ({exc})", file=sys.stderr, flush=True)
        raise
    return 0


def _cmd_index(args) -> None:
    from .config import paths
    from .pipeline import index

    p = paths()
    print(f"[chinabrief] index: {p.relative(index.build(p, events=args.events, articles=args.articles))}", flush=True)


def _cmd_lock(args) -> None:
    from . import locks
    from .config import paths

    locks.acquire(paths().build, args.holder)


def _cmd_verify(args) -> int:
    import os

    from .config import paths
    from .pipeline import params, verify

    p = paths()
    snapshot = args.snapshot or params.load(p.params, environ=os.environ).snapshot
    diffs = verify.verify(p.root, p.resolve(snapshot), p.resolve(args.workdir))
    for line in diffs:
        print(f"[chinabrief] verify: {line}", flush=True)
    if diffs:
        raise ChinaBriefError(f"{len(diffs)} file(s) differ between two builds from the same inputs")
    print(
        "[chinabrief] verify: two builds are byte-identical "
        f"(reports/ and data/processed/, less {', '.join(sorted(verify.RUN_RECORD))})",
        flush=True,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chinabrief", description="China Crypto Brief pipeline")
    sub = parser.add_subparsers(dest="command", required=True)

    cmd = sub.add_parser("params", help="validate parameters; write build/params/<stage>.json and params.mk")
    cmd.add_argument("--dir", default="build/params")
    cmd.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    cmd.add_argument(
        "--plan",
        default=None,
        metavar="FILE",
        help="dry run: write nothing but FILE, a makefile naming the stage files that would change",
    )
    cmd.set_defaults(func=_cmd_params)

    cmd = sub.add_parser("run", help="execute one stage's notebook in a fresh kernel and publish its products")
    cmd.add_argument("stage", choices=list(STAGES))
    cmd.add_argument("--params", required=True, help="stage parameter file (from `params`)")
    cmd.add_argument(
        "--event-id",
        action="append",
        default=[],
        help="per-event briefs: an event id (repeat for several: each in a fresh kernel, the next "
        "started while one runs)",
    )
    cmd.add_argument(
        "--unless-newer-than",
        nargs="+",
        default=[],
        metavar="FILE",
        help="skip event ids whose product manifest is newer than every FILE (make's rule)",
    )
    cmd.add_argument(
        "--article-id", default=None, help="per-article briefs: the article id (the file data/articles/<id>.yaml)"
    )
    cmd.add_argument(
        "--changed",
        nargs="*",
        default=[],
        metavar="FILE",
        help="the prerequisites newer than the brief (make's $?): when that is only the notebook "
        "and its code cells are unchanged, the last run's outputs are carried over",
    )
    cmd.set_defaults(func=_cmd_run)

    cmd = sub.add_parser("verify", help="build twice in fresh copies and compare every output byte")
    cmd.add_argument(
        "--snapshot", default=None, help="snapshot folder (default: SNAPSHOT from make, else params.yaml's snapshot)"
    )
    cmd.add_argument("--workdir", default="build/verify")
    cmd.set_defaults(func=_cmd_verify)

    cmd = sub.add_parser("index", help="write reports/index.html and reports/run.json")
    cmd.add_argument(
        "--events",
        nargs="*",
        default=None,
        metavar="EVENT_ID",
        help="the current focus events: other events' briefs, notebooks and records are removed",
    )
    cmd.add_argument(
        "--articles",
        nargs="*",
        default=None,
        metavar="ARTICLE_ID",
        help="the current articles (data/articles/*.yaml): other articles' briefs are removed",
    )
    cmd.set_defaults(func=_cmd_index)

    cmd = sub.add_parser("lock", help="take the checkout's build lock (build/lock) for a make process")
    cmd.add_argument(
        "--holder",
        type=int,
        required=True,
        metavar="PID",
        help="the process that holds the lock until it exits (make: $$PPID in a recipe)",
    )
    cmd.set_defaults(func=_cmd_lock)
    return parser


def _what(args) -> str:
    return f"stage '{args.stage}'" if args.command == "run" else f"'{args.command}'"


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except ChinaBriefError as exc:
        print(f"[chinabrief] error: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:  # Ctrl-C (or SIGTERM, see _interrupt_on_signals): one line, no traceback
        signum = _interrupted_by[0] if _interrupted_by else signal.SIGINT
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        print(
            f"[chinabrief] interrupted ({name}): {_what(args)} stopped; what it had not "
            "published is discarded, the previous briefs are unchanged",
            file=sys.stderr,
            flush=True,
        )
        return 128 + signum
    except OSError as exc:  # a write the helpers did not wrap: one line naming the file, no traceback
        from pathlib import Path

        from .fileio import output_error

        target = Path(exc.filename) if exc.filename else Path("(unknown file)")
        print(f"[chinabrief] error: {output_error(exc, target)}", file=sys.stderr, flush=True)
        return 1
    return 0
