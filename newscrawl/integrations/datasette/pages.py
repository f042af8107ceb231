"""The reading room's pages: what the plugin's templates are given (templates/).

Reads go through ArchiveReader on Datasette's own read connection (`execute_fn`), so this
module holds no SQL; what a reader sees of an article comes from newscrawl/reading.py.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

import sqlite_utils
from datasette.utils import tilde_encode, urlsafe_components
from markupsafe import Markup, escape

from newscrawl.archive.reader import ArchiveReader, is_archive
from newscrawl.archive.schema import ARTICLES, REVISIONS
from newscrawl.archive.search import count, search
from newscrawl.reading import beijing, body_html, history, media_name, shown_times

SEARCH_LIMIT = 200
PREVIEW_CHARS = 80
_TAG = re.compile(r"<[^>]*>")


def archive_database(datasette: Any, database: str | None) -> bool:
    """Whether `database` of this Datasette is a newscrawl archive (asked again when the file changes)."""
    db = datasette.databases.get(database) if database else None
    return bool(db is not None and db.path and is_archive(str(db.path)))


def reader_table(datasette: Any, database: str | None, table: str | None) -> bool:
    """Whether this is an archive's articles table (the reading room's own)."""
    return table == ARTICLES and archive_database(datasette, database)


def web_link(url: str | None) -> str | None:
    """`url` when a browser may follow it (http or https), else None: a share link can be
    anything a post carried (javascript:, data:)."""
    return url if url and urllib.parse.urlsplit(url.strip()).scheme.lower() in ("http", "https") else None


def row_path(article_id: str) -> str:
    return tilde_encode(str(article_id))


def preview(html: str) -> str:
    """The start of an HTML body as text, for a table cell."""
    text = " ".join(_TAG.sub(" ", html).split())
    return text[:PREVIEW_CHARS] + ("…" if len(text) > PREVIEW_CHARS else "")


def _reader(conn: Any) -> ArchiveReader:
    return ArchiveReader(sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False))


# --- the articles table ----------------------------------------------------------------------
def table_page(request: Any, columns: list[str], metadata: dict[str, Any], reader_columns: tuple[str, ...]
               ) -> dict[str, Any]:
    """The reader's view of the table unless columns were chosen (?_col, ?_nocol): its
    columns, the column descriptions (folded in the page) and a link to every column."""
    chosen = "_col" in request.args or "_nocol" in request.args
    pairs = [(k, v) for k, v in urllib.parse.parse_qsl(request.query_string, keep_blank_values=True)
             if k not in ("_col", "_nocol", "_next")]
    every = [*pairs, *(("_col", c) for c in columns if c != "id")]
    return {
        "newscrawl_reader": not chosen,
        "newscrawl_reader_columns": reader_columns,
        "newscrawl_descriptions": metadata.get("columns") or {},
        "newscrawl_all_columns_url": f"{request.path}?{urllib.parse.urlencode(every)}",
        "newscrawl_reader_url": f"{request.path}?{urllib.parse.urlencode(pairs)}" if pairs else request.path,
        # The descriptions are shown folded by the plugin's _table.html, not as Datasette's
        # list of 25 of them above the rows; facets beyond media and day are not suggested
        # (a line of column names a reader has no use for).
        "metadata": {k: v for k, v in metadata.items() if k != "columns"},
        "suggested_facets": [],
    }


# --- an article, or one of its earlier versions ----------------------------------------------
async def row_page(datasette: Any, database: str, table: str, request: Any) -> dict[str, Any]:
    keys = urlsafe_components(request.url_vars.get("pks", ""))
    db = datasette.get_database(database)
    if table == ARTICLES and len(keys) == 1:
        found = await db.execute_fn(lambda conn: _article_data(conn, keys[0]))
        return {"newscrawl_article": article_view(datasette, database, *found)} if found else {}
    if table == REVISIONS and len(keys) == 2 and keys[1].isdigit():
        found = await db.execute_fn(lambda conn: _version_data(conn, keys[0], int(keys[1])))
        return {"newscrawl_version": version_view(datasette, database, *found)} if found else {}
    return {}


def _article_data(conn: Any, article_id: str) -> tuple[dict, list, list] | None:
    reader = _reader(conn)
    article = reader.get(article_id)
    if article is None:
        return None
    return article, reader.story_members(article), reader.versions(article_id)


def _version_data(conn: Any, article_id: str, revision: int) -> tuple[dict, dict, dict | None] | None:
    reader = _reader(conn)
    versions = reader.versions(article_id)
    article = reader.get(article_id)
    for n, version in enumerate(versions):
        if version["revision"] == revision:
            following = versions[n + 1] if n + 1 < len(versions) else article
            return version, {"id": article_id, "title": (article or version).get("title")}, following
    return None


def article_view(datasette: Any, database: str, article: dict[str, Any], members: list[dict[str, Any]],
                 versions: list[dict[str, Any]]) -> dict[str, Any]:
    published, site_time = shown_times(article)
    row = datasette.urls.row
    return {
        "id": article["id"],
        "title": article.get("title") or "",
        "media": media_name(article.get("media") or article.get("source_media")),
        "source": article.get("source"),
        "tags": article.get("tags") or [],
        "published": published,
        "published_iso": article.get("published_at"),
        "site_time": site_time,
        "body": Markup(body_html(article)),
        "digest": article.get("digest"),
        "post_url": web_link(article.get("url")),
        "share_url": web_link(article.get("share_url")),
        "source_title": article.get("source_title"),
        "story": [{"title": m["title"], "media": media_name(m["media"]), "published": beijing(m["published_at"]),
                   "url": row(database, ARTICLES, row_path(m["id"])),
                   "copy": bool(article.get("cluster_id")) and m["cluster_id"] == article.get("cluster_id")}
                  for m in members],
        "story_url": (datasette.urls.table(database, ARTICLES) + "?" + urllib.parse.urlencode(
            {"story_id": article["story_id"]} if article.get("story_id") else {"cluster_id": article["cluster_id"]}))
        if article.get("story_id") or article.get("cluster_id") else None,
        "versions": [{"revision": v["revision"], "fetched": beijing(v["fetched_at"]),
                      "url": row(database, REVISIONS, f"{row_path(article['id'])},{v['revision']}"),
                      "changes": changed} for v, changed in history(article, versions)],
        "json_url": row(database, ARTICLES, row_path(article["id"]), format="json"),
    }


def version_view(datasette: Any, database: str, version: dict[str, Any], article: dict[str, Any],
                 following: dict[str, Any] | None) -> dict[str, Any]:
    changed = history(following, [version])[0][1] if following else None
    return {
        "revision": version["revision"],
        "fetched": beijing(version["fetched_at"]),
        "title": version.get("title") or "",
        "body": Markup(body_html(version)),
        "article_title": article["title"],
        "article_url": datasette.urls.row(database, ARTICLES, row_path(article["id"])),
        "changes": changed,
    }


# --- the search page ---------------------------------------------------------------------------
async def search_page(datasette: Any, database: str, request: Any) -> dict[str, Any]:
    term = (request.args.get("q") or "").strip()
    view: dict[str, Any] = {"term": term, "hits": [], "total": 0, "limit": SEARCH_LIMIT}
    if term:
        def run(conn: Any) -> tuple[list[Any], int]:
            db = _reader(conn).db
            return search(db, term, limit=SEARCH_LIMIT), count(db, term)

        hits, view["total"] = await datasette.get_database(database).execute_fn(run)
        view["hits"] = [{"title": h.title, "url": datasette.urls.row(database, ARTICLES, row_path(h.id)),
                         "media": media_name(h.media), "published": beijing(h.published_at),
                         "snippet": _marked(h.snippet, term)} for h in hits]
    return {"newscrawl_search": view}


def _marked(snippet: str, term: str) -> Markup:
    """search()'s snippet with its [match] marked: the one bracketed run that is the term
    (the text's own brackets stay as they are)."""
    lower, at = snippet.lower(), -1
    for start in range(len(snippet)):
        if snippet.startswith("[", start) and lower.startswith(term.lower() + "]", start + 1):
            at = start
            break
    if at < 0:
        return Markup(escape(snippet))
    end = at + 1 + len(term)
    return Markup(f"{escape(snippet[:at])}<mark>{escape(snippet[at + 1 : end])}</mark>{escape(snippet[end + 1 :])}")
