"""Drop articles that cannot be archived: no numeric id, no URL, no title, no date."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from newscrawl.crawling.quality import FIRST_SEEN, LAST_SEEN

_ASCII_DIGITS = re.compile(r"[0-9]+")


class ValidateArticlePipeline:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidateArticlePipeline:
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        reason = problem(adapter)
        if reason:
            self.stats.inc_value(f"newscrawl/validate/{reason}")
            raise DropItem(f"{reason}: {adapter.get('url')}")
        # The window of publication times this run saw (the gap alarm compares runs by it).
        seen(self.stats, adapter.get("published_at"))
        return item


def seen(stats: Any, published_at: str | None) -> None:
    if published_at:
        stats.min_value(FIRST_SEEN, published_at)
        stats.max_value(LAST_SEEN, published_at)


def problem(adapter: ItemAdapter) -> str | None:
    """The first reason an article is unusable, as a stats key; None when it is fine."""
    article_id = adapter.get("id")
    # The site's own news (/sitenews/…/init.html) is a post without an article id.
    if not article_id or not _ASCII_DIGITS.fullmatch(str(article_id)):
        return "missing_id"
    if not adapter.get("url"):
        return "missing_url"
    if not (adapter.get("title") or "").strip():
        return "missing_title"
    # Share-only articles (the share spider) have the source's time but no page time.
    published = adapter.get("site_published_at") or adapter.get("published_at")
    if not published:
        return "missing_date"
    try:
        datetime.fromisoformat(published)
    except ValueError:
        return "bad_date"
    return None
