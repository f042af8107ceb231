"""`scrapy archiver`: the single writer of a distributed crawl's archive.

    scrapy archiver -s NEWSCRAWL_REDIS_URL=redis://HOST:6379/0 [-s NEWSCRAWL_DB=…] [-s NEWSCRAWL_JSONL=…]
                    [--follow] [--wait SECONDS]

Workers (`scrapy crawl SPIDER -s NEWSCRAWL_REDIS_URL=…`, on any machine) hand their items,
raw captures and outcomes to Redis; the archiver takes them through the ordinary pipelines
into the archive and JSONL, one run at a time, records each run in `runs` with its workers'
stats merged, writes the run report and applies the quality gates and the gap alarm. It
publishes to Redis what the next run's workers need from the archive (archived ids, broken
pages, listing validators, share answers due) when it starts and after each run.

Without --follow it archives every run there is (waiting up to --wait seconds,
NEWSCRAWL_ARCHIVER_WAIT, for the first) and exits once no worker of the last is alive and
its messages are written; with --follow it runs as a service. A killed archiver loses
nothing: restarted, it takes again what it had not committed, and writes nothing twice. One
archiver at a time per Redis (and NEWSCRAWL_REDIS_PREFIX): a second waits up to
NEWSCRAWL_ARCHIVER_LOCK_SECONDS (a minute) for the first to stop, then exits 1 naming it.

Exit codes: 0 every run archived and good; 1 it could not start (no Redis, an unusable
archive or JSONL); 2 a mistake on the command line; 3 a run failed a quality gate or showed a
possible gap; 4 the archive or JSONL could not be written (a full disk): the run's messages
stay in Redis for the next archiver.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from pathlib import Path
from typing import Any

import redis
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.error import ReactorNotRunning

from newscrawl.archive import ArchiveReader
from newscrawl.commands.crawl import DID_NOT_RUN, QUALITY_FAILED, STORAGE_FAILED, archive_problem, unwritable
from newscrawl.crawling import PROBLEM_STAT, story_window
from newscrawl.crawling.quality import summary_lines
from newscrawl.crawling.report import RunReportExtension
from newscrawl.crawling.share_retries import Backoff
from newscrawl.distributed import ROLE_ARCHIVER, Keys, Run, connect, unreachable
from newscrawl.distributed.archiver import WORKERS_LOST, ArchiverSpider
from newscrawl.distributed.lock import RENEW_SECONDS, ArchiverLock
from newscrawl.distributed.state import publish

logger = logging.getLogger(__name__)


class Command(ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Write what distributed workers crawled into the archive (the single writer)"

    def long_desc(self) -> str:
        return (__doc__ or "").strip()

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--follow", action="store_true", help="keep running: archive each run as it comes")
        parser.add_argument("--wait", type=float, default=None, metavar="SECONDS",
                            help="how long to wait for a first run (default NEWSCRAWL_ARCHIVER_WAIT)")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        self.settings.set("NEWSCRAWL_ROLE", ROLE_ARCHIVER, priority="cmdline")
        if opts.wait is not None and opts.wait < 0:
            raise UsageError("--wait: give seconds, 0 or more")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("the archiver takes no arguments (the runs come from Redis)")
        assert self.settings is not None and self.crawler_process is not None
        s = self.settings
        url, db = s.get("NEWSCRAWL_REDIS_URL"), s.get("NEWSCRAWL_DB")
        problem = ("NEWSCRAWL_REDIS_URL is empty: give the Redis the workers hand over to" if not url
                   else "NEWSCRAWL_DB is empty: the archiver writes an archive" if not db
                   else unreachable(url))
        if problem:
            print(f"archiver failed: {problem}", file=sys.stderr)
            self.exitcode = DID_NOT_RUN
            return
        self.client = connect(url)
        self.keys = Keys(s.get("NEWSCRAWL_REDIS_PREFIX", "newscrawl"))
        self.db = db
        self.follow = opts.follow
        self.wait = s.getfloat("NEWSCRAWL_ARCHIVER_WAIT", 60.0) if opts.wait is None else opts.wait
        self.lock = ArchiverLock(self.client, self.keys, max(3, s.getint("NEWSCRAWL_ARCHIVER_LOCK_SECONDS", 60)))
        try:
            holder = self.lock.acquire()
        except redis.RedisError as exc:
            holder = f"unknown (Redis at {url}: {exc})"
        if holder:
            print(f"archiver failed: another archiver ({holder}) writes for this Redis "
                  f"(key {self.lock.key}); one at a time", file=sys.stderr)
            self.exitcode = DID_NOT_RUN
            return
        self.lock.keep(min(RENEW_SECONDS, self.lock.ttl / 3))  # from now on, however long a step takes
        # Checked by the lock's holder only: checking opens (and may make) the archive.
        if problem := archive_problem(db, story_window(s)) or unwritable(s.get("NEWSCRAWL_JSONL")):
            print(f"archiver failed: {problem}", file=sys.stderr)
            self.exitcode = DID_NOT_RUN
            self.lock.release()
            return
        try:
            self._publish()
        except redis.RedisError as exc:
            print(f"archiver failed: cannot publish the archive's state to Redis at {url}: {exc}", file=sys.stderr)
            self.exitcode = DID_NOT_RUN
            self.lock.release()
            return
        from twisted.internet import reactor

        def go() -> None:
            self.watch = create_looping_call(self._watch_lock)
            self.watch.start(1.0, now=False)
            deferred_from_coro(self._archive_runs()).addErrback(self._failed)

        reactor.callWhenRunning(go)
        self.crawler_process.start(stop_after_crawl=False)

    async def _archive_runs(self) -> None:
        from twisted.internet import reactor

        deadline, archived = time.monotonic() + self.wait, 0
        try:
            while self.lock.lost is None:
                run_id = self._next_run()
                if run_id is None:
                    if not self.follow and time.monotonic() >= deadline:
                        if not archived:
                            print(f"archiver: no run to archive came in {self.wait:g} s", file=sys.stderr)
                        return
                    await asyncio.sleep(1.0)
                    continue
                if not await self._archive(run_id):
                    return
                archived += 1
                deadline = time.monotonic()  # without --follow: on to the runs already waiting, then done
            print(f"archiver failed: another archiver ({self.lock.lost}) took the lock: this one stopped",
                  file=sys.stderr)
            self.exitcode = DID_NOT_RUN
        finally:
            self._release()
            with contextlib.suppress(ReactorNotRunning):
                reactor.stop()

    def _watch_lock(self) -> None:
        """Stop when another archiver took the lock (this one could not renew it in time): two
        writers would release each other's messages. What this one had not committed is taken again."""
        if self.lock.lost is None:
            return
        self.exitcode = DID_NOT_RUN
        self.watch.stop()
        assert self.crawler_process is not None
        self.crawler_process.stop()

    def _release(self) -> None:
        if getattr(self, "watch", None) is not None and self.watch.running:
            self.watch.stop()
        with contextlib.suppress(redis.RedisError):
            self.lock.release()

    def _next_run(self) -> str | None:
        found = self.client.lindex(self.keys.runs, 0)
        return found.decode() if found is not None else None

    async def _archive(self, run_id: str) -> bool:
        """Archive one run; False when the archiver must stop (storage)."""
        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler(ArchiverSpider)
        await _awaited(self.crawler_process.crawl(crawler, run_id=run_id))
        stats = crawler.stats
        extension = crawler.get_extension(RunReportExtension)
        report = extension.report if extension is not None else None
        if report is not None:
            print("\n".join([f"Run {run_id} ({crawler.spider.run_spider if crawler.spider else '?'}):",
                             *summary_lines(report)]))
        if stats is not None and stats.get_value(PROBLEM_STAT):
            print(f"archiver failed: {stats.get_value(PROBLEM_STAT)}: run {run_id} stays in Redis; make room "
                  "and start the archiver again", file=sys.stderr)
            self.exitcode = STORAGE_FAILED
            return False
        if report is None or report.get("finish_reason") not in ("finished", WORKERS_LOST):
            # Stopped (Ctrl-C): its messages stay, for the next archiver.
            self.exitcode = self.exitcode or DID_NOT_RUN
            return False
        Run(self.client, self.keys, crawler.spider.run_spider, run_id).forget()
        if stats is not None and (stats.get_value("newscrawl/quality/failed") or stats.get_value("newscrawl/quality/gap")):
            self.exitcode = QUALITY_FAILED
        self._publish()
        return True

    def _publish(self) -> None:
        if not Path(self.db).exists():
            return  # nothing archived yet: the workers find no state, and crawl everything
        reader = ArchiveReader.open(self.db)
        try:
            counts = publish(reader, self.client, self.keys, Backoff.from_settings(self.settings))
        finally:
            reader.close()
        logger.info("Archive state published for the workers: %s", counts)

    def _failed(self, failure: Any) -> None:
        logger.error("The archiver failed: %s", failure.getErrorMessage(), exc_info=failure.value)
        self.exitcode = DID_NOT_RUN
        self._release()
        from twisted.internet import reactor

        with contextlib.suppress(ReactorNotRunning):
            reactor.stop()


async def _awaited(task: Any) -> None:
    """A crawl's Task (AsyncCrawlerProcess) or Deferred (CrawlerProcess), awaited."""
    if hasattr(task, "addBoth"):
        from scrapy.utils.defer import maybe_deferred_to_future

        await maybe_deferred_to_future(task)
    else:
        await task
