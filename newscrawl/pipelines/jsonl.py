"""Append each new or changed article to a JSONL file (setting NEWSCRAWL_JSONL).

UTF-8 without escapes, one article per line, the item's field names in item order. Lines are
written whole and flushed when the archive commits the articles they hold (or at once when
there is no archive), so an interrupted crawl leaves only complete lines behind, and no line
for an article the archive lost — the rerun writes it then, once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from newscrawl.archive import Archive
from newscrawl.items import item_fields
from newscrawl.pipelines import archive_for


class AppendJsonlPipeline:
    def __init__(self, path: str, stats: StatsCollector, archive: Archive | None = None) -> None:
        self.path = Path(path)
        self.stats = stats
        self.archive = archive
        self.file: IO[str] | None = None
        self.lines: list[str] = []
        if archive is not None:
            archive.on_commit.append(self.flush)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AppendJsonlPipeline:
        path = crawler.settings.get("NEWSCRAWL_JSONL")
        if not path:
            raise NotConfigured("NEWSCRAWL_JSONL is empty")
        archive = archive_for(crawler) if crawler.settings.get("NEWSCRAWL_DB") else None
        return cls(path, crawler.stats, archive)

    def open_spider(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = self.path.open("a", encoding="utf-8")

    def close_spider(self) -> None:
        if self.archive is not None:
            self.archive.commit()  # which flushes the lines
        self.flush()
        if self.file is not None:
            self.file.close()
            self.file = None

    def process_item(self, item: Any) -> Any:
        self.lines.append(json.dumps(item_fields(item), ensure_ascii=False) + "\n")
        if self.archive is None:
            self.flush()
        return item

    def flush(self) -> None:
        if not self.lines or self.file is None:
            return
        self.file.write("".join(self.lines))
        self.file.flush()
        self.stats.inc_value("newscrawl/jsonl/written", len(self.lines))
        self.lines.clear()
