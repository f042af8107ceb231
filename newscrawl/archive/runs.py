"""The `runs` table's SQL: one row per run (spider, kind, start/end, arguments, stats, outcome).

A run's kind says what it read: `crawl`, a walk of the site from its home page (only these
say how recent the archive is); `partial`, the site from another page than
its home page (`-a start_url=`); `backfill`, sources other than the site's pages (the share spider);
`replay`, the archive's own captures (`scrapy reparse`).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from newscrawl.archive.schema import RUNS

CRAWL, PARTIAL, BACKFILL, REPLAY = "crawl", "partial", "backfill", "replay"


def start(conn: sqlite3.Connection, spider: str, kind: str, started_at: str, arguments: dict[str, Any]) -> int:
    cursor = conn.execute(f"insert into {RUNS} (spider, kind, started_at, arguments, outcome) "
                          "values (?, ?, ?, ?, 'running')",
                          [spider, kind, started_at, json.dumps(arguments, ensure_ascii=False)])
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def finish(conn: sqlite3.Connection, run_id: int, finished_at: str, stats: dict[str, Any], outcome: str) -> None:
    conn.execute(f"update {RUNS} set finished_at = ?, stats = ?, outcome = ? where run_id = ?",
                 [finished_at, json.dumps(stats, ensure_ascii=False), outcome, run_id])


def previous_good(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The last crawl that finished with no failed gate: its finished_at and stats."""
    row = conn.execute(
        f"select finished_at, stats from {RUNS} where kind = '{CRAWL}' and outcome = 'finished' "
        "and finished_at is not null "
        "and json_extract(stats, '$.\"newscrawl/quality/failed\"') is null order by run_id desc limit 1").fetchone()
    return {"finished_at": row[0], "stats": json.loads(row[1] or "{}")} if row else None


def window(conn: sqlite3.Connection) -> tuple[int, str | None, str | None]:
    """How many runs fetched what the archive holds (replays aside), the first start and the last end."""
    found = conn.execute(f"select count(*), min(started_at), max(finished_at) from {RUNS} "
                         f"where kind != '{REPLAY}'").fetchone()
    return int(found[0]), found[1], found[2]
