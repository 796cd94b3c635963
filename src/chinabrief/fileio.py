"""Atomic file writes: write beside the target, then rename, so a failure never leaves a
half-written file or destroys the last good one."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported by the callers that write frames; keep `params` fast
    import pandas as pd


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    Parameters
    ----------
    target : str or Path
        Final file path. Its folder is created when missing.

    Yields
    ------
    Path
        Where to write. It is removed if the block raises.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise output_error(exc, target) from None
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    except OSError as exc:
        if exc.filename is not None and Path(exc.filename) not in (tmp_path, target, target.parent):
            raise  # about another file (e.g. the source of a copy): not this write's failure
        raise output_error(exc, target) from None
    finally:
        with contextlib.suppress(OSError):
            if tmp_path.exists():
                tmp_path.unlink()


def output_error(exc: OSError, target: Path):
    """An :class:`~chinabrief.exceptions.OutputError` naming the file being written and why.

    Parameters
    ----------
    exc : OSError
        What the operating system said.
    target : Path
        The file being written.
    """
    from .exceptions import OutputError

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        cause = "the disk is full (no space left on the device)"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        cause = f"the folder {target.parent} is not writable (read-only or no permission)"
    else:
        cause = exc.strerror or str(exc)
    return OutputError(
        f"cannot write {target}: {cause} [{errno.errorcode.get(exc.errno or -1, exc.errno)}]; "
        "the previous version of the file, if any, is unchanged"
    )


@contextlib.contextmanager
def atomic_open(target: str | Path, mode: str = "w", **kwargs: Any) -> Iterator[IO]:
    """Open a temporary file beside ``target`` and rename it onto ``target`` when closed cleanly."""
    with atomic_path(target) as tmp:
        with open(tmp, mode, **kwargs) as handle:
            yield handle


def write_bytes(target: str | Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_open(target, "wb") as handle:
        handle.write(data)


def write_text(target: str | Path, text: str) -> None:
    """Write UTF-8 ``text`` with ``\\n`` line ends to ``target`` atomically."""
    with atomic_open(target, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def write_json(target: str | Path, obj: Any) -> None:
    """Write ``obj`` as sorted, indented JSON (stable bytes) atomically."""
    write_text(target, json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def write_csv(target: str | Path, frame: pd.DataFrame) -> None:
    """Write ``frame`` (without its index) as CSV atomically, with stable float formatting."""
    with atomic_open(target, "w", encoding="utf-8", newline="") as handle:
        frame.to_csv(handle, index=False, lineterminator="\n")


def write_parquet(target: str | Path, frame: pd.DataFrame) -> None:
    """Write ``frame`` (without its index) as Parquet atomically."""
    with atomic_path(target) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Return the hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def require_sha256(path: str | Path, expected: str, against: str, remedy: str) -> None:
    """Raise :class:`~chinabrief.exceptions.ChecksumError` unless the file's SHA-256 is ``expected``.

    Parameters
    ----------
    path : str or Path
        The file to check.
    expected : str
        The pinned hex digest.
    against : str
        Where the expected digest comes from (e.g. ``"SHA256SUMS"``).
    remedy : str
        What the reader should do about a mismatch (ends the message).
    """
    from .exceptions import ChecksumError

    actual = sha256_file(path)
    if actual != expected:
        raise ChecksumError(f"{path}: SHA-256 {actual} does not match {against} ({expected}); {remedy}")
