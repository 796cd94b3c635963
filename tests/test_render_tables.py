"""Tests of chinabrief.render.tables: Styler tables escaped, formatted, byte-stable."""

from __future__ import annotations

import re

import pandas as pd

from chinabrief.pipeline import export
from chinabrief.render.tables import HIGHLIGHT_CSS, table

EVIL = "<script>alert(1)</script>"
EVIL_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def cells(html: str, tag: str = "td") -> list[tuple[str, str]]:
    """(class, text) of every cell of one tag."""
    return re.findall(rf'<{tag}(?: id="[^"]*")? class="([^"]*)" >(.*?)</{tag}>', html)


def test_cells_headers_and_caption_are_escaped():
    frame = pd.DataFrame({EVIL: ["x"], "label": [EVIL], "n": [1.0]})
    html = table(frame, name="t", caption=EVIL).to_html()
    assert "<script" not in html
    assert html.count(EVIL_ESCAPED) == 3  # header, cell, caption


def test_formatter_output_is_escaped_too():
    frame = pd.DataFrame({"p": [0.0001]})
    html = table(frame, name="t", formats={"p": lambda v: "<0.001***"}).to_html()
    assert "&lt;0.001***" in html and "<0.001" not in html


def test_numbers_are_right_aligned_and_text_is_not():
    frame = pd.DataFrame({"token": ["TRX", "NEO"], "car_pct": [1.234, -5.0], "n": [3, 40]})
    html = table(frame, name="t").to_html()
    assert [c.split()[-1] for c, _ in cells(html)] == ["txt", "num", "num", "txt", "num", "num"]
    assert "#T_t th.col1 {\n  text-align: right;" in html and "#T_t th.col0" not in html
    assert re.search(r"table\.brief-table \.num \{[^}]*text-align: right", export.stylesheet())


def test_default_number_format_dates_and_missing_values():
    frame = pd.DataFrame(
        {"x": [1234.5, float("nan")], "day": pd.to_datetime(["2025-05-06", None]), "s": ["a", None], "k": [1200, 3]}
    )
    texts = [t for _, t in cells(table(frame, name="t").to_html())]
    assert texts == ["1,234.50", "2025-05-06", "a", "1,200", "–", "–", "–", "3"]


def test_format_specs_use_the_true_minus_sign():
    frame = pd.DataFrame({"car": [0.0123, -0.5]})
    texts = [t for _, t in cells(table(frame, name="t", formats={"car": "{:+.1%}"}).to_html())]
    assert texts == ["+1.2%", "\u221250.0%"]


def test_highlight_and_verdicts_are_css_not_markup():
    frame = pd.DataFrame({"token": ["TRX", "NEO"], "ret": [0.5, -0.2], "verdict": ["consistent", "not supported"]})
    html = table(frame, name="t", highlight=lambda row: [False, row["ret"] < 0, False], verdicts="verdict").to_html()
    assert "#T_t_row1_col1 {\n  background-color: #fff3c4;\n  font-weight: bold;" in html
    assert HIGHLIGHT_CSS == "background-color: #fff3c4; font-weight: bold"
    assert "#T_t_row0_col1" not in html
    assert "#T_t_row0_col2 {\n  color: #1b7a3a;" in html and "#T_t_row1_col2 {\n  color: #b3261e;" in html
    assert "<span" not in html and "<b>" not in html


def test_same_table_same_bytes_and_no_random_ids():
    frame = pd.DataFrame({"a": [1.5, 2.5], "b": ["x", "y"]})
    first, second = table(frame, name="same").to_html(), table(frame, name="same").to_html()
    assert first == second
    assert re.findall(r'id="([^"]+)"', first) == ["T_same"]
