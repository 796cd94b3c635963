"""JupyterLab as a user meets it: each brief notebook opened in a real browser (Playwright driving
Debian's chromium), Run All, and the figures show inline under the notebook's headings.

Runs on a copy of the shared build (Run All writes data/processed there, not here). Lab's own
settings, workspaces and runtime files live under the copy's build/ folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

from conftest import SNAPSHOT

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (SNAPSHOT / "SHA256SUMS").is_file(), reason="no data snapshot at ../shared/data"),
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
]
TOKEN = "lab-test-token"
BRIEF_NOTEBOOKS = ["03_token_reactions.ipynb", "04_mining_share.ipynb", "05_event_brief.ipynb"]
#: Every code cell's prompt shows an execution count: Run All has finished.
ALL_RAN = (
    "(() => { const p = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];"
    " return p.length > 0 && p.every(e => /\\[\\d+\\]/.test(e.textContent)); })()"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(built, tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 over a copy of the build; yields (base URL, copy)."""
    copy = tmp_path_factory.mktemp("lab") / "repo"
    shutil.copytree(built, copy, symlinks=True)
    settings = copy / "build/lab/settings/@jupyterlab/notebook-extension"
    settings.mkdir(parents=True)
    # every cell rendered (Lab 4 otherwise only draws the cells in view), so the page can be checked
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    env = {
        **{k: v for k, v in os.environ.items() if k != "CHINABRIEF_ROOT"},
        "JUPYTER_CONFIG_DIR": str(copy / "build/lab/config"),
        "JUPYTER_RUNTIME_DIR": str(copy / "build/lab/runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(copy / "build/lab/settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(copy / "build/lab/workspaces"),
        "PYTHONPATH": str(copy / "src"),
    }
    port = free_port()
    log = (copy / "build/lab/server.log").open("w")
    server = subprocess.Popen(
        [
            str(copy / ".venv/bin/jupyter"),
            "lab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={TOKEN}",
            f"--ServerApp.root_dir={copy}",
        ],
        cwd=copy,
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", copy
    finally:
        server.terminate()
        server.wait(20)
        log.close()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


def run_all(browser, url: str, notebook: str, screenshot: Path) -> dict:
    """Open a notebook in Lab, Run All Cells, save; return what the page showed."""
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    try:
        # a workspace of its own, reset: only this notebook is open (Lab restores earlier tabs otherwise)
        page.goto(f"{url}/lab/workspaces/{Path(notebook).stem}/tree/notebooks/{notebook}?reset&token={TOKEN}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=60_000)
        dialog = page.locator(".jp-Dialog button:has-text('Select')")
        try:  # Lab may ask which kernel to start
            dialog.click(timeout=5_000)
        except playwright.TimeoutError:
            pass
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
        page.click("li.lm-MenuBar-item:has-text('Run')")
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        page.wait_for_function(ALL_RAN, timeout=240_000)
        shown = page.evaluate("""() => {
            const order = [...document.querySelectorAll('.jp-Notebook h2, .jp-Notebook .jp-OutputArea-output img')];
            return {images: order.filter(e => e.tagName === 'IMG').length,
                    first: order.length ? order[0].tagName : null,
                    errors: document.querySelectorAll('.jp-Notebook [data-mime-type="application/vnd.jupyter.error"]').length,
                    tracebacks: [...document.querySelectorAll('.jp-Notebook .jp-OutputArea-output')]
                                 .filter(e => e.textContent.includes('Traceback')).length};
        }""")
        page.keyboard.press("Control+s")
        page.wait_for_timeout(1_000)
        page.screenshot(path=str(screenshot))
        return shown
    finally:
        page.close()


@pytest.mark.parametrize("notebook", BRIEF_NOTEBOOKS)
def test_run_all_in_jupyterlab_shows_the_figures_under_their_headings(lab, browser, built, notebook, tmp_path):
    url, copy = lab
    shown = run_all(browser, url, notebook, tmp_path / f"{notebook}.png")
    built_nb = nbformat.read(
        next((built / "reports/notebooks").glob(notebook.replace(".ipynb", "*.ipynb"))), as_version=4
    )
    expected = sum("image/png" in o.get("data", {}) for c in built_nb.cells if c.cell_type == "code" for o in c.outputs)
    assert expected >= 1
    assert shown["errors"] == 0 and shown["tracebacks"] == 0, shown
    assert shown["images"] == expected, shown
    assert shown["first"] == "H2", "a figure shows above the first section heading"
    saved = nbformat.read(copy / "notebooks" / notebook, as_version=4)  # Lab saved what it showed
    assert (
        sum(
            "image/png" in o.get("data", {}) for c in saved.cells if c.cell_type == "code" for o in c.get("outputs", [])
        )
        == expected
    )
