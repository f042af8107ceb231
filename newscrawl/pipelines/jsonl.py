"""Append each new or changed article to JSONL (settings NEWSCRAWL_JSONL, _GZIP, _DAILY).

UTF-8 without escapes, one article per line, fields in Article order. The lines of a group
are written when the archive commits the group's articles (at once when there is no
archive), each group in one write() (export/jsonl.py): a kill leaves no partial line, no
line for an article the archive lost, and the rerun writes each article once. With
NEWSCRAWL_JSONL_DAILY, lines go to `articles-YYYY-MM-DD.jsonl` by fetch day; with
NEWSCRAWL_JSONL_GZIP the files are gzip (`.jsonl.gz`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from newscrawl.archive import Archive
from newscrawl.crawling import archive_for
from newscrawl.export.jsonl import append, line, partition_path, repair
from newscrawl.items import item_fields


class AppendJsonlPipeline:
    def __init__(self, path: str, stats: StatsCollector, archive: Archive | None = None,
                 daily: bool = False, compress: bool = False) -> None:
        self.path = Path(path)
        self.stats = stats
        self.archive = archive
        self.daily = daily
        self.compress = compress
        self.lines: dict[Path, list[str]] = {}
        self.repaired: set[Path] = set()
        if archive is not None:
            archive.on_commit.append(self.flush)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AppendJsonlPipeline:
        s = crawler.settings
        path = s.get("NEWSCRAWL_JSONL")
        if not path:
            raise NotConfigured("NEWSCRAWL_JSONL is empty")
        archive = archive_for(crawler) if s.get("NEWSCRAWL_DB") else None
        return cls(path, crawler.stats, archive, s.getbool("NEWSCRAWL_JSONL_DAILY"), s.getbool("NEWSCRAWL_JSONL_GZIP"))

    def close_spider(self) -> None:
        if self.archive is not None:
            self.archive.commit()  # which flushes the lines
        self.flush()

    def process_item(self, item: Any) -> Any:
        record = item_fields(item)
        path = partition_path(self.path, record.get("fetched_at"), self.daily, self.compress)
        self.lines.setdefault(path, []).append(line(record))
        # Written with its group's commit; at once without an archive, or when the article's
        # group was committed already (a timer commit may come between store and here).
        if self.archive is None or record.get("id") not in self.archive.pending_ids:
            self.flush()
        return item

    def flush(self) -> None:
        for path, lines in self.lines.items():
            if path not in self.repaired:
                if cut := repair(path):
                    self.stats.inc_value("newscrawl/jsonl/repaired_bytes", cut)
                self.repaired.add(path)
            append(path, lines)
            self.stats.inc_value("newscrawl/jsonl/written", len(lines))
        self.lines.clear()
