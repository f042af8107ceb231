"""The offline demo: start a generated mirror, crawl it with `scrapy crawl finews`, and show
what was archived and where.

    python -m newscrawl.mirror.demo [--articles 300] [--seed 1] [--out data/demo]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from newscrawl.archive import ArchiveReader
from newscrawl.crawling.quality import summary_lines, where_lines
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.proxy import MirrorProxy
from newscrawl.mirror.runner import crawl_through_mirror

EXAMPLE_QUERY = "select media, count(*) as articles from articles group by media order by articles desc limit 5"
SEARCH_TERM = "茅台"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("data/demo"))
    args = parser.parse_args(argv)

    site = GeneratedSite(articles=args.articles, seed=args.seed)
    proxy = MirrorProxy(site)
    port = proxy.start_in_thread()
    print(f"1. Mirror of finews.withounder.com (+ share hosts) on 127.0.0.1:{port}: "
          f"{args.articles} generated articles, {sum(site.planted_drops().values())} planted bad pages, "
          "planted bad share answers")
    log_file = args.out / "crawl.log"
    print(f"2. Crawling: https_proxy=http://127.0.0.1:{port} scrapy crawl finews   (log: {log_file})")
    args.out.mkdir(parents=True, exist_ok=True)
    result = crawl_through_mirror(proxy.url, args.out, log_file=log_file)
    proxy.stop()
    if not result.report:
        print(result.log[-3000:], file=sys.stderr)
        print("The crawl wrote no report: see the log above.", file=sys.stderr)
        return 1

    archive = ArchiveReader.open(args.out / "newscrawl.db")
    # What `scrapy crawl` itself prints at its end: the run, then where it wrote.
    run = summary_lines(result.report, archive.count(), archive.cluster_count())
    files = where_lines({"Archive (SQLite)": f"{args.out / 'newscrawl.db'}   table `articles`",
                         "JSONL": str(args.out / "articles.jsonl"), "Run report": str(args.out / "last-run.json")})
    print("\n".join(f"{'3. ' if n == 0 else ' '}{line}" for n, line in enumerate(run)))
    print("\n".join(f"{'4. ' if n == 0 else '   '}{line}" for n, line in enumerate(files)))
    print(f"5. Example query: sqlite3 {args.out / 'newscrawl.db'} \"{EXAMPLE_QUERY}\"")
    for row in archive.db.query(EXAMPLE_QUERY):
        print(f"     {row['media']}: {row['articles']}")
    hits = archive.search(SEARCH_TERM, limit=None)
    print(f"6. Full-text search: scrapy search {SEARCH_TERM} --db {args.out / 'newscrawl.db'}   "
          f"({len(hits)} articles; any term, 1+ characters)")
    for hit in hits[:2]:
        print(f"     {hit.title}\n       {hit.snippet}")
    print(f"   Browse it: datasette {args.out / 'newscrawl.db'}   "
          f"({archive.capture_count()} raw captures kept for `scrapy reparse`)")
    missing = len(site.expected()) - sum(1 for e in site.expected() if archive.get(e["id"]))
    archive.close()
    if missing:
        print(f"!! {missing} valid generated articles are missing from the archive", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
