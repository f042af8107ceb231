"""Canned queries over the archive, for Datasette (integrations/datasette.py): name -> SQL."""

from __future__ import annotations

from newscrawl.archive.schema import ARTICLES, ARTICLES_FTS, ARTICLES_GRAMS, REVISIONS

CANNED: dict[str, str] = {
    # Any length: 3+ characters through the trigram index, 1-2 through the grams index.
    "search": f"""select a.published_at, a.media, a.title, a.url, a.id, a.cluster_id from {ARTICLES} a
where a.rowid in (select rowid from {ARTICLES_FTS} where length(:q) >= 3
                    and {ARTICLES_FTS} match '"' || replace(:q, '"', '""') || '"')
   or a.rowid in (select rowid from {ARTICLES_GRAMS} where length(:q) between 1 and 2
                    and {ARTICLES_GRAMS} match '"' || substr(:q, 1, 1) || ' ' || substr(:q, 2, 1) || '"')
order by a.published_at desc limit 200""",
    "latest_by_media": f"select published_at, title, url, id, cluster_id from {ARTICLES} where media = :media "
                       "order by published_at desc limit 100",
    "cluster_members": f"select published_at, media, title, url, id, duplicate_of from {ARTICLES} "
                       "where cluster_id = :cluster_id order by published_at",
    "article_revisions": f"select revision, fetched_at, content_hash, title, body_text from {REVISIONS} "
                         "where id = :id order by revision",
}
