"""Crawl-time Scrapy components that are not item pipelines: politeness (User-Agent, retries
that wait), raw captures and their replay, incremental runs, the `runs` record, the run
report with its quality gates and gap alarm.

They share the crawl's one archive writer (`archive_for`).
"""

from __future__ import annotations

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newscrawl.archive import Archive

_ATTRIBUTE = "_newscrawl_archive"


def archive_for(crawler: Crawler) -> Archive:
    """The crawl's archive at NEWSCRAWL_DB, opened once and closed when the engine stops."""
    archive = getattr(crawler, _ATTRIBUTE, None)
    if archive is None:
        path = crawler.settings.get("NEWSCRAWL_DB")
        if not path:
            raise NotConfigured("NEWSCRAWL_DB is empty")
        archive = Archive(path, commit_every=crawler.settings.getint("NEWSCRAWL_COMMIT_EVERY", 1),
                          cache_mib=crawler.settings.getint("NEWSCRAWL_CACHE_MIB", 16))
        setattr(crawler, _ATTRIBUTE, archive)
        # Closed (and committed) when the engine stops: after every spider_closed handler,
        # so the run record written then is kept too.
        crawler.signals.connect(archive.close, signal=signals.engine_stopped)
    return archive
