"""Tests of chinabrief.display: escaped HTML tables and prose, embedded figures.

Tables are small synthetic frames built here.
"""
from __future__ import annotations

import base64
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from chinabrief import display, export  # noqa: E402
from chinabrief.display import fmt_number, signed_int, window_label  # noqa: E402

EVIL = "<script>alert(1)</script>"
EVIL_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def cells(html: str, tag: str = "td") -> list[tuple[str, str]]:
    """(class, text) of every cell of one tag."""
    return re.findall(rf'<{tag} class="([^"]*)">(.*?)</{tag}>', html)


def test_table_escapes_cells_and_headers():
    frame = pd.DataFrame({EVIL: ["x"], "label": [EVIL], "n": [1.0]})
    html = display.table_html(frame, caption=EVIL, note=EVIL)
    assert "<script" not in html
    assert html.count(EVIL_ESCAPED) == 4  # header, cell, caption, note
    assert ("txt", EVIL_ESCAPED) in cells(html, "th")
    assert ("txt", EVIL_ESCAPED) in cells(html)


def test_numeric_columns_are_right_aligned():
    frame = pd.DataFrame({"token": ["TRX", "NEO"], "car_pct": [1.234, -5.0], "n": [3, 40]})
    html = display.table_html(frame)
    assert cells(html, "th") == [("txt", "token"), ("num", "car_pct"), ("num", "n")]
    assert [c for c, _ in cells(html)] == ["txt", "num", "num", "txt", "num", "num"]
    css = export.stylesheet()
    assert re.search(r"table\.brief-table \.num \{[^}]*text-align: right", css)


def test_default_number_format_and_missing_values():
    frame = pd.DataFrame({"x": [1234.5, float("nan")], "day": pd.to_datetime(["2025-05-06", None]),
                          "s": ["a", None]})
    texts = [t for _, t in cells(display.table_html(frame))]
    assert texts == ["1,234.50", "2025-05-06", "a", "–", "–", "–"]


def test_formats_are_applied():
    frame = pd.DataFrame({"car": [0.0123, -0.5], "p": [0.04, 0.5], "link": ["a&b", "c"]})
    html = display.table_html(frame, formats={
        "car": "{:+.1%}",
        "p": lambda v: f"<b>{v:.2f}</b>" if v < 0.05 else f"{v:.2f}",  # callables return safe HTML
    })
    texts = [t for _, t in cells(html)]
    assert texts == ["+1.2%", "<b>0.04</b>", "a&amp;b", "\u221250.0%", "0.50", "c"]


def test_highlight_marks_cells():
    frame = pd.DataFrame({"token": ["TRX", "NEO"], "ret": [0.5, -0.2]})
    html = display.table_html(frame, highlight=lambda row: [False, row["ret"] < 0])
    assert cells(html) == [("txt", "TRX"), ("num", "0.50"), ("txt", "NEO"), ("num hl", "\u22120.20")]


def test_prose_escapes_values_but_keeps_the_template():
    html = display.prose_html("<p><b>{token}</b> fell {pct}</p>", token=EVIL, pct="5% & more")
    assert html == f"<p><b>{EVIL_ESCAPED}</b> fell 5% &amp; more</p>"


def test_findings_and_callout_escape_text():
    assert EVIL_ESCAPED in display.findings_html([EVIL]) and "<script" not in display.findings_html([EVIL])
    assert "<script" not in display.callout_html(EVIL, [EVIL])
    assert "<script" not in display.title_block_html(EVIL, EVIL, {EVIL: EVIL})


def make_figure():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [1, 3, 2])
    ax.set_title("synthetic")
    return fig


def test_figure_is_an_embedded_png_with_alt_text():
    fig = make_figure()
    html = display.figure_html(fig, alt='TRX "fell" <fast>', source="Binance")
    match = re.fullmatch(
        r'<figure><img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)">'
        r"<figcaption>Source: Binance</figcaption></figure>", html)
    assert match is not None
    assert base64.b64decode(match.group(1)).startswith(b"\x89PNG\r\n\x1a\n")
    assert match.group(2) == "TRX &quot;fell&quot; &lt;fast&gt;"
    assert not plt.fignum_exists(fig.number)  # the figure is closed


def test_identical_figures_give_identical_bytes():
    assert display.figure_html(make_figure(), alt="a") == display.figure_html(make_figure(), alt="a")


@pytest.mark.parametrize("value, spec, text", [
    (-2.214, "{:+.2f}%", "\u22122.21%"),   # a true minus, as in the prose
    (2.214, "{:+.2f}%", "+2.21%"),
    (-0.001, "{:+.2f}", "0.00"),           # rounds to zero: no sign
    (-1234.5, "{:,.1f}", "\u22121,234.5"),
    (float("nan"), "{:.2f}", "–"),
])
def test_fmt_number_signs(value, spec, text):
    assert fmt_number(value, spec) == text


def test_window_labels_keep_every_sign():
    assert window_label(-1, 1, "CAR") == "CAR[\u22121,+1]"
    assert window_label(0, 0, "CAR") == "CAR[+0,+0]"
    assert window_label(-120, -11) == "[\u2212120,\u221211]"
    assert signed_int(-5) == "\u22125" and signed_int(5) == "+5"
