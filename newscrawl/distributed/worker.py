"""A worker's side of a distributed run (NEWSCRAWL_REDIS_URL set; see __init__.py).

- `Member`: this process in the run — it joins when the crawl is set up, renews its heartbeat,
  says whether it is busy, and hands every message over to the archiver (items, raw captures,
  share answer outcomes, repository sources) in the run's `items` list, in order.
- `RunScheduler`: scrapy-redis's scheduler on the run's keys (a priority queue and the
  fingerprints, kept when a worker ends: the others go on with them). Taking a request marks
  the worker busy in the same server-side step, so a worker that sees an empty queue and no
  busy member may end: nothing is left that could yield more.
- `WorkerExtension`: keeps a worker that has nothing to do alive while another is busy
  (DontCloseSpider), and leaves the run with its stats when the spider closes.
- `HandoffPipeline`: the worker's one item pipeline.

A message that cannot be handed over (Redis gone) stops the crawl like a full disk does
(`storage_failed`, exit code 4): what was not handed over is fetched by the next run.
"""

from __future__ import annotations

import base64
import json
import logging
import zlib
from datetime import datetime
from typing import Any

import redis
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.asyncio import create_looping_call
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from newscrawl.archive.runs import CRAWL
from newscrawl.crawling import storage_failed
from newscrawl.crawling.captures import now as utc_now
from newscrawl.crawling.report import _plain
from newscrawl.distributed import (
    ALIVE_SECONDS,
    HEARTBEAT_SECONDS,
    Keys,
    Run,
    connect,
    new_worker_id,
    worker_mode,
)
from newscrawl.distributed.state import RedisState
from newscrawl.items import item_fields
from newscrawl.spiders.history import source_read

logger = logging.getLogger(__name__)
_ATTRIBUTE = "_newscrawl_member"
WATCH_SECONDS = 0.5
REQUEUED = "newscrawl_requeued"


class Member:
    """This worker in its run: membership, heartbeat, and the hand-over of messages."""

    def __init__(self, crawler: Crawler, client: redis.Redis, keys: Keys, url: str) -> None:
        self.crawler = crawler
        self.client = client
        self.keys = keys
        self.url = url
        self.worker = new_worker_id()
        self.busy = False
        self.failed: str | None = None
        self.sources: dict[int, tuple[str, str]] = {}  # id(item) -> the repository source it came from
        self.scheduler: RunScheduler | None = None
        meta = json.dumps({"spider": crawler.spidercls.name, "started_at": utc_now(),
                           "arguments": {}}, ensure_ascii=False)
        alive = max(2, crawler.settings.getint("NEWSCRAWL_WORKER_TIMEOUT", ALIVE_SECONDS))
        self.run, self.opened = Run.join(client, keys, crawler.spidercls.name, self.worker, meta, alive)
        self.state = RedisState(client, keys)
        logger.info("Worker %s %s run %s (Redis %s)", self.worker, "opened" if self.opened else "joined", self.run.id, url)
        if self.state.published_at is None:
            logger.warning("No archive state in Redis yet (has `scrapy archiver` run?): every page is new to this run")

    def hand_over(self, message: dict[str, Any]) -> bool:
        """Queue a message for the archiver; False (and the crawl stops, said once) if Redis fails."""
        if self.failed is not None:
            return False
        try:
            pushed = self.client.eval(_PUSH, 2, self.run.key("closed"), self.run.key("items"),
                                      json.dumps(message, ensure_ascii=False, default=str))
        except redis.RedisError as exc:
            pushed, problem = -1, f"cannot hand over to Redis at {self.url}: {exc}"
        else:
            problem = (f"run {self.run.id} was closed without this worker (no heartbeat for "
                       f"{self.run.alive} s): what it fetches now is fetched by the next run")
        if pushed < 0:
            self.failed = problem
            storage_failed(self.crawler, problem)
            return False
        self.crawler.stats.inc_value(f"newscrawl/worker/handed/{message['type']}")
        return True

    # What CaptureMiddleware calls on the archive: the capture goes to the archiver instead.
    def store_capture(self, url: str, kind: str, fetched_at: str, status: int, body: bytes, content_type: str | None,
                      etag: str | None, last_modified: str | None) -> tuple[str, bool]:
        self.hand_over({"type": "capture", "url": url, "kind": kind, "fetched_at": fetched_at, "status": status,
                        "body": base64.b64encode(zlib.compress(body)).decode(), "content_type": content_type,
                        "etag": etag, "last_modified": last_modified})
        return "handed", False


def member_for(crawler: Crawler) -> Member:
    """The crawl's membership in its run, joined once."""
    member = getattr(crawler, _ATTRIBUTE, None)
    if member is None:
        s = crawler.settings
        url = s.get("NEWSCRAWL_REDIS_URL")
        member = Member(crawler, connect(url), Keys(s.get("NEWSCRAWL_REDIS_PREFIX", "newscrawl")), url)
        setattr(crawler, _ATTRIBUTE, member)
    return member


# Hand a message over, unless the run was closed (this worker was taken for dead): nothing
# would read it.
_PUSH = """
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
return redis.call('RPUSH', KEYS[2], ARGV[1])
"""

# Take the best request and mark the worker busy, in one step.
_POP = """
local found = redis.call('ZRANGE', KEYS[1], 0, 0)
if #found == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('SET', KEYS[2], '1', 'EX', ARGV[1])
return found[1]
"""


class RunQueue(PriorityQueue):
    member: Member

    def pop(self, timeout: int = 0) -> Any:
        busy = self.member.run.key(f"busy:{self.member.worker}")
        data = self.server.eval(_POP, 2, self.key, busy, self.member.run.alive)
        if data is None:
            return None
        self.member.busy = True
        return self._decode_request(data)


class RunScheduler(Scheduler):
    member: Member

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunScheduler:
        member = member_for(crawler)
        dupefilter = RFPDupeFilter(member.client, key=member.run.key("dupefilter"),
                                   debug=crawler.settings.getbool("DUPEFILTER_DEBUG"))
        # Kept when this worker ends (persist): the run's other workers go on with them; the
        # archiver removes the run's keys once it is archived.
        scheduler = cls(member.client, persist=True, queue_key=member.run.key("requests"),
                        queue_cls=f"{RunQueue.__module__}.{RunQueue.__qualname__}", dupefilter=dupefilter)
        scheduler.stats = crawler.stats
        scheduler.member = member
        member.scheduler = scheduler
        return scheduler

    def open(self, spider: Spider) -> None:
        super().open(spider)
        self.queue.member = self.member

    # scrapy-redis's own pass the spider to the stats (deprecated since Scrapy 2.13).
    def enqueue_request(self, request: Any) -> bool:
        requeued = request.meta.pop(REQUEUED, False)  # seen when first queued (WorkerExtension._watch)
        if not request.dont_filter and not requeued and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Any:
        request = self.queue.pop()
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


class WorkerExtension:
    def __init__(self, crawler: Crawler, member: Member) -> None:
        self.crawler = crawler
        self.member = member
        self.heartbeat = create_looping_call(self._beat)
        # An idle worker is asked for requests again only every 5 s (the engine's heartbeat):
        # while it waits, a look at the shared queue twice a second wakes it sooner.
        self.waiting = False
        self.watch = create_looping_call(self._watch)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerExtension:
        if not worker_mode(crawler.settings):
            raise NotConfigured("not a worker (NEWSCRAWL_REDIS_URL is empty)")
        ext = cls(crawler, member_for(crawler))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.source_read, signal=source_read)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        # The run's arguments and kind (a crawl, a partial crawl, a backfill) as its opener has them.
        meta = json.loads(self.member.client.get(self.member.run.key("meta")) or b"{}")
        if "kind" not in meta:
            meta.update(arguments=getattr(spider, "arguments", {}), kind=getattr(spider, "run_kind", CRAWL))
            self.member.client.set(self.member.run.key("meta"), json.dumps(meta, ensure_ascii=False))
        self.heartbeat.start(min(HEARTBEAT_SECONDS, self.member.run.alive / 3), now=False)
        self.watch.start(WATCH_SECONDS, now=False)

    def _beat(self) -> None:
        try:
            self.member.run.heartbeat(self.member.worker, self.member.busy)
        except redis.RedisError as exc:
            logger.warning("Heartbeat not sent to Redis: %s", exc)

    def spider_idle(self, spider: Spider) -> None:
        # Another worker may still yield requests: wait for it (the engine asks again in 5 s).
        try:
            may_end = self.member.run.may_end(self.member.worker)
        except redis.RedisError as exc:  # nothing more can be handed over either: end
            logger.error("Redis cannot say whether the run is over (%s): this worker ends", exc)
            return
        if not may_end:
            self.member.busy = False
            self.waiting = True
            raise DontCloseSpider("another worker of the run is busy, or the shared queue is not empty")
        self.member.busy = False

    def _watch(self) -> None:
        """While waiting: a request in the shared queue is taken and handed to the engine now
        (put back through the scheduler past its fingerprints — it was seen when first queued —
        but not marked dont_filter, which would take it past the offsite check too)."""
        scheduler, engine = self.member.scheduler, self.crawler.engine
        if not self.waiting or self.member.busy or scheduler is None or engine is None or engine.spider is None:
            return
        try:
            request = scheduler.next_request() if len(scheduler) else None
        except redis.RedisError:
            return
        if request is not None:
            self.waiting = False
            request.meta[REQUEUED] = True
            engine.crawl(request)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        for loop in (self.heartbeat, self.watch):
            if loop.running:
                loop.stop()
        stats = {k: _plain(v) for k, v in (self.crawler.stats.get_stats() or {}).items()}
        try:
            closed = self.member.run.leave(self.member.worker, json.dumps(stats, default=str))
        except redis.RedisError as exc:
            logger.error("Could not leave the run in Redis (%s): the archiver sees this worker die", exc)
            return
        logger.info("Worker %s left run %s%s", self.member.worker, self.member.run.id,
                    ", the last one: the archiver finishes it" if closed else "")

    def source_read(self, sha: str, path: str, article_id: str | None, reason: str, item: Any = None) -> None:
        """A repository source: with its article (recorded by the archiver when the article has
        been through the pipelines), or what reading it gave."""
        if reason == "ok" and item is not None:
            self.member.sources[id(item)] = (sha, path)
        else:
            self.member.hand_over({"type": "source", "sha": sha, "path": path, "id": article_id, "reason": reason})


class HandoffPipeline:
    """A worker's item pipeline: the item goes to the archiver, which cleans, deduplicates
    and stores it."""

    def __init__(self, member: Member) -> None:
        self.member = member

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HandoffPipeline:
        if not worker_mode(crawler.settings):
            raise NotConfigured("not a worker")
        return cls(member_for(crawler))

    def process_item(self, item: Any) -> Any:
        message: dict[str, Any] = {"type": "item", "item": item_fields(item)}
        source = self.member.sources.pop(id(item), None)
        if source is not None:
            message["source"] = list(source)
        self.member.hand_over(message)
        return item


class WorkerShareRetries:
    """ShareRetries as a worker has it: outcomes go to the archiver, which keeps the attempts;
    the answers due again are those the archiver published."""

    def __init__(self, member: Member) -> None:
        self.member = member

    def answered(self, article_id: str | None, reason: str, now: datetime) -> None:
        if article_id:
            self.member.hand_over({"type": "share", "id": article_id, "reason": reason,
                                   "at": now.isoformat(timespec="seconds")})

    # Asked by the worker that opened the run only: each worker would ask every one again
    # (share requests pass the fingerprints), and its attempts would count once per worker.
    def due(self, now: datetime, skip: set[str] | None) -> Any:
        return self.member.state.due_shares(skip) if self.member.opened else iter(())

    def forget(self, ids: set[str] | None) -> None:
        if self.member.opened and (ids is None or ids):
            self.member.hand_over({"type": "share_forget", "ids": None if ids is None else sorted(ids)})
