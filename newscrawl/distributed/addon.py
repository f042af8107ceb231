"""The Scrapy add-on that makes a crawl a worker when NEWSCRAWL_REDIS_URL is set.

A worker keeps every component of an ordinary crawl that navigates (spider middlewares,
downloader middlewares, politeness, incremental skipping from the state the archiver
published) and replaces the two that hold the crawl's memory: the scheduler (the run's shared
queue and fingerprints in Redis, worker.RunScheduler) and the item pipelines (one: the items
go to the archiver, worker.HandoffPipeline). `scrapy archiver` sets NEWSCRAWL_ROLE so that
the archiver, which has NEWSCRAWL_REDIS_URL too, stays an ordinary writer.
"""

from __future__ import annotations

from scrapy.settings import BaseSettings

from newscrawl.distributed import worker_mode

# Above the project's settings, below the command line's: `-s SCHEDULER=…` still wins.
PRIORITY = "spider"


class WorkerAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        if not worker_mode(settings):
            return
        settings.set("SCHEDULER", "newscrawl.distributed.worker.RunScheduler", PRIORITY)
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", PRIORITY)
        settings.set("ITEM_PIPELINES", {"newscrawl.distributed.worker.HandoffPipeline": 100}, PRIORITY)
