"""Numbers and sentences for readers: one minus sign, signed windows, p-values, and Markdown
blocks whose data values are escaped once, here.

Generated sentences (key findings, headlines) are shown as ``text/markdown`` outputs. Any text
that comes from data (event labels, country names) is escaped for both Markdown and HTML by
:func:`md_escape`, so a label such as ``<script>`` or ``Germany *`` is shown as typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

#: The typographic minus sign: the same width as "+", and what the prose uses.
MINUS = "\u2212"
#: Characters with a meaning in Markdown (CommonMark's ASCII punctuation that can start or end
#: a construct), backslash-escaped in data values.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>])")


def is_missing(value: Any) -> bool:
    """Whether ``value`` is None, NaN, NA or NaT."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and value != value


def fmt_number(value: Any, spec: str) -> str:
    """Format a number with ``spec`` (e.g. ``"{:+.2f}"``), with a true minus sign; "–" if missing.

    Used for every number in tables and prose, so signs look the same everywhere.

    Examples
    --------
    >>> fmt_number(-2.214, "{:+.2f}%"), fmt_number(-0.001, "{:+.2f}"), fmt_number(3, "{:+d}")
    ('\u22122.21%', '0.00', '+3')
    """
    if is_missing(value):
        return "–"
    try:
        text = spec.format(value)
    except (TypeError, ValueError):
        return str(value)
    # a value that rounds to zero shows no sign ("-0.00" reads as a loss)
    if re.fullmatch(r"[+-]0(\.0+)?%?", text):
        text = text[1:]
    return text.replace("-", MINUS) if text.startswith("-") else text


def signed_int(value: int) -> str:
    """An integer with its sign, zero included ("+0"), as in event-window labels (``CAR[−1,+1]``)."""
    return f"{int(value):+d}".replace("-", MINUS)


def window_label(start: int, end: int, prefix: str = "") -> str:
    """A day window as ``prefix[start,end]`` with signs, e.g. ``CAR[−1,+1]`` or ``[−120,−11]``."""
    return f"{prefix}[{signed_int(start)},{signed_int(end)}]"


def pct(value: float, digits: int = 2) -> str:
    """A share as ``12.34%`` (no sign)."""
    return fmt_number(value, f"{{:.{digits}f}}%")


def stars(p: float) -> str:
    """Significance stars: *** p<0.01, ** p<0.05, * p<0.10, blank otherwise.

    Examples
    --------
    >>> [stars(x) for x in (0.001, 0.03, 0.08, 0.5)]
    ['***', '**', '*', '']
    """
    if is_missing(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""


def fmt_p(p: float) -> str:
    """A p-value with its stars, for table cells ("<0.001" below one in a thousand).

    Examples
    --------
    >>> fmt_p(0.0004), fmt_p(0.03), fmt_p(0.5)
    ('<0.001***', '0.030**', '0.500')
    """
    if is_missing(p):
        return "–"
    return ("<0.001" if p < 0.001 else f"{p:.3f}") + stars(p)


def md_escape(value: Any) -> str:
    """Escape a data value for Markdown and for the HTML Markdown may carry.

    Examples
    --------
    >>> md_escape("<b>Germany *</b>")
    '&lt;b&gt;Germany \\\\*&lt;/b&gt;'
    """
    text = "" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


class Markdown:
    """Generated text shown as one ``text/markdown`` output (and plain text elsewhere).

    Build it from sentences whose data values went through :func:`md_escape`; use
    :meth:`sentences` or :meth:`bullets` to do that for you.

    Parameters
    ----------
    text : str
        Markdown source (already escaped where it holds data).
    items : list of str, optional
        The plain sentences, kept for records such as the index page's findings.
    """

    def __init__(self, text: str, items: list[str] | None = None):
        self.text = text
        self.items = list(items) if items is not None else [text]

    @classmethod
    def bullets(cls, sentences: Iterable[str]) -> Markdown:
        """A bulleted list, one plain sentence an item (escaped here)."""
        items = [s for s in sentences if s]
        return cls("\n".join(f"- {md_escape(s)}" for s in items), items)

    @classmethod
    def paragraph(cls, sentence: str) -> Markdown:
        """One paragraph from a plain sentence (escaped here)."""
        return cls(md_escape(sentence), [sentence])

    def _repr_markdown_(self) -> str:
        return self.text

    def __repr__(self) -> str:  # the text/plain form: the sentences, without Markdown
        return "\n".join(self.items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Markdown) and other.text == self.text
