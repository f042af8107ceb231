"""Datasette plugin: titles, descriptions, search and canned queries for newscrawl archives.

Installed with newscrawl (entry point `datasette`), so `datasette data/newscrawl.db` shows the
archive documented, with no metadata file: every database that has newscrawl's schema gets
table and column descriptions (from the Article field descriptions), the trigram search box
on `articles`, facets, and canned queries — search (any length, 1–2 characters too), latest
articles of a media, a cluster's members, an article's revisions.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

from newscrawl.archive import is_archive
from newscrawl.archive.queries import CANNED
from newscrawl.archive.schema import (
    ARTICLES,
    ARTICLES_FTS,
    ARTICLES_GRAMS,
    CAPTURES,
    CLUSTERS,
    REVISIONS,
    RUNS,
    SHARE_ATTEMPTS,
)
from newscrawl.items import Article

_TITLES = {
    "search": "Search titles and texts (any length: 茅台, 央行, 北向资金)",
    "latest_by_media": "Latest articles of a media",
    "cluster_members": "A story's articles (its cluster)",
    "article_revisions": "An article's earlier versions",
}
QUERIES: dict[str, dict[str, Any]] = {name: {"title": _TITLES[name], "sql": sql} for name, sql in CANNED.items()}

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
    RUNS: {"title": "Runs", "description": "One row per run: spider, kind (crawl: a walk of the site from its home "
                                        "page; partial; backfill; replay: scrapy reparse), start/end, arguments, "
                                        "stats, outcome.",
           "sort_desc": "run_id"},
    SHARE_ATTEMPTS: {"title": "Failed share answers",
                     "description": "Posts whose share answer failed: attempts, last reason and time, given up."},
    CAPTURES: {"title": "Raw captures",
               "description": "Every fetched page and share answer (zlib-compressed body), for scrapy reparse."},
    ARTICLES_GRAMS: {"hidden": True},
    "dedup_keys": {"hidden": True},
    "meta": {"hidden": True},
}


@hookimpl
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None) -> dict[str, Any]:
    archives = {name: {"description": "A newscrawl archive", "tables": TABLES, "queries": QUERIES}
                for name, db in datasette.databases.items() if db.path and is_archive(str(db.path))}
    if not archives:
        return {}
    return {"title": "newscrawl — 金融消息 archive", "databases": archives}
