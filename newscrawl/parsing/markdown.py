"""Post bodies in Markdown → HTML, as Jekyll's kramdown renders what the site's sources use.

The generator writes paragraphs of plain text, `<http://…>` autolinks, `[text](url)` links,
`> ` blockquotes (the digest) and blocks of raw HTML (the source's paragraphs, Eastmoney's
widgets, comments included). markdown-it-py (CommonMark) reads these as kramdown does, with
two of kramdown's ways kept: link addresses are written as they are (not percent-encoded),
and an address may hold spaces — the site's back-links to split categories do
(`[返回…](//finews.withounder.com/category/21shijijingjibaodao  nancailicaitong.html)`). The
HTML is then cleaned like any page's (processing/cleaning.py), which also evens out the
white space between blocks that kramdown and other renderers lay out differently. Checked
against kramdown itself on the real sources and the generated ones.
"""

from __future__ import annotations

import logging
import re

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from newscrawl.parsing.typography import kramdown_typography

# `](address with spaces)` (no title after it): CommonMark takes it in angle brackets only.
_SPACED_LINK = re.compile(r"\]\(([^()<>\s\"']+(?:[ \t]+[^()<>\s\"']+)+)\)")
# U+3000 indents Chinese paragraphs; CommonMark would strip it from a paragraph's start.
_INDENT = re.compile(r"^([ \t]{0,3})(\u3000+)", re.M)
# A line that is one whole block of HTML (`<div>…</div>`), then a line of text: kramdown ends
# the HTML block with its element, CommonMark only at a blank line.
_HTML_LINE_THEN_TEXT = re.compile(
    r"^([ \t]{0,3}<(p|div|blockquote|table|ul|ol|h[1-6]|center|section|pre)\b[^\n]*</\2>[ \t]*)\n(?=[ \t]*[^\s<])",
    re.M | re.I)


def _kramdown_text(state: StateCore) -> None:
    """kramdown's smart quotes and symbols in the text (not in code, HTML or escapes), each
    text seen with the source that follows it (kramdown's rules look ahead)."""
    for block in state.tokens:
        children = block.children or []
        for n, token in enumerate(children):
            if token.type == "text":
                after = "".join(_source(t) for t in children[n + 1 : n + 4])
                token.content = kramdown_typography(token.content, after)


def _source(token: Token) -> str:
    """About the Markdown an inline token was read from (for looking ahead)."""
    if token.type in ("text", "html_inline"):
        return token.content
    if token.type == "code_inline":
        return f"{token.markup}{token.content}{token.markup}"
    if token.type in ("softbreak", "hardbreak"):
        return "\n"
    return token.markup or ("[" if token.type == "link_open" else "")


# markdown-it logs a debug record for every block rule it tries on every line; Scrapy keeps the
# root logger open to all levels, so each would be made (and dropped): most of a render's cost.
logging.getLogger("markdown_it").setLevel(logging.INFO)

# Raw HTML passes through (as in kramdown), bare URLs stay text (kramdown does not link them),
# GFM tables (Jekyll's kramdown reads GFM).
_MARKDOWN = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable("table")
_MARKDOWN.normalizeLink = lambda url: url  # type: ignore[method-assign]
_MARKDOWN.normalizeLinkText = lambda url: url  # type: ignore[method-assign]
# Before escapes are merged into the text around them: an escaped quote stays straight.
_MARKDOWN.core.ruler.before("text_join", "kramdown_text", _kramdown_text)


def render_markdown(text: str) -> str:
    """The HTML of a post body in Markdown."""
    text = _SPACED_LINK.sub(r"](<\1>)", text)
    text = _HTML_LINE_THEN_TEXT.sub("\\1\n\n", text)
    text = _INDENT.sub(lambda m: m[1] + "&#12288;" * len(m[2]), text)
    return _MARKDOWN.render(text)
