"""Cleaning article HTML and text: pure functions, each rule tested on real-shaped snippets.

Eastmoney bodies carry widgets (K-line images between EM_StockImg comments, `display:none`
paragraphs, quote links on stock names); posts end with a （文章来源：X） line that is the
`source` field, not the article. The sanitizing itself is nh3 (the Ammonia sanitizer): an
allowlist of tags and attributes is safer than hand-written regular expressions.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import lxml.html
import nh3

from newscrawl.parsing.text import html_to_text, normalize_space, parsable, tree_text

# A Start without its End must not swallow text up to a later widget's End.
_WIDGET = re.compile(
    r"<!--\s*EM_StockImg_Start\s*-->(?:(?!<!--\s*EM_StockImg_Start).)*?<!--\s*EM_StockImg_End\s*-->", re.S | re.I
)
_HIDDEN = re.compile(r"display\s*:\s*none", re.I)
SOURCE_LINE = re.compile(r"^\s*（文章来源：[^）\n]*）\s*$")
_DROPPED = ("script", "style", "iframe", "noscript", "object", "embed", "template", "form")
# What an archived article keeps: paragraphs, lists, tables, images, light formatting.
# Links are unwrapped to their text (quote links on stock names are most of them).
KEPT_TAGS = frozenset(
    "p br blockquote ul ol li table thead tbody tfoot tr td th caption img strong b em i u sub sup "
    "h2 h3 h4 h5 h6 pre code".split()
)
KEPT_ATTRIBUTES = {"img": {"src", "alt", "width", "height"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}


def clean_html(html: str | None, base_url: str) -> str | None:
    """Article HTML without widgets, scripts, handlers, iframes or the 文章来源 line."""
    return clean_body(html, base_url)[0]


def clean_text(html: str | None) -> str | None:
    """Plain text of cleaned HTML: a line per paragraph, no U+3000/nbsp runs, entities decoded."""
    return html_to_text(html) or None


def clean_body(html: str | None, base_url: str) -> tuple[str | None, str | None]:
    """(cleaned HTML, its text) in one parse: the text is read from the pruned tree."""
    if not html or not html.strip():
        return None, None
    root = lxml.html.fragment_fromstring(_WIDGET.sub("", parsable(html)), create_parent="div")
    for el in root.xpath(".//*[@style]"):
        if _HIDDEN.search(el.get("style", "")) and el.getparent() is not None:
            el.drop_tree()
    for el in root.iter(*_DROPPED):
        if el.getparent() is not None:
            el.drop_tree()
    for p in root.iter("p"):
        if SOURCE_LINE.match(p.text_content()) and p.getparent() is not None:
            p.drop_tree()
    for img in list(root.iter("img")):
        src = (img.get("src") or img.get("data-src") or "").strip()
        if src:
            img.set("src", urljoin(base_url, src))
        else:  # a lazy image with no address left is no image
            img.drop_tree()
    inner = (root.text or "") + "".join(lxml.html.tostring(el, encoding="unicode") for el in root)
    cleaned = nh3.clean(
        inner,
        tags=set(KEPT_TAGS),
        attributes=KEPT_ATTRIBUTES,
        clean_content_tags=set(_DROPPED),
        url_schemes={"http", "https"},
        strip_comments=True,
        link_rel=None,
    ).strip()
    text = tree_text(root) or None
    return (cleaned if text or "<img" in cleaned else None), text


def clean_title(title: str | None) -> str | None:
    return normalize_space(title) or None if title else None
