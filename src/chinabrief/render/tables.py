"""Tables for the briefs: pandas ``Styler`` objects, escaped, byte-stable, with one look.

Every table goes through :func:`table`, which

- formats each cell to text (numbers with :func:`~chinabrief.text.fmt_number`, dates as
  ``YYYY-MM-DD``, missing values as "–") and HTML-escapes that text, column headers and caption;
- fixes the Styler's ``uuid`` (from the table's name) and turns off cell ids, so the same table
  gives the same bytes on every build;
- marks number columns ``num`` (right-aligned) and can highlight cells or colour verdicts through
  Styler's own ``apply``/``map`` (CSS, never HTML in the cells).

Styler's own ``escape="html"`` escapes a cell's value *before* its formatter runs; ours turn
numbers into text that can hold ``<`` ("<0.001"), so the formatter's output is escaped instead,
here, for every cell.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from ..text import fmt_number, is_missing

Formatter = str | Callable[[Any], str]
TABLE_CLASS = "brief-table"
HIGHLIGHT_CSS = "background-color: #fff3c4; font-weight: bold"
#: Verdict → CSS of its cell (the colours of the stylesheet's verdict classes).
VERDICT_CSS = {
    "consistent": "color: #1b7a3a; font-weight: bold",
    "supported": "color: #1b7a3a; font-weight: bold",
    "not supported": "color: #b3261e; font-weight: bold",
}
OTHER_VERDICT_CSS = "color: #9a6400; font-weight: bold"


def _is_number(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _default_formatter(column: pd.Series) -> Callable[[Any], str]:
    if _is_number(column) and pd.api.types.is_integer_dtype(column):
        return lambda v: fmt_number(v, "{:,d}")
    if _is_number(column):
        return lambda v: fmt_number(v, "{:,.2f}")
    if pd.api.types.is_datetime64_any_dtype(column):
        return lambda v: "–" if is_missing(v) else f"{v:%Y-%m-%d}"

    def text(v: Any) -> str:
        if isinstance(v, pd.Timestamp):
            return f"{v:%Y-%m-%d}"
        return "–" if is_missing(v) else str(v)

    return text


def _escaped(formatter: Formatter) -> Callable[[Any], str]:
    if isinstance(formatter, str):
        spec = formatter
        return lambda v: html.escape(fmt_number(v, spec))
    return lambda v: html.escape("–" if formatter(v) is None else str(formatter(v)))


def table(
    frame: pd.DataFrame,
    *,
    name: str,
    caption: str | None = None,
    formats: Mapping[str, Formatter] | None = None,
    highlight: Callable[[pd.Series], list[bool]] | None = None,
    verdicts: str | None = None,
    align_right: tuple[str, ...] = (),
) -> Styler:
    """A brief table: a Styler with escaped text cells, formatted numbers and a fixed uuid.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows to show; the index is not shown (reset it first if it carries data).
    name : str
        Short identifier, unique within the brief: the table's HTML id is ``T_<name>``.
    caption : str, optional
        Plain text shown above the table (escaped).
    formats : mapping, optional
        Column → format spec (``"{:+.2f}"``, through ``fmt_number``) or callable returning plain
        text. Other columns: integers ``{:,d}``, floats ``{:,.2f}``, dates ``YYYY-MM-DD``, text.
    highlight : callable, optional
        Row → list of booleans (one per column): cells to highlight.
    verdicts : str, optional
        A column of verdicts to colour (consistent/supported green, not supported red, others amber).
    align_right : tuple of str
        Text columns that hold numbers (e.g. ``"+2.19**"``), aligned like numbers.

    Returns
    -------
    pandas.io.formats.style.Styler

    Examples
    --------
    >>> html = table(pd.DataFrame({"token": ["<b>"], "ret": [-0.5]}), name="t").to_html()
    >>> "&lt;b&gt;" in html and "\u22120.50" in html and 'id="T_t"' in html
    True
    """
    shown = frame.reset_index(drop=True)
    formats = dict(formats or {})
    styler = Styler(shown, uuid=name, cell_ids=False, table_attributes=f'class="{TABLE_CLASS}"')
    styler.format({col: _escaped(formats.get(col, _default_formatter(shown[col]))) for col in shown.columns})
    styler.format_index(escape="html", axis=1)
    styler.hide(axis="index")
    numeric = [c for c in shown.columns if _is_number(shown[c]) or c in align_right]
    classes = pd.DataFrame(
        [["num" if c in numeric else "txt" for c in shown.columns]] * len(shown),
        index=shown.index,
        columns=shown.columns,
    )
    styler.set_td_classes(classes)
    # alignment travels with the table, so it reads the same in JupyterLab (which right-aligns
    # every cell) as in the brief's stylesheet
    styler.set_table_styles([{"selector": "td.txt, th", "props": "text-align: left"}])
    if numeric:
        styler.set_table_styles(
            {c: [{"selector": "th", "props": "text-align: right"}] for c in numeric}, overwrite=False
        )
    if highlight is not None:
        styler.apply(lambda row: [HIGHLIGHT_CSS if mark else "" for mark in highlight(row)], axis=1)
    if verdicts is not None:
        styler.map(lambda v: VERDICT_CSS.get(v, OTHER_VERDICT_CSS), subset=[verdicts])
    if caption:
        styler.set_caption(html.escape(caption))
    return styler


def plain_text(styler: Styler) -> str:
    """The ``text/plain`` form of a brief table: its id and size, the same on every build.

    IPython's default repr of a Styler carries its memory address, which would make executed
    notebooks differ between builds.
    """
    rows, columns = styler.data.shape
    return f"<table T_{styler.uuid}: {rows} rows × {columns} columns>"


def register_formatter() -> bool:
    """Make :func:`plain_text` the ``text/plain`` formatter of Stylers in IPython.

    Returns
    -------
    bool
        Whether an IPython shell was there to register with.
    """
    from . import ipython_shell

    shell = ipython_shell()
    if shell is None:
        return False
    shell.display_formatter.formatters["text/plain"].for_type(Styler, lambda s, p, cycle: p.text(plain_text(s)))
    return True


register_formatter()
