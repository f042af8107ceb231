"""The archive's writer: idempotent writes, grouped into transactions (the schema is schema.py).

One open writer per crawl: dedup and store read and write through it, and the crawl-time
components keep captures and runs through it; readers elsewhere (search, export, Datasette)
see whole groups only (WAL).
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import sqlite_utils
from w3lib.url import canonicalize_url

from newscrawl.archive.fts import TextIndex
from newscrawl.archive.guard import StorageError, foreign_problem, refuse, storage_problem, writes
from newscrawl.archive.nearindex import DEDUP_KEYS, NearIndex
from newscrawl.archive.reader import _EMPTY_JSON, ArchiveReader
from newscrawl.archive.records import ArchiveRecords
from newscrawl.archive.schema import ARTICLE_COLUMNS as _COLUMNS
from newscrawl.archive.schema import (
    ARTICLES,
    ARTICLES_FTS,
    ARTICLES_GRAMS,
    CLUSTERS,
    REVISIONS,
    VERSION,
    migrate,
)
from newscrawl.archive.storyindex import STORIES, StoryIndex
from newscrawl.items import CONTENT_FIELDS, JSON_FIELDS
from newscrawl.processing.stories import WINDOW

UpsertResult = Literal["new", "changed", "unchanged"]
logger = logging.getLogger(__name__)


# A plain URL (lower-case host, a path of safe characters, no query, no escapes) is its own
# canonical form; w3lib's parsing would cost more than every other lookup (tested equal).
_PLAIN_URL = re.compile(r"https?://[a-z0-9.-]+/(?!(?:.*/)?\.\.?(?:/|$))[A-Za-z0-9/_.,~-]*")


@lru_cache(maxsize=4096)
def url_key(url: str | None) -> str | None:
    """The w3lib-canonical URL (the dedup and store pipelines both ask for the item's)."""
    if not url:
        return None
    return url if _PLAIN_URL.fullmatch(url) else canonicalize_url(url)


class Archive(ArchiveRecords, ArchiveReader):
    """An open archive database, for writing. `path` may be ":memory:" for tests.

    Writes are grouped: a group of `commit_every` articles is committed when the next article
    comes (or at once when `commit_every` is 1), and `commit()`/`close()` commit the rest.
    Each article is still atomic (a savepoint), and a killed process loses only the
    uncommitted group, which the next crawl fetches again. Callbacks in `on_commit` run after
    each commit: the JSONL export writes its lines then, so it never holds an article the
    archive lost — and since a group is committed only when the next article comes, the
    last article of a group has been through every pipeline by then. Callbacks in
    `before_commit` write inside the group's transaction (the JSONL lines and their file's
    size), `on_rollback` ones undo what they wrote when it is rolled back.

    A write that fails for want of storage stops every later write (`_writes`): `failed` says
    why, and `on_failure` callbacks are told once (the crawl stops then).
    """

    def __init__(self, path: str | Path, commit_every: int = 1, cache_mib: int = 4,
                 story_window: timedelta = WINDOW) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite_utils.Database(path)
        refuse(db.conn, path, foreign_problem)  # another program's file is left as it is
        super().__init__(db)
        # WAL lets readers (search, export, Datasette) work while a crawl writes.
        self.db.enable_wal()
        self.db.execute("PRAGMA synchronous=NORMAL")
        # A reader or a second writer waits for a commit instead of failing "database is locked".
        self.db.execute("PRAGMA busy_timeout=30000")
        # A group of articles dirties index pages all over the key tables: keep them cached.
        # A fixed budget: the process grows by it as the archive fills, then stays flat.
        self.db.execute(f"PRAGMA cache_size={-1024 * max(1, int(cache_mib))}")
        self.commit_every = max(1, commit_every)
        self.pending = 0
        self.pending_ids: set[str] = set()  # saved, not yet committed
        self.on_commit: list[Callable[[], None]] = []
        self.before_commit: list[Callable[[], None]] = []
        self.on_rollback: list[Callable[[], None]] = []
        self.on_failure: list[Callable[[str], None]] = []
        self.failed: str | None = None
        self.path = path
        self.dedup_keys = self.db.table(DEDUP_KEYS)
        self.migrated_from = migrate(self.db)  # the schema version it had
        self._seq: int | None = None
        self.near = NearIndex(self.db, ARTICLES)
        self.stories = StoryIndex(self.db, ARTICLES, window=story_window, next_seq=self._next_seq)
        self.on_rollback.append(self.stories.tally.forget)
        self.text_index = TextIndex(ARTICLES_FTS, ARTICLES_GRAMS)
        self._text_changes: list[tuple[int, Any, Any]] = []
        names = ", ".join(f"[{c}]" for c in _COLUMNS)
        updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in _COLUMNS if c != "id")
        self._upsert_sql = (f"insert into {ARTICLES} ({names}) values ({', '.join('?' * len(_COLUMNS))}) "
                            f"on conflict(id) do update set {updates}")

    @staticmethod
    def reader(path: str | Path) -> ArchiveReader:
        """The archive at `path`, opened read-only (reader.py): for everything that only reads."""
        return ArchiveReader.open(path)

    @writes
    def commit(self) -> None:
        """Commit the articles saved so far (with what `before_commit` writes), then run the
        on_commit callbacks."""
        self.text_index.flush(self.db.conn)
        self.stories.tally.flush()
        for callback in self.before_commit:
            callback()
        if self.db.conn.in_transaction:
            self.db.conn.commit()
        self.pending = 0
        self.pending_ids.clear()
        for callback in self.on_commit:
            callback()

    def close(self) -> None:
        try:
            if self.failed is None:
                self.commit()
        except StorageError:
            pass  # said once by on_failure; what was not committed is fetched again
        finally:
            self.db.close()

    def check_writable(self) -> None:
        """Raise StorageError now, not at the first commit, if the archive cannot be written
        (a read-only file, directory or filesystem): a write that is rolled back."""
        conn = self.db.conn
        try:
            if conn.in_transaction:
                return
            conn.execute("begin immediate")
            conn.execute(f"pragma user_version = {VERSION}")
            conn.execute("rollback")
        except sqlite3.Error as exc:
            problem = storage_problem(exc, self.path)
            if problem is None:
                raise
            raise StorageError(problem) from None

    def _fail(self, problem: str) -> None:
        self.failed = problem
        try:
            if self.db.conn.in_transaction:
                self.db.conn.rollback()
        except sqlite3.Error:
            pass  # SQLite has rolled it back itself
        self.pending = 0
        self.pending_ids.clear()
        self._rows.clear()
        try:
            for callback in self.on_rollback:
                try:
                    callback()
                except OSError as exc:  # the crawl stops all the same, and says why
                    logger.error("Could not undo a write after the failure: %s", exc)
        finally:
            for failure in self.on_failure:
                failure(problem)

    @property
    def in_transaction(self) -> bool:
        """Whether writes wait for a commit (articles, captures or the run's row)."""
        return self.db.conn.in_transaction

    # --- reading for deduplication -----------------------------------------------------------
    def id_with_url(self, url: str, other_than: str) -> str | None:
        """Another article archived under the same canonical URL."""
        found = self.db.conn.execute(f"select id from {ARTICLES} where url_key = ? and id != ? limit 1",
                                [url_key(url), other_than]).fetchone()
        return found[0] if found else None

    def with_content(self, content_hash: str, other_than: str) -> dict[str, Any] | None:
        """The first-archived other article with the same content hash."""
        found = self.db.conn.execute(
            f"select id, cluster_id, duplicate_of from {ARTICLES} where content_hash = ? and id != ? "
            "order by rowid limit 1", [content_hash, other_than]).fetchone()
        return dict(zip(("id", "cluster_id", "duplicate_of"), found, strict=True)) if found else None

    def near_candidates(self, keys: Iterable[int], other_than: str, limit: int = 20) -> list[dict[str, Any]]:
        """Articles sharing a near-duplicate key, with their text, most keys shared first."""
        ids = self.near.candidates(keys, other_than, limit)
        if not ids:
            return []
        rows = self.db.conn.execute(f"select id, body_text, title, cluster_id from {ARTICLES} "
                                    f"where id in ({','.join('?' * len(ids))})", ids).fetchall()
        order = {i: n for n, i in enumerate(ids)}
        return sorted((dict(zip(("id", "body_text", "title", "cluster_id"), r, strict=True)) for r in rows),
                      key=lambda r: order[r["id"]])

    # --- writing ---------------------------------------------------------------------------
    def upsert(self, record: dict[str, Any]) -> UpsertResult:
        """Write an article unless the archive already holds the same content."""
        return self.save(record, self.get(record["id"]))

    @writes
    def save(self, record: dict[str, Any], stored: dict[str, Any] | None) -> UpsertResult:
        """Write `record` given the `stored` row (from get()), in one transaction.

        Unchanged content writes nothing (the first fetched_at survives); changed content
        keeps the stored version in `revisions`; a new article joins its cluster, the
        near-duplicate index and the story index (its story is `story_id`, else its own).
        """
        if stored is not None and unchanged(record, stored):
            return "unchanged"
        record = {**record, "story_id": record.get("story_id") or record["id"]}
        row = {**record, "url_key": url_key(record.get("url")), "seq": self._next_seq()}
        for name in JSON_FIELDS:
            row[name] = json.dumps(row.get(name) or json.loads(_EMPTY_JSON[name]), ensure_ascii=False)
        keys = self.near.keys_of(record.get("body_text") or record.get("title"))
        # The per-article hot path: prepared statements, an article per savepoint inside the
        # group's transaction. sqlite-utils made the schema; its per-call introspection would
        # cost more than the writes themselves.
        if self.pending >= self.commit_every:
            self.commit()
        conn = self.db.conn
        try:
            with self._article_savepoint(record["id"]):
                if stored is not None:
                    self._add_revision(stored)
                conn.execute(self._upsert_sql, [row.get(c) for c in _COLUMNS])
                self._index_text(record, stored)
                if stored is None:
                    self._join_cluster(record)
                elif (stored.get("cluster_id") or stored["id"]) != (record.get("cluster_id") or record["id"]):
                    self._leave_cluster(stored)
                    self._join_cluster(record)
                if stored is not None:
                    self.near.remove(stored["id"], self.near.keys_of(stored.get("body_text") or stored.get("title")))
                self.near.add(record["id"], keys)
                renamed = self.stories.saved(record, stored)
        except BaseException:
            self._text_changes.clear()
            raise
        for other in renamed:  # their story was named after this article, which left it
            self._rows.pop(other, None)
        for change in self._text_changes:
            self.text_index.changed(*change)
        self._text_changes.clear()
        self._remember(record["id"], dict(record))
        self.pending += 1
        self.pending_ids.add(record["id"])
        if self.commit_every == 1:
            self.commit()
        return "new" if stored is None else "changed"

    @writes
    def rebuild_stories(self) -> int:
        """Every article placed in its story again, in publication order (scrapy reparse):
        the stories a fresh archive of these texts would have. Returns how many stories."""
        self.commit()
        with self.db.conn:
            self.stories.rebuild()
        self._rows.clear()  # rows read before hold the stories they had
        return int(self.db.conn.execute(f"select count(*) from {STORIES}").fetchone()[0])

    def _next_seq(self) -> int:
        # Read again for each group (inside its write transaction): another process may have
        # written since.
        if self._seq is None or self.pending == 0:
            self._seq = int(self.db.conn.execute(f"select coalesce(max(seq), 0) from {ARTICLES}").fetchone()[0])
        self._seq += 1
        return self._seq

    def _index_text(self, record: dict[str, Any], stored: dict[str, Any] | None) -> None:
        """Queue the article's text for the full-text indexes (written at commit, fts.py)."""
        text = (record.get("title"), record.get("body_text"))
        old = (stored.get("title"), stored.get("body_text")) if stored is not None else None
        if text != old:
            rowid = self.db.conn.execute(f"select rowid from {ARTICLES} where id = ?", [record["id"]]).fetchone()[0]
            self._text_changes.append((rowid, old, text))

    def _add_revision(self, stored: dict[str, Any]) -> None:
        previous = self.db.conn.execute(f"select count(*) from {REVISIONS} where id = ?", [stored["id"]]).fetchone()[0]
        self.db.conn.execute(
            f"insert into {REVISIONS} (id, revision, fetched_at, content_hash, title, body_html, body_text, record) "
            "values (?, ?, ?, ?, ?, ?, ?, ?)",
            [stored["id"], previous + 1, stored.get("fetched_at"), stored.get("content_hash"), stored.get("title"),
             stored.get("body_html"), stored.get("body_text"), json.dumps(stored, ensure_ascii=False)])

    def _join_cluster(self, record: dict[str, Any]) -> None:
        cluster_id = record.get("cluster_id") or record["id"]
        self.db.conn.execute(
            f"insert into {CLUSTERS} (cluster_id, size, first_id, updated_at) values (?, 1, ?, ?) "
            "on conflict(cluster_id) do update set size = size + 1, updated_at = excluded.updated_at",
            [cluster_id, record["id"], record.get("fetched_at")],
        )

    def _leave_cluster(self, stored: dict[str, Any]) -> None:
        cluster_id = stored.get("cluster_id") or stored["id"]
        self.db.conn.execute(f"update {CLUSTERS} set size = size - 1 where cluster_id = ?", [cluster_id])
        self.db.conn.execute(f"delete from {CLUSTERS} where cluster_id = ? and size <= 0", [cluster_id])


def unchanged(record: dict[str, Any], stored: dict[str, Any]) -> bool:
    return all(stored.get(f) == record.get(f) for f in CONTENT_FIELDS)
