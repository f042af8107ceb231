"""Chinese full-text search over the archive: pure queries on an open database.

3+ character queries go to the FTS5 trigram index (any substring). 1–2 character queries
(茅台, 央行, 金) go to the grams index (fts.py), as a phrase of single-character tokens. Both
rank by bm25 — among the newest RANK_WINDOW matches when a limit is asked, which bounds the
cost of very common terms; without a limit, all matches are returned, ranked. A short query with punctuation or spaces in it is answered by scanning
titles and texts (correct, slower). Every path returns exactly the articles whose title or
body text contains the query (ASCII letters case-insensitively).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from newscrawl.archive.fts import phrase, short_query
from newscrawl.archive.schema import ARTICLES, ARTICLES_FTS, ARTICLES_GRAMS

SNIPPET_CHARS = 30
RANK_WINDOW = 2000
_SYNTAX = re.compile(r'\b(AND|OR|NOT|NEAR)\b|["*^]|\b[A-Za-z_]\w*:')
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:$|[T ])")


@dataclass
class Hit:
    id: str
    url: str
    title: str
    published_at: str | None
    category: str | None
    media: str | None
    snippet: str
    score: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def article_filters(since: str | None, until: str | None, category: str | None, media: str | None,
                    time_column: str = "published_at") -> tuple[list[str], dict[str, Any]]:
    """SQL conditions on `articles a` (and their parameters) shared by search and export.

    `until` is inclusive of its prefix (a date keeps its whole day); `category` matches one
    word of a split category slug too.
    """
    where: list[str] = []
    params: dict[str, Any] = {}
    if since:
        where.append(f"a.{time_column} >= :since")
        params["since"] = since
    if until:
        where.append(f"substr(a.{time_column}, 1, length(:until)) <= :until")
        params["until"] = until
    if category:
        where.append("(a.category = :category or ' ' || a.category || ' ' like '% ' || :category || ' %')")
        params["category"] = category
    if media:
        where.append("a.media = :media")
        params["media"] = media
    return where, params


def check_bound(name: str, value: str | None) -> None:
    """A --since/--until value must be an ISO date or time (ValueError says so otherwise)."""
    if value is None:
        return
    try:
        # The extended form only: bounds are compared with the stored ISO text, so 20211208
        # (which fromisoformat takes) would match nothing.
        if not _ISO_DATE.match(value):
            raise ValueError
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--{name} must be an ISO date or time (2021-12-08, 2021-12-08T10:00), not {value!r}") from None


def looks_like_syntax(query: str) -> bool:
    """Whether a query looks like search syntax (AND/OR/NOT, quotes, *): terms are substrings here."""
    return bool(_SYNTAX.search(query))


def _matches(query: str, where: list[str], prefix: str = "") -> tuple[str | None, str, str]:
    """(the index that answers `query` — None: a scan —, FROM … WHERE … for its matches under
    the filters, the value of the :phrase parameter; parameters named `prefix`phrase and
    `prefix`query)."""
    conditions = "".join(" and " + w for w in where)
    if len(query) >= 3 or short_query(query):
        index = ARTICLES_FTS if len(query) >= 3 else ARTICLES_GRAMS
        value = phrase(query) if index == ARTICLES_GRAMS else '"' + query.replace('"', '""') + '"'
        join = f" join {ARTICLES} a on a.rowid = {index}.rowid" if where else ""
        return index, f"from {index}{join} where {index} match :{prefix}phrase{conditions}", value
    return None, (f"from {ARTICLES} a where (instr(a.title, :{prefix}query) or instr(a.body_text, :{prefix}query))"
                  f"{conditions}"), ""


def contains(query: str, rowid: str = "rowid", prefix: str = "contains_") -> tuple[str, dict[str, str]]:
    """An SQL condition on the articles' `rowid` column, and its parameters: the article's
    title or body text contains `query` — the matches of search() (Datasette's search box
    on the articles table is this)."""
    query = query.strip()
    index, source, value = _matches(query, [], prefix)
    selected = f"{index}.rowid" if index is not None else "a.rowid"
    return f"{rowid} in (select {selected} {source})", {f"{prefix}query": query, f"{prefix}phrase": value}


def count(db: sqlite_utils.Database, query: str, since: str | None = None, until: str | None = None,
          category: str | None = None, media: str | None = None) -> int:
    """How many articles search() would return without a limit."""
    query = query.strip()
    if not query:
        return 0
    where, params = article_filters(since, until, category, media)
    _, source, value = _matches(query, where)
    params.update(query=query, phrase=value)
    return int(db.execute(f"select count(*) {source}", params).fetchone()[0])


def search(
    db: sqlite_utils.Database,
    query: str,
    since: str | None = None,
    until: str | None = None,
    category: str | None = None,
    media: str | None = None,
    limit: int | None = 20,
) -> list[Hit]:
    """Articles whose title or body text contains `query`, best first.

    `since`/`until` compare with published_at (ISO, Beijing time): `until` is inclusive of
    its prefix, so `--until 2021-12-08` keeps that whole day. `category` matches one word of
    a split category slug too.
    """
    query = query.strip()
    if not query:
        return []
    where, params = article_filters(since, until, category, media)
    index, source, value = _matches(query, where)
    params.update(query=query, phrase=value)
    columns = "a.id, a.url, a.title, a.published_at, a.category, a.media, a.body_text"
    if index is not None:
        # Ranked by bm25 among the newest RANK_WINDOW matches (by rowid, i.e. archive order):
        # exact for any term with fewer matches, and a bounded cost for 股 or 公司, whose tens
        # of thousands of matches would each need scoring. Filters apply before the window.
        matches = f"select {index}.rowid as rowid, {index}.rank as rank {source} order by {index}.rowid desc"
        ranked = f"select rowid, rank from ({matches}) order by rank"
        if limit is not None:
            matches += " limit :window"
            ranked = f"select rowid, rank from ({matches}) order by rank limit :limit"
            params["window"] = RANK_WINDOW
        # Only the top rows are joined with their (long) articles.
        sql = f"select {columns}, m.rank as score from ({ranked}) m join {ARTICLES} a on a.rowid = m.rowid order by m.rank"
    else:
        sql = f"select {columns}, 0.0 as score {source} order by a.published_at desc"
    if limit is not None:
        sql += " limit :limit"
        params["limit"] = limit
    return [_hit(row, query) for row in db.execute(sql, params).fetchall()]


def _hit(row: tuple, query: str) -> Hit:
    article_id, url, title, published_at, category, media, body, score = row
    return Hit(article_id, url, title, published_at, category, media, snippet(title, body, query), round(score, 4))


def snippet(title: str | None, body: str | None, query: str) -> str:
    """The query in context ([marked]), from the body if it is there, else the title."""
    for text in (body or "", title or ""):
        at = text.lower().find(query.lower())
        if at >= 0:
            start, end = max(0, at - SNIPPET_CHARS), at + len(query) + SNIPPET_CHARS
            before, found, after = text[start:at], text[at : at + len(query)], text[at + len(query) : end]
            line = f"{'…' if start else ''}{before}[{found}]{after}{'…' if end < len(text) else ''}"
            return " ".join(line.split())
    return ""
