"""Incremental runs: a crawl costs what is new, with the archive as its memory.

Like scrapy-deltafetch, but backed by the SQLite archive:
- IncrementalSpiderMiddleware drops requests for post pages whose article is archived
  (`newscrawl/incremental/skipped`) unless the run was asked to refresh it (`-a refresh=all`
  or `-a refresh=ID,ID…|FILE`: `refetched`), and for pages a finished run read and dropped
  as broken (`skipped_dropped`; refresh asks them again). At the start it requests the category pages of
  every archived category (skipped posts no longer lead to them), and asks again the share
  answer of every archived post that has no source text yet (`share_retried`) — the answer,
  not the page — with a backoff across runs, then no more (share_retries.py).
- ConditionalGetMiddleware sends If-None-Match / If-Modified-Since for the home page, feed,
  category pages (and post pages still requested) from their last capture, and turns a 304
  back into that capture (`not_modified`), so the spider reads an unchanged page without
  downloading it.
Both are off with NEWSCRAWL_INCREMENTAL = False, and when replaying captures.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from newscrawl.archive import Archive
from newscrawl.crawling import archive_for
from newscrawl.crawling.captures import response_from_capture
from newscrawl.crawling.share_retries import Backoff, ShareRetries
from newscrawl.distributed import worker_mode
from newscrawl.parsing.urls import (
    PageKind,
    article_id_from_url,
    category_page_url,
    category_pages_for,
    is_site_url,
)
from newscrawl.pipelines.validate import seen
from newscrawl.spiders import kind_of, read_url_args
from newscrawl.spiders.history import BLOB, SOURCE, SOURCE_PATH
from newscrawl.spiders.sharing import share_answered

# Pages asked conditionally: listings, and post pages still requested (not archived: a page
# dropped as broken is checked again each run, and costs a 304 while it stays the same).
CONDITIONAL = frozenset(k.value for k in (PageKind.HOME, PageKind.FEED, PageKind.CATEGORY, PageKind.POST))
_CONDITIONAL = "newscrawl_conditional"


def _enabled(crawler: Crawler) -> Archive:
    """What the archive knows: the archive, or for a worker what the archiver published."""
    s = crawler.settings
    if not s.getbool("NEWSCRAWL_INCREMENTAL") or s.getbool("NEWSCRAWL_REPLAY"):
        raise NotConfigured("incremental runs are off")
    if worker_mode(s):
        from newscrawl.distributed.worker import member_for

        return member_for(crawler).state  # type: ignore[return-value]
    if not s.get("NEWSCRAWL_DB"):
        raise NotConfigured("incremental runs are off: no archive")
    return archive_for(crawler)


_ID = re.compile(r"(?:NW)?([0-9]{10,})", re.I)


def refresh_ids(value: str | None) -> set[str] | None:
    """The ids a run must fetch again: None for all (`refresh=all`); ids, NW codes or post URLs,
    separated by commas or spaces, or one per line in a file. ValueError names what is none
    of these, or the file that cannot be read."""
    if value is not None and not value.strip():
        raise ValueError("give ids, NW codes, post URLs, a file of them, or 'all'")
    if value and value.strip().lower() == "all":
        return None
    source = ""
    if value and Path(value).is_file():
        try:
            tokens, source = read_url_args(value), f" (in {value})"
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read {value}: {getattr(exc, 'strerror', None) or exc}") from None
    else:
        tokens = re.split(r"[\s,;]+", value or "")
    ids = set()
    for token in (t.strip() for t in tokens):
        if not token:
            continue
        found = article_id_from_url(token) or (m[1] if (m := _ID.fullmatch(token)) else None)
        if found is None:
            raise ValueError(f"{token!r}{source} is not an article id, an NW code, a post URL or 'all', "
                             "nor a file of them")
        ids.add(found)
    return ids


class IncrementalSpiderMiddleware:
    def __init__(self, archive: Archive, stats: Any, spider: Spider | None = None,
                 backoff: Backoff = Backoff(), share_retries: Any = None) -> None:
        self.archive = archive
        self.stats = stats
        self.spider = spider
        self.refresh: set[str] | None = refresh_ids(getattr(spider, "refresh", None))
        self.share_retries = share_retries or ShareRetries(archive, stats, backoff)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalSpiderMiddleware:
        s = crawler.settings
        backoff = Backoff.from_settings(s)
        share_retries = None
        if worker_mode(s):  # the outcomes go to the archiver, which keeps the attempts
            from newscrawl.distributed.worker import WorkerShareRetries, member_for

            share_retries = WorkerShareRetries(member_for(crawler))
        middleware = cls(_enabled(crawler), crawler.stats, crawler.spider, backoff, share_retries)
        crawler.signals.connect(middleware.share_answered, signal=share_answered)
        if hasattr(crawler.spider, "known_source"):
            # A spider that reads sources itself (a local checkout) asks before it reads one.
            crawler.spider.known_source = middleware.known_source
        return middleware

    def share_answered(self, article_id: str | None, reason: str) -> None:
        self.share_retries.answered(article_id, reason, datetime.now(UTC))

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        spider = self.spider
        async for item_or_request in start:
            if not isinstance(item_or_request, Request) or self._wanted(item_or_request):
                yield item_or_request
        request_for = getattr(spider, "request_for", None)
        base = (getattr(spider, "start_urls", None) or [None])[0]
        if request_for is None or base is None:
            return
        slugs = sorted({page for category in self.archive.categories() for page in category_pages_for(category)})
        for slug in slugs:
            request = request_for(category_page_url(slug, base), PageKind.CATEGORY)
            if request is not None:
                yield request
        # Archived posts whose share answer failed: the answer is asked again (when its backoff
        # is over), not the page; a refreshed post's page asks it anyway.
        share_request = getattr(spider, "share_request", None)
        if share_request is None or not getattr(spider, "follow_share", False):
            return
        self.share_retries.forget(self.refresh)
        for record in self.share_retries.due(datetime.now(UTC), skip=self.refresh):
            request = share_request(record, record["share_url"])
            if request is not None:
                self.stats.inc_value("newscrawl/incremental/share_retried")
                yield request

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        for item_or_request in result:
            if not isinstance(item_or_request, Request) or self._wanted(item_or_request):
                yield item_or_request

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for item_or_request in result:
            if not isinstance(item_or_request, Request) or self._wanted(item_or_request):
                yield item_or_request

    def _wanted(self, request: Request) -> bool:
        kind = kind_of(request)
        if kind == SOURCE:
            return self._wanted_source(request)
        if kind != PageKind.POST.value:
            return True
        article_id = article_id_from_url(request.url)
        if article_id is None:
            return True
        row = self.archive.archived_post(article_id)
        # Not archived, or archived from its share link alone (the share spider): the page is
        # new — unless a finished run already read it and dropped it (a broken page).
        if row is None or not is_site_url(row[0] or ""):
            if self.refresh is not None and article_id not in self.refresh and self._dropped_before(request.url):
                self.stats.inc_value("newscrawl/incremental/skipped_dropped")
                return False
            return True
        if self.refresh is None or article_id in self.refresh:
            self.stats.inc_value("newscrawl/incremental/refetched")
            return True
        self.stats.inc_value("newscrawl/incremental/skipped")
        seen(self.stats, row[1])  # listed now: part of the window this run saw
        return False


    def _wanted_source(self, request: Request) -> bool:
        return not self.known_source(request.meta.get(BLOB, ""), request.meta.get(SOURCE_PATH, ""))

    def known_source(self, sha: str, path: str) -> bool:
        """Whether a repository source with this blob id was read before (and is not refreshed)."""
        slug = PurePosixPath(path).stem.rsplit("-", 1)[-1].removeprefix("NW")
        if self.refresh is None or slug in self.refresh:
            self.stats.inc_value("newscrawl/incremental/refetched")
            return False
        if self.archive.archived_source(sha):
            self.stats.inc_value("newscrawl/incremental/skipped_sources")
            return True
        return False

    def _dropped_before(self, url: str) -> bool:
        """Whether a run that finished fetched this page (so it read it to the end) — the page
        gave no article then. A page captured by a run that was killed does not count: its
        article may simply not have been saved yet."""
        return self.archive.read_by_finished_run(url)


class ConditionalGetMiddleware:
    def __init__(self, archive: Archive, stats: Any) -> None:
        self.archive = archive
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        return cls(_enabled(crawler), crawler.stats)

    def process_request(self, request: Request) -> None:
        if kind_of(request) not in CONDITIONAL:
            return
        # Only the validators: the body is read when the answer is a 304.
        etag, last_modified = self.archive.capture_validators(request.url) or (None, None)
        if not (etag or last_modified):
            return
        if etag:
            request.headers.setdefault("If-None-Match", etag)
        if last_modified:
            request.headers.setdefault("If-Modified-Since", last_modified)
        request.meta[_CONDITIONAL] = True

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status != 304 or not request.meta.get(_CONDITIONAL):
            return response
        capture = self.archive.last_capture(request.url)
        if capture is None:
            return response
        self.stats.inc_value("newscrawl/incremental/not_modified")
        return response_from_capture(request, capture, 200)
