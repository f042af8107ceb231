"""Benchmark: a crawl's peak memory as the site grows, and what a no-op rerun costs.

    python bench/memory_bench.py [--sizes 2000,20000,100000] [--noop 50000] [--seed 1]

For each size: a first crawl of a generated mirror of that many articles into an empty
archive (peak RSS of the crawler process, from the kernel: `wait4`'s ru_maxrss, not a sampled
figure). Then, at `--noop` articles: a first crawl and a second one over the unchanged mirror,
with the second's time as a share of the first's and its peak RSS. Each mirror runs in its own
process (`scrapy mirror`), so the crawler's figures are its own. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.crawl_bench import start_mirror  # noqa: E402
from newscrawl.archive import Archive  # noqa: E402
from newscrawl.mirror.runner import PROJECT_DIR, crawl_command  # noqa: E402


def crawl(proxy_url: str, work: Path, settings: dict[str, str] | None = None) -> tuple[float, float, int, int]:
    """Seconds, peak RSS (MiB), articles in the archive and exit code of one `scrapy crawl`."""
    cmd, env = crawl_command(proxy_url, work, settings=settings)
    started = time.perf_counter()
    with open(work / "crawl.log", "ab") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=PROJECT_DIR, stdout=log, stderr=log)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    return elapsed, usage.ru_maxrss / 1024, Archive.reader(work / "newscrawl.db").count(), proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="2000,20000,100000")
    parser.add_argument("--noop", type=int, default=50_000, help="articles for the no-op rerun (0: none)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting for every crawl (to compare one with another)")
    args = parser.parse_args()
    settings = dict(item.split("=", 1) for item in args.set)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    peaks: dict[int, float] = {}
    for size in sizes:
        mirror, proxy_url = start_mirror(size, args.seed)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                seconds, rss, archived, code = crawl(proxy_url, Path(tmp), settings)
        finally:
            mirror.terminate()
            mirror.wait()
        peaks[size] = rss
        print(f"{size:>7,} articles: first crawl {seconds:7.1f} s, peak RSS {rss:6.1f} MiB, "
              f"{archived:,} archived, exit {code}", flush=True)
    if len(sizes) > 1:
        low, high = min(sizes), max(sizes)
        for size in sorted(sizes)[1:]:
            print(f"peak RSS ratio {size:,} / {low:,}: {peaks[size] / peaks[low]:.2f}")
    if args.noop:
        mirror, proxy_url = start_mirror(args.noop, args.seed)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                first, first_rss, archived, code1 = crawl(proxy_url, Path(tmp), settings)
                second, second_rss, again, code2 = crawl(proxy_url, Path(tmp), settings)
        finally:
            mirror.terminate()
            mirror.wait()
        print(f"{args.noop:>7,} articles: first crawl {first:7.1f} s ({first_rss:.1f} MiB, {archived:,} archived, "
              f"exit {code1}); no-op rerun {second:.1f} s = {100 * second / first:.1f} % of the first, "
              f"peak RSS {second_rss:.1f} MiB ({again:,} archived, exit {code2})")


if __name__ == "__main__":
    main()
