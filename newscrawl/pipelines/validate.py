"""Drop articles that cannot be archived: no numeric id, no URL, no title, no date; and take
out times no news can have (before NEWSCRAWL_EARLIEST_DATE, or NEWSCRAWL_FUTURE_DAYS ahead:
a generator's 1970, a share host's year 9999), falling back to a plausible one."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from newscrawl.crawling.quality import FIRST_SEEN, LAST_SEEN
from newscrawl.processing.merge import BEIJING, plausible_time

_ASCII_DIGITS = re.compile(r"[0-9]+")
# The times an article has, in the order a publication time is taken from them.
_TIMES = ("source_published_at", "site_published_at")
logger = logging.getLogger(__name__)


class ValidateArticlePipeline:
    def __init__(self, stats: StatsCollector, earliest: str = "2000-01-01", future_days: float = 1.0) -> None:
        self.stats = stats
        self.earliest = _aware(datetime.fromisoformat(earliest))
        self.future = timedelta(days=future_days)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidateArticlePipeline:
        s = crawler.settings
        return cls(crawler.stats, s.get("NEWSCRAWL_EARLIEST_DATE", "2000-01-01"), s.getfloat("NEWSCRAWL_FUTURE_DAYS", 1.0))

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        reason = self._implausible_times(adapter)
        reason = reason or problem(adapter)
        if reason:
            self.stats.inc_value(f"newscrawl/validate/{reason}")
            raise DropItem(f"{reason}: {adapter.get('url')}")
        # The window of publication times this run saw (the gap alarm compares runs by it).
        seen(self.stats, adapter.get("published_at"))
        return item


    def _implausible_times(self, adapter: ItemAdapter) -> str | None:
        """Take out times outside the plausible window (counted, logged); "implausible_date"
        when the article had times and none is left. (A share answer's is judged before it is
        merged: spiders/sharing.py.)"""
        latest = datetime.now(BEIJING) + self.future
        had = [f for f in (*_TIMES, "published_at") if adapter.get(f)]
        for field in had:
            if not plausible_time(adapter[field], self.earliest, latest):
                self.stats.inc_value(f"newscrawl/validate/implausible_date/{field}")
                logger.warning("Implausible %s %r taken out: %s", field, adapter[field], adapter.get("url"))
                adapter[field] = None
        if had and not adapter.get("published_at"):
            fallback = next((f for f in _TIMES if adapter.get(f)), None)
            if fallback is None:
                return "implausible_date"
            provenance = dict(adapter.get("provenance") or {})
            page = provenance.get("published_at") if provenance.get("published_at") in ("post", "feed") else "post"
            provenance["published_at"] = "share" if fallback == "source_published_at" else page
            adapter["published_at"], adapter["provenance"] = adapter[fallback], provenance
        return None


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=BEIJING)


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
