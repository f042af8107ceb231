"""A progress line in the log while a crawl runs (NEWSCRAWL_PROGRESS_SECONDS, at most 30 s apart).

    Progress: 1,234 pages (41.1/s), 456 new articles, 12 revised, 3 failed requests, 2 min 30 s

A spider that knows how much it has to do (`progress()` -> (what, done, total): the history
spider's sources) adds it, with the time left at the recent rate:

    …, sources 4,000/20,000, 3 min 10 s to go

It takes the place of Scrapy's LogStats line, which says nothing of articles.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import AsyncioLoopingCall, create_looping_call
from twisted.internet.task import LoopingCall

logger = logging.getLogger(__name__)


class ProgressExtension:
    def __init__(self, stats: Any, interval: float) -> None:
        self.stats = stats
        self.interval = interval
        self.started = time.monotonic()
        self.last: tuple[float, int] = (self.started, 0)
        self.timer: AsyncioLoopingCall | LoopingCall | None = None
        self.spider: Any = None
        self.last_done = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        interval = crawler.settings.getfloat("NEWSCRAWL_PROGRESS_SECONDS", 30.0)
        if interval <= 0:
            raise NotConfigured("NEWSCRAWL_PROGRESS_SECONDS is 0")
        extension = cls(crawler.stats, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        self.spider = spider
        self.started = time.monotonic()
        self.last = (self.started, 0)
        self.timer = create_looping_call(self.log)
        self.timer.start(self.interval, now=False)

    def spider_closed(self) -> None:
        if self.timer is not None and self.timer.running:
            self.timer.stop()

    def log(self) -> None:
        logger.info("Progress: %s", self.line(time.monotonic()))

    def line(self, now: float) -> str:
        get = self.stats.get_value
        pages = get("response_received_count", 0)
        then, pages_then = self.last
        self.last = (now, pages)
        rate = (pages - pages_then) / (now - then) if now > then else 0.0
        failed = sum(v for k, v in (self.stats.get_stats() or {}).items()
                     if k.startswith("newscrawl/") and "/fetch_error/" in k)
        line = (f"{pages:,} pages ({rate:,.1f}/s), {get('newscrawl/store/new', 0):,} new articles, "
                f"{get('newscrawl/store/changed', 0):,} revised, {failed:,} failed requests, {_elapsed(now - self.started)}")
        progress = getattr(self.spider, "progress", None)
        if progress is not None:
            what, done, total = progress()
            pace = (done - self.last_done) / (now - then) if now > then else 0.0
            self.last_done = done
            to_go = f", {_elapsed((total - done) / pace)} to go" if pace > 0 and total > done else ""
            line += f", {what} {done:,}/{total:,}{to_go}"
        return line


def _elapsed(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"
