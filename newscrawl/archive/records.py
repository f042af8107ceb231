"""The archive writer's records beside the articles: captures, runs, repository sources,
share attempts, inferred times and the JSONL files' committed sizes (their tables' SQL is in
captures.py, runs.py, sources.py, shares.py and timeline.py; the JSONL sizes' is here).

Every write is guarded (`guard.writes`): a full disk or a read-only file stops the writer.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from newscrawl.archive import captures, runs, shares, sources, timeline
from newscrawl.archive.guard import writes
from newscrawl.archive.schema import JSONL_FILES
from newscrawl.archive.storyindex import StoryIndex


class ArchiveRecords:
    """Mixed into the writer (writer.Archive), which opens `db` and keeps `_rows`."""

    db: sqlite_utils.Database
    stories: StoryIndex
    _rows: OrderedDict[str, dict[str, Any] | None]
    records: Callable[[list[str]], Iterator[dict[str, Any]]]

    # --- captures and runs -----------------------------------------------------------------
    @writes
    def store_capture(self, url: str, kind: str, fetched_at: str, status: int, body: bytes,
                      content_type: str | None, etag: str | None, last_modified: str | None) -> tuple[str, bool]:
        """Keep a response: ("new" | "seen", whether the URL was never captured before)."""
        sha1 = hashlib.sha1(body).hexdigest()
        return captures.store(self.db.conn, url, kind, fetched_at, status, sha1, body, content_type, etag,
                              last_modified)

    @writes
    def start_run(self, spider: str, kind: str, started_at: str, arguments: dict[str, Any]) -> int:
        """A row in `runs` for a run that starts (outcome "running"; kind "crawl" or "replay")."""
        return runs.start(self.db.conn, spider, kind, started_at, arguments)

    @writes
    def finish_run(self, run_id: int, finished_at: str, stats: dict[str, Any], outcome: str) -> None:
        runs.finish(self.db.conn, run_id, finished_at, stats, outcome)

    @writes
    def record_source(self, sha: str, path: str, article_id: str | None, outcome: str, at: str) -> None:
        """A post source read from the repository, and what it gave."""
        sources.record(self.db.conn, sha, path, article_id, outcome, at)

    @writes
    def record_share_attempt(self, article_id: str, attempts: int, reason: str, at: str, gave_up: bool) -> None:
        """A failed share answer: the attempts so far, why and when the last, whether to stop."""
        shares.record(self.db.conn, article_id, attempts, reason, at, gave_up)

    @writes
    def forget_share_attempts(self, ids: list[str] | None) -> None:
        """A good answer, or a refresh: the count starts again (None: for every article)."""
        shares.forget(self.db.conn, ids)

    # --- inferred publication times (processing/timeline.py) -----------------------------------
    @writes
    def mark_time_pending(self, ids: list[str]) -> None:
        """Articles whose time (and JSONL line) waits for the run's end, in the open group."""
        timeline.mark(self.db.conn, ids)

    @writes
    def clear_time_pending(self, ids: list[str]) -> None:
        timeline.clear(self.db.conn, ids)

    @writes
    def set_inferred_times(self, updates: list[tuple[str, str, str]]) -> None:
        """(id, published_at, its provenance) for articles whose time was inferred."""
        conn = self.db.conn
        if not conn.in_transaction:
            conn.execute("begin")
        for start in range(0, len(updates), 500):  # (a run's end may infer thousands: read as many rows)
            self._set_inferred_times(conn, updates[start : start + 500])

    def _set_inferred_times(self, conn: sqlite3.Connection, updates: list[tuple[str, str, str]]) -> None:
        before = {r["id"]: r for r in self.records([u[0] for u in updates])}
        timeline.set_times(conn, updates, self._next_seq)
        for article_id, _, _ in updates:
            self._rows.pop(article_id, None)
        # Placed again in their stories, under their new days, one by one as each is now: an
        # earlier one's move may have renamed the story of a later one.
        for article_id in before:
            record = next(self.records([article_id]))
            stored = {**before[article_id], "story_id": record.get("story_id")}
            with self._article_savepoint(article_id):
                changed = self.stories.moved(record, stored)
            for other in changed:
                self._rows.pop(other, None)

    @contextmanager
    def _article_savepoint(self, article_id: str) -> Iterator[None]:
        """One article's writes, in a savepoint of the group's transaction: undone alone when
        they fail (with its story counts' changes and its cached row), the whole group's when
        SQLite rolled the group back (a full disk)."""
        conn = self.db.conn
        if not conn.in_transaction:
            conn.execute("begin")
        conn.execute("savepoint article")
        try:
            yield
        except BaseException:
            whole_group = not conn.in_transaction
            if not whole_group:
                conn.execute("rollback to article")
                conn.execute("release article")
            self._rows.pop(article_id, None)
            self.stories.tally.forget() if whole_group else self.stories.tally.drop()
            raise
        conn.execute("release article")
        self.stories.tally.keep()

    # --- the JSONL files written with the archive's commits ------------------------------------
    def jsonl_size(self, name: str) -> int | None:
        """The size of JSONL file `name` as of the last commit that wrote to it (None: never)."""
        found = self.db.conn.execute(f"select size from {JSONL_FILES} where name = ?", [name]).fetchone()
        return int(found[0]) if found else None

    @writes
    def record_jsonl_size(self, name: str, size: int) -> None:
        """Inside the transaction that commits the articles whose lines made it this size."""
        self.db.conn.execute(
            f"insert into {JSONL_FILES} (name, size, updated_at) values (?, ?, ?) "
            "on conflict(name) do update set size = excluded.size, updated_at = excluded.updated_at",
            [name, size, datetime.now(UTC).isoformat(timespec="seconds")])
