"""Files packaged with chinabrief that the briefs and the index page embed.

Kept apart from :mod:`chinabrief.pipeline.export` so the index page (a separate process at the end of
every build) need not import nbconvert.
"""

from __future__ import annotations

from importlib import resources


def stylesheet() -> str:
    """The one CSS file shared by every brief and the index page."""
    return resources.files("chinabrief").joinpath("render/styles/brief.css").read_text(encoding="utf-8")
