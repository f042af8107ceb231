"""Listing pages (the home page and /category/SLUG.html) and the Atom feed → post links,
and a feed entry → article fields (the feed's copy of a post whose page failed)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

from newscrawl.parsing import PageError
from newscrawl.parsing.post import parse_post
from newscrawl.parsing.text import parsable
from newscrawl.parsing.urls import PageKind, classify_url

_ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass(frozen=True)
class FeedEntry:
    url: str
    title: str | None
    published: str | None
    # The post's content HTML (jekyll-feed copies it whole) and its <category term>s: the
    # post's categories and its tags, as Jekyll split them.
    content: str | None = None
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Listing:
    """What a home or category page links: posts (in page order) and category pages."""

    posts: list[str]
    categories: list[str]


def parse_listing(html: str, url: str) -> list[str]:
    """Absolute URLs of the posts a home or category page lists, in page order."""
    return listing_links(html, url).posts


def listing_links(html: str, url: str) -> Listing:
    """The posts a home or category page lists, and the category pages it links (not itself).

    Home and category pages link posts by relative paths inside the layout's <section>; the
    category page of a slug with spaces lists nothing (Jekyll split the category). Category
    pages are linked anywhere on the page (a category page links itself, in the slug's case).
    Read as a stream of tags, without a tree: the busiest category page lists tens of
    thousands of posts, and a tree of it would cost ~100 MB.
    """
    if not html or not html.strip():
        raise PageError("empty_page", url)
    links = _Links(url)
    parser = lxml.etree.HTMLParser(target=links, huge_tree=True, recover=True)
    try:
        lxml.etree.fromstring(parsable(html), parser)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError) as exc:
        if not links.seen_element:
            raise PageError("not_html", f"{url}: {exc}") from exc
    if not links.seen_element:
        raise PageError("not_html", url)
    return Listing(list(links.posts), list(links.categories))


class _Links:
    """An lxml parser target: the <a href>s of a page, and whether each is in a <section> <li>."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.depth = {"section": 0, "li": 0}
        self.posts: dict[str, None] = {}  # ordered, and a membership test that does not grow with the page
        self.categories: dict[str, None] = {}
        self.seen_element = False

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.seen_element = True
        if tag in self.depth:
            self.depth[tag] += 1
        elif tag == "a" and (href := attrib.get("href")) is not None:
            target = _absolute(self.url, href)
            if not target:
                return
            kind = classify_url(target)
            if kind is PageKind.POST and self.depth["section"] and self.depth["li"]:
                self.posts.setdefault(target)
            elif kind is PageKind.CATEGORY and target != self.url:
                self.categories.setdefault(target)

    def end(self, tag: str) -> None:
        if tag in self.depth and self.depth[tag]:
            self.depth[tag] -= 1

    def data(self, data: str) -> None:
        pass

    def close(self) -> None:
        pass


def _absolute(base: str, href: str) -> str | None:
    try:
        return urljoin(base, href.strip())
    except ValueError:  # one malformed link must not cost the page's other links
        return None


def parse_feed(xml: bytes, url: str) -> list[FeedEntry]:
    """Entries of the jekyll-feed Atom feed (the 10 newest posts), with absolute links."""
    if not xml or not xml.strip():
        raise PageError("empty_page", url)
    parser = lxml.etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    try:
        root = lxml.etree.fromstring(xml, parser=parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise PageError("bad_feed", f"{url}: {exc}") from exc
    if root is None or root.tag != f"{_ATOM}feed":
        raise PageError("bad_feed", url)
    entries = []
    for entry in root.iter(f"{_ATOM}entry"):
        link = entry.find(f"{_ATOM}link[@rel='alternate']")
        if link is None:
            link = entry.find(f"{_ATOM}link")
        if link is None or not link.get("href"):
            continue
        try:
            entry_url = urljoin(url, link.get("href").strip())
        except ValueError:
            continue
        entries.append(
            FeedEntry(
                url=entry_url,
                title=(entry.findtext(f"{_ATOM}title") or "").strip() or None,
                published=(entry.findtext(f"{_ATOM}published") or "").strip() or None,
                content=entry.findtext(f"{_ATOM}content"),
                terms=tuple(c.get("term", "") for c in entry.iter(f"{_ATOM}category") if c.get("term")),
            )
        )
    return entries


def post_from_feed_entry(entry: FeedEntry) -> dict[str, Any]:
    """Article fields from the feed's copy of a post, as parse_post reads them from the page.

    The entry is laid out as the post layout would lay it out, so every content quirk the
    post parser knows (share autolinks, navigation, digests) is handled the same way.
    """
    path_words = {w.lower() for w in urlsplit(entry.url).path.split("/")}
    tags = [t for t in entry.terms if t.lower() not in path_words]
    page = (
        f'<html><head><link rel="canonical" href="{html.escape(entry.url)}">'
        f'<meta property="article:published_time" content="{html.escape(entry.published or "")}"></head>'
        f"<body><section><h1>{html.escape(entry.title or '')}</h1>{entry.content or ''}"
        f"<small>tags: <em>{'</em> - <em>'.join(html.escape(t) for t in tags)}</em></small></section></body></html>"
    )
    return parse_post(page, entry.url)
