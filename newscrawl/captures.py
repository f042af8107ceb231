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

import hashlib
import zlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.responsetypes import responsetypes

from newscrawl.archive import Archive
from newscrawl.parsing.urls import SHARE_HOSTS, PageKind, classify_url
from newscrawl.pipelines import archive_for
from newscrawl.schema import CAPTURES
from newscrawl.spiders import CAPTURED_AT


def capture_kind(url: str, share_hosts: frozenset[str] = frozenset(SHARE_HOSTS)) -> str | None:
    """What a URL is worth capturing as: a site page kind, "share", or None."""
    kind = classify_url(url)
    if kind is not PageKind.OTHER:
        return kind.value
    return "share" if (urlsplit(url).hostname or "").lower() in share_hosts else None


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
        if not s.getbool("NEWSCRAWL_CAPTURE") or s.getbool("NEWSCRAWL_REPLAY") or not s.get("NEWSCRAWL_DB"):
            raise NotConfigured("captures are off (NEWSCRAWL_CAPTURE, or replaying)")
        hosts = frozenset(h.lower() for h in s.getlist("NEWSCRAWL_SHARE_HOSTS", list(SHARE_HOSTS)))
        return cls(archive_for(crawler), crawler.stats, hosts)

    def process_response(self, request: Request, response: Response) -> Response:
        kind = capture_kind(request.url, self.share_hosts)
        if kind is not None:
            self.stats.inc_value(f"newscrawl/capture/{self.store(request.url, kind, response)}")
        return response

    def store(self, url: str, kind: str, response: Response) -> str:
        """Keep the response: "new" (a new version of the page) or "seen" (unchanged)."""
        sha1 = hashlib.sha1(response.body).hexdigest()
        conn, fetched = self.archive.db.conn, now()
        latest = conn.execute(f"select fetched_at, sha1, status from {CAPTURES} where url = ? "
                              "order by fetched_at desc limit 1", [url]).fetchone()
        if latest is None and kind == "post":
            self.stats.inc_value("newscrawl/capture/first_post")  # a post never seen before
        if latest is not None and latest[1:] == (sha1, response.status):
            conn.execute(f"update {CAPTURES} set last_seen_at = ? where url = ? and fetched_at = ?",
                         [fetched, url, latest[0]])
            return "seen"
        header = lambda name: response.headers.get(name, b"").decode("latin-1") or None  # noqa: E731
        conn.execute(f"insert or replace into {CAPTURES} (url, fetched_at, last_seen_at, kind, status, content_type, "
                     "sha1, body, etag, last_modified) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     [url, fetched, fetched, kind, response.status, header("Content-Type"), sha1,
                      zlib.compress(response.body, 6), header("ETag"), header("Last-Modified")])
        return "new"


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
        found = self.archive.db.conn.execute(
            # The last good answer, else the last one: a page that later failed (or vanished)
            # is replayed as it was when it was there.
            f"select fetched_at, status, content_type, body from {CAPTURES} where url = ? "
            "order by status between 200 and 299 desc, fetched_at desc limit 1", [request.url]).fetchone()
        if found is None:
            self.stats.inc_value("newscrawl/replay/missing")
            return Response(request.url, status=404, request=request)
        fetched_at, status, content_type, body = found
        self.stats.inc_value("newscrawl/replay/replayed")
        request.meta[CAPTURED_AT] = fetched_at
        return response_from_capture(request, status, body, {"Content-Type": content_type})


def response_from_capture(request: Request, status: int, body: bytes, headers: dict[str, str | None]) -> Response:
    """The response a capture holds (its zlib body), of the type Scrapy would have made."""
    present = {k: v for k, v in headers.items() if v}
    data = zlib.decompress(body)
    cls = responsetypes.from_args(headers=present, url=request.url, body=data)
    return cls(request.url, status=status, headers=present, body=data, request=request)


def captured_urls(archive: Archive, kind: str) -> list[str]:
    """Every URL captured as `kind`, oldest first."""
    rows = archive.db.conn.execute(f"select url from {CAPTURES} where kind = ? group by url order by min(fetched_at)",
                                   [kind])
    return [r[0] for r in rows]
