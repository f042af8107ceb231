"""Benchmark: clean + dedup + stories + store throughput offline, and how it scales with the archive.

    python bench/pipeline_bench.py [--small 10000] [--large 100000] [--batch 5000] [--per-day 2000]

Feeds generated articles (as a crawl's items, parsing already done) through the real
pipelines into a fresh archive: fills it to `--small`, times the next `--batch`, goes on to
`--large`, times another `--batch`. Prints articles/s, the per-article cost ratio, peak RSS,
and the clusters of more than one article among the distinct generated articles (none is
correct but for the planted copies); then the bare storage path (Archive.save: rows, both
full-text indexes, the archive's keys; no cleaning or dedup) on the same texts at `--small`, and
the pipeline's ratio to it; and the pipeline without its story stage, with its ratio. The
articles are `--per-day` a day, as an archive grows (the story windows hold a few days' worth).
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scrapy.exceptions import DropItem  # noqa: E402

from newscrawl import settings  # noqa: E402
from newscrawl.archive import Archive  # noqa: E402
from newscrawl.items import Article, item_fields, update_item  # noqa: E402
from newscrawl.mirror.generator import GeneratedSite  # noqa: E402
from newscrawl.pipelines.clean import CleanArticlePipeline  # noqa: E402
from newscrawl.pipelines.dedup import DedupArticlePipeline  # noqa: E402
from newscrawl.pipelines.store import StoreArticlePipeline  # noqa: E402
from newscrawl.pipelines.stories import StoryPipeline  # noqa: E402

WIDGET = ('<p style="display:none;height:1px;overflow:hidden;"><br /></p><!-- EM_StockImg_Start --><p><img '
          'src="https://webquoteklinepic.eastmoney.com/GetPic.aspx?nid=1.600519"></p><!-- EM_StockImg_End -->')


class Stats(Counter):
    def inc_value(self, key: str, count: int = 1) -> None:
        self[key] += count


def items(site: GeneratedSite) -> list[Article]:
    """The site's articles as the spider yields them (post HTML, before cleaning)."""
    out = []
    for a in site.articles:
        if a.planted or a.alias_of:
            continue
        body = "".join(f"<p>{p}</p>" for p in a.paragraphs)
        if a.digest:
            body = WIDGET + body
        if a.source:
            body += f'<p class="em_media">（文章来源：{a.source}）</p>'
        out.append(Article(id=a.id, url=f"https://finews.withounder.com{a.path}", title=a.title,
                           site_published_at=a.shown.isoformat(), published_at=a.published.isoformat(),
                           category=a.slug, media=a.media, tags=a.tags, digest=a.digest, body_html=body,
                           share_url=a.share_url, share_id=a.share_id, fetched_at="2026-11-29T00:00:00+00:00"))
    return out


def spread(all_items: list[Article], per_day: int) -> None:
    """Publication times `per_day` articles a day, in order, as an archive grows. The generated
    site packs any number of articles into its three days, so every story window would hold
    them all; at 0 they are left so."""
    if not per_day:
        return
    start = datetime(2021, 1, 1, tzinfo=timezone(timedelta(hours=8)))
    for n, item in enumerate(all_items):
        when = (start + timedelta(days=n / per_day)).isoformat()
        update_item(item, {"published_at": when, "site_published_at": when})


def run(pipelines: list, batch: list[Article], archive: Archive) -> float:
    """Seconds to put `batch` through the pipelines and commit it."""
    started = time.perf_counter()
    for item in batch:
        try:
            for pipeline in pipelines:
                item = pipeline.process_item(item)
        except DropItem:
            pass
    archive.commit()
    return time.perf_counter() - started


def store(archive: Archive, batch: list[Article]) -> float:
    """Seconds to save `batch` as it is (no pipeline) and commit it."""
    records = [item_fields(item) for item in batch]
    started = time.perf_counter()
    for record in records:
        archive.save(record, None)
    archive.commit()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--per-day", type=int, default=2_000,
                        help="articles a day (0: the generated site's three days for them all)")
    parser.add_argument("--cache-mib", type=int, default=settings.NEWSCRAWL_CACHE_MIB,
                        help="the archive's page cache (NEWSCRAWL_CACHE_MIB), to compare one with another")
    args = parser.parse_args()

    print(f"generating {args.large + 2 * args.batch} articles …", flush=True)
    all_items = items(GeneratedSite(args.large + 2 * args.batch, seed=11))
    spread(all_items, args.per_day)
    # The bench holds every generated item in memory, which a crawl never does: keep the
    # garbage collector from walking them again and again (its cost would grow with --large).
    gc.collect()
    gc.freeze()
    with tempfile.TemporaryDirectory() as work:
        archive, stats = Archive(Path(work) / "bench.db", commit_every=settings.NEWSCRAWL_COMMIT_EVERY,
                                 cache_mib=args.cache_mib), Stats()
        pipelines = [CleanArticlePipeline(), DedupArticlePipeline(archive, stats), StoryPipeline(archive, stats),
                     StoreArticlePipeline(archive, stats)]
        fill_small = run(pipelines, all_items[: args.small], archive)
        small = run(pipelines, all_items[args.small : args.small + args.batch], archive)
        clusters_small = {r["cluster_id"]: r["size"] for r in archive.clusters.rows_where("size > 1")}
        fill_large = run(pipelines, all_items[args.small + args.batch : args.large], archive)
        large = run(pipelines, all_items[args.large : args.large + args.batch], archive)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"fill to {args.small:>7,}: {args.small / fill_small:8.0f} articles/s")
        print(f"next {args.batch:,} at {args.small:>7,} archived: {args.batch / small:8.0f} articles/s "
              f"({small / args.batch * 1e6:.0f} µs/article)")
        print(f"fill to {args.large:>7,}: {(args.large - args.small - args.batch) / fill_large:8.0f} articles/s")
        print(f"next {args.batch:,} at {args.large:>7,} archived: {args.batch / large:8.0f} articles/s "
              f"({large / args.batch * 1e6:.0f} µs/article)")
        print(f"per-article cost ratio {args.large:,} / {args.small:,}: {large / small:.2f}")
        print(f"peak RSS: {rss:.0f} MiB; database: {Path(work, 'bench.db').stat().st_size / 2**20:.0f} MiB")
        print(f"clusters of more than one article among the first {args.small + args.batch:,}: "
              f"{len(clusters_small)} (planted: 2) — sizes {sorted(clusters_small.values())}")
        print("dedup decisions:", {k.split('/')[-1]: v for k, v in sorted(stats.items()) if '/dedup/' in k})
        archive.close()
        # The bare storage path on the same (already cleaned) texts: rows, both full-text
        # indexes and the archive's keys, without cleaning or dedup decisions.
        bare_archive = Archive(Path(work) / "bare.db", commit_every=settings.NEWSCRAWL_COMMIT_EVERY,
                               cache_mib=args.cache_mib)
        store(bare_archive, all_items[: args.small])
        bare = store(bare_archive, all_items[args.small : args.small + args.batch])
        bare_archive.close()
        print(f"bare storage, next {args.batch:,} at {args.small:>7,} archived: {args.batch / bare:8.0f} articles/s; "
              f"pipeline / bare storage: {bare / small:.2f}")
        # The pipeline without its story stage (clean + dedup + store, as before stories): what
        # placing each article in its story costs beside the rest.
        plain_archive = Archive(Path(work) / "plain.db", commit_every=settings.NEWSCRAWL_COMMIT_EVERY,
                                cache_mib=args.cache_mib)
        plain_pipelines = [CleanArticlePipeline(), DedupArticlePipeline(plain_archive, stats),
                           StoreArticlePipeline(plain_archive, stats)]
        run(plain_pipelines, all_items[: args.small], plain_archive)
        plain = run(plain_pipelines, all_items[args.small : args.small + args.batch], plain_archive)
        plain_archive.close()
        print(f"without the story stage, next {args.batch:,} at {args.small:>7,} archived: "
              f"{args.batch / plain:8.0f} articles/s; its ratio to bare storage: {bare / plain:.2f}; "
              f"placing in stories: {(small - plain) / args.batch * 1e6:.0f} µs/article")


if __name__ == "__main__":
    main()
