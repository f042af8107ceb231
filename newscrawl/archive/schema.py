"""The archive's schema in one place: tables, indexes, full-text search, and migrations.

The version is `PRAGMA user_version`. `migrate()` brings any archive to VERSION in place: a
new one, or one made by an older newscrawl (version 0 means "before versioning", whose
tables may exist already — every step only adds what is missing). Everything is created
through sqlite-utils except what it cannot declare (the contentless FTS5 table).

- articles: one row per article (every Article field, lists/objects as JSON) + `url_key`
  and `seq` (the archive's write counter when the row was last written).
- revisions: the earlier versions of articles whose content changed.
- clusters: one row per story (cluster_id = its first article's id) with its size.
- runs: one row per run: spider, kind (a `crawl` of the site, or a `replay` of the captures by
  `scrapy reparse`), start/end, arguments, stats JSON, outcome.
- captures: every fetched page and share answer, zlib-compressed, keyed by URL and time,
  with its ETag/Last-Modified for conditional requests.
- share_attempts: articles whose share answer failed: how often, why last, when last, and
  whether newscrawl gave up (the next attempt waits a backoff across runs).
- repo_sources: the repository's post sources read by the history spider, by git blob id,
  with the article each gave (or why none).
- jsonl_files: the size of each JSONL file (by name) as of the archive's last commit: the
  crawl's JSONL lines are written inside the archive's transactions, so what a file holds
  beyond it belongs to a group the archive never committed (pipelines/jsonl.py).
- time_pending: articles whose publication time waits to be inferred from their neighbours
  at the run's end (timeline.py), and their JSONL lines with it.
- articles_fts: FTS5 trigram index of title + body_text (3+ character queries), declared
  with content='articles' (version 8);
  articles_grams: FTS5 over each text's 1- and 2-character grams (the queries a trigram
  index cannot answer). Both written by the archive when it commits (fts.py).
- dedup_keys/meta: the near-duplicate index (nearindex.py, versioned on its own).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from newscrawl.archive.fts import grams
from newscrawl.items import Article
from newscrawl.parsing.text import tidy_blocks

VERSION = 8
ARTICLES, REVISIONS, CLUSTERS, RUNS, CAPTURES = "articles", "revisions", "clusters", "runs", "captures"
SHARE_ATTEMPTS, REPO_SOURCES, JSONL_FILES, TIME_PENDING = "share_attempts", "repo_sources", "jsonl_files", "time_pending"
ARTICLES_FTS, ARTICLES_GRAMS = "articles_fts", "articles_grams"
# Beside the Article fields: `url_key` (the canonical URL, for duplicate lookups) and `seq`
# (raised on every write of the row: what a delta export asks for).
ARTICLE_COLUMNS: dict[str, type] = {name: str for name in Article.field_names()} | {"url_key": str, "seq": int}
INTERNAL_COLUMNS = ("url_key", "seq")
# The usual filters of search, export and Datasette facets.
FILTER_INDEXES = (["published_at"], ["category"], ["media"], ["cluster_id"])


def version(db: sqlite_utils.Database) -> int:
    return int(db.execute("pragma user_version").fetchone()[0])


def migrate(db: sqlite_utils.Database) -> int:
    """Bring the archive to VERSION (idempotent); returns the version it had."""
    found = version(db)
    with db.conn:
        if not db[ARTICLES].exists():
            found = 0  # whatever its user_version says, an empty database is made from scratch
        _articles(db)  # every version: a newer Article may have new fields
        if found < 1:
            _v1(db)
        if found < 2:
            _v2(db)
        if found < 3:
            _v3(db)
        if found < 4:
            _v4(db)
        if found < 5:
            _v5(db)
        if found < 6:
            _v6(db)
        if found < 7:
            _v7(db)
        if found < 8:
            _v8(db)
        if found != VERSION:
            db.execute(f"pragma user_version = {VERSION}")
    return found


def _articles(db: sqlite_utils.Database) -> None:
    articles = db[ARTICLES]
    if not articles.exists():
        articles.create(ARTICLE_COLUMNS, pk="id", not_null={"url", "title"})
    for name in ARTICLE_COLUMNS.keys() - {c.name for c in articles.columns}:
        articles.add_column(name, ARTICLE_COLUMNS[name])


def _v1(db: sqlite_utils.Database) -> None:
    """What newscrawl kept before versioning: duplicate lookups, revisions and clusters."""
    db[ARTICLES].create_index(["url_key"], if_not_exists=True)
    db[ARTICLES].create_index(["content_hash"], if_not_exists=True)
    if not db[REVISIONS].exists():
        db[REVISIONS].create(
            {"id": str, "revision": int, "fetched_at": str, "content_hash": str, "title": str,
             "body_html": str, "body_text": str, "record": str},
            pk=("id", "revision"),
        )
    if not db[CLUSTERS].exists():
        db[CLUSTERS].create({"cluster_id": str, "size": int, "first_id": str, "updated_at": str}, pk="cluster_id")


def _v2(db: sqlite_utils.Database) -> None:
    """Runs, raw captures, filter indexes and Chinese full-text search."""
    for columns in FILTER_INDEXES:
        db[ARTICLES].create_index(columns, if_not_exists=True)
    if not db[RUNS].exists():
        db[RUNS].create(
            {"run_id": int, "spider": str, "started_at": str, "finished_at": str, "arguments": str,
             "stats": str, "outcome": str},
            pk="run_id",
        )
    if not db[CAPTURES].exists():
        db[CAPTURES].create(
            {"url": str, "fetched_at": str, "last_seen_at": str, "kind": str, "status": int,
             "content_type": str, "sha1": str, "body": bytes},
            pk=("url", "fetched_at"),
        )
    if not db[ARTICLES_FTS].exists():
        _trigram_index(db)
    if not db[ARTICLES_GRAMS].exists():
        _grams_index(db)


def _trigram_index(db: sqlite_utils.Database) -> None:
    # No triggers: the archive writes both indexes itself, a group at a time (fts.py).
    # content='articles' in quotes, not sqlite-utils' content=[articles]: Datasette takes an
    # index declared its way for the articles' search box and answers 1–2 character terms
    # with nothing; newscrawl's plugin answers that box itself (integrations/datasette).
    db.execute(f"create virtual table [{ARTICLES_FTS}] using fts5([title], [body_text], tokenize='trigram', "
               f"content='{ARTICLES}')")
    db.execute(f"insert into [{ARTICLES_FTS}]([{ARTICLES_FTS}]) values('rebuild')")


def _grams_index(db: sqlite_utils.Database) -> None:
    # Contentless (the grams are only ever matched, never shown); sqlite-utils cannot
    # declare content=''. Rows are deleted with the grams they were indexed with.
    db.execute(f"create virtual table [{ARTICLES_GRAMS}] using fts5(grams, content='', "
               "tokenize='unicode61 remove_diacritics 0')")
    rows = db.execute(f"select rowid, title, body_text from {ARTICLES}").fetchall()
    db.conn.executemany(f"insert into {ARTICLES_GRAMS} (rowid, grams) values (?, ?)",
                        [(rowid, grams(title, body)) for rowid, title, body in rows])


def _v3(db: sqlite_utils.Database) -> None:
    """A write sequence number per article, for delta exports (rows so far: in rowid order)."""
    db.execute(f"update {ARTICLES} set seq = rowid where seq is null")
    db[ARTICLES].create_index(["seq"], if_not_exists=True)


def _v4(db: sqlite_utils.Database) -> None:
    """Validators of captured pages (conditional requests), and both text indexes rebuilt.

    Archives made while the trigram index had triggers (which the archive now replaces by
    writing the index itself) lose them, and the grams index is rebuilt in today's format.
    """
    columns = {c.name for c in db[CAPTURES].columns}
    for name in ("etag", "last_modified"):
        if name not in columns:
            db[CAPTURES].add_column(name, str)
    for trigger in (f"{ARTICLES}_ai", f"{ARTICLES}_ad", f"{ARTICLES}_au"):
        db.execute(f"drop trigger if exists [{trigger}]")
    db.execute(f"insert into {ARTICLES_FTS} ({ARTICLES_FTS}) values ('rebuild')")
    db.execute(f"drop table if exists [{ARTICLES_GRAMS}]")
    _grams_index(db)


def _v5(db: sqlite_utils.Database) -> None:
    """What kind of run each row is: only crawls of the site count for the gap alarm, not
    replays of the captures (`scrapy reparse`, which ran with NEWSCRAWL_REPLAY set). Failed
    share answers are counted per article, so they are asked again with a backoff, then no more."""
    if not db[SHARE_ATTEMPTS].exists():
        db[SHARE_ATTEMPTS].create({"id": str, "attempts": int, "reason": str, "last_attempt_at": str, "gave_up": int},
                                  pk="id", defaults={"gave_up": 0})
    if "kind" not in {c.name for c in db[RUNS].columns}:
        db[RUNS].add_column("kind", str)
    db.execute(f"""update {RUNS} set kind = case
        when json_extract(arguments, '$.settings.NEWSCRAWL_REPLAY') then 'replay'
        when spider != 'finews' then 'backfill'
        when trim(coalesce(json_extract(arguments, '$.spider.start_url'), ''), '/') not in
             ('', 'https://finews.withounder.com', 'https://finews.withounder.com/index.html') then 'partial'
        else 'crawl' end where kind is null""")


def _v6(db: sqlite_utils.Database) -> None:
    """The repository's sources read by a backfill are kept by blob id. Bodies take the one
    layout of blocks that cleaning now gives them (parsing.text.tidy_blocks), so that an
    article crawled again, or read from its source, is not taken for a revision. The source's
    HTML is stored sanitized, as cleaning now gives it: a share answer's <script>, handlers
    and javascript: links were kept as answered, and served."""
    from newscrawl.processing.cleaning import clean_body  # cleaning imports nothing of the archive

    if not db[REPO_SOURCES].exists():
        db[REPO_SOURCES].create({"sha": str, "path": str, "article_id": str, "outcome": str, "read_at": str}, pk="sha")
    _rewrite(db, "body_html", lambda body, _: tidy_blocks(body))
    _rewrite(db, "source_body_html", lambda html, row: clean_body(html, row["share_url"] or "")[0])
    # Times no news can have (a generator's 1970, a share host's year 9999) were archived as
    # they came: taken out, and the publication time taken from what is left.
    bounds = ["2000-01-01", (datetime.now(UTC) + timedelta(days=1)).isoformat()]
    for column in ("source_published_at", "site_published_at"):
        db.execute(f"update {ARTICLES} set {column} = null where {column} < ? or {column} > ?", bounds)
    db.execute(f"""update {ARTICLES} set published_at = coalesce(source_published_at, site_published_at),
        provenance = json_set(coalesce(provenance, '{{}}'), '$.published_at',
                              case when source_published_at is not null then 'share' else 'post' end)
        where published_at < ? or published_at > ?""", bounds)
    # Earlier versions keep their whole record: their source HTML too.
    last = 0
    while rows := db.conn.execute(f"select rowid, record from {REVISIONS} where rowid > ? and record like "
                                  f"'%source_body_html%' order by rowid limit 500", [last]).fetchall():
        last = rows[-1][0]
        updates = []
        for rowid, text in rows:
            record = json.loads(text)
            if isinstance(record, dict) and record.get("source_body_html"):
                clean = clean_body(record["source_body_html"], record.get("share_url") or "")[0]
                if clean != record["source_body_html"]:
                    updates.append((json.dumps({**record, "source_body_html": clean}, ensure_ascii=False), rowid))
        db.conn.executemany(f"update {REVISIONS} set record = ? where rowid = ?", updates)


def _v7(db: sqlite_utils.Database) -> None:
    """JSONL lines are written inside the archive's transactions, with each file's size.
    Publication times without a true source wait for their neighbours (`time_pending`)."""
    if not db[JSONL_FILES].exists():
        db[JSONL_FILES].create({"name": str, "size": int, "updated_at": str}, pk="name")
    if not db[TIME_PENDING].exists():
        db[TIME_PENDING].create({"id": str}, pk="id")


def _v8(db: sqlite_utils.Database) -> None:
    """The trigram index declared so that Datasette leaves the articles' search to newscrawl
    (_trigram_index): made again from the articles, once."""
    found = db.execute("select sql from sqlite_master where name = ?", [ARTICLES_FTS]).fetchone()
    # Declared so, and whole: a kill while it was made again leaves the declaration (DDL commits
    # at once) and an index short of the articles, made again at the next opening.
    if found and f"content='{ARTICLES}'" in found[0] and _indexed(db) == db[ARTICLES].count:
        return
    db.execute(f"drop table if exists [{ARTICLES_FTS}]")
    _trigram_index(db)


def _indexed(db: sqlite_utils.Database) -> int:
    """How many articles the trigram index holds (FTS5 keeps a size row for each)."""
    return int(db.execute(f"select count(*) from [{ARTICLES_FTS}_docsize]").fetchone()[0])


def _rewrite(db: sqlite_utils.Database, column: str, change: Callable[[str, dict[str, Any]], str | None]) -> None:
    """Apply `change` to every non-null `column` of the articles, a few hundred rows at a time
    (an archive's bodies do not fit in memory)."""
    last = 0
    while True:
        cursor = db.conn.execute(f"select rowid, {column}, share_url from {ARTICLES} "
                                 f"where rowid > ? and {column} is not null order by rowid limit 500", [last])
        rows = cursor.fetchall()
        if not rows:
            return
        last = rows[-1][0]
        updates = []
        for rowid, value, share_url in rows:
            new = change(value, {"share_url": share_url})
            if new != value:
                updates.append((new, rowid))
        db.conn.executemany(f"update {ARTICLES} set {column} = ? where rowid = ?", updates)
