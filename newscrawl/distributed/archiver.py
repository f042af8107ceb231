"""The archiver's side: one run's hand-over, through the ordinary pipelines, into the archive.

`ArchiverSpider` is a crawl without requests: its `start()` takes the run's messages from
Redis and hands each item to the ordinary pipelines (validate → clean → dedup → store →
JSONL, in the same grouped transactions as any crawl) through the crawl's item pipeline
manager, with the log lines and item signals of a scraped, dropped or failed item; and it
writes the captures, share answer outcomes and repository sources itself, through the
archive's API. So the run's row in `runs`, its report, its gates
and the gap alarm are those of any crawl, with the workers' stats merged in.

A reliable queue: a message moves from the run's `items` list to its `processing` list as it
is taken, and leaves `processing` only when the group that wrote it has been committed
(`Inbox.committed`, an on_commit callback). An archiver killed in between left its messages in
`processing`: the next one puts them back in front of `items` and takes them again, and
since every write is idempotent (an article the archive holds is `same_id`, a capture seen is
`seen`) nothing is written twice.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
import zlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import redis
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DropItem
from scrapy.logformatter import LogFormatter
from scrapy.utils.log import logformatter_adapter
from twisted.python.failure import Failure

from newscrawl.archive import Archive
from newscrawl.archive.runs import CRAWL
from newscrawl.crawling import archive_for, storage_kept
from newscrawl.crawling.captures import keep_capture
from newscrawl.crawling.quality import FIRST_SEEN, LAST_SEEN
from newscrawl.crawling.share_retries import Backoff, ShareRetries
from newscrawl.distributed import Keys, Run, connect
from newscrawl.items import Article
from newscrawl.spiders.history import source_read

logger = logging.getLogger(__name__)
BATCH = 200
WORKERS_LOST = "workers_lost"  # the finish reason of a run a worker of which died
IDLE_SECONDS = 0.2

# Take up to ARGV[1] messages from the head of `items` to the tail of `processing`, at once.
_TAKE = """
local taken = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #taken > 0 then
  redis.call('LTRIM', KEYS[1], #taken, -1)
  redis.call('RPUSH', KEYS[2], unpack(taken))
end
return taken
"""

# Workers' stats that are not summed into the run's: the archiver's own time and items.
_OWN = ("start_time", "finish_time", "finish_reason", "elapsed_time_seconds", "item_scraped_count",
        "newscrawl/quality/",  # a worker's verdict on its own share: the archiver judges the run
        "item_dropped_count", "item_dropped_reasons_count/", "memusage/", "log_count/")


class Inbox:
    """The run's messages, taken in order, released when committed.

    Each message taken gets the next sequence number; `processing` holds them from `base` on.
    A commit releases the longest run of finished messages from `base`: everything they wrote
    was in the transaction it committed. A message finished after one that is not (a capture
    written while an earlier item is still in the pipelines) stays until that one is: taken
    again after a crash, it writes nothing new."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.client = run.client
        self.base = 0  # the sequence number of processing's first message
        self.next = 0  # that of the next message taken
        self.finished: set[int] = set()

    def recover(self) -> int:
        """Put back what a killed archiver had taken (oldest first, in front)."""
        moved = 0
        while self.client.lmove(self.run.key("processing"), self.run.key("items"), "RIGHT", "LEFT") is not None:
            moved += 1
        return moved

    def take(self, count: int = BATCH) -> list[tuple[int, bytes]]:
        taken = self.client.eval(_TAKE, 2, self.run.key("items"), self.run.key("processing"), count)
        first, self.next = self.next, self.next + len(taken)
        return list(enumerate(taken, first))

    def finish(self, seq: int) -> None:
        self.finished.add(seq)

    def committed(self) -> None:
        released = 0
        while self.base + released in self.finished:
            self.finished.discard(self.base + released)
            released += 1
        if released:
            try:
                self.client.ltrim(self.run.key("processing"), released, -1)
            except redis.RedisError as exc:  # inside the archive's commit: must not fail it
                logger.warning("Committed messages not released in Redis (%s): a restart takes them again, "
                               "and writes nothing twice", exc)
                self.finished.update(range(self.base, self.base + released))
                return
            self.base += released

    def empty(self) -> bool:
        return not self.client.llen(self.run.key("items"))


class QuietLogFormatter(LogFormatter):
    """No "Scraped from" line per item (a worker said it when it fetched the page; at DEBUG
    it would still cost a log record per article)."""

    def scraped(self, item: Any, response: Any, spider: Spider) -> None:  # type: ignore[override]
        return None


class ArchiverSpider(Spider):
    """Archives one run (`run_id`) of the workers' spider."""

    name = "archiver"
    custom_settings = {"NEWSCRAWL_INCREMENTAL": False, "NEWSCRAWL_CAPTURE": False,
                       "LOG_FORMATTER": f"{__name__}.QuietLogFormatter"}

    def __init__(self, run_id: str = "", spider: str = "finews", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run_id = run_id
        self.run_spider = spider  # the name its row in `runs` has
        self.arguments: dict[str, Any] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ArchiverSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        spider.setup(connect(s["NEWSCRAWL_REDIS_URL"]), Keys(s.get("NEWSCRAWL_REDIS_PREFIX", "newscrawl")))
        return spider

    def setup(self, client: redis.Redis, keys: Keys) -> None:
        meta = json.loads(client.get(keys.run(self.run_id)) or b"{}")
        self.run_spider = meta.get("spider", self.run_spider)
        # The run began when its first worker did: a page its workers read counts as read in it.
        self.run_started_at = meta.get("started_at")
        self.arguments = {**(meta.get("arguments") or {}), "distributed_run": self.run_id}
        self.run_kind = meta.get("kind", CRAWL)
        self.run = Run(client, keys, self.run_spider, self.run_id)
        self.inbox = Inbox(self.run)

    def _open(self) -> None:
        archive = archive_for(self.crawler)
        archive.on_commit.append(self.inbox.committed)
        self.archive: Archive = archive
        self.share_retries = ShareRetries(archive, self.crawler.stats, Backoff.from_settings(self.crawler.settings))

    async def start(self) -> AsyncIterator[Any]:
        await self._drain()
        return
        yield  # an async generator that yields nothing: the items go to the pipelines directly

    async def _drain(self) -> None:
        self._open()
        stats = self.crawler.stats
        if recovered := self.inbox.recover():
            stats.inc_value("newscrawl/archiver/recovered", recovered)
            self.logger.warning("%d messages a stopped archiver had taken are taken again (none is written twice)",
                                recovered)
        started = time.perf_counter()
        while self.archive.failed is None:
            # The pipelines never wait: between batches, the reactor's own work (heartbeats,
            # progress, a Ctrl-C, the lock's watch) gets its turn.
            await asyncio.sleep(0)
            messages = self.inbox.take()
            if not messages:
                if self.run.over() and self.inbox.empty():
                    break
                await asyncio.sleep(IDLE_SECONDS)
                continue
            for seq, raw in messages:
                if self.archive.failed is not None:
                    break  # the crawl stops; what was taken is taken again next time
                message = json.loads(raw)
                kind = message.get("type")
                stats.inc_value(f"newscrawl/archiver/{kind}")
                if kind != "item":
                    with storage_kept():
                        self._apply(kind, message)
                    self.inbox.finish(seq)
                    continue
                item = Article(**{k: v for k, v in message["item"].items() if k in _FIELDS})
                if message.get("source"):  # recorded when the item has been through the pipelines
                    sha, path = message["source"]
                    self.crawler.signals.send_catch_log(source_read, sha=sha, path=path, article_id=item.id,
                                                        reason="ok", item=item)
                await self._process(item)  # scraped, dropped or failed: finished, released at commit
                self.inbox.finish(seq)
        stats.set_value("newscrawl/archiver/seconds", round(time.perf_counter() - started, 3))
        if self.archive.failed is None and self._merge_worker_stats():
            # Not "finished": the pages a lost worker read without handing over their articles
            # must not count as read and dropped by a finished run.
            raise CloseSpider(WORKERS_LOST)

    async def _process(self, item: Article) -> None:
        """The item through the pipelines, logged and signalled as Scrapy's scraper does for a
        spider's item — but not yielded to the engine (a start-request step and a task per
        item: 30 % of the drain), and with the item signals sent at once (the asynchronous
        sending costs a task per receiver: another 10 %). Its receivers are synchronous."""
        crawler = self.crawler
        try:
            output = await crawler.engine.scraper.itemproc.process_item_async(item)
        except DropItem as exc:
            if (logkws := crawler.logformatter.dropped(item, exc, None, self)) is not None:
                logger.log(*logformatter_adapter(logkws), extra={"spider": self})
            crawler.signals.send_catch_log(signals.item_dropped, item=item, response=None, spider=self, exception=exc)
        except Exception as exc:
            logger.log(*logformatter_adapter(crawler.logformatter.item_error(item, exc, None, self)),
                       extra={"spider": self}, exc_info=True)
            crawler.signals.send_catch_log(signals.item_error, item=item, response=None, spider=self,
                                           failure=Failure())
        else:
            crawler.signals.send_catch_log(signals.item_scraped, item=output, response=None, spider=self)

    def _apply(self, kind: str | None, message: dict[str, Any]) -> None:
        stats = self.crawler.stats
        if kind == "capture":
            body = zlib.decompress(base64.b64decode(message["body"]))
            result = keep_capture(self.archive, stats, message["url"], message["kind"], message["fetched_at"],
                                  message["status"], body, message["content_type"], message["etag"],
                                  message["last_modified"])
            stats.inc_value(f"newscrawl/capture/{result}")
        elif kind == "share":
            self.share_retries.answered(message["id"], message["reason"], datetime.fromisoformat(message["at"]))
        elif kind == "share_forget":
            self.share_retries.forget(None if message["ids"] is None else set(message["ids"]))
        elif kind == "source":
            self.crawler.signals.send_catch_log(source_read, sha=message["sha"], path=message["path"],
                                                article_id=message.get("id"), reason=message["reason"], item=None)
        else:
            stats.inc_value("newscrawl/archiver/unknown_message")
            self.logger.warning("A message of no known type, skipped: %.200s", message)

    def _merge_worker_stats(self) -> int:
        """The workers' stats into the run's: counts summed, the publication window widened.
        Returns how many workers died before they ended."""
        stats = self.crawler.stats
        workers, done = self.run.members()
        for worker, raw in self.run.client.hgetall(self.run.key("stats")).items():
            for key, value in json.loads(raw).items():
                if key == FIRST_SEEN:
                    stats.min_value(key, value)
                elif key == LAST_SEEN:
                    stats.max_value(key, value)
                elif isinstance(value, int | float) and not isinstance(value, bool) and not key.startswith(_OWN):
                    stats.inc_value(key, value)
        stats.set_value("newscrawl/archiver/workers", len(workers))
        if lost := len(workers - done):
            stats.set_value("newscrawl/archiver/workers_lost", lost)
            self.logger.warning("%d of the run's %d workers died before they ended: their stats are not in "
                                "the run's, and what they had not handed over is fetched by the next run",
                                lost, len(workers))
        return lost


_FIELDS = frozenset(Article.field_names())
