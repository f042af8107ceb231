"""Write articles into the SQLite archive (setting NEWSCRAWL_DB).

The dedup pipeline before this one has decided what the article is (new, revised, a copy);
this one writes it: the article row, the earlier version into `revisions`, the cluster, and
the article's near-duplicate keys, atomically. Articles are committed in groups
(NEWSCRAWL_COMMIT_EVERY, and at least every NEWSCRAWL_COMMIT_SECONDS while a crawl runs):
a commit per article would cost more than everything else the pipelines do.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.asyncio import AsyncioLoopingCall, create_looping_call
from twisted.internet.task import LoopingCall

from newscrawl.archive import Archive, StorageError
from newscrawl.crawling import archive_for, storage_kept
from newscrawl.items import item_fields


class StoreArticlePipeline:
    def __init__(self, archive: Archive, stats: Any, commit_seconds: float = 0.0) -> None:
        self.archive = archive
        self.stats = stats
        self.commit_seconds = commit_seconds
        self.timer: AsyncioLoopingCall | LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoreArticlePipeline:
        return cls(archive_for(crawler), crawler.stats, crawler.settings.getfloat("NEWSCRAWL_COMMIT_SECONDS", 0.0))

    def open_spider(self) -> None:
        # A slow, polite crawl fills a group slowly: commit what there is every few seconds.
        if self.commit_seconds > 0 and self.archive.commit_every > 1:
            self.timer = create_looping_call(self._commit_pending)
            self.timer.start(self.commit_seconds, now=False)

    def close_spider(self) -> None:
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        with storage_kept():
            self.archive.commit()

    def _commit_pending(self) -> None:
        # Also when no article was written: captures and the run's row are writes too, and an
        # open write transaction would keep other writers waiting.
        if self.archive.failed is None and (self.archive.pending or self.archive.in_transaction):
            with storage_kept():
                self.archive.commit()

    def process_item(self, item: Any) -> Any:
        record = item_fields(item)
        stored = self.archive.get(record["id"])
        try:
            result = self.archive.save(record, stored)
        except StorageError:
            # The crawl is stopping (said once): the article is fetched again by the next run.
            self.stats.inc_value("newscrawl/store/not_stored")
            raise DropItem(f"not_stored: {record.get('url')}", log_level="DEBUG") from None
        self.stats.inc_value(f"newscrawl/store/{result}")
        return item
