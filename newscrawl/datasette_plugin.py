"""Datasette plugin: titles, descriptions, search and canned queries for newscrawl archives.

Installed with newscrawl (entry point `datasette`), so `datasette data/newscrawl.db` shows the
archive documented, with no metadata file: every database that has newscrawl's schema gets
table and column descriptions (from the Article field descriptions), the trigram search box
on `articles`, facets, and canned queries — search (any length, 1–2 characters too), latest
articles of a media, a cluster's members, an article's revisions.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache
from typing import Any

from datasette import hookimpl

from newscrawl.items import Article
from newscrawl.schema import (
    ARTICLES,
    ARTICLES_FTS,
    ARTICLES_GRAMS,
    CAPTURES,
    CLUSTERS,
    REVISIONS,
    RUNS,
    VERSION,
)

QUERIES: dict[str, dict[str, Any]] = {
    "search": {
        "title": "Search titles and texts (any length: 茅台, 央行, 北向资金)",
        "sql": f"""select a.published_at, a.media, a.title, a.url, a.id, a.cluster_id from {ARTICLES} a
where a.rowid in (select rowid from {ARTICLES_FTS} where length(:q) >= 3
                    and {ARTICLES_FTS} match '"' || replace(:q, '"', '""') || '"')
   or a.rowid in (select rowid from {ARTICLES_GRAMS} where length(:q) between 1 and 2
                    and {ARTICLES_GRAMS} match '"' || substr(:q, 1, 1) || ' ' || substr(:q, 2, 1) || '"')
order by a.published_at desc limit 200""",
    },
    "latest_by_media": {
        "title": "Latest articles of a media",
        "sql": f"select published_at, title, url, id, cluster_id from {ARTICLES} where media = :media "
               "order by published_at desc limit 100",
    },
    "cluster_members": {
        "title": "A story's articles (its cluster)",
        "sql": f"select published_at, media, title, url, id, duplicate_of from {ARTICLES} "
               "where cluster_id = :cluster_id order by published_at",
    },
    "article_revisions": {
        "title": "An article's earlier versions",
        "sql": f"select revision, fetched_at, content_hash, title, body_text from {REVISIONS} "
               "where id = :id order by revision",
    },
}

TABLES: dict[str, dict[str, Any]] = {
    ARTICLES: {
        "title": "Articles",
        "description": "One row per archived article of 金融消息 (finews.withounder.com), cleaned and deduplicated.",
        "columns": {**Article.descriptions(), "url_key": "The w3lib-canonical URL (duplicate lookups)."},
        "sort_desc": "published_at",
        "facets": ["media", "category"],
        "label_column": "title",
        "fts_table": ARTICLES_FTS,
        "fts_pk": "rowid",
    },
    REVISIONS: {"title": "Revisions", "description": "Earlier versions of articles whose content changed."},
    CLUSTERS: {"title": "Stories", "description": "One row per story: its first article and how many articles tell it."},
    RUNS: {"title": "Crawl runs", "description": "One row per crawl: spider, start/end, arguments, stats, outcome.",
           "sort_desc": "run_id"},
    CAPTURES: {"title": "Raw captures",
               "description": "Every fetched page and share answer (zlib-compressed body), for scrapy reparse."},
    ARTICLES_GRAMS: {"hidden": True},
    "dedup_keys": {"hidden": True},
    "meta": {"hidden": True},
}


@lru_cache(maxsize=64)
def is_archive(path: str) -> bool:
    """Whether the SQLite file at `path` has newscrawl's schema (read-only look)."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            version = conn.execute("pragma user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    except sqlite3.Error:
        return False
    return version >= VERSION and {ARTICLES, CAPTURES, RUNS} <= tables


@hookimpl
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None) -> dict[str, Any]:
    archives = {name: {"description": "A newscrawl archive", "tables": TABLES, "queries": QUERIES}
                for name, db in datasette.databases.items() if db.path and is_archive(str(db.path))}
    if not archives:
        return {}
    return {"title": "newscrawl — 金融消息 archive", "databases": archives}
