"""Raw captures: every fetched page and share answer, kept in the archive for re-parsing.

Stored as rows of the archive's `captures` table (url, fetched_at, status, content type,
SHA-1, zlib-compressed body) rather than WARC files: one file to keep and copy, captures
looked up by URL in the same SQLite the articles live in, written in the same transactions
(a killed crawl loses a capture only together with its article), and no extra dependency.
An unchanged page fetched again only moves its capture's `last_seen_at`, so hourly crawls
add a row per *version* of a page, not per fetch.

Two downloader middlewares:
- CaptureMiddleware keeps every response of the site and the share hosts (NEWSCRAWL_CAPTURE).
- ReplayMiddleware answers every request from the captures instead of the network
  (NEWSCRAWL_REPLAY, set by `scrapy reparse`): a URL never captured is a 404.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.responsetypes import responsetypes

from newscrawl.archive import Archive
from newscrawl.archive.captures import Capture
from newscrawl.crawling import archive_for, storage_kept
from newscrawl.distributed import worker_mode
from newscrawl.parsing.urls import SHARE_HOSTS, PageKind
from newscrawl.spiders import CAPTURED_AT, SHARE, kind_of

_SITE_KINDS = frozenset(k.value for k in PageKind if k is not PageKind.OTHER)


def capture_kind(request: Request, share_hosts: frozenset[str] = frozenset(SHARE_HOSTS)) -> str | None:
    """What a request's answer is worth capturing as: a site page kind, "share", or None."""
    kind = kind_of(request)
    if kind in _SITE_KINDS or kind == SHARE:
        return kind
    if kind != PageKind.OTHER.value:
        return None  # a kind of its own (a repository source, its listing): not the site's
    # Not a page of the site: an answer of a share host (its robots.txt, say) is kept too.
    return SHARE if (urlsplit(request.url).hostname or "").lower() in share_hosts else None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class CaptureMiddleware:
    def __init__(self, archive: Archive, stats: Any, share_hosts: frozenset[str] = frozenset(SHARE_HOSTS)) -> None:
        self.archive = archive
        self.stats = stats
        self.share_hosts = share_hosts

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureMiddleware:
        s = crawler.settings
        if (not s.getbool("NEWSCRAWL_CAPTURE") or s.getbool("NEWSCRAWL_REPLAY")
                or not (s.get("NEWSCRAWL_DB") or worker_mode(s))):
            raise NotConfigured("captures are off (NEWSCRAWL_CAPTURE, or replaying)")
        hosts = frozenset(h.lower() for h in s.getlist("NEWSCRAWL_SHARE_HOSTS", list(SHARE_HOSTS)))
        if worker_mode(s):  # the archiver keeps them
            from newscrawl.distributed.worker import member_for

            return cls(member_for(crawler), crawler.stats, hosts)  # type: ignore[arg-type]
        return cls(archive_for(crawler), crawler.stats, hosts)

    def process_response(self, request: Request, response: Response) -> Response:
        kind = capture_kind(request, self.share_hosts)
        if kind is not None and self.archive.failed is None:
            with storage_kept():
                self.stats.inc_value(f"newscrawl/capture/{self.store(request.url, kind, response)}")
        return response

    def store(self, url: str, kind: str, response: Response) -> str:
        """Keep the response: "new" (a new version of the page), "seen" (unchanged), or
        "handed" (a worker's: to the archiver, keep_capture)."""
        header = lambda name: response.headers.get(name, b"").decode("latin-1") or None  # noqa: E731
        return keep_capture(self.archive, self.stats, url, kind, now(), response.status, response.body,
                            header("Content-Type"), header("ETag"), header("Last-Modified"))


def keep_capture(archive: Any, stats: Any, url: str, kind: str, fetched_at: str, status: int, body: bytes,
                 content_type: str | None, etag: str | None, last_modified: str | None) -> str:
    result, first = archive.store_capture(url, kind, fetched_at, status, body, content_type, etag, last_modified)
    if first and kind == "post":
        stats.inc_value("newscrawl/capture/first_post")  # a post never seen before
    return result


class ReplayMiddleware:
    def __init__(self, archive: Archive, stats: Any) -> None:
        self.archive = archive
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReplayMiddleware:
        if not crawler.settings.getbool("NEWSCRAWL_REPLAY"):
            raise NotConfigured("not replaying")
        return cls(archive_for(crawler), crawler.stats)

    def process_request(self, request: Request) -> Response:
        capture = self.archive.replay_capture(request.url)
        if capture is None:
            self.stats.inc_value("newscrawl/replay/missing")
            return Response(request.url, status=404, request=request)
        self.stats.inc_value("newscrawl/replay/replayed")
        request.meta[CAPTURED_AT] = capture.fetched_at
        return response_from_capture(request, capture, capture.status)


def response_from_capture(request: Request, capture: Capture, status: int) -> Response:
    """The response a capture holds, of the type Scrapy would have made."""
    headers = {"Content-Type": capture.content_type, "ETag": capture.etag, "Last-Modified": capture.last_modified}
    present = {k: v for k, v in headers.items() if v}
    data = capture.body
    cls = responsetypes.from_args(headers=present, url=request.url, body=data)
    return cls(request.url, status=status, headers=present, body=data, request=request)
