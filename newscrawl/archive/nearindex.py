"""The near-duplicate index inside the archive: key → article ids, in table `dedup_keys`.

Each article has a dozen keys (similarity.index_keys: MinHash LSH bands, figure clauses). They are
random 64-bit numbers, so every insert lands on a random page of the index: the table is
`WITHOUT ROWID` (one B-tree, keyed by (key, id)) and has no other index — an article's old
keys, to remove on a revision, are recomputed from its stored text. A key that more than
HOT_KEY articles share is boilerplate (a stock phrase): it finds no story, so lookups skip
it, reading at most HOT_KEY + 1 ids per key whatever the archive's size.

The keys depend on similarity.SCHEME; an archive indexed under another scheme (or by an older
newscrawl) has its index rebuilt from the stored texts when it is opened.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable

import sqlite_utils

from newscrawl.processing.similarity import SCHEME, index_keys, normalize

DEDUP_KEYS, META = "dedup_keys", "meta"
HOT_KEY = 50
_OLD_TABLES = ("dedup_key_counts",)  # the index of older archives


class NearIndex:
    def __init__(self, db: sqlite_utils.Database, articles: str) -> None:
        self.db = db
        self.articles = articles
        self._ensure()

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def _ensure(self) -> None:
        meta = self.db[META]
        if not meta.exists():
            meta.create({"name": str, "value": str}, pk="name")
        current = self.conn.execute(f"select value from {META} where name = 'dedup_scheme'").fetchone()
        if current is not None and current[0] == str(SCHEME) and self.db[DEDUP_KEYS].exists():
            return
        with self.conn:
            for name in (DEDUP_KEYS, *_OLD_TABLES):
                self.conn.execute(f"drop table if exists [{name}]")
            # sqlite-utils cannot declare WITHOUT ROWID.
            self.conn.execute(f"create table [{DEDUP_KEYS}] (key integer not null, id text not null, "
                              "primary key (key, id)) without rowid")
            self._rebuild()
            self.conn.execute(f"insert or replace into {META} (name, value) values ('dedup_scheme', ?)", [str(SCHEME)])

    def _rebuild(self) -> None:
        if not self.db[self.articles].exists():
            return
        rows = self.conn.execute(f"select id, body_text, title from {self.articles}")
        pairs = [(k, article_id) for article_id, text, title in rows for k in self.keys_of(text or title)]
        pairs.sort()  # in key order, the B-tree is written page by page
        self.conn.executemany(f"insert or ignore into {DEDUP_KEYS} (key, id) values (?, ?)", pairs)

    @staticmethod
    def keys_of(text: str | None) -> tuple[int, ...]:
        return index_keys(normalize(text))

    def candidates(self, keys: Iterable[int], other_than: str, limit: int = 20) -> list[str]:
        """Ids sharing a key (hot keys skipped), most keys shared first."""
        keys = list(dict.fromkeys(keys))
        if not keys:
            return []
        # Usually no key is hot and one lookup answers; only when the answer is cut short
        # is each key asked for at most HOT_KEY + 1 ids.
        cap = len(keys) * (HOT_KEY + 1)
        rows = self.conn.execute(f"select key, id from {DEDUP_KEYS} where key in ({','.join('?' * len(keys))}) "
                                 f"limit {cap}", keys).fetchall()
        if len(rows) >= cap:
            part = f"select * from (select key, id from {DEDUP_KEYS} where key = ? limit {HOT_KEY + 1})"
            rows = self.conn.execute(" union all ".join([part] * len(keys)), keys).fetchall()
        per_key = Counter(key for key, _ in rows)
        shared = Counter(i for key, i in rows if per_key[key] <= HOT_KEY and i != other_than)
        return [i for i, _ in shared.most_common(limit)]

    def add(self, article_id: str, keys: Iterable[int]) -> None:
        self.conn.executemany(f"insert or ignore into {DEDUP_KEYS} (key, id) values (?, ?)",
                              [(k, article_id) for k in keys])

    def remove(self, article_id: str, keys: Iterable[int]) -> None:
        self.conn.executemany(f"delete from {DEDUP_KEYS} where key = ? and id = ?", [(k, article_id) for k in keys])
