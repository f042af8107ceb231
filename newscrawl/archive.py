"""The SQLite archive: schema and idempotent writes, all through sqlite-utils.

One row per article in `articles`, keyed by the stable article id; lists are stored as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import sqlite_utils
from sqlite_utils.db import NotFoundError

from newscrawl.items import CONTENT_FIELDS, Article

ARTICLES = "articles"
UpsertResult = Literal["new", "changed", "unchanged"]

_COLUMNS: dict[str, type] = {name: str for name in Article.field_names()}


class Archive:
    """An open archive database. `path` may be ":memory:" for tests."""

    def __init__(self, path: str | Path) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(path)
        # WAL lets readers (search, export, Datasette) work while a crawl writes.
        self.db.enable_wal()
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.articles = self.db.table(ARTICLES)
        if not self.articles.exists():
            self.articles.create(_COLUMNS, pk="id", not_null={"url", "title"})

    def close(self) -> None:
        self.db.close()

    def get(self, article_id: str) -> dict[str, Any] | None:
        try:
            row = self.articles.get(article_id)
        except NotFoundError:
            return None
        row["tags"] = json.loads(row["tags"]) if row.get("tags") else []
        return row

    def upsert(self, record: dict[str, Any]) -> UpsertResult:
        """Write an article unless the archive already holds the same content.

        An unchanged re-crawl writes nothing, so the first fetched_at survives.
        """
        stored = self.get(record["id"])
        if stored is not None and all(stored.get(f) == record.get(f) for f in CONTENT_FIELDS):
            return "unchanged"
        self.articles.upsert(record, pk="id")
        return "new" if stored is None else "changed"

    def count(self) -> int:
        return self.articles.count
