"""The SQLite archive: schema and idempotent writes, all through sqlite-utils.

One row per article in `articles`, keyed by the stable article id; lists are stored as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import sqlite_utils
from sqlite_utils.db import NotFoundError

from newscrawl.items import CONTENT_FIELDS, JSON_FIELDS, Article

ARTICLES = "articles"
UpsertResult = Literal["new", "changed", "unchanged"]

_COLUMNS: dict[str, type] = {name: str for name in Article.field_names()}
_EMPTY_JSON = {name: json.dumps(getattr(Article(), name)) for name in JSON_FIELDS}


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
        # An archive made by an older version lacks the newer fields' columns.
        for name in _COLUMNS.keys() - {c.name for c in self.articles.columns}:
            self.articles.add_column(name, str)

    def close(self) -> None:
        self.db.close()

    def get(self, article_id: str) -> dict[str, Any] | None:
        try:
            row = self.articles.get(article_id)
        except NotFoundError:
            return None
        for name in JSON_FIELDS:
            row[name] = json.loads(row.get(name) or _EMPTY_JSON[name])
        return row

    def upsert(self, record: dict[str, Any]) -> UpsertResult:
        """Write an article unless the archive already holds the same content.

        An unchanged re-crawl writes nothing, so the first fetched_at survives.
        """
        return self.save(record, self.get(record["id"]))

    def save(self, record: dict[str, Any], stored: dict[str, Any] | None) -> UpsertResult:
        """upsert() for a caller that has already read the stored row (`get`)."""
        if stored is not None and all(stored.get(f) == record.get(f) for f in CONTENT_FIELDS):
            return "unchanged"
        self.articles.upsert(record, pk="id")
        return "new" if stored is None else "changed"

    def count(self) -> int:
        return self.articles.count
