"""The first check of a build, before the virtual environment exists: is there a snapshot?

Run by make as ``python3 src/chinabrief/pipeline/precheck.py`` with the system Python (standard library
only), just before it would set up ``.venv``, so a missing snapshot stops the build at once
instead of after a long install. The snapshot is the effective one: ``SNAPSHOT`` given to make
(in the environment as ``CHINABRIEF_MAKE_SNAPSHOT``, never through a shell), else ``snapshot:``
of ``params.yaml``. Once ``.venv`` exists, ``python -m chinabrief params`` makes the full check.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

SUMS_FILE = "SHA256SUMS"
DEFAULT_SNAPSHOT = "../shared/data-v2"


def yaml_scalar(text: str, name: str) -> str | None:
    """The plain or quoted scalar of a top-level ``name:`` line of ``text`` (comments dropped)."""
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}\s*:\s*(.*)$", line)
        if not match:
            continue
        value = match.group(1)
        quoted = re.match(r"""^(["'])(.*?)\1""", value)
        if quoted:
            return quoted.group(2)
        return re.sub(r"\s+#.*$", "", value).strip() or None
    return None


def effective(root: Path, environ: dict[str, str]) -> tuple[str, str]:
    """Return ``(source, snapshot)`` as the build will use them (make variables win)."""
    params = root / "params.yaml"
    text = params.read_text(encoding="utf-8", errors="replace") if params.is_file() else ""
    source = environ.get("CHINABRIEF_MAKE_SOURCE", "").strip() or yaml_scalar(text, "source") or "snapshot"
    snapshot = environ.get("CHINABRIEF_MAKE_SNAPSHOT", "")
    if not snapshot.strip():
        snapshot = yaml_scalar(text, "snapshot") or DEFAULT_SNAPSHOT
    return source, snapshot


def main(root: Path | None = None, environ: dict[str, str] | None = None) -> int:
    """Print one line and return 1 when the effective snapshot has no SHA256SUMS; else 0."""
    root = root or Path.cwd()
    source, snapshot = effective(root, dict(os.environ if environ is None else environ))
    if source == "live":
        return 0
    folder = Path(snapshot) if Path(snapshot).is_absolute() else root / snapshot
    if (folder / SUMS_FILE).is_file():
        return 0
    print(
        f"[chinabrief] error: no data snapshot at {snapshot!r} (no {SUMS_FILE} there). Point SNAPSHOT at the "
        "snapshot folder, e.g. `make report SNAPSHOT=/path/to/shared/data`, set `snapshot:` in params.yaml, "
        "or fetch live data with `make data SOURCE=live`",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
