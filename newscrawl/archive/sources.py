"""The `repo_sources` table's SQL: the repository's post sources read so far, by git blob id.

The same content has the same blob id at any path, so a post moved from _posts/ to old_post/
unchanged is known already. A row says what reading it gave: `archived` (an article stored),
`unchanged` (an article the archive held already), or why it gave none.
"""

from __future__ import annotations

import sqlite3

from newscrawl.archive.schema import REPO_SOURCES


def known(conn: sqlite3.Connection, sha: str) -> bool:
    return conn.execute(f"select 1 from {REPO_SOURCES} where sha = ?", [sha]).fetchone() is not None


def record(conn: sqlite3.Connection, sha: str, path: str, article_id: str | None, outcome: str, at: str) -> None:
    conn.execute(f"insert or replace into {REPO_SOURCES} (sha, path, article_id, outcome, read_at) "
                 "values (?, ?, ?, ?, ?)", [sha, path, article_id, outcome, at])


def every(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(f"select sha from {REPO_SOURCES}")]
