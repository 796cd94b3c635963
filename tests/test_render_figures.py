"""Tests of chinabrief.render.figures: deterministic PNGs with alt text, no forced backend."""

from __future__ import annotations

import subprocess
import sys

import pytest

from chinabrief.render import figures


def make_figure(title: str = "synthetic"):
    fig = figures.new_figure(figsize=(3, 2))
    ax = fig.subplots()
    ax.plot([0, 1, 2], [1, 3, 2])
    ax.set_title(title)
    return fig


def test_png_has_no_software_metadata_and_is_stable():
    first, second = figures.png_bytes(make_figure()), figures.png_bytes(make_figure())
    assert first.startswith(b"\x89PNG\r\n\x1a\n")
    assert first == second
    assert b"Software" not in first and b"matplotlib" not in first.lower()


def test_alt_text_is_what_was_set_else_the_titles():
    fig = make_figure("CAR around day 0")
    assert figures.alt_text(fig) == "CAR around day 0"
    figures.set_alt(fig, 'TRX "fell" <fast>')
    data, meta = figures.png_bundle(fig)
    assert meta == {"alt": 'TRX "fell" <fast>'} and data.startswith(b"\x89PNG")


def test_charts_are_not_pyplot_figures():
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    make_figure()
    assert set(plt.get_fignums()) == before  # nothing for the inline backend to show a second time


@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    yield InteractiveShell.instance()
    InteractiveShell.clear_instance()


def test_in_ipython_figures_display_as_png_with_alt_metadata(shell):
    assert figures.register_formatter()
    fig = figures.set_alt(make_figure(), "a line")
    data, meta = shell.display_formatter.format(fig)
    assert data["image/png"] == figures.png_bytes(fig)
    assert meta["image/png"] == {"alt": "a line"}
    assert data.get("text/plain", "") == ""  # no stray '<Figure size ...>' repr


def test_importing_the_render_package_forces_no_backend():
    code = (
        "import matplotlib; b = matplotlib.rcParams['backend']; "
        "import chinabrief.render.figures, chinabrief.render.mining_charts, chinabrief.render.token_charts; "
        "print(matplotlib.rcParams['backend'] == b)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"MPLBACKEND": "module://matplotlib_inline.backend_inline", "PATH": ""},
    )
    assert out.stdout.strip() == "True", out.stderr
