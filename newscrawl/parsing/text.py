"""HTML fragment → plain text with paragraph breaks, and small text normalizers."""

from __future__ import annotations

import re
from typing import Any

import lxml.html

BLOCK_TAGS = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 blockquote tr td th table center pre section article hr".split()
)
# Control characters (and lone surrogates) that lxml refuses; they carry no text.
_UNPARSABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# U+3000 (ideographic space) indents Chinese paragraphs; nbsp comes from &nbsp; runs.
_INLINE_SPACE = re.compile(r"[ \t\n\r\f\v\u00a0\u3000\u2002\u2003\u2009\u200b]+")


def normalize_space(text: str) -> str:
    """Collapse runs of white space (newlines, U+3000 and nbsp too) to one space and trim."""
    return _INLINE_SPACE.sub(" ", text).strip()


def parsable(text: str) -> str:
    """`text` without the control characters and lone surrogates that lxml rejects."""
    return _UNPARSABLE.sub("", text)


def html_to_text(html: str | None) -> str:
    """Plain text of an HTML fragment: one line per block, blank-only lines dropped."""
    if not html or not html.strip():
        return ""
    return tree_text(lxml.html.fragment_fromstring(parsable(html), create_parent="div"))


def tree_text(root: Any) -> str:
    """Plain text of a parsed fragment (changed in place): one line per block."""
    for bad in root.xpath(".//script|.//style"):
        bad.drop_tree()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in BLOCK_TAGS:
            el.tail = "\n" + (el.tail or "")
            if el.tag.lower() != "br":
                el.text = "\n" + (el.text or "")
    lines = (normalize_space(line) for line in root.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


# The layout of block tags, made one: whatever white space a renderer put between block tags
# (kramdown, Jekyll's, keeps a blank line between blocks, indents nested ones and puts blocks
# of raw HTML on lines of their own; others do not), sibling blocks are on lines of their own
# and a block's first and last child touch its tags. Text is never touched.
_GAP = re.compile(r"(<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*>)([ \t\r\n]*)(?=<(/?)([a-zA-Z][a-zA-Z0-9]*)\b)")
_LAYOUT_TAGS = BLOCK_TAGS - {"br"} | {"thead", "tbody", "tfoot", "caption"}
_STANDALONE = frozenset({"img"})  # an image between blocks stands on a line of its own


def tidy_blocks(html: str) -> str:
    """`html` with the white space between block tags in one canonical layout."""

    def gap(m: re.Match[str]) -> str:
        before, after = m[3].lower(), m[6].lower()
        before_block, after_block = before in _LAYOUT_TAGS, after in _LAYOUT_TAGS
        if not (before_block or after_block or before in _STANDALONE or after in _STANDALONE):
            return m[0]  # between inline tags, white space is text
        ended = (bool(m[2]) and before_block) or before in _STANDALONE
        begins = (not m[5] and after_block) or after in _STANDALONE
        if not (before_block or after_block) and not (ended and begins):
            return m[0]  # an image beside an inline tag
        return m[1] + ("\n" if ended and begins else "")

    return _GAP.sub(gap, html)
