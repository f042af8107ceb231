"""Infer the publication time of articles that have no true one, at the run's end
(processing/timeline.py; setting NEWSCRAWL_INFER_TIMES).

An article archived with its page's time only (no share answer, no repository source) is
marked pending just before the store pipeline writes it, so both are in one transaction
(also when every article is committed at once, NEWSCRAWL_COMMIT_EVERY = 1); its JSONL line
waits too. When the spider closes, the
pending articles and their neighbours in the archive (a day either side) are read in id order,
a chain at a time, each unknown time is chosen (the page's, or 8 hours earlier: provenance
`inferred`), and the pending articles' lines are written with the times they ended with, a
few hundred per commit. An article whose inferred time changes because of newer neighbours
is written again. A killed run leaves its articles pending: the next run's end does them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from newscrawl.archive import Archive, StorageError
from newscrawl.archive.timeline import Row
from newscrawl.crawling import archive_for, storage_kept
from newscrawl.items import item_fields
from newscrawl.pipelines.jsonl import AppendJsonlPipeline
from newscrawl.processing.timeline import Post, chains, choose, iso, parse_time, timeline_id

KNOWN = ("share", "repo")  # where a true time comes from
CHUNK = 500


def needs_inference(record: dict[str, Any]) -> bool:
    where = (record.get("provenance") or {}).get("published_at", "post")
    return where not in KNOWN and bool(record.get("site_published_at")) and timeline_id(str(record.get("id", "")))


class InferTimesPipeline:
    def __init__(self, archive: Archive, stats: StatsCollector, crawler: Crawler | None = None) -> None:
        self.archive = archive
        self.stats = stats
        self.crawler = crawler
        self.jsonl: AppendJsonlPipeline | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> InferTimesPipeline:
        s = crawler.settings
        if not s.getbool("NEWSCRAWL_INFER_TIMES", True) or not s.get("NEWSCRAWL_DB"):
            raise NotConfigured("inferred publication times are off (NEWSCRAWL_INFER_TIMES, or no archive)")
        return cls(archive_for(crawler), crawler.stats, crawler)

    def open_spider(self) -> None:
        if self.crawler is not None:
            self.jsonl = self.crawler.get_item_pipeline(AppendJsonlPipeline)
            if self.jsonl is not None:
                self.jsonl.waits = self.archive.time_pending

    def process_item(self, item: Any) -> Any:
        record = item_fields(item)
        if needs_inference(record):
            with storage_kept():
                self.archive.mark_time_pending([record["id"]])
                self.stats.inc_value("newscrawl/timeline/pending")
        return item

    def close_spider(self) -> None:
        if self.archive.failed is not None:
            return
        try:
            self.infer()
            self.write_pending()
        except StorageError:
            pass  # said once; they stay pending for the next run

    def infer(self) -> None:
        """Choose the time of every unknown post in the pending articles' days (and a day either side)."""
        span = self.archive.time_pending_range()
        if span is None:
            return
        low, high = (_day(span[0], -1) + "0000000000"), (_day(span[1], 1) + "9999999999")
        updates: list[tuple[str, str, str]] = []
        for chain in chains(_posts(self.archive.timeline_rows(low, high))):
            for post, (time, decided) in zip(chain, choose(chain), strict=True):
                if post.known is not None:
                    continue
                where = "inferred" if decided else ("post" if post.provenance == "inferred" else post.provenance or "post")
                if decided:
                    self.stats.inc_value("newscrawl/timeline/inferred")
                    if time != post.page:
                        self.stats.inc_value("newscrawl/timeline/shifted")
                else:
                    self.stats.inc_value("newscrawl/timeline/undecided")
                if (iso(time), where) != (post.published, post.provenance):
                    updates.append((post.id, iso(time), where))
            if len(updates) >= CHUNK:
                self._apply(updates)
                updates = []
        self._apply(updates)

    def _apply(self, updates: list[tuple[str, str, str]]) -> None:
        if updates:
            self.archive.set_inferred_times(updates)
            # Articles written before with another time are written again.
            self.archive.mark_time_pending([u[0] for u in updates])

    def write_pending(self) -> None:
        """The pending articles' JSONL lines, with their final times, a chunk per commit."""
        after = ""
        while ids := self.archive.time_pending_ids(after, CHUNK):
            after = ids[-1]
            if self.jsonl is not None:
                for record in self.archive.records(ids):
                    self.jsonl.add(record)
            self.archive.clear_time_pending(ids)
            self.archive.commit()
            self.stats.inc_value("newscrawl/timeline/written", len(ids))


def _posts(rows: Iterator[Row]) -> Iterator[Post]:
    for article_id, published, page, where in rows:
        known = parse_time(published) if where in KNOWN else None
        page_time = parse_time(page)
        if known is None and page_time is None:
            continue
        yield Post(article_id, page_time, known, published, where)


def _day(article_id: str, days: int) -> str:
    return (datetime.strptime(article_id[:8], "%Y%m%d") + timedelta(days=days)).strftime("%Y%m%d")
