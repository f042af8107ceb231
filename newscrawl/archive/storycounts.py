"""The story index's feature counts: how many archived articles have each feature key (its
rarity, processing/stories.idf), in `story_counts` (key, n) and the total in `meta`.

Every article saved changes the counts of all its features (some 75) by one. The changes are
kept in memory and written once per commit (`flush`, before the writer's commit and in a
rebuild), each article's only once its savepoint holds (`stage` → `keep`; `drop` when the
savepoint is rolled back, `forget` when the group's transaction is). The counts read are kept
too, a bounded number of them, first read first dropped: most are common bigrams asked for
again and again.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterable

import sqlite_utils

COUNT_CACHE = 100_000  # counts read and kept (some 10 MB)
TOTAL = -1  # the articles counted, among the changes (key numbers are ≥ 0)


class FeatureCounts:
    def __init__(self, db: sqlite_utils.Database, table: str, meta: str) -> None:
        self.db, self.table, self.meta = db, table, meta
        self._read: OrderedDict[int, int] = OrderedDict()  # as written in the table, with the changes kept
        self._pending: Counter[int] = Counter()  # changes of saved articles, written at the commit
        self._staged: Counter[int] = Counter()  # the article in hand's, until its savepoint holds

    def counts(self, numbers: Iterable[int]) -> dict[int, int]:
        """How many articles have each of these feature keys (by number): as written, and as
        changed since."""
        out: dict[int, int] = {}
        missing: list[int] = []
        cached, pending, staged = self._read.get, self._pending.get, self._staged.get  # (no Counter.__missing__)
        if self._staged:
            for number in numbers:
                if (n := cached(number)) is not None:
                    out[number] = n + staged(number, 0)
                else:
                    missing.append(number)
        else:  # (placing an article: nothing staged yet)
            for number in numbers:
                if (n := cached(number)) is not None:
                    out[number] = n
                else:
                    missing.append(number)
        for start in range(0, len(missing), 500):
            part = missing[start : start + 500]
            found = dict(self.db.conn.execute(
                f"select key, n from {self.table} where key in ({','.join('?' * len(part))})", part).fetchall())
            for number in part:
                n = self._read[number] = found.get(number, 0) + pending(number, 0)
                out[number] = n + staged(number, 0)
        while len(self._read) > COUNT_CACHE:
            self._read.popitem(last=False)
        return out

    def stage(self, numbers: Iterable[int], sign: int) -> None:
        """An article's features counted (+1) or no longer (-1), pending its savepoint."""
        if sign > 0:
            self._staged.update(numbers)
        else:
            self._staged.subtract(numbers)
        self._staged[TOTAL] += sign

    def keep(self) -> None:
        """The article in hand's savepoint held: its count changes are the group's."""
        pending, read = self._pending, self._read
        for number, delta in self._staged.items():
            if not delta:  # (a revision's, or a moved article's, unchanged features)
                continue
            if changed := pending[number] + delta:
                pending[number] = changed
            else:
                del pending[number]
            if number in read:
                read[number] += delta
        self._staged.clear()

    def drop(self) -> None:
        """The article in hand's savepoint was rolled back: its count changes with it."""
        self._staged.clear()

    def forget(self) -> None:
        """The group's transaction was rolled back: every change kept, and the counts read."""
        self._read.clear()
        self._pending.clear()
        self._staged.clear()

    def flush(self) -> None:
        """Write the changes kept (inside the transaction that commits their articles)."""
        total = self._pending.pop(TOTAL, 0)
        changes = [(n, d) for n, d in self._pending.items() if d]
        self.db.conn.executemany(f"insert into {self.table} (key, n) values (?, ?) "
                                 "on conflict(key) do update set n = max(0, n + excluded.n)", changes)
        if total:
            self.set_total(self._written_total() + total)
        self._pending.clear()

    def total(self) -> int:
        """How many articles the counts are of."""
        return self._written_total() + self._pending[TOTAL] + self._staged[TOTAL]

    def set_total(self, value: int) -> None:
        self.db.conn.execute(f"insert or replace into {self.meta} (name, value) values ('story_total', ?)",
                             [str(max(0, value))])

    def _written_total(self) -> int:
        found = self.db.conn.execute(f"select value from {self.meta} where name = 'story_total'").fetchone()
        return int(found[0]) if found else 0
