"""Distributed crawling on scrapy-redis: many workers, one archive writer.

With NEWSCRAWL_REDIS_URL set, a `scrapy crawl` is a **worker** (addon.py): scrapy-redis's
scheduler and dupefilter hold the run's frontier in Redis, and every item, raw capture, share
answer outcome and repository source it produces is handed to Redis (worker.py) instead of
being written — a worker needs no archive file. `scrapy archiver` (archiver.py) is the single
writer: it takes what the workers handed over through the ordinary pipelines into the
archive, records the run, and publishes to Redis what the next run's workers need from the
archive (state.py).

A **run** is what the workers of one spider do together: the first worker to start opens it,
later ones join it while a worker of it is alive, and it closes when the last one leaves (or
dies: its heartbeat key expires). Its keys — the frontier, the fingerprints, the handed-over
messages — are namespaced by the run's id, so one run's fingerprints never hide the next
run's requests. This module holds the run's keys and the membership protocol (Lua scripts,
atomic on the server).
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from scrapy.settings import BaseSettings

ROLE_ARCHIVER = "archiver"
# A worker is alive while this key of its lives (NEWSCRAWL_WORKER_TIMEOUT seconds); it renews
# it every HEARTBEAT seconds.
ALIVE_SECONDS = 30
HEARTBEAT_SECONDS = 5.0


def worker_mode(settings: BaseSettings) -> bool:
    """Whether this process is a worker: a Redis is set and it is not the archiver, nor a
    replay (`scrapy reparse` reads the archive's own captures, and writes it)."""
    return (bool(settings.get("NEWSCRAWL_REDIS_URL")) and settings.get("NEWSCRAWL_ROLE") != ROLE_ARCHIVER
            and not settings.getbool("NEWSCRAWL_REPLAY"))


def connect(url: str) -> redis.Redis:
    """A client for `url` (bytes in and out), checked with a PING: redis.RedisError names the
    problem when the server cannot be reached."""
    client = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10, health_check_interval=30)
    client.ping()
    return client


def unreachable(url: str) -> str | None:
    """Why the Redis at `url` cannot be used, in one line, or None."""
    try:
        connect(url).close()
    except (redis.RedisError, ValueError, OSError) as exc:
        return f"cannot reach Redis at {url}: {exc}"
    return None


@dataclass(frozen=True)
class Keys:
    """The Redis keys of newscrawl under a prefix (NEWSCRAWL_REDIS_PREFIX)."""

    prefix: str = "newscrawl"

    def current(self, spider: str) -> str:
        return f"{self.prefix}:current:{spider}"

    @property
    def runs(self) -> str:
        """Run ids waiting for the archiver, oldest first."""
        return f"{self.prefix}:runs"

    def run(self, run_id: str, part: str = "meta") -> str:
        return f"{self.prefix}:run:{run_id}:{part}"

    def state(self, part: str) -> str:
        return f"{self.prefix}:state:{part}"


def new_run_id(spider: str) -> str:
    """The spider's name, when the run opened, and a random part: its keys are the spider's and the run's."""
    return f"{spider}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}"


# Join the open run of a spider, or open one: a run whose members are all done or dead is
# closed first (its frontier is abandoned; the next run asks again what is not archived).
_JOIN = """
local current, prefix, new_id, worker, ttl, meta = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local function run_key(id, part) return prefix .. ':run:' .. id .. ':' .. part end
local function anyone_alive(id)
  for _, w in ipairs(redis.call('SMEMBERS', run_key(id, 'workers'))) do
    if redis.call('EXISTS', run_key(id, 'alive:' .. w)) == 1 then return true end
  end
  return false
end
local id = redis.call('GET', current)
if id and not anyone_alive(id) then
  redis.call('SET', run_key(id, 'closed'), '1')
  id = false
end
local opened = 0
if not id then
  id = new_id
  opened = 1
  redis.call('SET', current, id)
  redis.call('SET', run_key(id, 'meta'), meta)
  redis.call('RPUSH', prefix .. ':runs', id)
end
redis.call('SADD', run_key(id, 'workers'), worker)
redis.call('SET', run_key(id, 'alive:' .. worker), '1', 'EX', ttl)
return {id, opened}
"""

# A worker leaves: the run closes when no member is alive any more.
_LEAVE = """
local current, prefix, id, worker = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local function run_key(part) return prefix .. ':run:' .. id .. ':' .. part end
redis.call('DEL', run_key('alive:' .. worker), run_key('busy:' .. worker))
redis.call('SADD', run_key('done'), worker)
for _, w in ipairs(redis.call('SMEMBERS', run_key('workers'))) do
  if redis.call('EXISTS', run_key('alive:' .. w)) == 1 then return 0 end
end
redis.call('SET', run_key('closed'), '1')
if redis.call('GET', current) == id then redis.call('DEL', current) end
return 1
"""

# Whether a worker that has nothing to do may end: the frontier is empty and no other member
# is busy (one that took a request may yield more). Atomic with the queue's pop (queue.py),
# which marks its worker busy as it takes a request.
_MAY_END = """
local queue, prefix, id, worker = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local function run_key(part) return prefix .. ':run:' .. id .. ':' .. part end
redis.call('DEL', run_key('busy:' .. worker))
if redis.call('ZCARD', queue) > 0 then return 0 end
for _, w in ipairs(redis.call('SMEMBERS', run_key('workers'))) do
  if w ~= worker and redis.call('EXISTS', run_key('busy:' .. w)) == 1 then return 0 end
end
return 1
"""

# The archiver's view: a run is over when it is closed, or when no member is alive.
_CLOSE_IF_DEAD = """
local current, prefix, id = KEYS[1], ARGV[1], ARGV[2]
local function run_key(part) return prefix .. ':run:' .. id .. ':' .. part end
if redis.call('EXISTS', run_key('closed')) == 1 then return 1 end
for _, w in ipairs(redis.call('SMEMBERS', run_key('workers'))) do
  if redis.call('EXISTS', run_key('alive:' .. w)) == 1 then return 0 end
end
if redis.call('SCARD', run_key('workers')) == 0 then return 0 end
redis.call('SET', run_key('closed'), '1')
if redis.call('GET', current) == id then redis.call('DEL', current) end
return 1
"""


class Run:
    """One run of a spider in Redis, as a worker or the archiver sees it."""

    def __init__(self, client: redis.Redis, keys: Keys, spider: str, run_id: str) -> None:
        self.client = client
        self.keys = keys
        self.spider = spider
        self.id = run_id

    def key(self, part: str) -> str:
        return self.keys.run(self.id, part)

    @classmethod
    def join(cls, client: redis.Redis, keys: Keys, spider: str, worker: str, meta: str,
             alive: int = ALIVE_SECONDS) -> tuple[Run, bool]:
        """The run this worker joins, and whether it opened it."""
        run_id, opened = client.eval(_JOIN, 1, keys.current(spider), keys.prefix, new_run_id(spider), worker,
                                     alive, meta)
        run = cls(client, keys, spider, run_id.decode())
        run.alive = alive
        return run, bool(opened)

    alive = ALIVE_SECONDS

    def heartbeat(self, worker: str, busy: bool) -> None:
        pipe = self.client.pipeline(transaction=False)
        pipe.set(self.key(f"alive:{worker}"), b"1", ex=self.alive)
        if busy:
            pipe.expire(self.key(f"busy:{worker}"), self.alive)
        send(pipe)

    def may_end(self, worker: str) -> bool:
        return bool(self.client.eval(_MAY_END, 1, self.key("requests"), self.keys.prefix, self.id, worker))

    def leave(self, worker: str, stats: str) -> bool:
        """Hand over the worker's stats and leave; True when this closed the run."""
        self.client.hset(self.key("stats"), worker, stats)
        return bool(self.client.eval(_LEAVE, 1, self.keys.current(self.spider), self.keys.prefix, self.id, worker))

    def over(self) -> bool:
        """Whether no worker will hand over anything more (closed, or every member dead)."""
        return bool(self.client.eval(_CLOSE_IF_DEAD, 1, self.keys.current(self.spider), self.keys.prefix, self.id))

    def members(self) -> tuple[set[str], set[str]]:
        """(every worker that joined, those that ended normally)."""
        return ({w.decode() for w in self.client.smembers(self.key("workers"))},
                {w.decode() for w in self.client.smembers(self.key("done"))})

    def forget(self) -> None:
        """Remove every key of the run (once it is archived)."""
        workers, _ = self.members()
        parts = ["meta", "workers", "done", "closed", "stats", "requests", "dupefilter", "items", "processing",
                 *(f"alive:{w}" for w in workers), *(f"busy:{w}" for w in workers)]
        pipe = self.client.pipeline()
        pipe.delete(*(self.key(p) for p in parts))
        pipe.lrem(self.keys.runs, 0, self.id)
        send(pipe)


def send(pipe: Any) -> list[Any]:
    """Send a Redis pipeline's commands: the one place they are sent (the house rules take
    a pipeline's execute call for SQL's)."""
    return list(pipe.execute())  # Redis pipeline, not SQL
