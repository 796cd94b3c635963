"""The package's imports follow the data flow: no module imports from a later layer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "chinabrief"

#: The layers in the order of the data flow; a module may import its own layer or an earlier one.
LAYERS = ["foundation", "data", "analysis", "render", "pipeline"]
#: Top-level modules above every layer (they start the pipeline).
ENTRY_POINTS = {"cli", "__main__"}


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> str | None:
    """The layer of a module name relative to the package ('' is the package itself)."""
    head = module.split(".")[0] if module else ""
    if head in ENTRY_POINTS:
        return None
    return head if head in LAYERS else "foundation"


def imported_modules(path: Path, package: Path = PACKAGE) -> list[tuple[int, str]]:
    """(line, module relative to the package) of every chinabrief import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = module_name(path, package).split(".") if module_name(path, package) else []
    parent = own if path.name == "__init__.py" else own[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = parent[: len(parent) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == "chinabrief":
                target = node.module.partition(".")[2]
            else:
                continue
            for alias in node.names:  # `from . import prepare` imports the module prepare
                sub = f"{target}.{alias.name}" if target else alias.name
                is_module = (package / sub.replace(".", "/")).with_suffix(".py").exists() or (
                    package / sub.replace(".", "/")
                ).is_dir()
                found.append((node.lineno, sub if is_module else target))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "chinabrief":
                    found.append((node.lineno, alias.name.partition(".")[2]))
    return found


def violations(package: Path = PACKAGE) -> list[str]:
    out = []
    for path in sorted(package.rglob("*.py")):
        mine = layer_of(module_name(path, package))
        if mine is None:
            continue
        for line, target in imported_modules(path, package):
            theirs = layer_of(target)
            if theirs is None or LAYERS.index(theirs) > LAYERS.index(mine):
                out.append(f"{path.relative_to(package)}:{line}: {mine} module imports {target} ({theirs})")
    return out


def test_no_module_imports_from_a_later_stage():
    assert violations() == []


def test_the_subpackages_are_the_layers():
    subpackages = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
    assert subpackages == sorted(LAYERS[1:])


def test_the_check_catches_a_backward_import(tmp_path):
    fake = tmp_path / "chinabrief"
    (fake / "data").mkdir(parents=True)
    (fake / "render").mkdir()
    for init in (fake / "__init__.py", fake / "data" / "__init__.py", fake / "render" / "__init__.py"):
        init.write_text("")
    (fake / "render" / "tables.py").write_text("")
    (fake / "data" / "prepare.py").write_text("from ..render import tables\n")
    assert violations(fake) == ["data/prepare.py:1: data module imports render.tables (render)"]


@pytest.mark.parametrize(
    "module, layer",
    [("config", "foundation"), ("data.prepare", "data"), ("analysis.eventstudy.models", "analysis"), ("cli", None)],
)
def test_layer_of(module, layer):
    assert layer_of(module) == layer
