"""Cleaning article HTML and text: pure functions, each rule tested on real-shaped snippets.

Eastmoney bodies carry widgets (K-line images between EM_StockImg comments, `display:none`
paragraphs, quote links on stock names); posts end with a （文章来源：X） line that is the
`source` field, not the article. The sanitizing itself is nh3 (the Ammonia sanitizer): an
allowlist of tags and attributes is safer than hand-written regular expressions.
"""

from __future__ import annotations

import html as html_entities
import re
from urllib.parse import urljoin

import lxml.html
import nh3

from newscrawl.parsing.text import (
    BLOCK_TAGS,
    HTML_PARSER,
    flatten_deep,
    html_to_text,
    normalize_space,
    parsable,
    tidy_blocks,
    tree_text,
    unwrap_swallowing,
)

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

# Most bodies are plain paragraphs with quote links, an empty hidden paragraph and the
# source line. Those take a fast path: two regular expressions for the two known shapes,
# then nh3 alone, and the text read from nh3's output. Anything else (images, tables,
# scripts, divs, other hidden blocks …) goes through the full lxml pass; both give the
# same result (tested on every real body).
_FAST_TAGS = frozenset(KEPT_TAGS - {"img", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption"}) | {
    "span", "a", "font"}
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][a-zA-Z0-9]*)")
_HIDDEN_EMPTY_P = re.compile(
    r"<p\b[^>]*\bstyle\s*=\s*\"[^\"]*display\s*:\s*none[^\"]*\"[^>]*>(?:\s|&nbsp;|<br\s*/?>)*</p\s*>", re.I)
_SOURCE_P = re.compile(r"<p\b[^>]*>\s*（文章来源：(?:[^）<\n]|<(?!/?p\b)[^>]*>)*）\s*</p\s*>", re.I)
_BLOCK_TAG = re.compile(r"</?(?:" + "|".join(sorted(BLOCK_TAGS)) + r")\b[^>]*>", re.I)
_ANY_TAG = re.compile(r"<[^>]*>")
# Built once: nh3.clean() would convert the allowlists on every call (twice its own cost).
_CLEANER = nh3.Cleaner(
    tags=set(KEPT_TAGS),
    attributes=KEPT_ATTRIBUTES,
    clean_content_tags=set(_DROPPED),
    url_schemes={"http", "https"},
    strip_comments=True,
    link_rel=None,
)


def clean_html(html: str | None, base_url: str) -> str | None:
    """Article HTML without widgets, scripts, handlers, iframes or the 文章来源 line."""
    return clean_body(html, base_url)[0]


def clean_text(html: str | None) -> str | None:
    """Plain text of cleaned HTML: a line per paragraph, no U+3000/nbsp runs, entities decoded."""
    return html_to_text(html) or None


def clean_body(html: str | None, base_url: str) -> tuple[str | None, str | None]:
    """(cleaned HTML, its text): the fast path when the body allows it, else full_clean."""
    if not html or not html.strip():
        return None, None
    fast = fast_clean(html)
    return fast if fast is not None else full_clean(html, base_url)


def full_clean(html: str | None, base_url: str) -> tuple[str | None, str | None]:
    """(cleaned HTML, its text) in one lxml parse: the text is read from the pruned tree."""
    if not html or not html.strip():
        return None, None
    root = lxml.html.fragment_fromstring(_WIDGET.sub("", parsable(html)), create_parent="div", parser=HTML_PARSER)
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
    cleaned = _sanitize(inner)
    text = tree_text(root) or None
    return (cleaned if text or "<img" in cleaned else None), text


def fast_clean(html: str) -> tuple[str | None, str | None] | None:
    """clean_body for bodies of plain paragraphs, or None when they need the full pass."""
    html = _WIDGET.sub("", parsable(html))
    html = _SOURCE_P.sub("", _HIDDEN_EMPTY_P.sub("", html))
    if _HIDDEN.search(html) or "文章来源" in html or "<?" in html:
        return None
    if not {t.lower() for t in _TAG_NAME.findall(html)} <= _FAST_TAGS:
        return None
    cleaned = _sanitize(html)
    # No attribute is left on these tags, so a tag is `<…>` with no `>` inside.
    text = html_entities.unescape(_ANY_TAG.sub("", _BLOCK_TAG.sub("\n", cleaned)))
    lines = (normalize_space(line) for line in text.split("\n"))
    text = "\n".join(line for line in lines if line)
    return (cleaned, text) if text else (None, None)


def sanitized(html: str) -> str:
    """HTML through the sanitizer alone (what is served is passed through it again)."""
    return _CLEANER.clean(html)


def _sanitize(html: str) -> str:
    return tidy_blocks(_CLEANER.clean(flatten_deep(unwrap_swallowing(html))).strip())


def clean_title(title: str | None) -> str | None:
    return normalize_space(title) or None if title else None
