"""The `finews` spider: walks the site (home page, feed, category pages), its post pages, and
each post's share link (the source's full text and right time; see spiders/sharing.py).

    scrapy crawl finews [-a start_url=URL] [-a urls=FILE_OR_LIST]

The site links few of its ~2,000 category pages, and posts whose category holds a space are
missing from their own category page, so the spider requests /category/SLUG.html for every
category it learns of — from each post's back-link, the category pages a listing links, and
the folders of post URLs (lowercased by Jekyll, so a guess: one that 404s is counted as
`guessed_category_missing`, not as a failure) — and reads the home page and feed too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from newscrawl.archive.runs import CRAWL, PARTIAL
from newscrawl.parsing import PageError
from newscrawl.parsing.listing import FeedEntry, Listing, listing_links, parse_feed, post_from_feed_entry
from newscrawl.parsing.post import parse_post
from newscrawl.parsing.urls import (
    MAX_CATEGORY_PAGES,
    SITE_HOSTS,
    SITE_ROOT,
    PageKind,
    category_from_link,
    category_from_post_url,
    category_page_url,
    category_pages_for,
    classify_url,
    feed_url,
)
from newscrawl.spiders import KIND, fetched_at, read_url_args
from newscrawl.spiders.sharing import ShareLinks

T = TypeVar("T")
GUESSED = "newscrawl_guessed"  # a category page guessed from a URL path


class FinewsSpider(ShareLinks, scrapy.Spider):
    name = "finews"

    def __init__(self, start_url: str = SITE_ROOT, urls: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # The arguments this crawl was given, for the archive's `runs` table.
        self.arguments = {k: v for k, v in {"start_url": start_url, "urls": urls, **kwargs}.items() if v is not None}
        self.start_urls = [start_url, *read_url_args(urls)]
        self._capped_logged = False
        self.max_feed, self.max_listing, self.max_categories = 200, 200_000, 20_000
        # Category pages asked this run (slugs): the site has ~2,000; each post and listing
        # names a few, mostly the same ones.
        self._categories: set[str] = set()
        self._categories_logged = False
        # The feed's copies of the newest posts, and posts whose page failed, by URL path:
        # a post whose page fails is archived from the feed when the feed has it.
        self._feed_entries: dict[str, FeedEntry] = {}
        self._failed_posts: set[str] = set()

    @property
    def run_kind(self) -> str:
        """A walk from the home page (and the feed) is a crawl of the site, whatever other
        URLs it is given; one from another page (`-a start_url=`) is a partial one."""
        return CRAWL if classify_url(self.start_urls[0]) is PageKind.HOME else PARTIAL

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> FinewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.configure_share(crawler.settings)
        spider.max_feed = crawler.settings.getint("NEWSCRAWL_MAX_FEED_ENTRIES", 200)
        spider.max_listing = crawler.settings.getint("NEWSCRAWL_MAX_LISTING_LINKS", 200_000)
        spider.max_categories = crawler.settings.getint("NEWSCRAWL_MAX_CATEGORIES", 20_000)
        spider.allowed_domains = [*SITE_HOSTS, *(spider.share_hosts if spider.follow_share else ())]
        return spider

    async def start(self) -> AsyncIterator[Any]:
        for url in self.start_urls:
            kind = classify_url(url)
            request = self.request_for(url, kind)
            if request is not None:
                yield request
            # The feed does not depend on the home page answering.
            if kind is PageKind.HOME:
                yield self.request_for(feed_url(url), PageKind.FEED)

    def _capped(self, found: list[Any], cap: int, what: str, url: str) -> list[Any]:
        """The first `cap` of a page's links (0: all): a feed or listing far longer than the
        site's (jekyll-feed's 10 entries, three days of posts) is broken or hostile, and each
        entry would cost a request, or an article from the feed's copy."""
        if not cap or len(found) <= cap:
            return found
        self._count(f"{what}_capped")
        self.logger.warning("%s of %d entries, only the first %d followed: %s", what.capitalize(), len(found), cap, url)
        return found[:cap]

    def request_for(self, url: str, kind: PageKind | None = None) -> scrapy.Request | None:
        """The request for a site page; `kind` when the caller knows it (else from the URL),
        carried in the request's meta for every later component."""
        kind = kind or classify_url(url)
        callbacks = {
            PageKind.HOME: self.parse_listing,
            PageKind.FEED: self.parse_feed,
            PageKind.CATEGORY: self.parse_listing,
            PageKind.POST: self.parse_post,
        }
        callback = callbacks.get(kind)
        if callback is None:
            self._count("not_a_site_page")
            self.logger.warning("Not a finews page, not requested: %s", url)
            return None
        errback = self.on_post_error if kind is PageKind.POST else self.on_error
        return scrapy.Request(url, callback=callback, errback=errback, meta={KIND: kind.value})

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        """The home page or a category page: its posts, the category pages it links, and the
        category pages its posts' URL folders name (a few per post)."""
        listing = self._parsed(response, lambda r: listing_links(r.text, r.url)) or Listing([], [])
        posts = self._capped(listing.posts, self.max_listing, "listing", response.url)
        yield from self._follow_posts(posts, PageKind.POST)
        for url in self._capped(listing.categories, self.max_listing, "listing", response.url):
            # The slug from the path: `?p=2` or `#top` name the same page, asked once.
            slug = category_from_link(url, response.url)
            if slug and (request := self._category_request(slug, url)) is not None:
                yield request
        for post in posts:
            for word in (category_from_post_url(post) or "").split()[:MAX_CATEGORY_PAGES]:
                if (request := self._category_request(word, post, guessed=True)) is not None:
                    yield request

    def parse_feed(self, response: Response) -> Iterator[Any]:
        entries = self._parsed(response, lambda r: parse_feed(r.body, r.url), needs_text=False) or []
        entries = self._capped(entries, self.max_feed, "feed", response.url)
        for entry in entries:
            self._feed_entries[urlsplit(entry.url).path] = entry
            if urlsplit(entry.url).path in self._failed_posts:
                yield from self._from_feed(entry)
        yield from self._follow_posts(e.url for e in entries)

    def parse_post(self, response: Response) -> Iterator[Any]:
        fields = self._parsed(response, lambda r: parse_post(r.text, r.url))
        if fields is None:
            yield from self._post_failed(response.url)
            return
        yield from self._article(fields, response.url, fetched_at(response))

    def on_post_error(self, failure: Failure) -> Iterator[Any]:
        self.on_error(failure)
        yield from self._post_failed(failure.request.url)

    def _post_failed(self, url: str) -> Iterator[Any]:
        entry = self._feed_entries.get(urlsplit(url).path)
        if entry is None:
            self._failed_posts.add(urlsplit(url).path)
        else:
            yield from self._from_feed(entry)

    def _from_feed(self, entry: FeedEntry) -> Iterator[Any]:
        fields = self._parsed(entry, post_from_feed_entry, needs_text=False)
        if fields is not None:
            self._count("from_feed")
            self.logger.info("Post archived from the feed's copy: %s", entry.url)
            yield from self._article(fields, entry.url, fetched_at(), source="feed")

    def _article(self, fields: dict[str, Any], url: str, fetched: str, source: str = "post") -> Iterator[Any]:
        provenance = {f: source for f in ("title", "published_at", "media", "body_html", "body_text")}
        article = {**fields, "published_at": fields["site_published_at"], "fetched_at": fetched,
                   "provenance": provenance}
        request = self.share_request(article, fields["share_url"]) if self.follow_share and fields["share_url"] else None
        if request is not None:
            yield request
        else:
            yield from self.finish_article(article, None)
        if fields["category"]:
            pages = category_pages_for(fields["category"])
            # The URL path's folders name the post's categories too (lowercased): a back-link
            # that names another category must not hide the post's own pages.
            known = {page.lower() for page in (*pages, *fields["category"].split())}
            pages += [word for word in (category_from_post_url(url) or "").split() if word not in known]
            if len(pages) > MAX_CATEGORY_PAGES:
                self.crawler.stats.inc_value("newscrawl/finews/category_words_capped")
                if not self._capped_logged:  # once a run: one broken generator makes many
                    self._capped_logged = True
                    self.logger.warning("Category of %d words, only %d of its pages asked: %s",
                                        len(fields["category"].split()), MAX_CATEGORY_PAGES, url)
                pages = pages[:MAX_CATEGORY_PAGES]
            for slug in pages:
                # The back-link's own slug has its page; a word of it, or a URL folder, may not.
                if (request := self._category_request(slug, url, guessed=slug != fields["category"])) is not None:
                    yield request

    def on_error(self, failure: Failure) -> None:
        kind = type(failure.value).__name__
        response = getattr(failure.value, "response", None)
        if response is not None:
            kind = f"http_{response.status}"
            if response.status == 404 and failure.request.meta.get(GUESSED):
                self._count("guessed_category_missing")
                self.logger.debug("No category page where a URL path pointed: %s", failure.request.url)
                return
        self._count(f"fetch_error/{kind}")
        self.logger.warning("Fetch failed (%s): %s", kind, failure.request.url)

    def _parsed(self, response: Any, parse: Callable[[Any], T], needs_text: bool = True) -> T | None:
        """The parser's result, or None for a page that holds nothing (counted and logged)."""
        try:
            if needs_text and not isinstance(response, TextResponse):
                raise PageError("not_html", response.url)
            return parse(response)
        except PageError as exc:
            self._count(f"page_dropped/{exc.reason}")
            self.logger.warning("Page dropped (%s): %s", exc.reason, response.url)
        except Exception:  # a parser bug must cost one page, not the crawl's accounting
            self._count("page_dropped/parser_error")
            self.logger.exception("Parser failed, page dropped: %s", response.url)
        return None

    def _follow_posts(self, urls: Iterable[str], kind: PageKind | None = None) -> Iterator[scrapy.Request]:
        # Category pages are learned from the posts themselves (parse_post): a URL path is
        # lowercased and split by Jekyll, so a guess from it would often 404.
        for url in urls:
            request = self.request_for(url, kind)
            if request is not None:
                yield request

    def _category_request(self, slug: str, base_url: str, guessed: bool = False) -> scrapy.Request | None:
        """The category page's request, unless it was asked this run (or too many were)."""
        slug = unquote(slug)
        if slug in self._categories:
            return None
        if len(self._categories) >= self.max_categories:
            self._count("categories_capped")
            if not self._categories_logged:  # said once
                self._categories_logged = True
                self.logger.warning("%d category pages asked: no more this run (NEWSCRAWL_MAX_CATEGORIES)",
                                    self.max_categories)
            return None
        self._categories.add(slug)
        request = self.request_for(category_page_url(slug, base_url), PageKind.CATEGORY)
        if request is not None and guessed:
            request.meta[GUESSED] = True
        return request

    def _count(self, event: str) -> None:
        self.crawler.stats.inc_value(f"newscrawl/{self.name}/{event}")
