"""The `captures` table's SQL: every fetched page and share answer, by URL and fetch time.

Rows rather than WARC files (see crawling/captures.py for why). A page fetched again
unchanged only moves its capture's `last_seen_at`, so the table holds page *versions*.
"""

from __future__ import annotations

import sqlite3
import zlib
from dataclasses import dataclass

from newscrawl.archive.schema import CAPTURES, RUNS


@dataclass(frozen=True)
class Capture:
    """One stored response: what a replay or a 304 answers with."""

    url: str
    fetched_at: str
    status: int
    content_type: str | None
    etag: str | None
    last_modified: str | None
    zbody: bytes  # zlib-compressed

    @property
    def body(self) -> bytes:
        return zlib.decompress(self.zbody)


_COLUMNS = "url, fetched_at, status, content_type, etag, last_modified, body"


def store(conn: sqlite3.Connection, url: str, kind: str, fetched_at: str, status: int, sha1: str,
          body: bytes, content_type: str | None, etag: str | None, last_modified: str | None) -> tuple[str, bool]:
    """Keep a response: ("new" | "seen", whether the URL was never captured before)."""
    latest = conn.execute(f"select fetched_at, sha1, status from {CAPTURES} where url = ? "
                          "order by fetched_at desc limit 1", [url]).fetchone()
    if latest is not None and latest[1:] == (sha1, status):
        conn.execute(f"update {CAPTURES} set last_seen_at = ? where url = ? and fetched_at = ?",
                     [fetched_at, url, latest[0]])
        return "seen", False
    conn.execute(f"insert or replace into {CAPTURES} (url, fetched_at, last_seen_at, kind, status, content_type, "
                 "sha1, body, etag, last_modified) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 [url, fetched_at, fetched_at, kind, status, content_type, sha1, zlib.compress(body, 6), etag,
                  last_modified])
    return "new", latest is None


def last_good(conn: sqlite3.Connection, url: str) -> Capture | None:
    """The newest 200 answer for `url`."""
    row = conn.execute(f"select {_COLUMNS} from {CAPTURES} where url = ? and status = 200 "
                       "order by fetched_at desc limit 1", [url]).fetchone()
    return Capture(*row) if row else None


def validators(conn: sqlite3.Connection, url: str) -> tuple[str | None, str | None] | None:
    """(ETag, Last-Modified) of the newest 200 answer for `url`, without reading its body."""
    row = conn.execute(f"select etag, last_modified from {CAPTURES} where url = ? and status = 200 "
                       "order by fetched_at desc limit 1", [url]).fetchone()
    return (row[0], row[1]) if row else None


def for_replay(conn: sqlite3.Connection, url: str) -> Capture | None:
    """The last good answer, else the last one: a page that later failed (or vanished) is
    replayed as it was when it was there."""
    row = conn.execute(f"select {_COLUMNS} from {CAPTURES} where url = ? "
                       "order by status between 200 and 299 desc, fetched_at desc limit 1", [url]).fetchone()
    return Capture(*row) if row else None


def urls(conn: sqlite3.Connection, kind: str) -> list[str]:
    """Every URL captured as `kind`, oldest first."""
    rows = conn.execute(f"select url from {CAPTURES} where kind = ? group by url order by min(fetched_at)", [kind])
    return [r[0] for r in rows]


def read_by_finished_run(conn: sqlite3.Connection, url: str) -> bool:
    """Whether a run that finished fetched this page with success (so it read it to the end).
    A page captured by a run that was killed does not count."""
    return conn.execute(
        f"select 1 from {CAPTURES} c join {RUNS} r on c.last_seen_at between r.started_at and r.finished_at "
        "where c.url = ? and c.status between 200 and 299 and r.outcome = 'finished' limit 1", [url]).fetchone() is not None


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute(f"select count(*) from {CAPTURES}").fetchone()[0])
