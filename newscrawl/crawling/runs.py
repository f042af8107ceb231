"""Record each run in the archive's `runs` table: spider, kind (a crawl, or a replay of the
captures), start/end, arguments, stats, outcome.

The row is written when the spider opens (outcome "running") and completed when it closes,
inside the archive's own transactions: a killed crawl leaves "running" behind (or no row, if
it died before its first commit), which is what happened.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newscrawl.archive import Archive
from newscrawl.archive.runs import CRAWL, REPLAY
from newscrawl.crawling import archive_for, storage_kept
from newscrawl.crawling.report import _plain


class RunsExtension:
    def __init__(self, archive: Archive, crawler: Crawler) -> None:
        self.archive = archive
        self.crawler = crawler
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunsExtension:
        if not crawler.settings.get("NEWSCRAWL_DB"):
            raise NotConfigured("NEWSCRAWL_DB is empty")
        ext = cls(archive_for(crawler), crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        # After CoreStats (finish_time and reason are in the stats); the archive is closed
        # only when the engine stops, after this.
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        arguments = {"spider": getattr(spider, "arguments", {}), "settings": self._overrides()}
        kind = REPLAY if self.crawler.settings.getbool("NEWSCRAWL_REPLAY") else getattr(spider, "run_kind", CRAWL)
        with storage_kept():
            # The archiver's run is its workers' spider's (distributed/archiver.py).
            self.run_id = self.archive.start_run(getattr(spider, "run_spider", spider.name), kind,
                                                 getattr(spider, "run_started_at", None) or _now(), arguments)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.run_id is None:
            return
        stats = {k: _plain(v) for k, v in sorted((self.crawler.stats.get_stats() or {}).items())}
        # After a storage failure the row stays "running", like a killed run's: nothing the
        # run read counts as read by a finished run.
        with storage_kept():
            self.archive.finish_run(self.run_id, _now(), stats, reason)

    def _overrides(self) -> dict[str, Any]:
        """Settings given on the command line (-s) or by the spider: what made this run differ."""
        s = self.crawler.settings
        return {k: _plain(s[k]) for k in sorted(s.attributes) if s.getpriority(k) >= 30 and _is_plain(s[k])}


def _is_plain(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | type(None))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
