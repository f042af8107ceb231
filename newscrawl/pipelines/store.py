"""Write articles into the SQLite archive (setting NEWSCRAWL_DB).

The dedup pipeline before this one has decided what the article is (new, revised, a copy);
this one writes it: the article row, the earlier version into `revisions`, the cluster, and
the article's near-duplicate keys, in one transaction.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from newscrawl.archive import Archive
from newscrawl.pipelines import archive_for


class StoreArticlePipeline:
    def __init__(self, archive: Archive, stats: Any) -> None:
        self.archive = archive
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoreArticlePipeline:
        return cls(archive_for(crawler), crawler.stats)

    def process_item(self, item: Any) -> Any:
        record = dict(ItemAdapter(item).items())
        stored = self.archive.get(record["id"])
        result = self.archive.save(record, stored)
        self.stats.inc_value(f"newscrawl/store/{result}")
        return item
