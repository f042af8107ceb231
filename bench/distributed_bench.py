"""Benchmark: distributed crawling — pages/s with 1, 2 and 4 workers, and the archiver's drain rate.

    python bench/distributed_bench.py [--articles 3000] [--latency 0.1] [--concurrency 4]
                                      [--workers 1,2,4] [--drain 10000] [--repeat 5]

A mirror answering every request after `--latency` seconds (a server far away), a real
redis-server on 127.0.0.1, and for each worker count a fresh run: N workers (`scrapy crawl
finews -s NEWSCRAWL_REDIS_URL=…`, each with CONCURRENT_REQUESTS = `--concurrency`) and one
archiver. pages/s is the pages the workers fetched over the time from the first worker's start
to the last one's exit; the scaling is pages/s(N) / (N × pages/s(1)) (goal ≥ 0.8).

Then the archiver alone: `--drain` generated articles queued in Redis as workers hand them
over, drained by `scrapy archiver` (articles/s over its whole run, start-up included, and
over its items alone, from its stats), beside the local pipeline (validate → clean → dedup →
store → JSONL in-process on the same articles, bench/pipeline_bench.py's way) in the same
run, each `--repeat` times in turn into fresh archives: the medians and their ratio (goal ≥ 0.8).
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.crawl_bench import start_mirror  # noqa: E402
from bench.pipeline_bench import Stats, items, run  # noqa: E402
from newscrawl import settings  # noqa: E402
from newscrawl.archive import Archive  # noqa: E402
from newscrawl.distributed import Keys, Run  # noqa: E402
from newscrawl.items import Article, item_fields  # noqa: E402
from newscrawl.mirror.generator import GeneratedSite  # noqa: E402
from newscrawl.mirror.runner import archiver_command, start, start_redis, worker_command  # noqa: E402
from newscrawl.pipelines.clean import CleanArticlePipeline  # noqa: E402
from newscrawl.pipelines.dedup import DedupArticlePipeline  # noqa: E402
from newscrawl.pipelines.jsonl import AppendJsonlPipeline  # noqa: E402
from newscrawl.pipelines.store import StoreArticlePipeline  # noqa: E402
from newscrawl.pipelines.stories import StoryPipeline  # noqa: E402
from newscrawl.pipelines.timeline import InferTimesPipeline  # noqa: E402
from newscrawl.pipelines.validate import ValidateArticlePipeline  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def crawl(count: int, proxy: str, redis_url: str, work: Path, concurrency: int) -> tuple[float, int, list[int]]:
    """Seconds, pages fetched and exit codes of one distributed run of `count` workers."""
    redis.Redis.from_url(redis_url).flushall()
    worker = {"CONCURRENT_REQUESTS": str(concurrency), "CONCURRENT_REQUESTS_PER_DOMAIN": str(concurrency)}
    started = time.perf_counter()
    workers = [start(worker_command(proxy, work / f"w{n}", redis_url, settings=worker), work / f"w{n}.log")
               for n in range(count)]
    archiver = start(archiver_command(work / "archive", redis_url, wait=30), work / "archiver.log")
    codes = [w.wait() for w in workers]
    seconds = time.perf_counter() - started
    codes.append(archiver.wait())
    pages = sum(json.loads((work / f"w{n}" / "last-run.json").read_text())["stats"].get("response_received_count", 0)
                for n in range(count))
    return seconds, pages, codes


def handed_over(articles: list) -> list[str]:
    """`articles` as a worker hands them over (the local pipelines are given items made from
    these too: the pipelines change the items they are given)."""
    return [json.dumps({"type": "item", "item": item_fields(item)}, ensure_ascii=False) for item in articles]


def drain(messages: list[str], redis_url: str, work: Path) -> tuple[float, float, int]:
    """Seconds of `scrapy archiver` over `messages` queued as a finished run, its own items
    seconds (from its stats), and its exit code."""
    client = redis.Redis.from_url(redis_url)
    client.flushall()
    keys = Keys()
    run_id = "bench"
    client.set(keys.run(run_id), json.dumps({"spider": "finews", "started_at": "2026-12-01T00:00:00+00:00"}))
    pipe = client.pipeline(transaction=False)
    for n, message in enumerate(messages):
        pipe.rpush(keys.run(run_id, "items"), message)
        if n % 1000 == 999:
            pipe.execute()
    pipe.sadd(keys.run(run_id, "workers"), "bench")
    pipe.sadd(keys.run(run_id, "done"), "bench")
    pipe.set(keys.run(run_id, "closed"), "1")
    pipe.rpush(keys.runs, run_id)
    pipe.execute()
    started = time.perf_counter()
    archiver = start(archiver_command(work, redis_url, wait=5), work / "archiver.log")
    code = archiver.wait()
    seconds = time.perf_counter() - started
    report = json.loads((work / "last-run.json").read_text())
    assert Run(client, keys, "finews", run_id).members() == (set(), set())  # archived and forgotten
    return seconds, report["stats"].get("newscrawl/archiver/seconds", seconds), code


class WindowStats(Stats):
    def min_value(self, key: str, value: str) -> None:
        self[key] = min(self.get(key, value), value)

    def max_value(self, key: str, value: str) -> None:
        self[key] = max(self.get(key, value), value)


def local(articles: list, work: Path) -> float:
    """Seconds of the archiver's pipelines in-process, on the same articles: validate, clean,
    dedup, stories, times to infer, store, JSONL, up to the last commit (no engine, no Redis; the
    inference at the end is not counted, as in the archiver's figure)."""
    work.mkdir(parents=True, exist_ok=True)
    archive, stats = Archive(work / "local.db", commit_every=settings.NEWSCRAWL_COMMIT_EVERY), WindowStats()
    jsonl = AppendJsonlPipeline(str(work / "local.jsonl"), stats, archive)
    infer = InferTimesPipeline(archive, stats)
    infer.jsonl, jsonl.waits = jsonl, archive.time_pending
    pipelines = [ValidateArticlePipeline(stats), CleanArticlePipeline(), DedupArticlePipeline(archive, stats),
                 StoryPipeline(archive, stats), infer, StoreArticlePipeline(archive, stats), jsonl]
    jsonl.open_spider()
    seconds = run(pipelines, articles, archive)  # what the archiver's drain time counts too
    infer.close_spider()
    jsonl.close_spider()
    archive.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--drain", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is not installed (make install installs it)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server, redis_url = start_redis(work, free_port())
        try:
            if args.workers:
                mirror, proxy = start_mirror(args.articles, 1, args.latency)
                try:
                    rates: dict[int, float] = {}
                    for count in (int(c) for c in args.workers.split(",")):
                        seconds, pages, codes = crawl(count, proxy, redis_url, work / f"crawl{count}", args.concurrency)
                        rates[count] = pages / seconds
                        scaling = rates[count] / (count * rates[min(rates)]) if min(rates) == 1 else float("nan")
                        print(f"{count} worker(s): {pages:,} pages in {seconds:.1f} s = {rates[count]:.1f} pages/s "
                              f"({scaling:.2f} × linear); exit codes {codes}", flush=True)
                finally:
                    mirror.terminate()
            if args.drain:
                messages = handed_over(items(GeneratedSite(args.drain, seed=11)))
                locals_, whole, owns, codes = [], [], [], []
                for n in range(args.repeat):
                    articles = [Article(**json.loads(m)["item"]) for m in messages]
                    locals_.append(local(articles, work / f"local{n}"))
                    seconds, own, code = drain(messages, redis_url, work / f"drain{n}")
                    whole.append(seconds), owns.append(own), codes.append(code)
                count, local_s, own_s = len(messages), median(locals_), median(owns)
                print(f"{count:,} articles, medians of {args.repeat} runs in turn: local pipelines "
                      f"{count / local_s:.0f} articles/s; archiver {count / own_s:.0f} articles/s while it "
                      f"drains ({own_s:.1f} s), {count / median(whole):.0f} over its whole run "
                      f"({median(whole):.1f} s, start-up included); ratio to local {local_s / own_s:.2f} "
                      f"(per run: {', '.join(f'{a / b:.2f}' for a, b in zip(locals_, owns))}); exit codes {codes}")
        finally:
            server.terminate()


if __name__ == "__main__":
    main()
