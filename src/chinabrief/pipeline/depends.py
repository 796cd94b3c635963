"""Which package files each stage depends on, computed from the imports (never listed by hand).

A stage depends on the modules its notebook imports, on everything those import in turn
(relative imports resolved, package ``__init__`` files included, imports inside functions
too), and on what the runner itself uses to run and export it. :func:`stage_sources` walks
that graph with :mod:`ast`, without importing anything. Parsing every module takes most of a
second, so what each file imports is kept in a cache (``build/imports.json``, keyed by the
file's size and modification time): a no-op make parses nothing.
"""

from __future__ import annotations

import ast
import json
from functools import cache
from pathlib import Path

PACKAGE = "chinabrief"
#: What runs and exports every notebook (the runner's side of each stage).
RUNNER_MODULES = (
    "chinabrief.cli",
    "chinabrief.pipeline.runner",
    "chinabrief.pipeline.export",
    "chinabrief.pipeline.reuse",
)
#: Package data the runner and the figures read (templates and styles), below the package.
RUNNER_DATA = ("render/templates/brief/*", "render/styles/*")
#: What the index page is made from.
INDEX_MODULES = ("chinabrief.pipeline.index",)
INDEX_DATA = ("render/templates/index.html.j2", "render/styles/*")
#: cli.py imports every command's module inside its functions; only these are the runner's.
CLI_ONLY = ("chinabrief.cli",)


def module_file(package_dir: Path, module: str) -> Path | None:
    """The file of a ``chinabrief`` module (its ``__init__.py`` for a package), or None."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    base = package_dir.joinpath(*parts[1:])
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def imports_in(tree: ast.AST, module: str | None, is_package: bool, package_dir: Path) -> set[str]:
    """The ``chinabrief`` modules a parsed file imports (``module``: its name, None for a notebook)."""
    found: set[str] = set()
    own = module.split(".") if module else []
    parent = own if is_package else own[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = parent[: len(parent) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != PACKAGE:
                continue
            found.add(target)
            for alias in node.names:  # `from chinabrief.render import tables`: the module tables
                if module_file(package_dir, f"{target}.{alias.name}") is not None:
                    found.add(f"{target}.{alias.name}")
    return found


#: path → [size, mtime_ns, imports]: what each parsed file imports (see :func:`load_cache`).
_CACHE: dict[str, list] = {}


def load_cache(path: Path) -> None:
    """Start from the imports cached in ``path`` (a missing or unreadable cache is an empty one)."""
    _CACHE.clear()
    try:
        _CACHE.update(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass
    _module_imports.cache_clear()


def save_cache(path: Path) -> None:
    """Write the cache back (only when it changed)."""
    text = json.dumps(_CACHE, sort_keys=True)
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


@cache
def _module_imports(package_dir: Path, module: str) -> frozenset[str]:
    path = module_file(package_dir, module)
    if path is None:
        return frozenset()
    stat = path.stat()
    cached = _CACHE.get(str(path))
    if cached and cached[0] == stat.st_size and cached[1] == stat.st_mtime_ns:
        return frozenset(cached[2])
    found = _parse_imports(path, module, package_dir)
    _CACHE[str(path)] = [stat.st_size, stat.st_mtime_ns, sorted(found)]
    return found


def _parse_imports(path: Path, module: str, package_dir: Path) -> frozenset[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    if module in CLI_ONLY:  # the entry point: its own top-level imports only
        tree = ast.Module(body=[n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))], type_ignores=[])
    return frozenset(imports_in(tree, module, path.name == "__init__.py", package_dir))


def closure(package_dir: Path, modules: set[str]) -> set[str]:
    """``modules``, everything they import in turn, and the packages containing them."""
    seen: set[str] = set()
    todo = list(modules)
    while todo:
        module = todo.pop()
        if module in seen or module_file(package_dir, module) is None:
            continue
        seen.add(module)
        todo += [m for m in _module_imports(package_dir, module) if m not in seen]
        todo += [p for p in _parents(module) if p not in seen]
    return seen


def notebook_imports(notebook: Path, package_dir: Path) -> set[str]:
    """The ``chinabrief`` modules a notebook's code cells import (cells that are not Python skipped)."""
    if not notebook.is_file():
        return set()
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    found: set[str] = set()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell.get("source", []))
        try:
            tree = ast.parse(source)
        except SyntaxError:  # a %magic or !shell line: not an import of ours
            continue
        found |= imports_in(tree, None, False, package_dir)
    return found


def _files(package_dir: Path, modules: set[str], data: tuple[str, ...]) -> list[Path]:
    files = {module_file(package_dir, m) for m in modules} - {None}
    files |= {p for pattern in data for p in package_dir.glob(pattern) if p.is_file()}
    return sorted(f for f in files if f is not None)


def stage_sources(package_dir: Path, notebook: Path) -> list[Path]:
    """Every package file a stage depends on: its notebook's import closure and the runner's."""
    modules = closure(package_dir, notebook_imports(notebook, package_dir) | set(RUNNER_MODULES))
    return _files(package_dir, modules, RUNNER_DATA)


def index_sources(package_dir: Path) -> list[Path]:
    """Every package file the index page depends on."""
    return _files(package_dir, closure(package_dir, set(INDEX_MODULES)), INDEX_DATA)
