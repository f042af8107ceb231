"""The SQL behind dataset releases: the selected articles, streamed as JSONL lines made by SQLite.

Cluster deduplication keeps one representative per cluster (copies of one text): the
earliest published article of the cluster among the selected ones (ties: the smallest id;
undated articles last). Story deduplication keeps one per story (one event, however many
write-ups): the fullest write-up among the selected ones — the longest text, then the
earliest published, then the smallest id (the rule of the `stories` table's representative).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from newscrawl.archive.schema import ARTICLES
from newscrawl.archive.search import article_filters
from newscrawl.items import JSON_FIELDS


@dataclass(frozen=True)
class Selection:
    """Which articles a release holds (plain values; the export command checks them)."""

    since: str | None = None
    until: str | None = None
    time_column: str = "published_at"  # or fetched_at
    category: str | None = None
    media: str | None = None
    ids: tuple[str, ...] | None = None  # only these (a full-text query's hits)
    dedup: str = "none"  # none | exact | cluster | story
    since_seq: int | None = None  # only rows written after this write counter


@dataclass
class Rows:
    """The rows of a release: how many, how many before deduplication, and the rows.

    Each row has `_line` (the JSON line), `_media`, `_category`, `_published_at`,
    `_fetched_at`, `_id`, and the fields themselves when asked (`record()`).
    """

    total: int
    selected: int
    names: list[str]
    cursor: Iterator[tuple]

    def at(self, name: str) -> int:
        return self.names.index(name)

    def record(self, row: tuple) -> dict[str, Any]:
        record = dict(zip(self.names, row, strict=True))
        for name in JSON_FIELDS:
            if isinstance(record.get(name), str):
                record[name] = json.loads(record[name])
        return record


def _sql(selection: Selection, columns: str, have: set[str]) -> tuple[str, dict[str, Any]]:
    where, params = article_filters(selection.since, selection.until, selection.category, selection.media,
                                    selection.time_column)
    if selection.since_seq is not None:
        where.append("a.seq > :since_seq")
        params["since_seq"] = selection.since_seq
    if selection.ids is not None:
        where.append("a.id in (select value from json_each(:ids))")
        params["ids"] = json.dumps(list(selection.ids))
    if selection.dedup == "exact":
        where.append("a.duplicate_of is null")
    clause = f"where {' and '.join(where)}" if where else ""
    if selection.dedup in ("cluster", "story"):
        earliest = "a.published_at is null, a.published_at, a.id"
        # An archive from before stories (read, not migrated) has none: its clusters are its stories.
        story = "a.story_id, " if "story_id" in have else ""
        group, order = (("coalesce(a.cluster_id, a.id)", earliest) if selection.dedup == "cluster" else
                        (f"coalesce({story}a.cluster_id, a.id)", f"length(coalesce(a.body_text, '')) desc, {earliest}"))
        ranked = (f"select {columns}, row_number() over (partition by {group} order by {order}) as _rank "
                  f"from {ARTICLES} a {clause}")
        return f"select * from ({ranked}) a where _rank = 1 order by a._published_at, a._id", params
    return f"select {columns} from {ARTICLES} a {clause} order by a.published_at, a.id", params


def rows(conn: sqlite3.Connection, selection: Selection, fields: tuple[str, ...], with_fields: bool) -> Rows:
    """The selected articles in release order, each with its JSONL line (and its fields)."""
    # SQLite writes each JSONL line itself (json_object keeps the field order and UTF-8):
    # decoding and re-encoding every row in Python would halve the export rate.
    # A field newer than the archive (one a reader opens without migrating it) is null in it.
    have = {row[1] for row in conn.execute(f"pragma table_info({ARTICLES})")}
    value = {f: (f"json(a.[{f}])" if f in JSON_FIELDS else f"a.[{f}]") if f in have else "null" for f in fields}
    as_json = ", ".join(f"'{f}', {value[f]}" for f in fields)
    columns = (f"json_object({as_json}) as _line, a.media as _media, a.category as _category, "
               "a.published_at as _published_at, a.fetched_at as _fetched_at, a.id as _id")
    if with_fields:
        columns += ", " + ", ".join(f"{value[c]} as [{c}]" for c in fields)
    sql, params = _sql(selection, columns, have)
    total = conn.execute(f"select count(*) from ({sql})", params).fetchone()[0]
    undeduplicated, undeduplicated_params = _sql(replace(selection, dedup="none"), columns, have)
    selected = conn.execute(f"select count(*) from ({undeduplicated})", undeduplicated_params).fetchone()[0]
    cursor = conn.execute(sql, params)
    return Rows(total, selected, [d[0] for d in cursor.description], cursor)


def seq(conn: sqlite3.Connection) -> int:
    """The archive's write counter: raised on every new or changed article row."""
    return int(conn.execute(f"select coalesce(max(seq), 0) from {ARTICLES}").fetchone()[0])
