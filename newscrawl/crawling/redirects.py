"""Count the redirects that lead nowhere: a page redirecting to itself, or round a loop, ends
in Scrapy's duplicate filter without a word. Here it is counted
(`newscrawl/redirect/loop`) and logged once per page."""

from __future__ import annotations

import logging

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


class RedirectLoopExtension:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectLoopExtension:
        extension = cls(crawler.stats)
        crawler.signals.connect(extension.request_dropped, signal=signals.request_dropped)
        return extension

    def request_dropped(self, request: Request) -> None:
        chain = request.meta.get("redirect_urls") or []
        if request.url in chain:
            self.stats.inc_value("newscrawl/redirect/loop")
            logger.warning("Redirect loop, page not fetched: %s", " -> ".join([*chain, request.url]))
