"""The `history` spider: the archive's past from the site's own repository (post sources).

    scrapy crawl history -a repo=PATH                      # a local checkout (_posts/, old_post/)
    scrapy crawl history [-a repo=github:OWNER/NAME[@REF]] # over the network (default zning1994/finews)
                         [-a paths=old_post,_posts/2022-*] [-a since=2022-01-01] [-a until=2022-06-30]

It lists the post sources (a local walk, or GitHub's git trees API), reads each one not read
before (from the checkout, or from the raw file host), and makes of it the same Article as
the `finews` spider makes of its page (parsing/source.py), the share link followed the same
way. Which sources were read is kept in the archive by their git blob id: a source moved from
_posts/ to old_post/ unchanged, or read by an earlier backfill, is not fetched again.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newscrawl.archive.runs import BACKFILL
from newscrawl.items import Article
from newscrawl.parsing import PageError
from newscrawl.parsing.github import (
    API_HOST,
    DEFAULT_REPO,
    GITHUB_HOSTS,
    POST_FOLDERS,
    RAW_HOST,
    Repo,
    Tree,
    blob_sha,
    parse_repo,
    parse_tree,
    rate_limit,
    wanted,
)
from newscrawl.parsing.source import read_source
from newscrawl.spiders import KIND, fetched_at
from newscrawl.spiders.checkout import CheckoutReader, local_sources
from newscrawl.spiders.sharing import ShareLinks

SOURCE, LISTING = "source", "listing"
_SOURCE_KEY = "_newscrawl_source"  # (blob id, path) of the source an article dict came from
MAX_OPEN = 512  # articles on their way before a local backfill waits to read more
BLOB, SOURCE_PATH = "newscrawl_blob", "newscrawl_source_path"
# Sent for every source read: (sha, path, article_id, reason) — reason "ok" when it gave an
# article (then article_id), else why it gave none. crawling/sources.py records them.
source_read = object()


class HistorySpider(ShareLinks, scrapy.Spider):
    name = "history"
    run_kind = BACKFILL  # the repository, not the site's pages: says nothing of what the site lists now

    def __init__(self, repo: str = DEFAULT_REPO, paths: str | None = None, since: str | None = None,
                 until: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arguments = {k: v for k, v in {"repo": repo, "paths": paths, "since": since, "until": until,
                                            **kwargs}.items() if v is not None}
        self.local, self.repo = source_of(repo)
        self.patterns = tuple(p.strip() for p in (paths or "").split(",") if p.strip()) or POST_FOLDERS
        self.since, self.until = since, until
        self.listed = 0  # sources to read (progress: done of total)
        self.parse_workers = 0
        # Articles on their way (their share answer, the pipelines): a local backfill reads on
        # only while few are, or its items would pile up in memory (Scrapy does not hold back
        # what start() yields).
        self.open_articles = 0
        self._room: asyncio.Event | None = None

    @classmethod
    def check_arguments(cls, arguments: dict[str, str]) -> None:
        """ValueError naming an argument that cannot work (before anything runs)."""
        source_of(arguments.get("repo", DEFAULT_REPO))
        for name in ("since", "until"):
            value = arguments.get(name)
            if value is not None and not (len(value) >= 10 and value[4] == "-" and value[7] == "-"):
                raise ValueError(f"-a {name}={value}: give a date, 2022-01-31")

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # GitHub's hosts get their own, small concurrency (and the API one request at a time).
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        slots.setdefault(RAW_HOST, {"concurrency": settings.getint("NEWSCRAWL_GITHUB_CONCURRENCY", 4)})
        slots.setdefault(API_HOST, {"concurrency": 1})
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> HistorySpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.configure_share(crawler.settings)
        spider.token = crawler.settings.get("NEWSCRAWL_GITHUB_TOKEN") or os.environ.get("GITHUB_TOKEN")
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider._article_done, signal=signal)
        workers = crawler.settings.get("NEWSCRAWL_PARSE_WORKERS")
        spider.parse_workers = int(workers) if workers not in (None, "") else min(4, (os.cpu_count() or 1) - 1)
        spider.allowed_domains = [*GITHUB_HOSTS, *spider.share_hosts]
        return spider

    def progress(self) -> tuple[str, int, int]:
        done = self.crawler.stats.get_value("newscrawl/history/read", 0)
        skipped = self.crawler.stats.get_value("newscrawl/incremental/skipped_sources", 0)
        return "sources", done + skipped, self.listed

    # --- listing -------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        if self.local is not None:
            async for item_or_request in self._local_sources():
                yield item_or_request
            return
        assert self.repo is not None
        yield self._listing_request(self.repo.tree_url())

    async def _local_sources(self) -> AsyncIterator[Any]:
        """A local checkout's sources, read where they lie (spiders/checkout.py)."""
        assert self.local is not None
        paths = list(local_sources(self.local, self.patterns, self.since, self.until))
        self.listed = len(paths)
        self._room = asyncio.Event()
        # known_source is the incremental middleware's by now (it sets it when it is made).
        reader = CheckoutReader(self.local, self.parse_workers, self.known_source, self._unreadable)
        async for path, sha, fields, reason in reader.read(paths, self._wait_for_room):
            for output in self._article(fields, reason, path, sha, fetched_at()):
                yield output

    async def _wait_for_room(self) -> None:
        while self.open_articles > MAX_OPEN:
            assert self._room is not None
            self._room.clear()
            await self._room.wait()

    def _unreadable(self, path: str, exc: OSError) -> None:
        self._count(f"fetch_error/{type(exc).__name__}")
        self.logger.warning("Source not read (%s): %s", exc.strerror or exc, path)

    def _article_done(self) -> None:
        self.open_articles = max(0, self.open_articles - 1)
        if self._room is not None and self.open_articles <= MAX_OPEN // 2:
            self._room.set()

    @staticmethod
    def known_source(sha: str, path: str) -> bool:
        """Whether a source was read before; incremental runs (crawling/incremental.py) say."""
        return False

    def _listing_request(self, url: str, folder: str | None = None) -> scrapy.Request:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        # GitHub's API and raw host are APIs with rate limits of their own (honoured), not pages
        # for crawlers: their robots.txt is not asked.
        return scrapy.Request(url, callback=self.parse_listing, errback=self.listing_failed, headers=headers,
                              cb_kwargs={"folder": folder}, dont_filter=True,
                              meta={KIND: LISTING, "dont_obey_robotstxt": True})

    def parse_listing(self, response: Response, folder: str | None) -> Iterator[scrapy.Request]:
        """The whole repository's listing (folder None), its top level (""), or one folder's."""
        assert self.repo is not None
        try:
            tree = parse_tree(response.body, response.url)
        except PageError as exc:
            raise self._listing_error(exc.reason, response.url) from None
        if folder == "":
            yield from self._folder_listings(tree)
            return
        if tree.truncated and folder is None:
            # A listing too long for one answer: list the post folders one by one instead.
            self._count("tree_truncated")
            self.logger.warning("GitHub cut the listing of %s short (truncated); listing %s one by one",
                                response.url, ", ".join(self.patterns))
            yield self._listing_request(self.repo.tree_url(recursive=False), folder="")
            return
        if tree.truncated:
            self._count("tree_truncated")
            self.logger.error("GitHub cut the listing of %s short even for one folder: sources beyond it are "
                              "not read this run", folder)
        yield from self._sources(tree, prefix=f"{folder}/" if folder else "")

    def _folder_listings(self, top: Tree) -> Iterator[scrapy.Request]:
        assert self.repo is not None
        folders = {pattern.strip("/").split("/")[0] for pattern in self.patterns}
        for entry in top.entries:
            if entry.type == "tree" and entry.path in folders:
                yield self._listing_request(self.repo.tree_url(entry.sha), folder=entry.path)

    def _sources(self, tree: Tree, prefix: str) -> Iterator[scrapy.Request]:
        assert self.repo is not None
        for entry in tree.entries:
            path = prefix + entry.path
            if entry.type == "blob" and wanted(path, self.patterns, self.since, self.until):
                self.listed += 1
                yield self._source_request(self.repo.raw_url(path), path, entry.sha)

    def listing_failed(self, failure: Failure) -> None:
        response = getattr(failure.value, "response", None)
        if isinstance(failure.value, HttpError) and response is not None:
            limit = rate_limit(response.headers)
            if response.status in (403, 429) and limit.exhausted:
                self._count("rate_limited")
                when = limit.reset_at.isoformat(timespec="seconds") if limit.reset_at else "later"
                self.logger.error("GitHub's API rate limit is used up until %s: run again then, or set "
                                  "NEWSCRAWL_GITHUB_TOKEN (5,000 requests an hour)", when)
                raise CloseSpider("rate_limited")
            raise self._listing_error(f"http_{response.status}", failure.request.url)
        raise self._listing_error(type(failure.value).__name__, failure.request.url)

    def _listing_error(self, reason: str, url: str) -> CloseSpider:
        self._count(f"listing_failed/{reason}")
        self.logger.error("The repository's file list could not be read (%s): %s", reason, url)
        return CloseSpider("listing_failed")

    # --- sources -------------------------------------------------------------------------
    def _source_request(self, url: str, path: str, sha: str) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_source_file, errback=self.source_failed,
                              meta={KIND: SOURCE, BLOB: sha, SOURCE_PATH: path, "dont_obey_robotstxt": True})

    def parse_source_file(self, response: Response) -> Iterator[Any]:
        path = response.meta[SOURCE_PATH]
        sha = blob_sha(response.body)
        if sha != response.meta[BLOB]:
            self._count("changed_since_listing")  # the ref moved on: this content is what was read
        yield from self._read(response.body, path, sha, fetched_at(response))

    def _read(self, data: bytes, path: str, sha: str, fetched: str) -> Iterator[Any]:
        yield from self._article(*read_source(data, path), path, sha, fetched)

    def _article(self, fields: dict[str, Any] | None, reason: str, path: str, sha: str,
                 fetched: str) -> Iterator[Any]:
        """The article a source gave (after its share answer, when followed), or a counted drop."""
        self._count("read")
        if reason == "parser_error":
            self.logger.error("Source parser failed: %s (parse_source on it gives the traceback)", path)
        if fields is None:
            self._count(f"source_dropped/{reason}")
            self.logger.info("Source dropped (%s): %s", reason, path)
            self._announce(sha, path, None, reason)
            return
        self.open_articles += 1
        provenance = {f: "repo" for f in ("title", "published_at", "media", "body_html", "body_text")}
        # The source rides with the article (through the share request, which the disk queue
        # pickles): its item then names this source.
        article = {**fields, "fetched_at": fetched, "provenance": provenance, _SOURCE_KEY: (sha, path)}
        request = self.share_request(article, fields["share_url"]) if self.follow_share and fields["share_url"] else None
        if request is not None:
            yield request
        else:
            yield from self.finish_article(article, None)

    def finish_article(self, article: dict[str, Any], share: dict[str, Any] | None) -> Iterator[Article]:
        sha, path = article.pop(_SOURCE_KEY)
        for item in super().finish_article(article, share):
            self._announce(sha, path, article["id"], "ok", item)
            yield item

    def source_failed(self, failure: Failure) -> None:
        response = getattr(failure.value, "response", None)
        reason = f"http_{response.status}" if response is not None else type(failure.value).__name__
        self._count(f"fetch_error/{reason}")
        self.logger.warning("Source not fetched (%s): %s", reason, failure.request.url)

    def _announce(self, sha: str, path: str, article_id: str | None, reason: str, item: Article | None = None) -> None:
        self.crawler.signals.send_catch_log(source_read, sha=sha, path=path, article_id=article_id, reason=reason,
                                            item=item)

    def _count(self, event: str) -> None:
        self.crawler.stats.inc_value(f"newscrawl/{self.name}/{event}")


def source_of(value: str) -> tuple[Path | None, Repo | None]:
    """A local checkout (a directory) or a GitHub repository; ValueError names what is neither."""
    if value.startswith("github:"):
        return None, parse_repo(value)
    path = Path(value).expanduser()
    if not path.is_dir():
        raise ValueError(f"-a repo={value}: no such directory, and not github:OWNER/NAME[@REF]")
    if not any((path / folder).is_dir() for folder in POST_FOLDERS):
        raise ValueError(f"-a repo={value}: has neither {' nor '.join(POST_FOLDERS)}")
    return path, None
