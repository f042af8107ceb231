"""Crawl-time Scrapy components that are not item pipelines: politeness (User-Agent, retries
that wait), raw captures and their replay, incremental runs, the `runs` record, the run
report with its quality gates and gap alarm.

They share the crawl's one archive writer (`archive_for`). A write that fails for want of
storage (a full disk, a read-only archive or JSONL) stops the crawl (`storage_failed`): said
once, counted as `newscrawl/storage/failed`, finish reason `storage_failed`, and every later
write is skipped (`storage_kept`) — what was not committed is fetched again by the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro

from newscrawl.archive import Archive, StorageError
from newscrawl.distributed import worker_mode
from newscrawl.processing.stories import WINDOW

_ATTRIBUTE = "_newscrawl_archive"
STORAGE_FAILED = "storage_failed"
PROBLEM_STAT = "newscrawl/storage/problem"
logger = logging.getLogger(__name__)


def story_window(settings: Any) -> timedelta:
    """NEWSCRAWL_STORY_WINDOW_HOURS: how far apart one event's write-ups may be."""
    return timedelta(hours=settings.getfloat("NEWSCRAWL_STORY_WINDOW_HOURS", WINDOW / timedelta(hours=1)))


def archive_for(crawler: Crawler) -> Archive:
    """The crawl's archive at NEWSCRAWL_DB, opened once and closed when the engine stops."""
    archive = getattr(crawler, _ATTRIBUTE, None)
    if archive is None:
        if worker_mode(crawler.settings):
            # Its components that write are off; NEWSCRAWL_DB may name a file of another machine.
            raise NotConfigured("a worker has no archive: `scrapy archiver` writes it")
        path = crawler.settings.get("NEWSCRAWL_DB")
        if not path:
            raise NotConfigured("NEWSCRAWL_DB is empty")
        archive = Archive(path, commit_every=crawler.settings.getint("NEWSCRAWL_COMMIT_EVERY", 1),
                          cache_mib=crawler.settings.getint("NEWSCRAWL_CACHE_MIB", 4),
                          story_window=story_window(crawler.settings))
        archive.on_failure.append(partial(storage_failed, crawler))
        setattr(crawler, _ATTRIBUTE, archive)
        # Closed (and committed) when the engine stops: after every spider_closed handler,
        # so the run record written then is kept too.
        crawler.signals.connect(archive.close, signal=signals.engine_stopped)
    return archive


def storage_failed(crawler: Crawler, problem: str) -> None:
    """Stop the crawl: the archive or the JSONL cannot be written. Said once."""
    stats = crawler.stats
    if stats is None or stats.get_value(PROBLEM_STAT):
        return
    stats.inc_value("newscrawl/storage/failed")
    stats.set_value(PROBLEM_STAT, problem)
    logger.error("The crawl stops: %s. What was not committed is not kept; the next run fetches it again.", problem)
    engine = crawler.engine
    if engine is not None and engine.spider is not None and engine.running:
        deferred_from_coro(engine.close_spider_async(reason=STORAGE_FAILED))


@contextmanager
def storage_kept() -> Iterator[None]:
    """Around a write that may come after the storage failed: skipped then (already said)."""
    try:
        yield
    except StorageError:
        pass
