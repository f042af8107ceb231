"""Benchmark: the archive at scale — insert rate, full-text query latency, bytes per article.

    python bench/archive_bench.py [--articles 100000] [--queries 200]

Writes generated articles (already cleaned, as the store pipeline gets them) into a fresh
archive through Archive.save (row, revision bookkeeping, cluster, near-duplicate keys, both
full-text indexes), then times `newscrawl.archive.search.search` for 2- and 4-character terms taken
from random articles (p50, p95), and prints the database's bytes per 1,000 articles.
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newscrawl import settings  # noqa: E402
from newscrawl.archive import Archive  # noqa: E402
from newscrawl.archive.search import search  # noqa: E402
from newscrawl.items import item_fields  # noqa: E402
from newscrawl.mirror.generator import GeneratedSite  # noqa: E402
from newscrawl.pipelines.clean import CleanArticlePipeline  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_bench import items  # noqa: E402

WORD = re.compile(r"[^\W_]+")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", help="keep the archive at this path (and reuse it if it exists: queries only)")
    args = parser.parse_args()
    if args.keep and Path(args.keep).exists():
        archive = Archive(args.keep)
        texts = [r[0] for r in archive.db.execute("select body_text from articles where length(body_text) > 10")]
        query_bench(archive, texts, args.queries, random.Random(3))
        return

    print(f"generating and cleaning {args.articles:,} articles …", flush=True)
    clean = CleanArticlePipeline()
    records = [item_fields(clean.process_item(a)) for a in items(GeneratedSite(args.articles, seed=13))]
    gc.collect()
    gc.freeze()  # the preloaded records are no garbage; a crawl never holds them
    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "bench.db"
        archive = Archive(path, commit_every=settings.NEWSCRAWL_COMMIT_EVERY)
        started = time.perf_counter()
        for record in records:
            archive.save({**record, "cluster_id": record["id"]}, None)
        archive.commit()
        elapsed = time.perf_counter() - started
        archive.db.execute("pragma wal_checkpoint(truncate)")
        size = path.stat().st_size
        print(f"insert: {len(records):,} articles in {elapsed:.1f} s = {len(records) / elapsed:,.0f} articles/s")
        print(f"database: {size / 2**20:,.0f} MiB = {size / len(records) * 1000 / 2**20:.2f} MiB per 1,000 articles "
              "(no raw captures: a crawl adds its pages, compressed)")
        texts = [r["body_text"] for r in records if r.get("body_text") and len(r["body_text"]) > 10]
        query_bench(archive, texts, args.queries, rng)
        archive.close()
        if args.keep:
            shutil.copy(path, args.keep)


def query_bench(archive: Archive, texts: list[str], queries: int, rng: random.Random) -> None:
    for length in (2, 4):
        times, hits = [], []
        for _ in range(queries):
            term = ""
            while not WORD.fullmatch(term):  # a term is letters/digits, as users type them
                text = rng.choice(texts)
                at = rng.randrange(len(text) - length)
                term = text[at : at + length]
            t0 = time.perf_counter()
            found = search(archive.db, term, limit=20)
            times.append((time.perf_counter() - t0) * 1000)
            hits.append(len(found))
        print(f"search {length}-character terms ({queries} from random articles, top 20): "
              f"p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms, "
              f"median results {statistics.median(hits):.0f}")


if __name__ == "__main__":
    main()
