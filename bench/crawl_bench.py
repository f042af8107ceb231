"""Benchmark: `scrapy bench` and a full finews crawl of a generated mirror, in one run.

    python bench/crawl_bench.py [--articles 5000] [--seed 1] [--repeat 3]

Prints pages/s of each (median of the repeats), their ratio, and peak RSS. Figures, not
assertions: quote them in closing notes.
"""

from __future__ import annotations

import argparse
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newscrawl.archive import Archive  # noqa: E402
from newscrawl.mirror.generator import GeneratedSite  # noqa: E402
from newscrawl.mirror.proxy import MirrorProxy  # noqa: E402
from newscrawl.mirror.runner import crawl_through_mirror  # noqa: E402


def scrapy_bench() -> tuple[float, int]:
    """pages/s and peak RSS (bytes) of Scrapy's own benchmark, with Scrapy's default settings."""
    with tempfile.TemporaryDirectory() as empty:  # outside the project: default settings
        proc = subprocess.run([sys.executable, "-m", "scrapy", "bench", "-s", "LOG_LEVEL=INFO"],
                              cwd=empty, capture_output=True, text=True, check=True)
    log = proc.stdout + proc.stderr
    pages = int(re.search(r"'response_received_count': (\d+)", log)[1])
    elapsed = float(re.search(r"'elapsed_time_seconds': ([\d.]+)", log)[1])
    rss = int(re.search(r"'memusage/max': (\d+)", log)[1])
    return pages / elapsed, rss


def finews_crawl(site: GeneratedSite, work: Path) -> tuple[float, int, int]:
    proxy = MirrorProxy(site)
    proxy.start_in_thread()
    try:
        result = crawl_through_mirror(proxy.url, work)
    finally:
        proxy.stop()
    stats = result.stats
    archived = Archive(work / "newscrawl.db").count()
    return stats["response_received_count"] / stats["elapsed_time_seconds"], stats["memusage/max"], archived


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    started = time.perf_counter()
    site = GeneratedSite(articles=args.articles, seed=args.seed)
    bench_rates, bench_rss, crawl_rates, crawl_rss = [], [], [], []
    for i in range(args.repeat):
        rate, rss = scrapy_bench()
        bench_rates.append(rate)
        bench_rss.append(rss)
        with tempfile.TemporaryDirectory() as work:
            rate, rss, archived = finews_crawl(site, Path(work))
        if archived != len(site.expected()):
            sys.exit(f"crawl archived {archived} of {len(site.expected())} articles")
        crawl_rates.append(rate)
        crawl_rss.append(rss)
        print(f"run {i + 1}: scrapy bench {bench_rates[-1]:.0f} pages/s, finews crawl {crawl_rates[-1]:.0f} pages/s "
              f"({archived} articles archived)", flush=True)

    bench, crawl = statistics.median(bench_rates), statistics.median(crawl_rates)
    mirror_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"\nscrapy bench:            median {bench:8.1f} pages/s   peak RSS {max(bench_rss) / 2**20:6.1f} MiB")
    print(f"finews crawl ({args.articles} art.): median {crawl:8.1f} pages/s   peak RSS {max(crawl_rss) / 2**20:6.1f} MiB"
          "  (crawler process: parse + validate + clean + SQLite + JSONL)")
    print(f"ratio crawl / bench:     {crawl / bench:.2f}")
    print(f"mirror process peak RSS: {mirror_rss / 2**20:.1f} MiB; total time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
