"""Saving a notebook never leaves outputs in what git tracks: the nbstripout filter the set-up
installs, checked in a fresh git repository made from a copy of the checkout."""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_output

from chinabrief.pipeline import verify
from conftest import make

ROOT = Path(__file__).resolve().parents[1]
#: What JupyterLab writes into a notebook on Run All and save (metadata from a real kernel).
LAB_LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
    "version": "3.11.7",
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A copy of the checkout as a fresh git repository, with the filter installed by `make git-filter`."""
    copy = verify.copy_checkout(ROOT, tmp_path_factory.mktemp("strip") / "repo")
    git(copy, "init", "-q")
    git(copy, "add", "-A")
    git(copy, "commit", "-q", "-m", "the checkout")
    done = make(copy, "git-filter")  # never re-installs the shared venv from the copy
    assert done.returncode == 0, done.stdout + done.stderr
    return copy


def save_as_lab_would(path: Path) -> None:
    """Run All + save: outputs of every kind, execution counts, timings, full language_info, widgets."""
    nb = nbformat.read(path, as_version=4)
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        count += 1
        cell.execution_count = count
        cell.outputs = [
            new_output("stream", name="stdout", text="printed\n"),
            new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}),
            new_output(
                "execute_result", data={"text/html": "<table>" + "x" * 50_000 + "</table>"}, execution_count=count
            ),
        ]
        cell.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00Z"}
        cell.metadata["papermill"] = {"duration": 1.0}
    nb.metadata["language_info"] = LAB_LANGUAGE_INFO
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.metadata["papermill"] = {"parameters": {}}
    nbformat.write(nb, path)


def test_the_filter_is_installed_and_configured(repo):
    assert git(repo, "check-attr", "filter", "notebooks/02_prepare.ipynb").strip().endswith("filter: nbstripout")
    assert "--keep-id" in git(repo, "config", "filter.nbstripout.clean")
    assert "metadata.language_info.version" in git(repo, "config", "filter.nbstripout.extrakeys")


def test_committed_notebooks_are_already_what_the_filter_makes(repo):
    """The filter leaves every committed notebook as it is (ids, tags, metadata, kernelspec), so a
    checkout never shows changes it did not make. One nbstripout run, with the repository's settings."""
    clean = git(repo, "config", "filter.nbstripout.clean").strip().split()
    notebooks = [str(p) for p in sorted((repo / "notebooks").glob("*.ipynb"))]
    done = subprocess.run(
        [c.strip('"') for c in clean] + ["--verify", *notebooks], cwd=repo, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


#: Kinds of notebooks (a brief with tags, folds and sources; the data-import stage).
SAVED = ["notebooks/02_prepare.ipynb", "notebooks/04_mining_share.ipynb"]


def test_a_notebook_saved_with_outputs_leaves_git_clean(repo):
    """`git diff` is empty and `git add` stages nothing. (Until it is added, `git status` lists the
    file: git takes a changed file size as a change without running the filter.)"""
    paths = [repo / p for p in SAVED]
    try:
        for path in paths:
            save_as_lab_would(path)
            assert path.stat().st_size > 100_000  # the outputs really are in the file
        assert git(repo, "diff", "--", *SAVED) == ""
        git(repo, "add", "--", *SAVED)
        assert git(repo, "diff", "--cached") == ""
        assert git(repo, "status", "--porcelain") == ""
    finally:
        git(repo, "checkout", "--", *SAVED)  # the smudge side is `cat`: no filter run


def test_a_real_edit_shows_in_the_diff_and_only_it(repo):
    path = repo / "notebooks" / "02_prepare.ipynb"
    try:
        save_as_lab_would(path)
        nb = nbformat.read(path, as_version=4)
        first_markdown = next(c for c in nb.cells if c.cell_type == "markdown")
        first_markdown.source += "\n\nA paragraph added in JupyterLab."
        nbformat.write(nb, path)
        diff = git(repo, "diff", "--", str(path))
        removed = [line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
        assert len(removed) == 1 and "runs as-is in JupyterLab" in removed[0], diff  # the edited line only
        assert '+    "A paragraph added in JupyterLab."' in diff
        assert "printed" not in diff and "image/png" not in diff and 'execution_count": 1' not in diff
        git(repo, "add", str(path))
        stored = nbformat.reads(git(repo, "show", f":{path.relative_to(repo)}"), as_version=4)
        tags = [c.metadata.get("tags") for c in stored.cells]
        assert ["headline"] in tags and ["findings"] in tags and ["parameters"] in tags
        assert any("fold" in c.metadata for c in stored.cells) and any("source" in c.metadata for c in stored.cells)
        assert stored.metadata["kernelspec"]["name"] == "chinabrief"
        committed = nbformat.reads(git(repo, "show", f"HEAD:{path.relative_to(repo)}"), as_version=4)
        assert [c.id for c in stored.cells] == [c.id for c in committed.cells]  # cell ids kept
        assert all(c.get("outputs", []) == [] for c in stored.cells)
    finally:
        git(repo, "reset", "-q", "--", str(path))
        git(repo, "checkout", "--", str(path))
