"""The crawl's request queue on disk, so that memory does not grow with the site.

A category page of the busiest media lists every live post of it (~50,000 on a 100,000-post
site): Scrapy's memory queue holds a Request for each until it is downloaded, ~1 KB apiece.
Scrapy keeps its queue on disk only with JOBDIR (a crawl that can be paused and resumed);
DiskQueueScheduler gives a crawl without JOBDIR the same disk queue in a temporary
directory of its own (removed when the crawl ends; one a killed crawl left is removed by the
next). With JOBDIR set it is Scrapy's scheduler unchanged. A request the disk cannot take
(a full temporary disk) goes to the memory queue (`newscrawl/queue/disk_failed`, said once).
Setting NEWSCRAWL_DISK_QUEUE = False keeps the whole queue in memory.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler
from scrapy.utils.job import job_dir

logger = logging.getLogger(__name__)
PREFIX = "newscrawl-queue-"


class DiskQueueScheduler(Scheduler):
    temporary: Path | None = None
    _disk_failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DiskQueueScheduler:
        scheduler = super().from_crawler(crawler)
        assert isinstance(scheduler, DiskQueueScheduler)
        if job_dir(crawler.settings) is None and crawler.settings.getbool("NEWSCRAWL_DISK_QUEUE", True):
            remove_abandoned(Path(tempfile.gettempdir()))
            scheduler.temporary = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
            scheduler.dqdir = scheduler._dqdir(str(scheduler.temporary))
        return scheduler

    def close(self, reason: str) -> Any:
        try:
            return super().close(reason)
        finally:
            if self.temporary is not None:
                shutil.rmtree(self.temporary, ignore_errors=True)

    def _dqpush(self, request: Request) -> bool:
        try:
            return super()._dqpush(request)
        except OSError as exc:
            if self.stats is not None:
                self.stats.inc_value("newscrawl/queue/disk_failed")
            if not self._disk_failed:
                self._disk_failed = True
                logger.warning("The request queue's disk cannot take more (%s): requests are queued in memory", exc)
            return False


def remove_abandoned(directory: Path) -> None:
    """Queue directories of crawls that are no longer running (killed: nothing removed them)."""
    for path in directory.glob(f"{PREFIX}*"):
        pid = path.name.removeprefix(PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
