"""The crawl's request queue on disk, so that memory does not grow with the site.

A category page of the busiest media lists every live post of it (~50,000 on a 100,000-post
site): Scrapy's memory queue holds a Request for each until it is downloaded, ~1 KB apiece.
Scrapy keeps its queue on disk only with JOBDIR (a crawl that can be paused and resumed);
DiskQueueScheduler gives a crawl without JOBDIR the same disk queue in a temporary
directory of its own (removed when the crawl ends; one a killed crawl left is removed by the
next). With JOBDIR set it is Scrapy's scheduler unchanged. Setting NEWSCRAWL_DISK_QUEUE =
False keeps the whole queue in memory.

A disk queue that fails (a full temporary disk) has lost requests already: the queue writes
through a buffer, so the bytes of earlier requests may never have reached the file. It is
dropped (`newscrawl/queue/disk_failed`), the queue goes on in memory, and the crawl stops as
on any storage failure (exit code 4): what it did not get to is fetched by the next run.
"""

from __future__ import annotations

import contextlib
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

from newscrawl.archive import write_problem
from newscrawl.crawling import storage_failed

logger = logging.getLogger(__name__)
PREFIX = "newscrawl-queue-"


class DiskQueueScheduler(Scheduler):
    temporary: Path | None = None
    crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DiskQueueScheduler:
        scheduler = super().from_crawler(crawler)
        assert isinstance(scheduler, DiskQueueScheduler)
        if job_dir(crawler.settings) is None and crawler.settings.getbool("NEWSCRAWL_DISK_QUEUE", True):
            remove_abandoned(Path(tempfile.gettempdir()))
            scheduler.temporary = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
            scheduler.dqdir = scheduler._dqdir(str(scheduler.temporary))
        scheduler.crawler = crawler
        return scheduler

    def close(self, reason: str) -> Any:
        try:
            return super().close(reason)
        except OSError as exc:
            self._disk_broken(exc)
            return None
        finally:
            if self.temporary is not None:
                shutil.rmtree(self.temporary, ignore_errors=True)

    def __len__(self) -> int:
        try:
            return super().__len__()
        except OSError as exc:
            self._disk_broken(exc)
            return len(self.mqs)

    def _dqpush(self, request: Request) -> bool:
        try:
            return super()._dqpush(request)
        except OSError as exc:
            self._disk_broken(exc)
            return False

    def _dqpop(self) -> Request | None:
        try:
            return super()._dqpop()
        except OSError as exc:
            self._disk_broken(exc)
            return None

    def _disk_broken(self, exc: OSError) -> None:
        """Drop the disk queue and stop the crawl (said once, through storage_failed)."""
        queue, self.dqs = self.dqs, None
        if queue is None:
            return
        if self.stats is not None:
            self.stats.inc_value("newscrawl/queue/disk_failed")
        with contextlib.suppress(OSError):
            queue.close()
        where = self.temporary or Path(self.dqdir or tempfile.gettempdir())
        problem = write_problem(exc, where) or f"the request queue on disk at {where} failed: {exc}"
        if self.crawler is not None:
            storage_failed(self.crawler, problem)
        else:
            logger.error("The request queue on disk failed: %s", problem)


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
