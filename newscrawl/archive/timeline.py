"""The SQL of inferred publication times (processing/timeline.py decides them).

`time_pending` holds the ids of articles archived without a true time (no share answer, no
repository source) whose time waits for the run's end, when their neighbours are known; their
JSONL lines wait with them (pipelines/timeline.py). A killed run leaves them pending: the next
run's end infers and writes them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator

from newscrawl.archive.schema import ARTICLES, TIME_PENDING

# An id is YYYYMMDD + a 10-digit counter; ids in a range of days sort as their days and counters.
Row = tuple[str, str | None, str | None, str | None]


def mark(conn: sqlite3.Connection, ids: list[str]) -> None:
    conn.executemany(f"insert or ignore into {TIME_PENDING} (id) values (?)", [(i,) for i in ids])


def clear(conn: sqlite3.Connection, ids: list[str]) -> None:
    conn.executemany(f"delete from {TIME_PENDING} where id = ?", [(i,) for i in ids])


def is_pending(conn: sqlite3.Connection, article_id: str) -> bool:
    return conn.execute(f"select 1 from {TIME_PENDING} where id = ?", [article_id]).fetchone() is not None


def pending_range(conn: sqlite3.Connection) -> tuple[str, str] | None:
    low, high = conn.execute(f"select min(id), max(id) from {TIME_PENDING}").fetchone()
    return (low, high) if low is not None else None


def pending_ids(conn: sqlite3.Connection, after: str, limit: int) -> list[str]:
    return [r[0] for r in conn.execute(f"select id from {TIME_PENDING} where id > ? order by id limit ?",
                                       [after, limit])]


def rows(conn: sqlite3.Connection, low: str, high: str) -> Iterator[Row]:
    """(id, published_at, site_published_at, the published_at provenance) of the articles with
    ids in [low, high], in id order, streamed."""
    yield from conn.execute(
        f"select id, published_at, site_published_at, json_extract(provenance, '$.published_at') from {ARTICLES} "
        "where id between ? and ? and length(id) = 18 order by id", [low, high])


def set_times(conn: sqlite3.Connection, updates: list[tuple[str, str, str]], next_seq: Callable[[], int]) -> None:
    """(id, published_at, provenance of published_at) for each article whose time was inferred,
    under a new `seq` (delta exports see the change). Provenance is rewritten as the writer
    writes JSON (not SQLite's compact json_set)."""
    for article_id, time, where in updates:  # (each written before the next seq is asked for)
        found = conn.execute(f"select provenance from {ARTICLES} where id = ?", [article_id]).fetchone()
        provenance = json.loads(found[0]) if found and found[0] else {}
        provenance = provenance if isinstance(provenance, dict) else {}
        conn.execute(f"update {ARTICLES} set published_at = ?, provenance = ?, seq = ? where id = ?",
                     [time, json.dumps({**provenance, "published_at": where}, ensure_ascii=False), next_seq(),
                      article_id])



