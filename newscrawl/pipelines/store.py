"""Upsert articles into the SQLite archive (setting NEWSCRAWL_DB).

What is written is reconciled with what the archive holds (merge.reconcile): a failed share
fetch does not erase an earlier run's source fields, nor a share-only article a post's.

An article the archive already holds unchanged is dropped here (`newscrawl/store/unchanged`),
so the pipelines after this one (the JSONL export) only see what is new or changed.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.statscollectors import StatsCollector

from newscrawl.archive import Archive
from newscrawl.merge import reconcile


class StoreArticlePipeline:
    def __init__(self, db_path: str, stats: StatsCollector) -> None:
        self.db_path = db_path
        self.stats = stats
        self.archive: Archive | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoreArticlePipeline:
        db_path = crawler.settings.get("NEWSCRAWL_DB")
        if not db_path:
            raise NotConfigured("NEWSCRAWL_DB is empty")
        return cls(db_path, crawler.stats)

    def open_spider(self) -> None:
        self.archive = Archive(self.db_path)

    def close_spider(self) -> None:
        if self.archive is not None:
            self.archive.close()

    def process_item(self, item: Any) -> Any:
        assert self.archive is not None
        adapter = ItemAdapter(item)
        stored = self.archive.get(adapter["id"])
        record = reconcile(adapter.asdict(), stored)
        for name, value in record.items():
            adapter[name] = value
        result = self.archive.save(record, stored)
        self.stats.inc_value(f"newscrawl/store/{result}")
        if result == "unchanged":
            raise DropItem(f"unchanged: {adapter['url']}", log_level="DEBUG")
        return item
