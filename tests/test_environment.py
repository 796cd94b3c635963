"""The three dependency files agree: requirements.lock (pip), environment.yml (conda) and
pyproject.toml (direct dependencies)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def norm(name: str) -> str:
    """Package names compare lower-case with ``_`` (and ``.``) as ``-``."""
    return re.sub(r"[-_.]+", "-", name.strip().lower())


def lock_pins() -> dict[str, str]:
    pins = {}
    for number, line in enumerate((ROOT / "requirements.lock").read_text().splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        assert match, f"requirements.lock line {number} is not an exact pin: {line!r}"
        name = norm(match.group(1))
        assert name not in pins, f"requirements.lock pins {name} twice"
        pins[name] = match.group(2)
    return pins


def conda_deps() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    return [d for d in env["dependencies"] if isinstance(d, str)]


def conda_pins() -> dict[str, str]:
    pins = {}
    for dep in conda_deps():
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(?:==?\s*([^\s]+))?", dep)
        assert match, f"environment.yml dependency not understood: {dep!r}"
        pins[norm(match.group(1))] = match.group(2)
    return pins


def pyproject_deps() -> list[str]:
    """Direct dependencies, the optional extras (test tools) included: the lock covers them too."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = list(project["dependencies"]) + [
        d for extra in project.get("optional-dependencies", {}).values() for d in extra
    ]
    return [norm(re.split(r"[\s<>=!~;\[]", dep, maxsplit=1)[0]) for dep in deps]


def test_test_tools_are_an_extra_not_a_runtime_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = [norm(re.split(r"[\s<>=!~;\[]", d, maxsplit=1)[0]) for d in project["dependencies"]]
    assert "pytest" not in runtime and "playwright" not in runtime
    assert {"pytest", "playwright"} <= {norm(d) for d in project["optional-dependencies"]["test"]}


def test_norm():
    assert norm("Jinja2") == "jinja2"
    assert norm("typing_extensions") == "typing-extensions"
    assert norm("jupyter_server_terminals") == norm("Jupyter-Server-Terminals")


def test_every_conda_pin_equals_the_lock():
    lock, conda = lock_pins(), conda_pins()
    tooling = {"python", "pip"}
    mismatched = {
        name: (version, lock.get(name))
        for name, version in conda.items()
        if name not in tooling and version != lock.get(name)
    }
    assert mismatched == {}, "environment.yml pin → (conda, lock)"


def test_every_conda_package_is_pinned():
    unpinned = [name for name, version in conda_pins().items() if name != "pip" and not version]
    assert unpinned == []


def test_every_direct_dependency_is_in_both():
    lock, conda = lock_pins(), conda_pins()
    deps = pyproject_deps()
    assert deps, "pyproject.toml lists no dependencies"
    assert [d for d in deps if d not in lock] == []
    assert [d for d in deps if d not in conda] == []


def test_python_is_3_11():
    assert conda_pins()["python"] == "3.11"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11,<3.12"
    assert "python 3.11" in (ROOT / "requirements.lock").read_text().splitlines()[0]
