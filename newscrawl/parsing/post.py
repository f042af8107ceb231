"""Post pages → article fields.

A post page is the site's `default` layout around the `post` layout:
`<section><small>(GMT+8 …) date</small><h1>title</h1> content <small>tags: …</small></section>`.
The content ends with an autolink paragraph to the share/original URL and a 返回… navigation
paragraph; neither belongs to the article. See ../shared/finews/SITE.md for the variants.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml.etree import ParserError

from newscrawl.parsing import PageError
from newscrawl.parsing.text import HTML_PARSER, html_to_text, parsable
from newscrawl.parsing.urls import (
    SITE_HOST,
    article_id_from_url,
    category_from_link,
    category_from_post_url,
    is_site_url,
    share_id_from_url,
)

BEIJING = timezone(timedelta(hours=8))
_SOURCE_OPEN, _SOURCE_CLOSE = "（文章来源：", "）"
_SHOWN_DATE = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})")
_LAYOUT_H1 = re.compile(r"(<small>\(GMT\+8[^<]*</small>\s*<h1>)(.*?)(</h1>)", re.S)


def parse_post(html: str, url: str) -> dict[str, Any]:
    """Article fields of a post page. Raises PageError when the page holds no post at all.

    Missing single fields (an empty title, no date) come back as None: deciding that such an
    article is unusable is the validation pipeline's job, where it is counted.
    """
    if not html or not html.strip():
        raise PageError("empty_page", url)
    try:
        doc = lxml.html.document_fromstring(_escape_title(parsable(html)), parser=HTML_PARSER)
    except (ParserError, ValueError) as exc:
        raise PageError("not_html", f"{url}: {exc}") from exc
    # The head's og:description carries the raw, unescaped post HTML, so stray post markup
    # (share links, navigation) appears before the body: everything is read from the
    # <section> that holds the <h1>.
    sections = doc.xpath("//section[h1]")
    if not sections:
        raise PageError("no_layout", url)
    section = sections[0]
    h1 = section.find("h1")

    # Eastmoney body HTML is not always well-formed: an unclosed <div> or <table> swallows
    # the tags line, the footer, the share link and the navigation, so those are looked for
    # at any depth and everything from the tags line (or the footer) on is cut.
    tag_lines = section.xpath(".//small[starts-with(normalize-space(.), 'tags:')]")
    tags = [t.strip() for t in (tag_lines[-1].xpath("em/text()") if tag_lines else []) if t.strip()]
    for end in (*tag_lines[-1:], *section.xpath(".//footer")[:1]):
        _cut_from(end, section)
    content = [el for el in h1.itersiblings() if el.getparent() is not None]
    nav = [p for el in content if isinstance(el.tag, str) for p in el.iter("p") if _is_navigation(p)]
    share_links = [a for el in content if isinstance(el.tag, str) for a in el.iter("a") if _is_share_autolink(a)]
    back_href, back_text = _back_link(nav)
    share_url = share_links[-1].get("href").strip() if share_links else _share_link(content)
    for el in nav:
        el.drop_tree()
    for a in share_links:
        _drop_with_empty_paragraph(a)
    content = [el for el in content if el.getparent() is not None]
    digest, body_nodes = _split_digest(content)

    lead = (h1.tail or "").strip()
    body_html = (lead + "".join(_outer_html(el) for el in body_nodes)).strip()
    sources = source_lines(body_html)

    return {
        "id": article_id_from_url(url),
        "url": _canonical_url(doc, url),
        "title": _title(doc, h1),
        "site_published_at": _published_time(doc, section),
        "category": (category_from_link(back_href, url) if back_href else None)
        or category_from_post_url(url),
        "media": _media(back_text, tags),
        "tags": tags,
        "digest": digest,
        "body_html": body_html or None,
        "body_text": html_to_text(body_html) or None,
        "source": sources[-1].strip() if sources else None,
        "share_url": share_url,
        "share_id": share_id_from_url(share_url) if share_url else None,
    }


def source_lines(html: str) -> list[str]:
    """Every X of （文章来源：X）, X holding no opening of its own, in one pass over the text.

    `（文章来源：(.*?)）` tried every opening against the rest of the text — time quadratic in
    its size when no ） closes them (minutes for 1 MB) — and took a run of openings for the
    source. Here each ） takes the nearest opening before it since the previous ）."""
    found: list[str] = []
    pos = 0
    while (end := html.find(_SOURCE_CLOSE, pos)) >= 0:
        start = html.rfind(_SOURCE_OPEN, pos, end)
        if start >= 0:
            found.append(html[start + len(_SOURCE_OPEN):end])
        pos = end + 1
    return found


def _title(doc: Any, h1: Any) -> str | None:
    # The layout prints the title raw into <h1>, so a title with "<" (P<E, 《<…>》) can turn
    # into markup there; the JSON-LD headline holds the same title, JSON-escaped.
    text = h1.text_content().strip()
    if len(h1):
        headline = _jsonld(doc).get("headline")
        if isinstance(headline, str) and headline.strip():
            return headline.strip()
    return text or None


def _share_link(content: list[Any]) -> str | None:
    """The last link to a share page or an Eastmoney article, when no autolink has it."""
    hrefs = [a.get("href", "").strip() for el in content if isinstance(el.tag, str) for a in el.iter("a")]
    return next((h for h in reversed(hrefs) if _is_share_target(h)), None)


def _outer_html(el: Any) -> str:
    return lxml.html.tostring(el, encoding="unicode", with_tail=True)


def _is_navigation(el: Any) -> bool:
    return el.tag == "p" and any(
        (a.text_content() or "").strip().startswith("返回") for a in el.iter("a")
    )


def _is_share_autolink(a: Any) -> bool:
    """An autolink (text = href) to the post's share page or Eastmoney article.

    A non-web autolink (`javascript:`, `data:`, `file:`) in that place is a broken share
    link: it is taken as the share_url too, so that it is counted, and never requested.
    """
    href = (a.get("href") or "").strip()
    if not href or a.text_content().strip() != href:
        return False
    return _is_share_target(href) or href.lower().startswith(("javascript:", "data:", "file:"))


def _is_share_target(href: str) -> bool:
    return href.startswith(("http://", "https://")) and not is_site_url(href) and bool(share_id_from_url(href))


def _drop_with_empty_paragraph(a: Any) -> None:
    parent = a.getparent()
    a.drop_tree()
    if parent is not None and parent.tag == "p" and len(parent) == 0 and not parent.text_content().strip():
        parent.drop_tree()


def _cut_from(el: Any, stop: Any) -> None:
    """Remove `el` and everything after it in document order, up to the end of `stop`."""
    node = el
    while node is not None and node is not stop:
        parent = node.getparent()
        for sibling in list(node.itersiblings()):
            parent.remove(sibling)
        node = parent
    if el.getparent() is not None:
        el.getparent().remove(el)


def _escape_title(html: str) -> str:
    # The layout prints the title raw after the date line; a title with "<" (P<E, 《<…>》)
    # would open an element that swallows the whole article, so it is escaped first.
    return _LAYOUT_H1.sub(lambda m: m[1] + m[2].replace("<", "&lt;").replace(">", "&gt;") + m[3], html, count=1)


def _split_digest(nodes: list[Any]) -> tuple[str | None, list[Any]]:
    """东财滚动新闻 posts open with the digest as a blockquote; it is its own field.

    When the digest is all the post has, it stays the body too, so no article is bodiless.
    """
    if not nodes or nodes[0].tag != "blockquote":
        return None, nodes
    digest = html_to_text(_outer_html(nodes[0])).replace("\n", "") or None
    return digest, (nodes[1:] or nodes)


def _back_link(nav: list[Any]) -> tuple[str | None, str | None]:
    for p in nav:
        for a in p.iter("a"):
            text = (a.text_content() or "").strip()
            if text.startswith("返回") and text != "返回首页":
                return a.get("href"), text
    return None, None


def _media(back_text: str | None, tags: list[str]) -> str | None:
    # The back-link text keeps the media name as the generator wrote it, double spaces and
    # all; tags are split on whitespace by Jekyll, so they are only the fallback.
    name = back_text[len("返回") :] if back_text else " ".join(tags)
    name = name.removesuffix("新闻")
    return name or None


def _canonical_url(doc: Any, url: str) -> str:
    # Only a canonical link to the site itself is believed: one to another host (or a
    # javascript: one) would make the article's url a link off the site.
    for href in doc.xpath("//link[@rel='canonical']/@href"):
        href = href.strip()
        # … and only when it names this post: another post's URL would take that post's place.
        if (href and urlsplit(href).scheme in ("http", "https") and is_site_url(href)
                and article_id_from_url(href) == article_id_from_url(url)):
            return href
    path = urlsplit(url).path
    return urljoin(f"https://{SITE_HOST}/", path)


def _published_time(doc: Any, section: Any) -> str | None:
    candidates = list(doc.xpath("//meta[@property='article:published_time']/@content"))
    candidates += [d for d in (_jsonld(doc).get("datePublished"),) if isinstance(d, str)]
    for value in candidates:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=BEIJING)
        return parsed.isoformat()
    # Last resort: the layout's "(GMT+8, Asia/Shanghai, CST) YYYY-MM-DD HH:MM:SS" line.
    for small in section.xpath("small[contains(., 'GMT+8')]"):
        m = _SHOWN_DATE.search(small.text_content())
        if m:
            try:
                return datetime.fromisoformat(m[1]).replace(tzinfo=BEIJING).isoformat()
            except ValueError:  # 2022-13-45: no date at all, which validation counts
                return None
    return None


def _jsonld(doc: Any) -> dict[str, Any]:
    for block in doc.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(block)
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    return {}
