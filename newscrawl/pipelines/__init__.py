"""Item pipelines, one job each: validate -> clean -> dedup -> store (SQLite) -> append (JSONL).

Each counts what it drops as `newscrawl/<component>/<event>` in the crawl stats. The dedup,
store and JSONL pipelines share the crawl's one archive writer (`crawling.archive_for`).
"""
