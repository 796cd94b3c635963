"""Tests of chinabrief.text: signs, windows, p-values, and Markdown with escaped data."""

from __future__ import annotations

import pytest

from chinabrief.text import Markdown, fmt_number, fmt_p, md_escape, signed_int, stars, window_label

EVIL = "<script>alert(1)</script>"


@pytest.mark.parametrize(
    "value, spec, text",
    [
        (-2.214, "{:+.2f}%", "\u22122.21%"),  # a true minus, as in the prose
        (2.214, "{:+.2f}%", "+2.21%"),
        (-0.001, "{:+.2f}", "0.00"),  # rounds to zero: no sign
        (-1234.5, "{:,.1f}", "\u22121,234.5"),
        (float("nan"), "{:.2f}", "–"),
        (None, "{:.2f}", "–"),
    ],
)
def test_fmt_number_signs(value, spec, text):
    assert fmt_number(value, spec) == text


def test_window_labels_keep_every_sign():
    assert window_label(-1, 1, "CAR") == "CAR[\u22121,+1]"
    assert window_label(0, 0, "CAR") == "CAR[+0,+0]"
    assert window_label(-120, -11) == "[\u2212120,\u221211]"
    assert signed_int(-5) == "\u22125" and signed_int(5) == "+5"


def test_stars_and_p_values():
    assert [stars(p) for p in (0.009, 0.049, 0.099, 0.1, float("nan"))] == ["***", "**", "*", "", ""]
    assert (fmt_p(0.0004), fmt_p(0.03), fmt_p(0.5), fmt_p(float("nan"))) == ("<0.001***", "0.030**", "0.500", "–")


def test_md_escape_neutralises_html_and_markdown():
    assert md_escape(EVIL) == "&lt;script&gt;alert\\(1\\)&lt;/script&gt;"
    assert md_escape("Germany *") == "Germany \\*"
    assert md_escape("[x](javascript:y)") == "\\[x\\]\\(javascript:y\\)"
    assert md_escape("a & b") == "a &amp; b"


def test_bullets_escape_each_sentence_and_keep_the_plain_text():
    block = Markdown.bullets(["TRX rose 3%", EVIL, ""])
    assert block._repr_markdown_() == "- TRX rose 3%\n- &lt;script&gt;alert\\(1\\)&lt;/script&gt;"
    assert block.items == ["TRX rose 3%", EVIL]  # empty sentences are dropped
    assert repr(block) == f"TRX rose 3%\n{EVIL}"


def test_paragraph_is_one_escaped_paragraph():
    assert Markdown.paragraph("<b>x</b>")._repr_markdown_() == "&lt;b&gt;x&lt;/b&gt;"
