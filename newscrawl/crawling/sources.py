"""Keep which repository sources a backfill read (the `history` spider), so none is read twice.

A source that gave no article is recorded at once, with its reason (unless a later newscrawl
may read it better: a parser error, an undecodable file). One that gave an article
is recorded when that article has been through the pipelines — stored, or dropped as
unchanged or invalid — in the same transaction as the article, so a killed run that lost the
article has not marked its source read. An article whose pipeline failed leaves its source
unread, for the next run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from newscrawl.archive import Archive
from newscrawl.crawling import archive_for, storage_kept
from newscrawl.spiders.history import source_read

# Reasons a later newscrawl may answer differently (a parser bug fixed, a decoder added): the
# source is read again by the next run instead of being kept as read.
UNSETTLED = frozenset({"parser_error", "not_utf8"})


class RepoSourcesExtension:
    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        # Sources whose item is still in the pipelines, by the item's identity: two sources of
        # one id (a post in both folders) each wait for their own item.
        self.pending: dict[int, tuple[Any, str, str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RepoSourcesExtension:
        if not crawler.settings.get("NEWSCRAWL_DB"):
            raise NotConfigured("NEWSCRAWL_DB is empty")
        extension = cls(archive_for(crawler))
        crawler.signals.connect(extension.source_read, signal=source_read)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(extension.item_error, signal=signals.item_error)
        return extension

    def source_read(self, sha: str, path: str, article_id: str | None, reason: str, item: Any = None) -> None:
        if reason == "ok" and item is not None:
            self.pending[id(item)] = (item, sha, path)
        elif reason not in UNSETTLED:
            with storage_kept():
                self.archive.record_source(sha, path, None, reason, _now())

    def item_scraped(self, item: Any) -> None:
        self._done(item, "archived")

    def item_dropped(self, item: Any, exception: DropItem) -> None:
        # "same_id: …" — the archive had it already; any other reason is why it was not kept.
        reason = str(exception).split(":", 1)[0].strip() or "dropped"
        self._done(item, "unchanged" if reason == "same_id" else reason)

    def item_error(self, item: Any) -> None:
        self.pending.pop(id(item), None)

    def _done(self, item: Any, outcome: str) -> None:
        waiting = self.pending.pop(id(item), None)
        if waiting is not None:
            _, sha, path = waiting
            with storage_kept():
                self.archive.record_source(sha, path, getattr(item, "id", None), outcome, _now())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
