"""Canned queries over the archive, for Datasette (integrations/datasette.py): name -> SQL."""

from __future__ import annotations

from newscrawl.archive.schema import ARTICLES, ARTICLES_FTS, ARTICLES_GRAMS, REVISIONS

CANNED: dict[str, str] = {
    # Any length: 3+ characters through the trigram index, 1-2 through the grams index; the
    # most relevant (bm25) first. (The plugin's page for it is search() itself, with counts.)
    "search": f"""select a.title, a.media, a.published_at, a.id, a.url, a.cluster_id from (
  select rowid, rank from {ARTICLES_FTS} where length(:q) >= 3
    and {ARTICLES_FTS} match '"' || replace(:q, '"', '""') || '"'
  union all
  select rowid, rank from {ARTICLES_GRAMS} where length(:q) between 1 and 2
    and {ARTICLES_GRAMS} match '"' || replace(substr(:q, 1, 1) || ' ' || substr(:q, 2, 1), '"', '""') || '"'
) m join {ARTICLES} a on a.rowid = m.rowid
order by m.rank limit 200""",
    "latest_by_media": f"select published_at, title, url, id, cluster_id from {ARTICLES} where media = :media "
                       "order by published_at desc limit 100",
    "cluster_members": f"select published_at, media, title, url, id, duplicate_of from {ARTICLES} "
                       "where cluster_id = :cluster_id order by published_at",
    "story_members": f"select published_at, media, title, url, id, cluster_id from {ARTICLES} "
                     "where story_id = :story_id order by published_at",
    "article_revisions": f"select revision, fetched_at, content_hash, title, body_text from {REVISIONS} "
                         "where id = :id order by revision",
}


def beijing_day(column: str) -> str:
    """SQL for the Beijing day (YYYY-MM-DD) of an ISO time column, whatever offset a time was
    stored with (SQLite's date() alone gives the UTC day)."""
    return f"date([{column}], '+8 hours')"


def on_day(column: str, parameter: str) -> str:
    """SQL condition: the Beijing day of `column` is the :`parameter`."""
    return f"{beijing_day(column)} = :{parameter}"


def days(inner: str, column: str, limit: int) -> str:
    """SQL: the Beijing days of `column` among the rows of the query `inner`, newest first,
    with how many rows each (Datasette's day facet)."""
    day = beijing_day(column)
    return (f"select {day} as value, count(*) as count from ({inner}) where {day} is not null "
            f"group by value order by value desc limit {int(limit)}")
