"""The story index inside the archive: which articles are write-ups of one event (stories).

- `story_keys` (key, day, id): an article under each of its index keys (its entities, figures
  and rarest title/lead bigrams: processing/stories.index_keys) and its Beijing day, so the
  articles that might tell the same event are read by key within the window's days only —
  O(candidates), whatever the archive's size. `WITHOUT ROWID`, like the near-duplicate index.
- `story_counts` (key, n): how many articles have each feature: its rarity (IDF).
- `stories`: a row per story — size, first and last publication, its representative (the
  fullest write-up: the longest text, then the earliest) and that one's title.

`place(record)` decides an article's story (the pipeline asks it, pipelines/stories.py);
`saved(record, stored)` indexes what the store wrote, in its savepoint. The features depend on
processing/stories.SCHEME; an archive indexed under another scheme (or none) has its stories
placed again, in publication order, when it is opened for writing.
"""

from __future__ import annotations

import logging
import math
import sqlite3
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import sqlite_utils

from newscrawl.processing.stories import (
    LEAD_CHARS,
    SCHEME,
    WINDOW,
    Features,
    conflict,
    features,
    index_keys,
    key_number,
    same_event,
    weighed,
)

logger = logging.getLogger(__name__)
STORY_KEYS, STORY_COUNTS, STORIES = "story_keys", "story_counts", "stories"
META = "meta"
HOT_KEY = 200  # a key more articles share within the window finds no event: it is skipped
CANDIDATES = 12
FEATURE_CACHE = 2048  # candidates' features kept (bounded: nothing grows with the archive)
COUNT_CACHE = 200_000  # feature counts kept (a few MB)


class StoryIndex:
    def __init__(self, db: sqlite_utils.Database, articles: str) -> None:
        self.db = db
        self.articles = articles
        self.window = WINDOW  # how far apart one event's write-ups may be (NEWSCRAWL_STORY_WINDOW_HOURS)
        self._cache: OrderedDict[tuple, Features] = OrderedDict()
        self._counts: OrderedDict[int, int] = OrderedDict()
        self._ensure()

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    # --- the tables ----------------------------------------------------------------------------
    def _ensure(self) -> None:
        if not self.db[META].exists():
            self.db[META].create({"name": str, "value": str}, pk="name")
        found = self.conn.execute(f"select value from {META} where name = 'story_scheme'").fetchone()
        if found is not None and found[0] == str(SCHEME) and self.db[STORIES].exists():
            return
        archived = self.conn.execute(f"select count(*) from {self.articles}").fetchone()[0]
        if archived:
            logger.warning("Placing the archive's %d articles in their stories (once, for this version of "
                           "newscrawl): a minute per 40,000 articles or so", archived)
        with self.conn:
            self.rebuild()

    def rebuild(self) -> None:
        """Every article placed again, in publication order (inside the caller's transaction)."""
        self._counts.clear()
        for name in (STORY_KEYS, STORY_COUNTS, STORIES):
            self.conn.execute(f"drop table if exists [{name}]")
        self.conn.execute(f"create table [{STORY_KEYS}] (key integer not null, day integer not null, "
                          "id text not null, primary key (key, day, id)) without rowid")
        self.conn.execute(f"create table [{STORY_COUNTS}] (key integer primary key, n integer not null)")
        self.conn.execute(f"create table [{STORIES}] (story_id text primary key, size integer, first_published_at "
                          "text, last_published_at text, representative text, title text)")
        self.conn.execute(f"create index if not exists idx_{self.articles}_story_id on {self.articles} (story_id)")
        self.conn.execute(f"insert or replace into {META} (name, value) values ('story_total', '0')")
        self.conn.execute(f"update {self.articles} set story_id = null")
        cursor = self.conn.execute(f"select * from {self.articles} order by coalesce(published_at, site_published_at), id")
        names = [d[0] for d in cursor.description]
        for row in iter(lambda: cursor.fetchmany(500), []):
            for values in row:
                record = dict(zip(names, values))
                record["story_id"] = self.place(record)[0]
                self.conn.execute(f"update {self.articles} set story_id = ? where id = ?", [record["story_id"], record["id"]])
                self._add(record["id"], self._of(record))
                self.refresh([record["story_id"]])
        self.conn.execute(f"insert or replace into {META} (name, value) values ('story_scheme', ?)", [str(SCHEME)])

    # --- placing an article --------------------------------------------------------------------
    def place(self, record: dict[str, Any]) -> tuple[str, str]:
        """(the story of `record`, how: "cluster", "event" or "alone")."""
        article_id = record["id"]
        cluster = record.get("cluster_id")
        if cluster:  # (its first article or not: placing again must not depend on which one that is)
            found = self.conn.execute(f"select story_id from {self.articles} where cluster_id = ? and id != ? "
                                      "and story_id is not null limit 1", [cluster, article_id]).fetchone()
            if found is not None:
                return found[0], "cluster"  # a story holds whole clusters
        own = self._of(record)
        if own.day is None:
            return article_id, "alone"
        counts = self.counts(own.numbers)
        ids = self.candidates(index_keys(own, counts), own.day, article_id)
        if not ids:
            return article_id, "alone"
        lead = 2 * LEAD_CHARS  # what features() reads of a body
        rows = self.conn.execute(
            f"select id, title, substr(coalesce(body_text, source_body_text), 1, {lead}), "
            f"coalesce(published_at, site_published_at), story_id from {self.articles} "
            f"where id in ({','.join('?' * len(ids))})", ids).fetchall()
        # What cannot be the same event is set aside before any weight is read.
        others = [(r[0], r[4], f) for r in rows
                  if conflict(own, f := self._features(r[0], r[1], r[2], r[3]), self.window) is None]
        if not others:
            return article_id, "alone"
        counts |= self.counts({k: n for _, _, f in others for k, n in f.numbers.items() if k not in counts})
        total = self.total()
        best, best_score = None, 0.0
        mine = weighed(own, counts, total)
        for other_id, story, found_features in others:
            value = same_event(own, found_features, counts, total, window=self.window,
                               weights=(mine, weighed(found_features, counts, total)))
            if value > best_score:
                best, best_score = story or other_id, value
        return (best, "event") if best is not None else (article_id, "alone")

    def _of(self, record: dict[str, Any]) -> Features:
        """An article's features, through the cache: placing it and indexing it ask twice."""
        return self._features(record["id"], record.get("title"),
                              (record.get("body_text") or record.get("source_body_text") or "")[: 2 * LEAD_CHARS],
                              record.get("published_at") or record.get("site_published_at"))

    def _features(self, article_id: str, title: str | None, lead: str | None, published_at: str | None) -> Features:
        """A candidate's features: the same few recent articles are candidates again and again."""
        key = (article_id, title, lead, published_at)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = features(title, lead, published_at)
            if len(self._cache) > FEATURE_CACHE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return found

    def counts(self, keys: Mapping[str, int]) -> dict[str, int]:
        """How many articles have each of these feature keys (key → its number). Most are common
        bigrams asked again and again: the counts read are kept (a bounded number of them)."""
        out: dict[str, int] = {}
        missing: dict[int, list[str]] = {}
        for key, number in keys.items():
            if (n := self._counts.get(number)) is not None:
                out[key] = n
            else:
                missing.setdefault(number, []).append(key)
        numbers = list(missing)
        for start in range(0, len(numbers), 500):
            part = numbers[start : start + 500]
            found = dict(self.conn.execute(
                f"select key, n from {STORY_COUNTS} where key in ({','.join('?' * len(part))})", part).fetchall())
            for number in part:
                n = self._counts[number] = found.get(number, 0)
                out.update(dict.fromkeys(missing[number], n))
        while len(self._counts) > COUNT_CACHE:
            self._counts.popitem(last=False)
        return out

    def forget(self) -> None:
        """Drop the counts kept (the transaction that changed them was rolled back)."""
        self._counts.clear()

    def total(self) -> int:
        """How many articles the counts are of (read each time: a rollback takes it back too)."""
        found = self.conn.execute(f"select value from {META} where name = 'story_total'").fetchone()
        return int(found[0]) if found else 0

    def candidates(self, keys: list[str], day: int, other_than: str) -> list[str]:
        """Articles within the window's days sharing an index key (hot keys skipped), most shared first."""
        numbers = list(dict.fromkeys(key_number(k) for k in keys))
        if not numbers:
            return []
        span = math.ceil(self.window / timedelta(days=1))  # Beijing days either side the window reaches
        rows = self.conn.execute(
            f"select key, id from {STORY_KEYS} where key in ({','.join('?' * len(numbers))}) and day between ? and ? "
            f"limit {len(numbers) * (HOT_KEY + 1)}", [*numbers, day - span, day + span]).fetchall()
        per_key = Counter(key for key, _ in rows)
        shared = Counter(i for key, i in rows if per_key[key] <= HOT_KEY and i != other_than)
        return [i for i, _ in shared.most_common(CANDIDATES)]

    # --- what the store wrote ------------------------------------------------------------------
    def saved(self, record: dict[str, Any], stored: dict[str, Any] | None) -> None:
        """Index `record` as written (it was `stored` before, or new), and mend its stories' rows."""
        stories = {record.get("story_id") or record["id"]}
        if stored is not None:
            self._remove(stored["id"], self._of(stored))
            stories.add(stored.get("story_id") or stored["id"])
        self._add(record["id"], self._of(record))
        self.refresh(stories)

    def _add(self, article_id: str, f: Features) -> None:
        numbers = f.numbers
        distinct = set(numbers.values())
        self.conn.executemany(f"insert into {STORY_COUNTS} (key, n) values (?, 1) on conflict(key) do update set n = n + 1",
                              [(n,) for n in distinct])
        for number in distinct & self._counts.keys():
            self._counts[number] += 1
        if f.day is not None:
            counts = self.counts({k: n for k, n in numbers.items() if k.startswith("g:")})
            self.conn.executemany(f"insert or ignore into {STORY_KEYS} (key, day, id) values (?, ?, ?)",
                                  [(numbers[k], f.day, article_id) for k in index_keys(f, counts)])
        self._set_total(self.total() + 1)

    def _remove(self, article_id: str, f: Features) -> None:
        numbers = set(f.numbers.values())
        self.conn.executemany(f"update {STORY_COUNTS} set n = n - 1 where key = ? and n > 0", [(n,) for n in numbers])
        for number in numbers & self._counts.keys():
            self._counts[number] = max(0, self._counts[number] - 1)
        if f.day is not None:
            self.conn.executemany(f"delete from {STORY_KEYS} where key = ? and day = ? and id = ?",
                                  [(n, f.day, article_id) for n in numbers])
        self._set_total(max(0, self.total() - 1))

    def _set_total(self, value: int) -> None:
        self.conn.execute(f"insert or replace into {META} (name, value) values ('story_total', ?)", [str(value)])

    def refresh(self, stories: Iterable[str | None]) -> None:
        """Each story's row again from its articles (a story has a few: O(its size))."""
        for story in {s for s in stories if s}:
            members = self.conn.execute(
                f"select id, title, coalesce(published_at, site_published_at), length(coalesce(body_text, '')) "
                f"from {self.articles} where story_id = ?", [story]).fetchall()
            if not members:
                self.conn.execute(f"delete from {STORIES} where story_id = ?", [story])
                continue
            times = [m[2] for m in members if m[2]]
            representative = min(members, key=lambda m: (-m[3], m[2] or "", m[0]))
            self.conn.execute(f"insert or replace into {STORIES} (story_id, size, first_published_at, last_published_at, "
                              "representative, title) values (?, ?, ?, ?, ?, ?)",
                              [story, len(members), min(times, default=None), max(times, default=None),
                               representative[0], representative[1]])
