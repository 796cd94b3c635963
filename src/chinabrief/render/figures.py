"""Figures for the briefs: matplotlib figures shown as deterministic ``image/png`` outputs.

Charts are built on :class:`matplotlib.figure.Figure` directly (:func:`new_figure`), not through
pyplot, so a chart returned by a cell is shown once (as the cell's result) and never again by the
inline backend's end-of-cell flush. Nothing here chooses a backend: in a kernel the inline backend
stays active, so figures a user draws with pyplot show inline as usual.

Inside IPython, importing this module registers :func:`png_bundle` as the ``image/png`` formatter
of every matplotlib figure, including those drawn with pyplot: a fixed resolution, a tight box,
no software or date metadata (same inputs, same bytes), and the figure's alt text in the output's
metadata, where the brief template reads it.
"""

from __future__ import annotations

import io
from importlib import resources
from typing import Any

import matplotlib.style
from matplotlib.figure import Figure

FIGURE_DPI = 110
#: PNG metadata that would differ between builds or machines is left out.
PNG_METADATA = {"Software": None}
ALT_ATTRIBUTE = "_brief_alt"


def use_style() -> None:
    """Apply the project's one matplotlib style (``styles/brief.mplstyle``)."""
    matplotlib.style.use(str(resources.files("chinabrief").joinpath("render/styles/brief.mplstyle")))


def new_figure(figsize: tuple[float, float] | None = None, **kwargs: Any) -> Figure:
    """A figure in the project's style, outside pyplot (see the module docstring)."""
    use_style()
    return Figure(figsize=figsize, **kwargs) if figsize else Figure(**kwargs)


def set_alt(fig: Figure, alt: str) -> Figure:
    """Attach the text a screen reader says for the figure; returns the figure."""
    setattr(fig, ALT_ATTRIBUTE, alt)
    return fig


def alt_text(fig: Figure) -> str:
    """The figure's alt text: what :func:`set_alt` attached, else its titles."""
    alt = getattr(fig, ALT_ATTRIBUTE, None)
    if alt:
        return alt
    titles = [fig.get_suptitle()] if fig.get_suptitle() else []
    titles += [ax.get_title(loc) for ax in fig.axes for loc in ("left", "center", "right") if ax.get_title(loc)]
    return "; ".join(titles) or "Chart"


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes, identical for identical figures."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=FIGURE_DPI, metadata=PNG_METADATA, bbox_inches="tight")
    return buffer.getvalue()


def png_bundle(fig: Figure) -> tuple[bytes, dict[str, str]]:
    """IPython ``image/png`` formatter: the PNG and its metadata (alt text)."""
    return png_bytes(fig), {"alt": alt_text(fig)}


def register_formatter() -> bool:
    """Make :func:`png_bundle` the ``image/png`` formatter of matplotlib figures in IPython.

    pyplot's backend is loaded first, so that the inline backend (which registers its own
    formatter when it activates) is already active and does not replace this one later.

    Returns
    -------
    bool
        Whether an IPython shell was there to register with.
    """
    from . import ipython_shell

    shell = ipython_shell()
    if shell is None:
        return False
    import matplotlib
    import matplotlib.pyplot as plt

    # pyplot loads its backend lazily, at the first figure; the inline backend then registers its
    # own formatter over this one. Load it now (whatever backend the kernel chose), then register.
    plt.switch_backend(matplotlib.get_backend())

    formatters = shell.display_formatter.formatters
    formatters["image/png"].for_type(Figure, png_bundle)
    formatters["text/plain"].for_type(Figure, lambda fig, p, cycle: p.text(""))
    return True


register_formatter()
