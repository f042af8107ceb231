"""Item pipelines, one job each: validate -> clean -> store (SQLite) -> append (JSONL).

Each counts what it drops as `newscrawl/<component>/<event>` in the crawl stats.
"""
