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
processing/stories.SCHEME; an archive indexed under another scheme (or none), or with another
window, has its stories placed again, in publication order, when it is opened for writing.

Story ids are stable names: a story is named after its first article. When that article
leaves (a revision made it another event, or its time was inferred), the articles left are
named after the earliest of them, and their rows' `seq` is raised (delta exports see it).
The feature counts (`tally`, archive/storycounts.py) change by one for every feature of every
article saved, and are written once per commit.
"""

from __future__ import annotations

import logging
import math
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from newscrawl.archive.storycounts import FeatureCounts
from newscrawl.processing.stories import (
    LEAD_CHARS,
    SCHEME,
    WINDOW,
    Features,
    conflict,
    features,
    index_keys,
    same_event,
    weighed,
)
from newscrawl.processing.timeline import parse_time

logger = logging.getLogger(__name__)
STORY_KEYS, STORY_COUNTS, STORIES = "story_keys", "story_counts", "stories"
META = "meta"
HOT_KEY = 100  # a key more articles share within the window's days finds no event: it is skipped
CANDIDATES = 12
# The articles' order of placing (publication, else the site's time): a rebuild's, and time's.
_ORDER = "coalesce(published_at, site_published_at)"
FEATURE_CACHE = 4096  # candidates' features kept (4–6 KiB each, ~20 MB: a day or two of the site)


class StoryIndex:
    def __init__(self, db: sqlite_utils.Database, articles: str, window: timedelta = WINDOW,
                 next_seq: Callable[[], int] | None = None) -> None:
        self.db = db
        self.articles = articles
        self.window = window  # how far apart one event's write-ups may be (NEWSCRAWL_STORY_WINDOW_HOURS)
        self._next_seq = next_seq or (lambda: 0)
        self._cache: OrderedDict[tuple[str, int], Features] = OrderedDict()
        self.tally = FeatureCounts(db, STORY_COUNTS, META)
        self._left: OrderedDict[str, None] = OrderedDict()  # placed alone, their id another story's name
        self._rebuilding: list[str | None] | None = None  # (time, id) of the article a rebuild places
        # A rebuild's stories' first and last times (their rows are made at its end), of the
        # stories an article placed next may join: those that reach into its window.
        self._spans_placed: dict[str, tuple[datetime, datetime]] = {}
        self._ensure()

    @property
    def _scheme(self) -> str:
        """The features' scheme and, when not the default, the window: a change of either places
        the stories again."""
        hours = self.window / timedelta(hours=1)
        return str(SCHEME) if self.window == WINDOW else f"{SCHEME}/{hours:g}h"

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    # --- the tables ----------------------------------------------------------------------------
    def _ensure(self) -> None:
        if not self.db[META].exists():
            self.db[META].create({"name": str, "value": str}, pk="name")
        found = self.conn.execute(f"select value from {META} where name = 'story_scheme'").fetchone()
        if found is not None and found[0] == self._scheme and self.db[STORIES].exists():
            return
        archived = self.conn.execute(f"select count(*) from {self.articles}").fetchone()[0]
        if archived:
            logger.warning("Placing the archive's %d articles in their stories (once, for this version of "
                           "newscrawl): a minute per 40,000 articles or so", archived)
        with self.conn:
            self.rebuild()

    def rebuild(self) -> None:
        """Every article placed again, in publication order, in one transaction (the caller's,
        else its own): a rebuild cut short leaves the stories as they were, never half made."""
        if not self.conn.in_transaction:
            self.conn.execute("begin")  # the DDL too: sqlite3 would commit it at once
        self.tally.forget()
        self.conn.execute(f"delete from {META} where name = 'story_scheme'")
        for name in (STORY_KEYS, STORY_COUNTS, STORIES):
            self.conn.execute(f"drop table if exists [{name}]")
        self.conn.execute(f"create table [{STORY_KEYS}] (key integer not null, day integer not null, "
                          "id text not null, primary key (key, day, id)) without rowid")
        self.conn.execute(f"create table [{STORY_COUNTS}] (key integer primary key, n integer not null)")
        self.conn.execute(f"create table [{STORIES}] (story_id text primary key, size integer, first_published_at "
                          "text, last_published_at text, representative text, title text)")
        self.conn.execute(f"create index if not exists idx_{self.articles}_story_id on {self.articles} (story_id)")
        self.tally.set_total(0)
        # Placed in order; an article's story is written only when it changed (and its seq then).
        # Until an article is placed, its cluster's rule must not see its story of before.
        cursor = self.conn.execute(f"select * from {self.articles} order by {_ORDER} is null, {_ORDER}, id")
        names = [d[0] for d in cursor.description]
        self._spans_placed = {}
        placed = 0
        try:
            for rows in iter(lambda: cursor.fetchmany(500), []):
                for values in rows:
                    record = dict(zip(names, values))
                    self._rebuilding = [record_time(record), record["id"]]
                    story = self.place(record)[0]
                    if story != record["story_id"]:
                        self.conn.execute(f"update {self.articles} set story_id = ?, seq = ? where id = ?",
                                          [story, self._next_seq(), record["id"]])
                    features = self._of(record)
                    self._add(record["id"], features)
                    self.tally.keep()
                    placed += 1
                    if placed % 5000 == 0:  # (the changes kept: as many as the keys of those placed)
                        self.tally.flush()
                    self._span_placed(story, features)
        except BaseException:
            self.tally.forget()  # its counts go back with the caller's transaction
            raise
        finally:
            self._rebuilding = None
            self._spans_placed = {}
            self._left.clear()
        self.tally.flush()
        self._refresh_all()
        self.conn.execute(f"insert or replace into {META} (name, value) values ('story_scheme', ?)", [self._scheme])

    def _refresh_all(self) -> None:
        """Every story's row from its articles, in one statement (the representative's rule: refresh)."""
        self.conn.execute(f"delete from {STORIES}")
        self.conn.execute(f"""insert into {STORIES} (story_id, size, first_published_at, last_published_at,
            representative, title)
            select story_id, size, first, last, id, title from (
              select story_id, id, title, count(*) over story as size,
                min(coalesce(published_at, site_published_at)) over story as first,
                max(coalesce(published_at, site_published_at)) over story as last,
                row_number() over (story order by length(coalesce(body_text, '')) desc, {_ORDER} is null,
                                   {_ORDER}, id) as n
              from {self.articles} where story_id is not null
              window story as (partition by story_id))
            where n = 1""")

    # --- placing an article --------------------------------------------------------------------
    def place(self, record: dict[str, Any]) -> tuple[str, str]:
        """(the story of `record`, how: "cluster", "event" or "alone")."""
        article_id = record["id"]
        cluster = record.get("cluster_id")
        if cluster:  # (its first article or not: placing again must not depend on which one that is)
            placed = ""
            if self._rebuilding is not None:  # only the articles a rebuild has placed already
                placed = f" and ({_ORDER} is null, coalesce({_ORDER}, ''), id) < (?, coalesce(?, ''), ?)"
            found = self.conn.execute(
                f"select story_id from {self.articles} where cluster_id = ? and id != ? and story_id is not null"
                f"{placed} limit 1", [cluster, article_id, *self._rebuild_position()]).fetchone()
            if found is not None:
                return found[0], "cluster"  # a story holds whole clusters
        own = self._of(record)
        if own.day is None:
            return self._alone(article_id)
        counts = self.tally.counts(own.keys())
        ids = self.candidates(index_keys(own, counts), own.day, article_id)
        if not ids:
            return self._alone(article_id)
        lead = 2 * LEAD_CHARS  # what features() reads of a body
        rows = self.conn.execute(
            f"select id, title, substr(coalesce(nullif(body_text, ''), source_body_text), 1, {lead}), "
            f"{_ORDER}, story_id from {self.articles} where id in ({','.join('?' * len(ids))})", ids).fetchall()
        # What cannot be the same event is set aside before any weight is read.
        others = [(r[0], r[4], f) for r in rows
                  if conflict(own, f := self._features(r[0], r[1], r[2], r[3]), self.window) is None]
        if not others:
            return self._alone(article_id)
        counts |= self.tally.counts({n for _, _, f in others for n in f.keys() if n not in counts})
        total = self.tally.total()
        mine = weighed(own, counts, total)
        scored = []
        for other_id, story, found_features in others:
            value = same_event(own, found_features, counts, total, window=self.window,
                               weights=(mine, weighed(found_features, counts, total)))
            if value > 0:
                scored.append((value, story or other_id))
        # A story spans one window: an article too far from its first or its last write-up
        # starts its own, however alike it is to one of them (a daily wrap-up chains no days).
        spans = self._spans({story for _, story in scored})
        for _, story in sorted(scored, key=lambda s: (-s[0], s[1])):
            first, last = spans.get(story, (None, None))
            if all(t is None or abs(own.when - t) <= self.window for t in (first, last)):  # type: ignore[operator]
                return story, "event"
        return self._alone(article_id)

    def _rebuild_position(self) -> list[Any]:
        if self._rebuilding is None:
            return []
        when, article_id = self._rebuilding
        return [when is None, when, article_id]

    def _alone(self, article_id: str) -> tuple[str, str]:
        """Its own story: named after it, unless articles it has left still carry its name."""
        if self._rebuilding is None and self.conn.execute(
                f"select 1 from {self.articles} where story_id = ? and id != ? limit 1",
                [article_id, article_id]).fetchone() is not None:
            self._left[article_id] = None  # saved() names the others' story after the earliest of them
            while len(self._left) > FEATURE_CACHE:
                self._left.popitem(last=False)
        return article_id, "alone"

    def _span_placed(self, story: str, f: Features) -> None:
        if f.when is None:
            return
        first, last = self._spans_placed.get(story, (f.when, f.when))
        self._spans_placed[story] = (min(first, f.when), max(last, f.when))
        if len(self._spans_placed) > FEATURE_CACHE:  # placed in time order: the old ones are done
            self._spans_placed = {s: t for s, t in self._spans_placed.items() if f.when - t[1] <= self.window}

    def _spans(self, stories: set[str]) -> dict[str, tuple[Any, Any]]:
        """Each story's first and last publication, as times."""
        if self._rebuilding is not None:
            return {s: self._spans_placed[s] for s in stories if s in self._spans_placed}
        if not stories:
            return {}
        rows = self.conn.execute(f"select story_id, first_published_at, last_published_at from {STORIES} "
                                 f"where story_id in ({','.join('?' * len(stories))})", list(stories)).fetchall()
        return {story: (parse_time(first), parse_time(last)) for story, first, last in rows}

    def _of(self, record: dict[str, Any]) -> Features:
        """An article's features, through the cache: placing it and indexing it ask twice."""
        # As place() reads candidates: an empty text is none (nullif), a time of None is none.
        text = record.get("body_text") or record.get("source_body_text") or ""
        return self._features(record["id"], record.get("title"), text[: 2 * LEAD_CHARS], record_time(record))

    def _features(self, article_id: str, title: str | None, lead: str | None, published_at: str | None) -> Features:
        """A candidate's features: the same few recent articles are candidates again and again."""
        key = (article_id, hash((title, lead, published_at)))  # (the texts themselves would weigh more than it)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = features(title, lead, published_at)
            if len(self._cache) > FEATURE_CACHE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return found

    def candidates(self, keys: list[int], day: int, other_than: str) -> list[str]:
        """Articles within the window's days sharing an index key, most shared first. A key more
        than HOT_KEY articles share there is skipped, and read no further than that: a busy key
        neither costs its length nor hides the rare keys beside it."""
        numbers = list(dict.fromkeys(keys))
        if not numbers:
            return []
        span = math.ceil(self.window / timedelta(days=1))  # Beijing days either side the window reaches
        one = (f"select * from (select key, id from {STORY_KEYS} where key = ? and day between ? and ? "
               f"limit {HOT_KEY + 1})")
        params = [p for n in numbers for p in (n, day - span, day + span)]
        # Counted by SQLite: the hits of the keys not busy, by article, most shared first.
        rows = self.conn.execute(
            f"with hits as materialized ({' union all '.join([one] * len(numbers))}) "
            f"select id from hits where id != ? and key in (select key from hits group by key "
            f"having count(*) <= {HOT_KEY}) group by id order by count(*) desc, id limit {CANDIDATES}",
            [*params, other_than]).fetchall()
        return [r[0] for r in rows]

    # --- what the store wrote ------------------------------------------------------------------
    def saved(self, record: dict[str, Any], stored: dict[str, Any] | None) -> set[str]:
        """Index `record` as written (it was `stored` before, or new), and mend its stories' rows.
        Returns the other articles whose story was renamed (their first article left it)."""
        story = record.get("story_id") or record["id"]
        stories: set[str] = {story}
        renamed: list[str] = []
        if stored is not None:
            self._remove(stored["id"], self._of(stored))
            old = stored.get("story_id") or stored["id"]
            stories.add(old)
            if old == record["id"] and (story != old or record["id"] in self._left):
                renamed = self._rename(old, but=record["id"])
                stories |= set(renamed[:1])
        self._left.pop(record["id"], None)
        self._add(record["id"], self._of(record))
        self.refresh(stories)
        return set(renamed)

    def moved(self, record: dict[str, Any], stored: dict[str, Any]) -> set[str]:
        """`record` was written with another time than `stored` (inferred at the run's end):
        placed again, and indexed under its day, in the caller's savepoint (keep() once it
        holds). Returns the articles whose story changed."""
        story = self.place(record)[0]
        if story != stored.get("story_id"):
            self.conn.execute(f"update {self.articles} set story_id = ?, seq = ? where id = ?",
                              [story, self._next_seq(), record["id"]])
        return self.saved({**record, "story_id": story}, stored) | {record["id"]}

    def _rename(self, old: str, but: str) -> list[str]:
        """The articles of story `old` but `but`, named after the earliest of them."""
        members = [r[0] for r in self.conn.execute(
            f"select id from {self.articles} where story_id = ? and id != ? order by {_ORDER} is null, {_ORDER}, id",
            [old, but]).fetchall()]
        for member in members:
            self.conn.execute(f"update {self.articles} set story_id = ?, seq = ? where id = ?",
                              [members[0], self._next_seq(), member])
        return members

    def _add(self, article_id: str, f: Features) -> None:
        self.tally.stage(f.keys(), +1)
        if f.day is not None:
            counts = self.tally.counts(f.grams)
            self.conn.executemany(f"insert or ignore into {STORY_KEYS} (key, day, id) values (?, ?, ?)",
                                  [(n, f.day, article_id) for n in index_keys(f, counts)])

    def _remove(self, article_id: str, f: Features) -> None:
        numbers = f.keys()
        self.tally.stage(numbers, -1)
        if f.day is not None:
            self.conn.executemany(f"delete from {STORY_KEYS} where key = ? and day = ? and id = ?",
                                  [(n, f.day, article_id) for n in numbers])

    def refresh(self, stories: Iterable[str | None]) -> None:
        """Each story's row again from its articles (a story has a few: O(its size))."""
        for story in {s for s in stories if s}:
            members = self.conn.execute(
                f"select id, title, {_ORDER}, length(coalesce(body_text, '')) "
                f"from {self.articles} where story_id = ?", [story]).fetchall()
            if not members:
                self.conn.execute(f"delete from {STORIES} where story_id = ?", [story])
                continue
            times = [m[2] for m in members if m[2]]
            # The fullest write-up: the longest text, then the earliest (undated last), then the smallest id.
            representative = min(members, key=lambda m: (-m[3], m[2] is None, m[2] or "", m[0]))
            self.conn.execute(f"insert or replace into {STORIES} (story_id, size, first_published_at, last_published_at, "
                              "representative, title) values (?, ?, ?, ?, ?, ?)",
                              [story, len(members), min(times, default=None), max(times, default=None),
                               representative[0], representative[1]])


def record_time(record: Mapping[str, Any]) -> str | None:
    """An article's time for its story: published, else the site's (what _ORDER reads)."""
    return record.get("published_at") or record.get("site_published_at")
