"""Benchmark: incremental runs on a large generated mirror — what a second run costs.

    python bench/incremental_bench.py [--articles 10000] [--seed 1]

1. a first crawl archives everything; 2. a second crawl of the unchanged mirror (no post page
should be downloaded); 3. the mirror gains 25 posts and revises 5: a crawl fetches exactly the
25; 4. `-a refresh=<the 5 ids>` fetches those 5. Prints times, post pages downloaded (200) and
asked conditionally (304), and the second run's time as a share of the first's.
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newscrawl.archive import Archive  # noqa: E402
from newscrawl.mirror.generator import GeneratedSite  # noqa: E402
from newscrawl.mirror.proxy import MirrorProxy  # noqa: E402
from newscrawl.mirror.runner import crawl_through_mirror  # noqa: E402
from newscrawl.parsing.urls import PageKind, classify_url  # noqa: E402


def run(proxy: MirrorProxy, work: Path, label: str, **spider_args: str) -> float:
    before = len(proxy.requests)
    started = time.perf_counter()
    result = crawl_through_mirror(proxy.url, work, spider_args=spider_args or None)
    elapsed = time.perf_counter() - started
    posts = [r for r in proxy.requests[before:] if r.host == "finews.withounder.com"
             and classify_url(f"https://finews.withounder.com{r.target}") is PageKind.POST]
    stats = result.stats
    print(f"{label:34} {elapsed:7.1f} s  requests {stats.get('downloader/request_count', 0):6,}  "
          f"post pages downloaded {sum(r.status == 200 for r in posts):6,}  asked, unchanged (304) "
          f"{sum(r.status == 304 for r in posts):4,}  new {stats.get('newscrawl/store/new', 0):6,}  "
          f"changed {stats.get('newscrawl/store/changed', 0):3,}  exit {result.returncode}", flush=True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        proxy = MirrorProxy(GeneratedSite(args.articles, seed=args.seed))
        proxy.start_in_thread()
        first = run(proxy, work, f"1. first run ({args.articles:,} articles)")
        second = run(proxy, work, "2. second run, nothing changed")
        proxy.stop()
        later = GeneratedSite(args.articles, seed=args.seed, revised=5, added=25)
        proxy = MirrorProxy(later)
        proxy.start_in_thread()
        run(proxy, work, "3. 25 posts added, 5 revised")
        run(proxy, work, "4. refresh=<the 5 revised>", refresh=",".join(later.revised_ids))
        proxy.stop()
        print(f"second run / first run: {second / first:.1%} of the time; archive: {Archive(work / 'newscrawl.db').count():,} articles")


if __name__ == "__main__":
    main()
