"""Benchmark: a history backfill from a local checkout, against the pipelines alone, in one run.

    python bench/history_bench.py [--sizes 2000,20000,40000] [--pipeline 20000] [--caches 64,8]

Lays out a repository of `size` sources — the real sample's sources (../shared/finews/src)
replicated under new ids, or a generated site's when the sample is not there — and runs
`scrapy crawl history -a repo=DIR` on it with share following off, as a user would. Prints
sources/s and peak RSS per size, and the ratio of the sources/s to the articles/s of the
pipelines alone (clean + dedup + store, bench/pipeline_bench.py's way) measured in the same run.
Each size runs with each archive page cache (NEWSCRAWL_CACHE_MIB): the default, whose budget
the process grows into as the archive fills, and a small one that shows what remains.
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pipeline_bench import Stats, items, run  # noqa: E402

from newscrawl import settings  # noqa: E402
from newscrawl.archive import Archive  # noqa: E402
from newscrawl.mirror.generator import GeneratedSite  # noqa: E402
from newscrawl.mirror.repository import post_source, write_repository  # noqa: E402
from newscrawl.pipelines.clean import CleanArticlePipeline  # noqa: E402
from newscrawl.pipelines.dedup import DedupArticlePipeline  # noqa: E402
from newscrawl.pipelines.store import StoreArticlePipeline  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "finews" / "src" / "_posts"
_ID = re.compile(r"\d{18}")


def sample_sources() -> list[tuple[str, str]]:
    """(file name, text) of the sample's publishable sources, or a generated site's."""
    if SAMPLE.is_dir():
        return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(SAMPLE.glob("20*-*.md"))]
    site = GeneratedSite(articles=300, seed=3)
    return [(f"{a.published:%Y-%m-%d}-{a.id}.md", post_source(a)) for a in site.articles if not a.alias_of]


def lay_out(root: Path, size: int) -> None:
    """`size` sources under root/_posts and root/old_post, each copy under ids of its own."""
    sources = sample_sources()
    for n in range(size):
        name, text = sources[n % len(sources)]
        copy = n // len(sources)
        ids = {found: f"{int(found) + copy * 1_000_003:018d}" for found in set(_ID.findall(name + text))}
        for old, new in ids.items():
            name, text = name.replace(old, new), text.replace(old, new)
        folder = root / ("old_post" if n % 3 else "_posts")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")


def backfill(size: int, cache_mib: int, generated: bool = False) -> tuple[float, float, int]:
    """(sources/s, peak RSS MiB of the crawl and of its parsing workers, sources read) of one
    backfill of a fresh repository."""
    with tempfile.TemporaryDirectory() as work:
        repo, out = Path(work) / "repo", Path(work) / "out"
        if generated:  # distinct articles, as the real repository holds
            write_repository(GeneratedSite(articles=size, seed=5), repo)
        else:
            lay_out(repo, size)
        # GNU time's %M: the largest resident set of the crawl or of a child it waited for.
        cmd = ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "scrapy", "crawl", "history", "-a", f"repo={repo}",
               "-s", f"NEWSCRAWL_DB={out / 'newscrawl.db'}", "-s", f"NEWSCRAWL_JSONL={out / 'articles.jsonl'}",
               "-s", f"NEWSCRAWL_REPORT={out / 'last-run.json'}", "-s", "NEWSCRAWL_FOLLOW_SHARE=False",
               "-s", f"NEWSCRAWL_CACHE_MIB={cache_mib}",
               "-s", "LOG_LEVEL=WARNING"]
        done = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
        stats = json.loads((out / "last-run.json").read_text(encoding="utf-8"))["stats"]
        read = stats["newscrawl/history/read"]
        peak_kib = int(done.stderr.strip().splitlines()[-1])
        return read / stats["elapsed_time_seconds"], peak_kib / 1024, read


def pipelines(size: int) -> float:
    """articles/s of clean + dedup + store filling a fresh archive with `size` articles."""
    batch = items(GeneratedSite(size, seed=11))
    with tempfile.TemporaryDirectory() as work:
        archive, stats = Archive(Path(work) / "bench.db", commit_every=settings.NEWSCRAWL_COMMIT_EVERY), Stats()
        steps = [CleanArticlePipeline(), DedupArticlePipeline(archive, stats), StoreArticlePipeline(archive, stats)]
        seconds = run(steps, batch, archive)
        archive.close()
    return len(batch) / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="2000,20000,40000")
    parser.add_argument("--pipeline", type=int, default=20_000)
    parser.add_argument("--caches", default=f"{settings.NEWSCRAWL_CACHE_MIB},8",
                        help="NEWSCRAWL_CACHE_MIB values to run each size with (the first is the default)")
    parser.add_argument("--generated", action="store_true",
                        help="a generated site's repository of distinct articles instead of the sample's copies")
    args = parser.parse_args()
    kind = "a generated site's" if args.generated or not SAMPLE.is_dir() else "the real sample, replicated"
    print(f"sources: {kind}", flush=True)
    started = time.monotonic()
    results: dict[tuple[int, int], tuple[float, float]] = {}
    sizes = sorted(int(s) for s in args.sizes.split(","))
    caches = [int(c) for c in args.caches.split(",")]
    for cache in caches:
        for size in sizes:
            rate, rss, read = backfill(size, cache, args.generated)
            results[cache, size] = (rate, rss)
            print(f"cache {cache:3} MiB, backfill of {size:>7,} sources ({read:,} read): {rate:7.0f} sources/s, "
                  f"peak RSS {rss:5.0f} MiB", flush=True)
    pipeline_rate = pipelines(args.pipeline)
    print(f"pipelines alone, {args.pipeline:,} articles: {pipeline_rate:7.0f} articles/s")
    for cache in caches:
        print(f"cache {cache} MiB: ratio backfill / pipelines at {sizes[-1]:,}: "
              f"{results[cache, sizes[-1]][0] / pipeline_rate:.2f}; peak RSS "
              + ", ".join(f"{large:,}/{small:,} {results[cache, large][1] / results[cache, small][1]:.2f}"
                          for small, large in zip(sizes, sizes[1:])))
    print(f"(in {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
