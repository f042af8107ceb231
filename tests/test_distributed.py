"""Distributed crawling: three workers on a real Redis and one archiver give the archive of an
ordinary crawl; each post page is fetched once across them; a second run fetches none; a
killed worker or archiver loses nothing and doubles nothing.

Workers and the archiver are `scrapy crawl` / `scrapy archiver` processes, as users run them;
the Redis is a real redis-server (conftest.redis_url), the site the mirror.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
import redis

from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.proxy import MirrorProxy
from newscrawl.mirror.runner import archiver_command, crawl_through_mirror, start, worker_command
from newscrawl.mirror.snapshot import SnapshotBackend
from newscrawl.parsing.urls import PageKind, classify_url
from tests.conftest import SHARED, comparable_articles

WORKER = {"CONCURRENT_REQUESTS": "8", "NEWSCRAWL_WORKER_TIMEOUT": "4"}


def _post_requests(proxy: MirrorProxy) -> Counter[str]:
    return Counter(r.target for r in proxy.requests
                   if r.host == "finews.withounder.com" and classify_url(f"https://{r.host}{r.target}") is PageKind.POST)


def _jsonl_ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


class Distributed:
    """Runs of N workers and one archiver into `work/archive`."""

    def __init__(self, proxy: MirrorProxy, work: Path, redis_url: str) -> None:
        self.proxy, self.work, self.redis_url = proxy, work, redis_url
        self.archive = work / "archive"
        self.runs = 0

    def workers(self, count: int = 3, settings: dict[str, str] | None = None) -> list[subprocess.Popen[bytes]]:
        self.runs += 1
        out = self.work / f"run{self.runs}"
        out.mkdir(parents=True, exist_ok=True)
        return [start(worker_command(self.proxy.url, out / f"worker{n}", self.redis_url,
                                     settings={**WORKER, **(settings or {})}), out / f"worker{n}.log")
                for n in range(count)]

    def archiver(self, wait: float = 60, settings: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        return start(archiver_command(self.archive, self.redis_url, wait, settings), self.work / "archiver.log")

    def run(self, count: int = 3) -> None:
        workers = self.workers(count)
        archiver = self.archiver()
        codes = [w.wait(timeout=600) for w in workers]
        assert codes == [0] * count, self.logs()
        assert archiver.wait(timeout=600) == 0, self.logs()
        self.no_archive_at_workers()

    def no_archive_at_workers(self) -> None:
        assert not list(self.work.rglob("no-archive-here")), "a worker made an archive"

    def logs(self) -> str:
        return "\n".join(f"== {p}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(self.work.rglob("*.log")))

    def log_has_no_traceback(self) -> None:
        for path in self.work.rglob("*.log"):
            assert "Traceback" not in path.read_text(errors="replace"), f"{path}:\n{path.read_text()[-3000:]}"


def _ordinary(proxy: MirrorProxy, out: Path) -> Path:
    result = crawl_through_mirror(proxy.url, out)
    assert result.returncode == 0, result.log[-3000:]
    return out / "newscrawl.db"


@pytest.fixture(scope="module")
def site() -> GeneratedSite:
    return GeneratedSite(articles=5000, seed=41)


def test_three_workers_and_an_archiver_give_the_ordinary_crawl_s_archive(
        serve: Callable[..., MirrorProxy], site: GeneratedSite, redis_url: str, tmp_path: Path) -> None:
    ordinary_proxy = serve(site)
    ordinary = _ordinary(ordinary_proxy, tmp_path / "ordinary")
    proxy = serve(site)
    run = Distributed(proxy, tmp_path / "distributed", redis_url)
    run.run()
    run.log_has_no_traceback()
    twice = set(site.dedup_cases["second_category"])
    assert comparable_articles(run.archive / "newscrawl.db", twice) == comparable_articles(ordinary, twice)
    posts, ordinary_posts = _post_requests(proxy), _post_requests(ordinary_proxy)
    # An article listed under two categories: the ordinary crawl asks for its second page only
    # if the first is not archived yet (the incremental middleware), which depends on timing;
    # workers have no archive and ask for both.
    second = {p for p in posts.keys() | ordinary_posts.keys() if any(i in p for i in twice)}
    assert posts.keys() - second == ordinary_posts.keys() - second
    assert all(any(i in p for p in posts) and any(i in p for p in ordinary_posts) for i in twice)
    assert set(posts.values()) == {1}, [p for p, n in posts.items() if n > 1][:5]
    # The work was shared: each worker fetched pages.
    reports = [json.loads(p.read_text()) for p in sorted((tmp_path / "distributed" / "run1").glob("worker*/last-run.json"))]
    assert len(reports) == 3 and all(r["stats"].get("response_received_count", 0) > 0 for r in reports)
    ids = _jsonl_ids(run.archive / "articles.jsonl")
    assert len(ids) == len(set(ids)) and set(ids) == set(comparable_articles(ordinary, twice))
    with closing(sqlite3.connect(run.archive / "newscrawl.db")) as conn:
        spider, outcome, stats = conn.execute("select spider, outcome, stats from runs").fetchone()
    assert (spider, outcome) == ("finews", "finished")
    merged = json.loads(stats)
    assert merged["response_received_count"] == sum(r["stats"]["response_received_count"] for r in reports)
    assert merged["newscrawl/archiver/workers"] == 3
    # Nothing of the run is left in Redis but the state the archiver published for the next.
    keys = {k.decode() for k in redis.Redis.from_url(redis_url).keys("*")}
    assert keys and all(k.startswith("newscrawl:state:") for k in keys), sorted(keys)[:10]

    # A second run over the unchanged site asks for no post page.
    proxy.requests.clear()
    run.run()
    assert not _post_requests(proxy)
    assert comparable_articles(run.archive / "newscrawl.db", twice) == comparable_articles(ordinary, twice)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/finews is not here")
def test_the_real_sample_distributed_is_the_ordinary_archive(serve: Callable[..., MirrorProxy], redis_url: str,
                                                             tmp_path: Path) -> None:
    backend = SnapshotBackend(SHARED / "site", SHARED / "share")
    ordinary_proxy = serve(backend)
    ordinary = _ordinary(ordinary_proxy, tmp_path / "ordinary")
    proxy = serve(backend)
    run = Distributed(proxy, tmp_path / "distributed", redis_url)
    run.run()
    run.log_has_no_traceback()
    assert comparable_articles(run.archive / "newscrawl.db", set()) == comparable_articles(ordinary, set())
    posts = _post_requests(proxy)
    assert posts and posts.keys() == _post_requests(ordinary_proxy).keys() and set(posts.values()) == {1}


def _wait_until(predicate: Callable[[], bool], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _archived(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
            return int(conn.execute("select count(*) from articles").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.fixture(scope="module")
def small() -> GeneratedSite:
    return GeneratedSite(articles=600, seed=43)


def _slow_run(serve: Callable[..., MirrorProxy], site: GeneratedSite, redis_url: str, tmp_path: Path,
              archiver: dict[str, str] | None = None) -> tuple[Path, MirrorProxy, Distributed, list, subprocess.Popen]:
    """The ordinary crawl's archive, then a distributed run of slow workers started (to be
    killed in): (ordinary archive, its mirror, the run, its workers, its archiver)."""
    ordinary = _ordinary(serve(site), tmp_path / "ordinary")
    proxy = serve(site)
    run = Distributed(proxy, tmp_path / "distributed", redis_url)
    workers = run.workers(settings={"CONCURRENT_REQUESTS": "2"})
    return ordinary, proxy, run, workers, run.archiver(settings=archiver)


def _equals_ordinary(run: Distributed, ordinary: Path, site: GeneratedSite) -> list[str]:
    """Assert the run's archive is the ordinary crawl's, each article once in the JSONL; its ids."""
    twice = set(site.dedup_cases["second_category"])
    assert comparable_articles(run.archive / "newscrawl.db", twice) == comparable_articles(ordinary, twice)  # integrity too
    ids = _jsonl_ids(run.archive / "articles.jsonl")
    assert len(ids) == len(set(ids))
    return ids


def test_a_killed_worker_loses_nothing_after_another_run(serve: Callable[..., MirrorProxy], small: GeneratedSite,
                                                         redis_url: str, tmp_path: Path) -> None:
    ordinary, proxy, run, workers, archiver = _slow_run(serve, small, redis_url, tmp_path)
    _wait_until(lambda: len(_post_requests(proxy)) >= 100)
    os.kill(workers[1].pid, signal.SIGKILL)
    assert [w.wait(timeout=600) for w in (workers[0], workers[2])] == [0, 0], run.logs()
    # The run lost a worker: archived, said, not counted as a good run.
    assert archiver.wait(timeout=600) == 3, run.logs()
    assert "workers died before they ended" in (run.work / "archiver.log").read_text()
    run.run()
    _equals_ordinary(run, ordinary, small)


def test_a_killed_archiver_restarted_writes_everything_once(serve: Callable[..., MirrorProxy], small: GeneratedSite,
                                                            redis_url: str, tmp_path: Path) -> None:
    # Groups of 50, committed by count only: at the kill, a group is taken and not committed.
    ordinary, _, run, workers, archiver = _slow_run(
        serve, small, redis_url, tmp_path, {"NEWSCRAWL_COMMIT_EVERY": "50", "NEWSCRAWL_COMMIT_SECONDS": "600"})
    _wait_until(lambda: _archived(run.archive / "newscrawl.db") >= 100)
    os.kill(archiver.pid, signal.SIGKILL)
    archiver.wait()
    assert [w.wait(timeout=600) for w in workers] == [0, 0, 0], run.logs()
    taken = redis.Redis.from_url(redis_url)
    assert any(taken.llen(k) for k in taken.keys("newscrawl:run:*:processing")), "nothing was mid-drain"
    assert run.archiver(wait=5).wait(timeout=600) == 0, run.logs()
    assert "taken again" in (run.work / "archiver.log").read_text()
    ids = _equals_ordinary(run, ordinary, small)
    assert set(ids) == set(comparable_articles(ordinary, set(small.dedup_cases["second_category"])))


def test_the_commands_explain_themselves_and_fail_in_one_line(redis_url: str, tmp_path: Path) -> None:
    from tests.conftest import free_port, run_scrapy

    helped = run_scrapy("archiver", "-h")
    assert helped.returncode == 0 and "single writer" in helped.stdout and "--follow" in helped.stdout
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    for args in (("archiver", "-s", f"NEWSCRAWL_REDIS_URL={nowhere}", "-s", f"NEWSCRAWL_DB={tmp_path / 'a.db'}"),
                 ("crawl", "finews", "-s", f"NEWSCRAWL_REDIS_URL={nowhere}")):
        failed = run_scrapy(*args)
        assert failed.returncode == 1 and "Traceback" not in failed.stderr, failed.stderr[-2000:]
        last = failed.stderr.strip().splitlines()[-1]
        assert last.startswith(f"{args[0]} failed: cannot reach Redis at {nowhere}: "), last
    assert not (tmp_path / "a.db").exists()
    idle = run_scrapy("archiver", "--wait", "0", "-s", f"NEWSCRAWL_REDIS_URL={redis_url}",
                      "-s", f"NEWSCRAWL_DB={tmp_path / 'a.db'}", "-s", f"NEWSCRAWL_JSONL={tmp_path / 'a.jsonl'}",
                      "-s", f"NEWSCRAWL_REPORT={tmp_path / 'last-run.json'}")
    assert idle.returncode == 0 and "no run to archive" in idle.stderr, idle.stderr[-2000:]


def test_one_archiver_at_a_time(redis_url: str, tmp_path: Path) -> None:
    from newscrawl.distributed import Keys
    from newscrawl.distributed.lock import ArchiverLock
    from tests.conftest import run_scrapy

    client, key = redis.Redis.from_url(redis_url), ArchiverLock(redis.Redis.from_url(redis_url), Keys()).key
    archiver = ("archiver", "--wait", "0", "-s", f"NEWSCRAWL_REDIS_URL={redis_url}", "-s", "NEWSCRAWL_ARCHIVER_LOCK_SECONDS=3",
                "-s", f"NEWSCRAWL_DB={tmp_path / 'a.db'}", "-s", f"NEWSCRAWL_JSONL={tmp_path / 'a.jsonl'}",
                "-s", f"NEWSCRAWL_REPORT={tmp_path / 'last-run.json'}")
    # Held by a live archiver (this test's own process stands for it): a second one waits, then
    # gives up in one line naming it, and touches nothing.
    from newscrawl.distributed.lock import namespace

    alive = f"{socket.gethostname()}:{os.getpid()}:{namespace()}:abcdef"
    client.set(key, alive, ex=600)
    second = run_scrapy(*archiver)
    assert second.returncode == 1 and "Traceback" not in second.stderr, second.stderr[-2000:]
    assert second.stderr.strip().splitlines()[-1].startswith(f"archiver failed: another archiver ({alive}) writes"), \
        second.stderr[-500:]
    assert client.get(key) == alive.encode() and not (tmp_path / "a.db").exists()
    # Held by an archiver on this machine whose process is gone (kill -9): taken at once.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    client.set(key, f"{socket.gethostname()}:{dead.pid}:{namespace()}:abcdef", ex=600)
    after_kill = run_scrapy(*archiver)
    assert after_kill.returncode == 0 and "no run to archive" in after_kill.stderr, after_kill.stderr[-2000:]
    assert client.get(key) is None  # released when it ended
    # In-process: the holder renews; another does not get it while it does.
    first, other = ArchiverLock(client, Keys(), ttl=3), ArchiverLock(client, Keys(), ttl=3)
    assert first.acquire(wait=0) is None and other.acquire(wait=0.2) == first.me
    assert first.renew() and not other.renew()
    first.release()
    assert other.acquire(wait=0) is None
    other.keep(every=0.5)  # renewed from its own thread: held past its time to live …
    time.sleep(4)
    assert client.get(key) == other.me.encode() and other.lost is None
    client.set(key, "elsewhere:1:x:y", ex=600)  # … until another archiver takes it
    time.sleep(1.5)
    assert other.lost == "elsewhere:1:x:y"
    other.release()
    assert client.get(key) == b"elsewhere:1:x:y"  # not its own: left alone
