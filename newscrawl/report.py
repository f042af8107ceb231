"""Write the crawl's outcome (finish reason and stats) to a JSON file when it ends.

The demo, the tests and cron wrappers read it instead of scraping the log.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector


class RunReportExtension:
    def __init__(self, path: str, stats: StatsCollector) -> None:
        self.path = Path(path)
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReportExtension:
        path = crawler.settings.get("NEWSCRAWL_REPORT")
        if not path:
            raise NotConfigured("NEWSCRAWL_REPORT is empty")
        ext = cls(path, crawler.stats)
        # Connected after CoreStats (an earlier extension), so finish_time and finish_reason
        # are in the stats by the time this handler runs.
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Spider, reason: str) -> None:
        report = {
            "spider": spider.name,
            "finish_reason": reason,
            "stats": {k: _plain(v) for k, v in sorted(self.stats.get_stats().items())},
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(self.path)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
