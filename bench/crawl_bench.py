"""Benchmark: `scrapy bench` and a full finews crawl of a generated mirror, in one run.

    python bench/crawl_bench.py [--articles 5000] [--seed 1] [--repeat 3]

Prints pages/s of each (median of the repeats), their ratio, and peak RSS. Figures, not
assertions: quote them in closing notes.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newscrawl.archive import Archive  # noqa: E402
from newscrawl.mirror.generator import GeneratedSite  # noqa: E402
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


def start_mirror(articles: int, seed: int, latency: float = 0.0) -> tuple[subprocess.Popen[str], str]:
    """`scrapy mirror` in its own process: a crawler child forked from a process holding the
    generated site would inherit that process's peak RSS in its own figures. `latency`: the
    seconds it waits before every answer."""
    proc = subprocess.Popen([sys.executable, "-m", "scrapy", "mirror", "--port", "0", "--articles", str(articles),
                             "--seed", str(seed), "--latency", str(latency)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if m := re.search(r"listening on (http://127\.0\.0\.1:\d+)", line):
            return proc, m[1]
    raise RuntimeError("mirror did not start")


def peak_rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) * 1024


def finews_crawl(proxy_url: str, work: Path) -> tuple[float, int, int]:
    result = crawl_through_mirror(proxy_url, work)
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
    expected = len(GeneratedSite(articles=args.articles, seed=args.seed).expected())
    mirror, proxy_url = start_mirror(args.articles, args.seed)
    bench_rates, bench_rss, crawl_rates, crawl_rss = [], [], [], []
    try:
        for i in range(args.repeat):
            rate, rss = scrapy_bench()
            bench_rates.append(rate)
            bench_rss.append(rss)
            with tempfile.TemporaryDirectory() as work:
                rate, rss, archived = finews_crawl(proxy_url, Path(work))
            if archived != expected:
                sys.exit(f"crawl archived {archived} of {expected} articles")
            crawl_rates.append(rate)
            crawl_rss.append(rss)
            print(f"run {i + 1}: scrapy bench {bench_rates[-1]:.0f} pages/s ({bench_rss[-1] / 2**20:.1f} MiB), "
                  f"finews crawl {crawl_rates[-1]:.0f} pages/s ({crawl_rss[-1] / 2**20:.1f} MiB, "
                  f"{archived} articles archived)", flush=True)
        mirror_rss = peak_rss(mirror.pid)
    finally:
        mirror.terminate()
        mirror.wait()

    bench, crawl = statistics.median(bench_rates), statistics.median(crawl_rates)
    print(f"\nscrapy bench:            median {bench:8.1f} pages/s   peak RSS {max(bench_rss) / 2**20:6.1f} MiB")
    print(f"finews crawl ({args.articles} art.): median {crawl:8.1f} pages/s   peak RSS {max(crawl_rss) / 2**20:6.1f} MiB"
          "  (crawler process: site pages + share answers; parse, merge, validate, clean, SQLite, JSONL)")
    print(f"ratio crawl / bench:     {crawl / bench:.2f}")
    print(f"mirror process peak RSS: {mirror_rss / 2**20:.1f} MiB (scrapy mirror); total time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
