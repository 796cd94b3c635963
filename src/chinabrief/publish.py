"""A stage publishes all or nothing: its products are staged, committed by one marker, then renamed.

A *set* is everything one run publishes under one key (``prepare``, ``event_brief-<id>``, ...):
the data files its notebook writes (``data/raw`` + ``MANIFEST.json``, the ``data/processed``
tables, ``event_study/``, ``mining/``), its executed notebook, its brief and its status record.
Everything lives on the repository's own filesystem, so renames are atomic::

    build/staging/<key>/OWNER          who writes this transaction (PID and start time)
    build/staging/<key>/files/<path>   the new products, at their repository-relative paths
    build/staging/<key>/COMMIT.json    written last, atomically: the transaction is committed
    build/published/<key>.json         the files of the last complete set published as <key>

1. :meth:`Transaction.begin` empties the staging folder and writes ``OWNER``.
2. The run writes every product below ``files/``: the notebook's writers ask :func:`writing`
   where to write (the runner tells its kernel through ``$CHINABRIEF_STAGING``), the runner
   writes the executed notebook, the brief and the record there.
3. :meth:`Transaction.commit` fsyncs every staged file, then writes ``COMMIT.json``: the files
   to move in, and the files of the previous set the new one no longer has (stale products,
   such as the raw file of a token no longer selected). Writing the marker is the one atomic step:
   before it, the previous set is untouched; after it, the new set is the published one.
4. :meth:`Transaction.apply` renames each staged file onto its target (``os.replace``; the status
   record last), removes the stale files, rewrites ``build/published/<key>.json`` and removes the
   staging folder. A rename keeps the mtime of writing, so make sees each target newer than its
   prerequisites and the incremental build works as before.

Recovery (:func:`recover`, at the start of every runner and of the index): a committed
transaction whose owner is gone is applied again (every step is idempotent: a file already moved
is skipped), an uncommitted one is discarded. So a full disk or a kill before the marker leaves
the previous complete set, and after it the new complete set. Readers (``prepare.load``,
``prepare.prepare``) call :func:`settle` first, which completes committed transactions, so they
only ever see complete sets; ``make`` runs one build at a time (:mod:`chinabrief.locks`).

Why not a versioned folder and one symlink flip: ``data/raw`` and ``data/processed`` hold tracked
files (``README.md``) and other stages' sub-folders, and their paths are what notebooks opened in
JupyterLab read; a folder turned into a symlink would break both.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from . import fileio
from .config import Paths
from .exceptions import PublishError
from .locks import Holder

#: Set by the runner for its kernel: the ``files/`` folder of the run's transaction.
STAGING_ENV = "CHINABRIEF_STAGING"
STAGING = "staging"
PUBLISHED = "published"
OWNER = "OWNER"
COMMIT = "COMMIT.json"
FILES = "files"


def _rel(paths: Paths, target: str | Path) -> str:
    rel = paths.relative(target)
    if rel.startswith("../") or rel == "..":
        raise PublishError(f"{target}: outside the repository {paths.root}; nothing is published there")
    return rel


def record_path(paths: Paths, key: str) -> Path:
    """``build/published/<key>.json``: the files of the last set published as ``key``."""
    return paths.build / PUBLISHED / f"{key}.json"


def published(paths: Paths, key: str) -> list[str]:
    """The repository-relative files of the last set published as ``key`` (empty if none)."""
    try:
        return list(json.loads(record_path(paths, key).read_text())["files"])
    except (OSError, ValueError, KeyError):
        return []


def published_keys(paths: Paths) -> list[str]:
    """Every key with a published set."""
    folder = paths.build / PUBLISHED
    return sorted(f.stem for f in folder.glob("*.json")) if folder.is_dir() else []


class Transaction:
    """The staged products of one run, published together or not at all.

    Parameters
    ----------
    paths : Paths
        The project's paths.
    key : str
        The set's name (a stage, or ``event_brief-<id>``).
    scope : str, optional
        A repository-relative folder: the transaction replaces only the part of the set below it
        (a notebook's writer run outside the runner, e.g. in JupyterLab). By default it replaces
        the whole set.
    """

    def __init__(self, paths: Paths, key: str, scope: str | None = None) -> None:
        self.paths = paths
        self.key = key
        self.scope = scope.rstrip("/") + "/" if scope else None
        self.folder = paths.build / STAGING / key
        self.files = self.folder / FILES

    def path(self, target: str | Path) -> Path:
        """Where to write the product that will be published at ``target``."""
        return self.files / _rel(self.paths, target)

    def begin(self) -> Transaction:
        """Start with an empty staging folder (completing or discarding a dead run's first)."""
        _recover_one(self.paths, self.folder, discard=True, force=True)
        # the folder appears with its OWNER inside (built aside, then renamed): a parallel run's
        # recover() never sees it ownerless, which would read as a dead run's
        aside = self.folder.with_name(f".{self.key}.{os.getpid()}")
        shutil.rmtree(aside, ignore_errors=True)
        (aside / FILES).mkdir(parents=True)
        fileio.write_text(aside / OWNER, Holder.of().dumps())
        os.replace(aside, self.folder)
        return self

    def staged(self) -> list[str]:
        """The repository-relative paths written so far."""
        if not self.files.is_dir():
            return []
        return sorted(
            p.relative_to(self.files).as_posix()
            for p in self.files.rglob("*")
            if p.is_file() and not p.name.endswith(".tmp")
        )

    def _in_scope(self, rel: str) -> bool:
        return self.scope is None or rel.startswith(self.scope)

    def commit(self, remove: Iterable[str | Path] = (), keep_previous: bool = False) -> None:
        """Commit the staged files (write the marker); :meth:`apply` then publishes them.

        Parameters
        ----------
        remove : iterable of str or Path
            Further files to remove when the set is published (e.g. an earlier failure's pages).
        keep_previous : bool
            Add the staged files to the previous set instead of replacing it (a failed run's
            pages and record, published beside the brief it keeps).

        Raises
        ------
        OSError
            When a file cannot be synced or the marker cannot be written (a full disk): nothing
            is published and the previous set stays.
        """
        files = self.staged()
        previous = published(self.paths, self.key)
        if keep_previous:
            stale: list[str] = []
            record = sorted(set(previous) | set(files))
        else:
            stale = [f for f in previous if self._in_scope(f) and f not in files]
            record = sorted({f for f in previous if not self._in_scope(f)} | set(files))
        stale += [_rel(self.paths, self.paths.root / r) for r in remove]
        stale = sorted(set(stale) - set(files))
        for rel in files:  # the data must be on disk before the marker says it is there
            with open(self.files / rel, "rb") as handle:
                os.fsync(handle.fileno())
        # the status record last: the index reads records, and a record's brief is then in place
        order = sorted(files, key=lambda f: (f.startswith("build/status/"), f))
        fileio.write_json(
            self.folder / COMMIT,
            {"key": self.key, "files": order, "remove": stale, "record": [r for r in record if r not in stale]},
        )

    def apply(self) -> None:
        """Move the committed files into place (see the module docstring); idempotent."""
        _apply(self.paths, self.folder)

    def abort(self) -> None:
        """Discard what was staged; the previous set is untouched."""
        if not (self.folder / COMMIT).exists():
            shutil.rmtree(self.folder, ignore_errors=True)

    def publish(self, remove: Iterable[str | Path] = (), keep_previous: bool = False) -> None:
        """:meth:`commit`, then :meth:`apply`."""
        self.commit(remove, keep_previous)
        self.apply()


def _apply(paths: Paths, folder: Path) -> None:
    commit = json.loads((folder / COMMIT).read_text())
    for rel in commit["files"]:
        source = folder / FILES / rel
        if source.is_file():  # else: moved by an earlier, interrupted apply
            target = paths.root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
    for rel in commit["remove"]:
        (paths.root / rel).unlink(missing_ok=True)
    record = record_path(paths, commit["key"])
    if commit["record"]:
        fileio.write_json(record, {"files": commit["record"], "key": commit["key"]})
    else:
        record.unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)


def _recover_one(paths: Paths, folder: Path, *, discard: bool, force: bool = False) -> None:
    if not folder.is_dir():
        return
    try:
        owner = Holder.parse((folder / OWNER).read_text())
    except OSError:
        owner = None
    if not force and owner is not None and owner.alive():
        return  # a live run: it publishes (or discards) its own transaction
    if (folder / COMMIT).is_file():
        _apply(paths, folder)
    elif discard:
        shutil.rmtree(folder, ignore_errors=True)


def recover(paths: Paths, discard: bool = True) -> None:
    """Complete committed transactions of dead runs; discard their uncommitted ones.

    Parameters
    ----------
    paths : Paths
        The project's paths.
    discard : bool
        Also remove uncommitted staging folders of dead runs (the runner and the index do;
        readers only complete, see :func:`settle`).
    """
    root = paths.build / STAGING
    if not root.is_dir():
        return
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and not folder.name.startswith("."):  # ".<key>.<pid>": being set up
            _recover_one(paths, folder, discard=discard)


def settle(paths: Paths) -> None:
    """Complete any committed transaction of a dead run, so a reader sees complete sets only."""
    recover(paths, discard=False)


def retire(paths: Paths, key: str, also: Iterable[str | Path] = ()) -> None:
    """Remove a whole set (e.g. the brief of an event no longer selected), atomically.

    Parameters
    ----------
    paths : Paths
        The project's paths.
    key : str
        The set to remove: every file of its record goes.
    also : iterable of str or Path
        Files the set is known to hold even without a record (a build older than the records).
    """
    transaction = Transaction(paths, key).begin()
    transaction.publish(remove=also)


def staging_folder() -> Path | None:
    """The run's staging ``files/`` folder when running inside a runner's stage run."""
    value = os.environ.get(STAGING_ENV)
    return Path(value) if value else None


@contextlib.contextmanager
def writing(paths: Paths, folder: str | Path, key: str) -> Iterator[Path]:
    """Yield where to write the products of ``folder``; they are published together.

    Inside a runner's stage run the products go to the run's transaction, published with the
    brief when the whole notebook succeeded. Anywhere else (a notebook run by hand in JupyterLab)
    they get a transaction of their own, published when the block succeeds and replacing the set's
    part below ``folder``.

    Parameters
    ----------
    paths : Paths
        The project's paths.
    folder : str or Path
        The products' folder, e.g. ``data/processed``.
    key : str
        The set the products belong to (the stage's name).

    Yields
    ------
    Path
        The folder to write into (the same relative layout as ``folder``).

    Examples
    --------
    >>> with writing(P, P.processed, "prepare") as out:  # doctest: +SKIP
    ...     fileio.write_csv(out / "events.csv", frame)
    """
    rel = _rel(paths, folder)
    staging = staging_folder()
    if staging is not None:
        target = staging / rel
        target.mkdir(parents=True, exist_ok=True)
        yield target
        return
    transaction = Transaction(paths, key, scope=rel).begin()
    target = transaction.path(paths.root / rel)
    target.mkdir(parents=True, exist_ok=True)
    try:
        yield target
    except BaseException:
        transaction.abort()
        raise
    transaction.publish()
