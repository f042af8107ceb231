"""The text helpers: HTML fragments to lines, white space normalized."""

from __future__ import annotations

from newscrawl.parsing.text import html_to_text, normalize_space


def test_html_to_text_puts_each_block_on_its_own_line():
    assert html_to_text("<p>甲</p><p>乙<br>丙</p><ul><li>丁</li></ul>") == "甲\n乙\n丙\n丁"


def test_html_to_text_drops_scripts_and_styles():
    assert html_to_text("<p>正文</p><script>var a=1;</script><style>p{}</style>") == "正文"


def test_html_to_text_of_nothing_is_empty():
    assert html_to_text(None) == ""


def test_normalize_space_collapses_ideographic_and_nbsp_runs():
    assert normalize_space("\u3000\u3000甲\u00a0\u00a0乙  丙\u3000") == "甲 乙 丙"

