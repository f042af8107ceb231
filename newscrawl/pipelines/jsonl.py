"""Append each new or changed article to a JSONL file (setting NEWSCRAWL_JSONL).

UTF-8 without escapes, one article per line, the item's field names in item order. Each line
is written whole and flushed, so an interrupted crawl leaves only complete lines behind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector


class AppendJsonlPipeline:
    def __init__(self, path: str, stats: StatsCollector) -> None:
        self.path = Path(path)
        self.stats = stats
        self.file: IO[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AppendJsonlPipeline:
        path = crawler.settings.get("NEWSCRAWL_JSONL")
        if not path:
            raise NotConfigured("NEWSCRAWL_JSONL is empty")
        return cls(path, crawler.stats)

    def open_spider(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = self.path.open("a", encoding="utf-8")

    def close_spider(self) -> None:
        if self.file is not None:
            self.file.close()

    def process_item(self, item: Any) -> Any:
        assert self.file is not None
        line = json.dumps(dict(ItemAdapter(item).items()), ensure_ascii=False) + "\n"
        self.file.write(line)
        self.file.flush()
        self.stats.inc_value("newscrawl/jsonl/written")
        return item
