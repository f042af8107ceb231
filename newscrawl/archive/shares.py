"""The `share_attempts` table's SQL: articles whose share answer failed, and when to ask again.

A row per article whose last share answer failed (or was never asked, its link being unsafe):
attempts so far, the last reason and time, and whether newscrawl gave up.
A good answer deletes the row; `-a refresh` deletes it too, so the count starts again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from newscrawl.archive.schema import ARTICLES, SHARE_ATTEMPTS

# Archived articles with a share link whose answer never gave a source text.
_MISSING = (f"from {ARTICLES} a left join {SHARE_ATTEMPTS} s on s.id = a.id "
            "where a.share_url is not null and a.source_body_text is null")


def attempts(conn: sqlite3.Connection, article_id: str) -> tuple[int, bool, str | None]:
    """(failed attempts so far, whether newscrawl gave up, when the last was) for an article."""
    row = conn.execute(f"select attempts, gave_up, last_attempt_at from {SHARE_ATTEMPTS} where id = ?",
                       [article_id]).fetchone()
    return (int(row[0]), bool(row[1]), row[2]) if row else (0, False, None)


def record(conn: sqlite3.Connection, article_id: str, attempts: int, reason: str, at: str, gave_up: bool) -> None:
    conn.execute(f"insert or replace into {SHARE_ATTEMPTS} (id, attempts, reason, last_attempt_at, gave_up) "
                 "values (?, ?, ?, ?, ?)", [article_id, attempts, reason, at, int(gave_up)])


def forget(conn: sqlite3.Connection, ids: Iterable[str] | None) -> None:
    """Forget the failed attempts of these articles (None: of all)."""
    if ids is None:
        conn.execute(f"delete from {SHARE_ATTEMPTS}")
    else:
        conn.executemany(f"delete from {SHARE_ATTEMPTS} where id = ?", [(i,) for i in ids])


def missing(conn: sqlite3.Connection) -> list[tuple[str, int, str | None]]:
    """Archived articles with a share link and no source text that newscrawl has not given up
    on: (id, failed attempts so far, when the last one was)."""
    return [(r[0], int(r[1] or 0), r[2]) for r in conn.execute(
        f"select a.id, s.attempts, s.last_attempt_at {_MISSING} and coalesce(s.gave_up, 0) = 0 order by a.id")]
