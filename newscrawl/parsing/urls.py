"""What a finews URL is, and the ids and slugs it carries. Pure functions, no Scrapy state."""

from __future__ import annotations

import enum
import re
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from w3lib.url import safe_url_string

SITE_HOST = "finews.withounder.com"
# The site's older name: it appears in every page's og:url, but it is the same site.
SITE_HOSTS = (SITE_HOST, "finews.zning.me")
SITE_ROOT = f"https://{SITE_HOST}/"
# Hosts of the share pages and the JSON endpoint behind them (SITE.md, "The share host").
SHARE_HOSTS: tuple[str, ...] = ("finews.zning.xyz", "choicewzp1.eastmoney.com")


class PageKind(enum.Enum):
    HOME = "home"
    FEED = "feed"
    CATEGORY = "category"
    POST = "post"
    OTHER = "other"


# Jekyll's date permalink: /CAT[/CAT…]/YYYY/MM/DD/SLUG.html, or /YYYY/MM/DD/SLUG.html when
# a post has no category. A category with spaces is split into several path segments.
_POST_PATH = re.compile(r"^/(?:(?P<cats>(?:[^/]+/)*?))(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<slug>[^/]+)\.html$")
_CATEGORY_PATH = re.compile(r"^/category/(?P<slug>[^/]+)\.html$")
# A post's slug is its article id, or — for media posts in the repository's later years — the
# share host's infoCode (NW + the same digits): the article's id is the digits either way.
_ARTICLE_ID = re.compile(r"^(?:NW)?(\d{10,})$")
# Eastmoney article links: …/news/1344,<id>.html or …/a/<id>.html, on any eastmoney host.
_EASTMONEY_ID = re.compile(r"/(?:news/\d+,|a/)(?P<id>\d{10,})\.html?$")


def _path(url: str) -> str:
    return unquote(urlsplit(url).path)


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:  # e.g. "http://[x": a malformed link names no host
        return ""


def is_site_url(url: str) -> bool:
    return _host(url) in SITE_HOSTS


def classify_url(url: str) -> PageKind:
    """The kind of finews page a URL names (OTHER for anything off the site)."""
    if not is_site_url(url):
        return PageKind.OTHER
    path = _path(url)
    if path in ("", "/", "/index.html"):
        return PageKind.HOME
    if path == "/feed.xml":
        return PageKind.FEED
    if _CATEGORY_PATH.match(path):
        return PageKind.CATEGORY
    if _POST_PATH.match(path):
        return PageKind.POST
    return PageKind.OTHER


def article_id_from_url(url: str) -> str | None:
    """The numeric article id of a post URL; None for non-article posts (the site's own news)."""
    m = _POST_PATH.match(_path(url))
    found = _ARTICLE_ID.match(m["slug"]) if m else None
    return found[1] if found else None


def category_from_post_url(url: str) -> str | None:
    """The category as the URL path gives it: split segments joined by one space.

    Jekyll splits and lowercases categories with spaces, so this is only a fallback: the
    post's back-link keeps the slug as the generator wrote it.
    """
    m = _POST_PATH.match(_path(url))
    if not m or not m["cats"]:
        return None
    return " ".join(s for s in m["cats"].split("/") if s)


def category_from_link(href: str, base_url: str) -> str | None:
    """The category slug a back-link points to: /category/SLUG.html, or a bare /SLUG/ path.

    Back-links exist in three forms over the site's history (see SITE.md); the bare forms
    (`//finews.withounder.com/emnews/`, `../emnews/`) 404 on the site, but still name the slug.
    """
    try:
        url = urljoin(base_url, href)
    except ValueError:
        return None
    if not is_site_url(url):
        return None
    path = _path(url)
    m = _CATEGORY_PATH.match(path)
    if m:
        return m["slug"]
    segments = [s for s in path.split("/") if s]
    if not segments or segments[-1].endswith(".html"):
        return None
    return segments[-1]


def category_page_url(slug: str, base_url: str = SITE_ROOT) -> str:
    """URL of a category's listing page, with the spaces of split slugs percent-encoded."""
    return safe_url_string(urljoin(base_url, f"/category/{slug}.html"))


def category_pages_for(slug: str) -> list[str]:
    """Category pages that may list a post of this category.

    Jekyll splits a category with spaces into one category per word, so the post is missing
    from its own page but listed on the page of each word that has one (e.g. the media
    `21shijijingjibaodao` for `21shijijingjibaodao  nancailicaitong`).
    """
    words = slug.split()
    return [slug, *words] if len(words) > 1 else [slug]


# A real category slug holds up to 3 words; one of thousands (a broken or hostile back link)
# would make every run ask a category page per word.
MAX_CATEGORY_PAGES = 6


def feed_url(base_url: str = SITE_ROOT) -> str:
    return urljoin(base_url, "/feed.xml")


def share_id_from_url(url: str) -> str | None:
    """The id the share host knows an article by: the infoCode, or an Eastmoney article id."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    codes = parse_qs(parts.query).get("infoCode")
    if codes and codes[0].strip():
        return codes[0].strip()
    m = _EASTMONEY_ID.search(parts.path)
    return m["id"] if m else None
