"""Reading the archive: articles, search, captures, runs and release rows, by name.

ArchiveReader holds every read; the writer (writer.Archive) is a reader that also writes.
Components and commands ask for what they need by method; only this package knows the SQL.

`ArchiveReader.open(path)` (also `Archive.reader(path)`) is the way in for everything that
only reads — search, export, Datasette, `scrapy show`: the file is opened read-only
(`mode=ro`), nothing is migrated, created or switched to WAL, so the archive file is
byte-identical afterwards. A file that is not a newscrawl archive, or one of a schema this
newscrawl cannot read, is refused with an ArchiveError that says why and what to do.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlite_utils

from newscrawl.archive import captures, releases, runs, shares, sources, timeline
from newscrawl.archive.captures import Capture
from newscrawl.archive.guard import ArchiveError, primary_code, readable_problem, refuse, unreadable
from newscrawl.archive.schema import (
    ARTICLES,
    CAPTURES,
    CLUSTERS,
    INTERNAL_COLUMNS,
    REVISIONS,
    RUNS,
    version,
)
from newscrawl.archive.search import Hit, count, search
from newscrawl.items import JSON_FIELDS, Article

_EMPTY_JSON = {name: json.dumps(getattr(Article(), name)) for name in JSON_FIELDS}
_CACHE_SIZE = 1024


class ArchiveReader:
    """An open archive database, read through named methods."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.articles = db.table(ARTICLES)
        self.revisions = db.table(REVISIONS)
        self.clusters = db.table(CLUSTERS)
        self.runs = db.table(RUNS)
        self.captures = db.table(CAPTURES)
        # Rows read for the item in hand: dedup and store both look at the stored article.
        self._rows: OrderedDict[str, dict[str, Any] | None] = OrderedDict()

    @classmethod
    def open(cls, path: str | Path) -> ArchiveReader:
        """The archive at `path`, read-only; ArchiveError if it is none this newscrawl can read."""
        path = Path(path)
        try:
            if not path.exists():
                raise ArchiveError(f"no archive at {path}")
            if not path.is_file():
                raise ArchiveError(f"{path} is not a file, not an archive")
        except OSError as exc:
            raise ArchiveError(f"cannot open {path}: {exc.strerror or exc}") from None
        conn = _connect_read_only(path)
        refuse(conn, path, readable_problem)
        return cls(sqlite_utils.Database(conn))

    def close(self) -> None:
        self.db.close()

    def schema_version(self) -> int:
        return version(self.db)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction: everything read inside sees the same committed state."""
        conn = self.db.conn
        conn.execute("begin")
        try:
            yield
        finally:
            if conn.in_transaction:
                conn.execute("commit")

    # --- articles --------------------------------------------------------------------------
    def get(self, article_id: str) -> dict[str, Any] | None:
        if article_id in self._rows:
            return self._rows[article_id]
        cursor = self.db.conn.execute(f"select * from {ARTICLES} where id = ?", [article_id])
        found = cursor.fetchone()
        row = _record([d[0] for d in cursor.description], found) if found is not None else None
        self._remember(article_id, row)
        return row

    def records(self, ids: list[str], chunk: int = 500) -> Iterator[dict[str, Any]]:
        """The archived articles with these ids, a query per `chunk` of them."""
        for start in range(0, len(ids), chunk):
            part = ids[start : start + chunk]
            cursor = self.db.conn.execute(f"select * from {ARTICLES} where id in ({','.join('?' * len(part))})", part)
            names = [d[0] for d in cursor.description]
            yield from (_record(names, row) for row in cursor.fetchall())

    def _remember(self, article_id: str, row: dict[str, Any] | None) -> None:
        self._rows[article_id] = row
        self._rows.move_to_end(article_id)
        while len(self._rows) > _CACHE_SIZE:
            self._rows.popitem(last=False)

    def cluster_members(self, cluster_id: str | None, but: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The articles of a cluster (not `but`), oldest first: id, title, media, published_at,
        duplicate_of."""
        if not cluster_id:
            return []
        cursor = self.db.conn.execute(
            f"select id, title, media, published_at, duplicate_of from {ARTICLES} where cluster_id = ? "
            "and id is not ? order by published_at, id limit ?", [cluster_id, but, limit])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def story_members(self, article: dict[str, Any], limit: int = 100) -> list[dict[str, Any]]:
        """The other articles of `article`'s story, oldest first: id, title, media,
        published_at, duplicate_of, cluster_id (its cluster's, for an archive older than stories)."""
        story = article.get("story_id")
        if not story:
            members = self.cluster_members(article.get("cluster_id"), but=article["id"], limit=limit)
            return [{**m, "cluster_id": article.get("cluster_id")} for m in members]
        cursor = self.db.conn.execute(
            f"select id, title, media, published_at, duplicate_of, cluster_id from {ARTICLES} where story_id = ? "
            "and id != ? order by published_at, id limit ?", [story, article["id"], limit])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def versions(self, article_id: str) -> list[dict[str, Any]]:
        """An article's earlier versions, oldest first: revision, fetched_at, title, body_html, body_text."""
        cursor = self.db.conn.execute(f"select revision, fetched_at, title, body_html, body_text from {REVISIONS} "
                                      "where id = ? order by revision", [article_id])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def count(self) -> int:
        return self.articles.count

    def cluster_count(self) -> int:
        return self.clusters.count

    def archived_post(self, article_id: str) -> tuple[str | None, str | None] | None:
        """(url, published_at) of an archived article, or None."""
        row = self.db.conn.execute(f"select url, published_at from {ARTICLES} where id = ?", [article_id]).fetchone()
        return (row[0], row[1]) if row else None

    def archived_posts(self, chunk: int = 5000) -> Iterator[list[tuple[str, str | None, str | None]]]:
        """Every archived article's (id, url, published_at), `chunk` at a time, by id."""
        last = ""
        while True:
            rows = self.db.conn.execute(f"select id, url, published_at from {ARTICLES} where id > ? order by id "
                                        "limit ?", [last, chunk]).fetchall()
            if not rows:
                return
            yield [(r[0], r[1], r[2]) for r in rows]
            last = rows[-1][0]

    def categories(self) -> list[str]:
        """Every category slug of an archived article."""
        rows = self.db.conn.execute(f"select distinct category from {ARTICLES} where category is not null")
        return [category for (category,) in rows]

    def missing_shares(self) -> list[tuple[str, int, str | None]]:
        """Articles whose share answer never gave a source text, not given up on: (id, failed
        attempts, when the last was) (shares.py)."""
        return shares.missing(self.db.conn)

    def share_attempts(self, article_id: str) -> tuple[int, bool, str | None]:
        """(failed share attempts so far, whether newscrawl gave up, when the last was) for an article."""
        return shares.attempts(self.db.conn, article_id)

    def search(self, query: str, since: str | None = None, until: str | None = None, category: str | None = None,
               media: str | None = None, limit: int | None = 20) -> list[Hit]:
        """Articles whose title or body text contains `query`, best first (search.py)."""
        return search(self.db, query, since, until, category, media, limit)

    def search_count(self, query: str, since: str | None = None, until: str | None = None,
                     category: str | None = None, media: str | None = None) -> int:
        """How many articles search() finds with no limit."""
        return count(self.db, query, since, until, category, media)

    # --- revisions -------------------------------------------------------------------------
    def revision_mark(self) -> int:
        """A mark of the revisions so far, for revised_since()."""
        return int(self.db.conn.execute(f"select coalesce(max(rowid), 0) from {REVISIONS}").fetchone()[0])

    def revised_since(self, mark: int) -> list[tuple[str, str | None]]:
        """(id, title) of the articles revised after `mark`."""
        return self.db.conn.execute(
            f"select distinct r.id, a.title from {REVISIONS} r left join {ARTICLES} a on a.id = r.id "
            "where r.rowid > ? order by r.id", [mark]).fetchall()

    # --- captures --------------------------------------------------------------------------
    def last_capture(self, url: str) -> Capture | None:
        """The newest good (200) capture of `url`."""
        return captures.last_good(self.db.conn, url)

    def capture_validators(self, url: str) -> tuple[str | None, str | None] | None:
        """(ETag, Last-Modified) of the newest good capture of `url`: what a conditional request sends."""
        return captures.validators(self.db.conn, url)

    def replay_capture(self, url: str) -> Capture | None:
        return captures.for_replay(self.db.conn, url)

    def captured_urls(self, kind: str) -> list[str]:
        return captures.urls(self.db.conn, kind)

    def read_by_finished_run(self, url: str) -> bool:
        return captures.read_by_finished_run(self.db.conn, url)

    def capture_count(self) -> int:
        return captures.count(self.db.conn)

    # --- the repository's sources ---------------------------------------------------------
    def archived_sources(self) -> list[str]:
        """The git blob ids of every post source read by an earlier backfill."""
        return sources.every(self.db.conn)

    def archived_source(self, sha: str) -> bool:
        """Whether a post source with this git blob id was read by an earlier backfill."""
        return sources.known(self.db.conn, sha)

    # --- runs ------------------------------------------------------------------------------
    def time_pending(self, article_id: str) -> bool:
        """Whether the article's time (and JSONL line) waits for the run's end."""
        return timeline.is_pending(self.db.conn, article_id)

    def time_pending_range(self) -> tuple[str, str] | None:
        return timeline.pending_range(self.db.conn)

    def time_pending_ids(self, after: str = "", limit: int = 500) -> list[str]:
        return timeline.pending_ids(self.db.conn, after, limit)

    def timeline_rows(self, low: str, high: str) -> Iterator[timeline.Row]:
        """(id, published_at, site_published_at, provenance of published_at) by id, streamed."""
        return timeline.rows(self.db.conn, low, high)

    def previous_good_run(self) -> dict[str, Any] | None:
        return runs.previous_good(self.db.conn)

    def run_window(self) -> tuple[int, str | None, str | None]:
        return runs.window(self.db.conn)

    # --- releases --------------------------------------------------------------------------
    def release_rows(self, selection: releases.Selection, fields: tuple[str, ...], with_fields: bool) -> releases.Rows:
        return releases.rows(self.db.conn, selection, fields, with_fields)

    def write_counter(self) -> int:
        return releases.seq(self.db.conn)


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection (mode=ro). Reading a WAL archive makes SQLite keep -wal and -shm
    files beside it; in a directory the reader cannot write (a read-only mount, another
    user's archive) that fails, and an archive whose writers all closed (no -wal left) is
    then read as an immutable file instead."""
    uri = path.absolute().as_uri()
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True)
        # A reader waits for a writer's commit instead of failing "database is locked".
        conn.execute("pragma busy_timeout=30000")
        conn.execute("select count(*) from sqlite_master").fetchone()
        return conn
    except sqlite3.DatabaseError as exc:
        failure = exc
    closed = not path.with_name(path.name + "-wal").exists()
    if closed and primary_code(failure) in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN):
        try:
            conn = sqlite3.connect(f"{uri}?immutable=1", uri=True)
            conn.execute("select count(*) from sqlite_master").fetchone()
            return conn
        except sqlite3.DatabaseError as exc:
            failure = exc
    raise ArchiveError(unreadable(path, failure)) from None


def integrity_problems(path: str | Path, limit: int = 5) -> list[str]:
    """What SQLite's quick_check finds wrong with the file at `path`, read-only (empty: nothing,
    or no file yet). It reads every page once (0.14 s for 110 MB), without the slower
    comparison of index contents that integrity_check adds."""
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return []
    try:
        conn = _connect_read_only(path)
    except ArchiveError:
        return []  # not readable as an archive at all: the writer says why
    try:
        rows = conn.execute(f"pragma quick_check({int(limit)})").fetchall()
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        conn.close()
    found = [line for row in rows for line in str(row[0]).splitlines() if line and not line.startswith("*** in database")]
    return [] if found == ["ok"] else found[:limit]


def _record(names: list[str], row: tuple) -> dict[str, Any]:
    """An article row as a record: no internal columns, JSON fields decoded."""
    record = dict(zip(names, row, strict=True))
    for name in INTERNAL_COLUMNS:
        record.pop(name, None)
    for name in JSON_FIELDS:
        record[name] = json.loads(record.get(name) or _EMPTY_JSON[name])
    return record


def is_archive(path: str) -> bool:
    """Whether the file at `path` is an archive a reader can read (a read-only look, asked
    again when the file changes)."""
    return archive_columns(path) is not None


def archive_columns(path: str) -> frozenset[str] | None:
    """The columns of the articles of the archive at `path` (an older archive, read without
    migrating it, lacks the newer ones), or None when it is no archive a reader can read."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _archive_columns(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _archive_columns(path: str, mtime_ns: int, size: int) -> frozenset[str] | None:
    try:
        reader = ArchiveReader.open(path)
    except ArchiveError:
        return None
    try:
        return frozenset(c.name for c in reader.articles.columns)
    finally:
        reader.close()
