"""What notebooks show: escaped HTML tables, prose with escaped values, and embedded figures.

Every string that comes from data (token names, event labels, descriptions, sources) is
HTML-escaped here, once, so a brief can never carry a live element from its inputs.
"""
from __future__ import annotations

import base64
import html
import io
import re
from typing import Any, Callable, Mapping

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, display

#: PNG metadata that would differ between builds or machines is left out.
PNG_METADATA = {"Software": None}
FIGURE_DPI = 110

Formatter = str | Callable[[Any], str]


def escape(value: Any) -> str:
    """HTML-escape any value's text."""
    return html.escape("" if value is None else str(value), quote=True)


#: The typographic minus sign: the same width as "+", and what the prose uses.
MINUS = "\u2212"


def fmt_number(value: Any, spec: str) -> str:
    """Format a number with ``spec`` (e.g. ``"{:+.2f}"``), with a true minus sign; "–" if missing.

    Used for every number in tables and prose, so signs look the same everywhere.

    Examples
    --------
    >>> fmt_number(-2.214, "{:+.2f}%"), fmt_number(-0.001, "{:+.2f}"), fmt_number(3, "{:+d}")
    ('\u22122.21%', '0.00', '+3')
    """
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA or value is pd.NaT:
        return "–"
    try:
        text = spec.format(value)
    except (TypeError, ValueError):
        return escape(value)
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


def _is_number_column(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def table_html(
    frame: pd.DataFrame,
    *,
    formats: Mapping[str, Formatter] | None = None,
    caption: str | None = None,
    note: str | None = None,
    highlight: Callable[[pd.Series], list[bool]] | None = None,
    css_class: str = "brief-table",
    align_right: tuple[str, ...] = (),
) -> str:
    """Render a DataFrame as an HTML table with escaped cells and right-aligned numbers.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows to show. The index is not shown (reset it first if it carries data).
    formats : mapping, optional
        Column → format spec (``"{:.2f}"``) or callable returning *already safe* HTML.
        Columns without one are escaped text, numbers formatted with ``{:,.2f}``.
    caption, note : str, optional
        Plain text above / below the table (escaped).
    highlight : callable, optional
        Row → list of booleans (one per column) marking cells to highlight.
    align_right : tuple of str
        Text columns holding formatted numbers (e.g. ``"+2.19**"``) to align like numbers.

    Returns
    -------
    str
        HTML.
    """
    formats = dict(formats or {})
    head = "".join(
        f'<th class="{"num" if _is_number_column(frame[c]) or c in align_right else "txt"}">{escape(c)}</th>'
        for c in frame.columns
    )
    body = []
    for _, row in frame.astype(object).iterrows():  # per-column types: no int→float upcast
        marks = highlight(row) if highlight else [False] * len(frame.columns)
        cells = []
        for col, mark in zip(frame.columns, marks):
            value = row[col]
            numeric = _is_number_column(frame[col])
            is_date = isinstance(value, pd.Timestamp)
            spec = formats.get(col)
            if callable(spec):
                text = spec(value)
            elif spec is not None:
                text = fmt_number(value, spec)
            elif numeric and pd.api.types.is_integer_dtype(frame[col]):
                text = fmt_number(value, "{:,d}")
            elif numeric:
                text = fmt_number(value, "{:,.2f}")
            elif is_date:
                text = value.strftime("%Y-%m-%d")
            else:
                text = escape("–" if pd.isna(value) else value)
            cls = ("num" if numeric or col in align_right else "date" if is_date else "txt") + (" hl" if mark else "")
            cells.append(f'<td class="{cls}">{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    foot = f'<p class="table-note">{escape(note)}</p>' if note else ""
    return (
        f'<div class="table-wrap"><table class="{css_class}">{cap}<thead><tr>{head}</tr></thead>'
        f'<tbody>{"".join(body)}</tbody></table>{foot}</div>'
    )


def show_table(frame: pd.DataFrame, **kwargs: Any) -> None:
    """Display :func:`table_html` in the notebook."""
    display(HTML(table_html(frame, **kwargs)))


def prose_html(template: str, **values: Any) -> str:
    """Fill ``template`` (trusted HTML written in the code) with escaped ``values``.

    Examples
    --------
    >>> prose_html("<p>{name} rose {pct}</p>", name="<b>X</b>", pct="3%")
    '<p>&lt;b&gt;X&lt;/b&gt; rose 3%</p>'
    """
    return template.format(**{k: escape(v) for k, v in values.items()})


def show_prose(template: str, **values: Any) -> None:
    """Display :func:`prose_html` in the notebook."""
    display(HTML(prose_html(template, **values)))


def findings_html(findings: list[str], title: str = "Key findings") -> str:
    """A key-findings box from plain-text sentences (escaped)."""
    items = "".join(f"<li>{escape(s)}</li>" for s in findings)
    return f'<section class="findings"><h2>{escape(title)}</h2><ul>{items}</ul></section>'


def show_findings(findings: list[str], title: str = "Key findings") -> None:
    """Display :func:`findings_html` in the notebook."""
    display(HTML(findings_html(findings, title)))


def figure_html(fig: matplotlib.figure.Figure, alt: str, source: str | None = None) -> str:
    """Embed a figure as a PNG data URI with alt text and a source line; close the figure.

    The PNG carries no software/date metadata, so identical inputs give identical bytes.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=FIGURE_DPI, metadata=PNG_METADATA, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    src = f'<figcaption>Source: {escape(source)}</figcaption>' if source else ""
    return f'<figure><img src="data:image/png;base64,{data}" alt="{escape(alt)}">{src}</figure>'


def show_figure(fig: matplotlib.figure.Figure, alt: str, source: str | None = None) -> None:
    """Display :func:`figure_html` in the notebook."""
    display(HTML(figure_html(fig, alt, source)))


def callout_html(title: str, paragraphs: list[str], css_class: str = "methods") -> str:
    """A boxed section (methods, caveats) from plain-text paragraphs (escaped)."""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return f'<aside class="{css_class}"><h3>{escape(title)}</h3>{body}</aside>'


def show_callout(title: str, paragraphs: list[str], css_class: str = "methods") -> None:
    """Display :func:`callout_html` in the notebook."""
    display(HTML(callout_html(title, paragraphs, css_class)))


def title_block_html(title: str, dek: str, facts: Mapping[str, Any]) -> str:
    """The brief's title block: title, one-line headline (``dek``) and facts (as-of, parameters).

    The index page reads the ``dek`` paragraph as the brief's headline.
    """
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts.items())
    return (f'<header class="title-block"><h1>{escape(title)}</h1><p class="dek">{escape(dek)}</p>'
            f"<dl>{rows}</dl></header>")


def show_title_block(title: str, dek: str, facts: Mapping[str, Any]) -> None:
    """Display :func:`title_block_html` in the notebook."""
    display(HTML(title_block_html(title, dek, facts)))


def toc_html(sections: list[tuple[str, str]]) -> str:
    """A table of contents from (anchor id, heading) pairs."""
    items = "".join(f'<li><a href="#{escape(a)}">{escape(h)}</a></li>' for a, h in sections)
    return f'<nav class="toc"><strong>Contents</strong><ol>{items}</ol></nav>'


def section_html(anchor: str, heading: str) -> str:
    """A section heading with an anchor for the table of contents."""
    return f'<h2 id="{escape(anchor)}">{escape(heading)}</h2>'


def show_section(anchor: str, heading: str) -> None:
    """Display :func:`section_html` in the notebook."""
    display(HTML(section_html(anchor, heading)))


def stars(p: float) -> str:
    """Significance stars: *** p<0.01, ** p<0.05, * p<0.10, blank otherwise.

    Examples
    --------
    >>> [stars(x) for x in (0.001, 0.03, 0.08, 0.5)]
    ['***', '**', '*', '']
    """
    if p is None or p != p:
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""


def fmt_p(p: float) -> str:
    """A p-value with its stars, for table cells ("<0.001" below one in a thousand).

    Examples
    --------
    >>> fmt_p(0.0004), fmt_p(0.03), fmt_p(0.5)
    ('<0.001***', '0.030**', '0.500')
    """
    if p is None or p != p:
        return "–"
    return ("<0.001" if p < 0.001 else f"{p:.3f}") + stars(p)
