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
    """`text` without the control characters and lone surrogates that lxml rejects, and with
    elements nested deeper than MAX_DEPTH unwrapped (see flatten_deep)."""
    return flatten_deep(unwrap_swallowing(_unclosed_comment(_UNPARSABLE.sub("", text))))


def _unclosed_comment(text: str) -> str:
    """Without the `<!--` that nothing closes: parsers make the rest of the page a comment.
    One pass: each opening is closed by the first `-->` after it, or goes (with every later
    one). A page whose comments are all closed is returned as it is, not copied."""
    at = 0
    while (start := text.find("<!--", at)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:  # nothing after closes any: every opening left goes
            return text[:at] + text[at:].replace("<!--", "")
        at = end + 3
    return text


# Elements whose content HTML parsers take out of the text flow, or read as raw text: an
# unclosed <object>, <embed>, <form> or <noscript> made the sanitizer drop everything after it,
# a <textarea> turned the rest of the page into text. No article uses them: their tags go,
# what they hold stays.
_SWALLOWING = re.compile(r"</?(?:object|embed|applet|param|form|fieldset|legend|label|button|input|select|"
                         r"option|optgroup|textarea|noscript|noembed|noframes|template|xmp|plaintext)\b[^>]*>", re.I)


# Their content is no article text when they are closed (a fallback, a script's template, a
# form field's value): dropped with it. Unclosed, what follows them is the article's.
_CLOSED_DROPPED = ("noscript", "template", "object", "textarea", "select", "noembed", "noframes", "applet")
_OPEN = {name: re.compile(rf"<{name}\b", re.I) for name in _CLOSED_DROPPED}
_CLOSE = {name: re.compile(rf"</{name}", re.I) for name in _CLOSED_DROPPED}


def unwrap_swallowing(html: str) -> str:
    """`html` without the tags of elements that would hide the text after them (and without
    the content of such elements that are closed), in time linear in its size. Searched
    case-insensitively, not on a lowercased copy: str.lower() of a CJK page takes a buffer of
    12 bytes a character (28 MB for the busiest category page)."""
    if "<" not in html:
        return html
    for name in _CLOSED_DROPPED:
        if _OPEN[name].search(html) is None:
            continue
        parts, last = [], 0
        for opening in _OPEN[name].finditer(html):
            if opening.start() < last:
                continue  # inside an element already dropped
            end = _CLOSE[name].search(html, opening.end())
            if end is None:
                break  # unclosed: no later one closes either; its tags are unwrapped below
            close = html.find(">", end.start())
            parts.append(html[last:opening.start()])
            last = len(html) if close < 0 else close + 1
        if parts:
            html = "".join(parts) + html[last:]
    return _SWALLOWING.sub("", html)


# Real post bodies nest a few levels; libxml2 gives up at 256 (an empty body) and the sanitizer
# takes time quadratic in depth (88 s for 150,000 nested blockquotes).
MAX_DEPTH = 100
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)\b[^>]*?(/?)>")
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# Elements whose end tag may be left out (a list of <li> without </li>): they never nest deep.
_OPTIONAL_END = frozenset("p li dt dd tr td th thead tbody tfoot option colgroup rt rp".split())


def flatten_deep(html: str, max_depth: int = MAX_DEPTH) -> str:
    """`html` with the tags of elements nested too deep dropped, their text kept, in one pass:
    past half of `max_depth`, an element of the same kind as the one it is in (a run of <div>s
    or <blockquote>s), and past `max_depth` any element, so that the content inside a deep
    wrapper keeps its own links and blocks. A page with fewer tags is returned as it is."""
    if html.count("<") <= max_depth:
        return html
    stack: list[tuple[str, bool]] = []  # open elements: (name, kept)
    depth, kept, last, dropped = 0, [], 0, False
    for tag in _TAG.finditer(html):
        name = tag[2].lower()
        if name in _VOID or name in _OPTIONAL_END or tag[3]:
            continue
        if tag[1]:  # a closing tag closes the innermost open element
            keep = stack.pop()[1] if stack else True
            depth -= keep and bool(depth)
        else:
            same = bool(stack) and stack[-1][0] == name
            keep = depth < max_depth and not (same and depth >= max_depth // 2)
            stack.append((name, keep))
            depth += keep
        if not keep:
            kept.append(html[last:tag.start()])
            last, dropped = tag.end(), True
    if not dropped:
        return html
    kept.append(html[last:])
    return "".join(kept)


# libxml2 drops a text node over 10 MB (a body of one huge paragraph comes out empty) unless
# told the input is trusted to be large; DOWNLOAD_MAXSIZE bounds what reaches it.
HTML_PARSER = lxml.html.HTMLParser(huge_tree=True)


def html_to_text(html: str | None) -> str:
    """Plain text of an HTML fragment: one line per block, blank-only lines dropped."""
    if not html or not html.strip():
        return ""
    return tree_text(lxml.html.fragment_fromstring(parsable(html), create_parent="div", parser=HTML_PARSER))


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
