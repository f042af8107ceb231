"""Datasette plugin: newscrawl archives as a reading room.

Installed with newscrawl (entry point `datasette`), so `datasette data/newscrawl.db` needs no
metadata file. For every database with newscrawl's schema:

- the articles table shows what a reader scans — the title (a link to the article), the
  media, the time in Beijing time — with every column one click away, the column
  descriptions folded, and facets on media and day (facets.py);
- its search box answers any term, 茅 and 茅台 too: exactly the articles whose title or body
  contains it, through the same code as `scrapy search` (archive/search.py `contains`);
- an article's page (templates/row.html) is the article: title, media, times, the body as
  sanitized HTML, links to the post and the original, its story's other articles, its
  earlier versions with what changed;
- the `search` query's page ranks by relevance, shows snippets, links each hit and says how
  many matched;
- tables and columns are described (from the Article field descriptions).

The pages' data comes from pages.py; what a reader sees (times, body, changes) from
newscrawl/reading.py, which `scrapy show` shares.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.filters import FilterArguments
from markupsafe import Markup, escape

from newscrawl.archive.queries import CANNED, on_day
from newscrawl.archive.reader import archive_columns
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
from newscrawl.archive.search import contains
from newscrawl.archive.storyindex import STORIES, STORY_COUNTS, STORY_KEYS
from newscrawl.integrations.datasette import pages
from newscrawl.integrations.datasette.facets import DAY_ARG, DayFacet, MediaFacet
from newscrawl.integrations.datasette.pages import archive_database
from newscrawl.items import Article
from newscrawl.reading import beijing, media_name

_TITLES = {
    "search": "Search titles and texts (any length: 茅台, 央行, 北向资金)",
    "latest_by_media": "Latest articles of a media",
    "cluster_members": "A cluster's articles (copies of one text)",
    "story_members": "A story's articles (one event's write-ups)",
    "article_revisions": "An article's earlier versions",
}
QUERIES: dict[str, dict[str, Any]] = {name: {"title": _TITLES[name], "sql": sql, "hide_sql": True}
                                      for name, sql in CANNED.items()}
# A query on a column an older archive lacks (served before `scrapy migrate`) is not offered on it.
_NEEDS = {"story_members": "story_id"}
# What the articles table shows unless every column is asked for.
READER_COLUMNS = ("title", "media", "published_at")

TABLES: dict[str, dict[str, Any]] = {
    ARTICLES: {
        "title": "Articles",
        "description": "One row per archived article of 金融消息 (finews.withounder.com), cleaned and deduplicated. "
                       "Times are Beijing time.",
        "columns": {**Article.descriptions(), "url_key": "The w3lib-canonical URL (duplicate lookups).",
                    "seq": "The archive's write counter when the row was last written (delta exports)."},
        "sort_desc": "published_at",
        "facets": [{"media": "media"}, {"day": "published_at"}],
        "facet_size": 10,
        "label_column": "title",
    },
    REVISIONS: {"title": "Revisions", "description": "Earlier versions of articles whose content changed."},
    CLUSTERS: {"title": "Clusters", "description": "One row per cluster (copies of one text: the same text under "
                                               "two ids, syndicated copies, small edits): its first article and size."},
    STORIES: {"title": "Stories", "description": "One row per story (one event, however many write-ups): its size, "
                                              "first and last publication, its representative (the fullest "
                                              "write-up) and that one's title.",
              "sort_desc": "last_published_at"},
    RUNS: {"title": "Runs", "description": "One row per run: spider, kind (crawl: a walk of the site from its home "
                                        "page; partial; backfill; replay: scrapy reparse), start/end, arguments, "
                                        "stats, outcome.",
           "sort_desc": "run_id"},
    SHARE_ATTEMPTS: {"title": "Failed share answers",
                     "description": "Posts whose share answer failed: attempts, last reason and time, given up."},
    CAPTURES: {"title": "Raw captures",
               "description": "Every fetched page and share answer (zlib-compressed body), for scrapy reparse."},
    ARTICLES_FTS: {"hidden": True},
    ARTICLES_GRAMS: {"hidden": True},
    "dedup_keys": {"hidden": True},
    STORY_KEYS: {"hidden": True},
    STORY_COUNTS: {"hidden": True},
    "meta": {"hidden": True},
}


@hookimpl
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None) -> dict[str, Any]:
    archives = {}
    for name, db in datasette.databases.items():
        columns = archive_columns(str(db.path)) if db.path else None
        if columns is not None:
            queries = {q: query for q, query in QUERIES.items() if _NEEDS.get(q, "id") in columns}
            archives[name] = {"description": "A newscrawl archive", "tables": TABLES, "queries": queries}
    if not archives:
        return {}
    return {"title": "newscrawl — 金融消息 archive", "databases": archives}


@hookimpl
def register_facet_classes() -> list[type]:
    return [DayFacet, MediaFacet]


@hookimpl(trylast=True)
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> FilterArguments | None:
    """The articles' search box (`_search`, any length) and the day facet's `_day`."""
    if table != ARTICLES or not archive_database(datasette, database):
        return None
    where: list[str] = []
    params: dict[str, Any] = {}
    described: list[str] = []
    context: dict[str, Any] = {"supports_search": True}
    term = (request.args.get("_search") or "").strip()
    if term:
        condition, values = contains(term, "rowid", "newscrawl_")
        where.append(condition)
        params.update(values)
        described.append(f'title or text contains "{term}"')
        context["search"] = term
    day = request.args.get(DAY_ARG)
    if day:
        where.append(on_day("published_at", "newscrawl_day"))
        params["newscrawl_day"] = day
        described.append(f"published on {day} (Beijing time)")
    return FilterArguments(where, params, described, context)


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    if table != ARTICLES or not archive_database(datasette, database):
        return None
    if column == "title" and value and "id" in row.keys():
        link = datasette.urls.row(database, ARTICLES, pages.row_path(row["id"]))
        return Markup(f'<a class="newscrawl-title" href="{escape(link)}">{escape(value)}</a>')
    if column in ("published_at", "site_published_at", "fetched_at") and value:
        return Markup(f'<time datetime="{escape(value)}" title="{escape(value)}">{escape(beijing(value))}</time>')
    if column == "media" and value:
        return media_name(value)
    if column in ("body_html", "source_body_html") and value:
        return pages.preview(value)  # escaped markup a row high would read as nothing
    return None


@hookimpl
def extra_template_vars(template: str, database: str | None, table: str | None, columns: list[str] | None,
                        view_name: str, request: Any, datasette: Any) -> Any:
    if request is None or not archive_database(datasette, database):
        return None

    async def inner() -> dict[str, Any]:
        if view_name == "table" and table == ARTICLES:
            return pages.table_page(request, columns or [], TABLES[ARTICLES], READER_COLUMNS)
        if view_name == "row" and table in (ARTICLES, REVISIONS):
            return await pages.row_page(datasette, database, table, request)
        if template == "query.html" and request.url_vars.get("table") == "search":  # the canned query's page
            return await pages.search_page(datasette, database, request)
        return {}

    return inner
