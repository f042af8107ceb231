"""The archive's two full-text indexes, and the tokens of the short-query one.

articles_fts (FTS5 trigram, external content = articles) answers 3+ character queries;
articles_grams (contentless FTS5) answers 1–2 character ones from the grams below. Both are
written by TextIndex when the archive commits a group of articles — not per article by
triggers: FTS5 flushes its pending terms at every savepoint release, and the archive
releases one per article, which made indexing cost more than everything else put together.

Short-query tokens. A trigram index finds any 3+ character substring but no shorter one
(茅台, 央行, 金), and Chinese has no spaces for a word tokenizer to use. So each run of letters
and digits is indexed spaced into single characters for FTS5's unicode61 tokenizer —
"贵州茅台" → "贵 州 茅 台" — and a 1- or 2-character query is a phrase of one or two tokens
("茅 台"), matched exactly. Punctuation and spaces end a run, and a separator token keeps runs
(and title and body) apart, so no phrase spans them.
"""

from __future__ import annotations

import re
import sqlite3

Text = tuple[str | None, str | None]  # (title, body_text)

# unicode61's token characters are letters and numbers; \w adds only "_", which it splits on.
_RUN = re.compile(r"[^\W_]+")
# A token of three letters: a 1-2 character query (one or two single-character tokens) never
# matches it, and it stands between runs so that they are never adjacent.
_SEPARATOR = "qqq"


def grams(*texts: str | None) -> str:
    """The texts' letter/digit runs with a space after every character: unicode61 then makes
    each character a token, and a 2-character query is a phrase of two adjacent tokens. Runs
    (and the title and body) are kept apart by a separator token no query can match, so 海银
    does not match 上海 in a title and 银行 at the start of the body. One C-level join per run
    instead of building every pair in Python."""
    return f" {_SEPARATOR} ".join(" ".join(run) for text in texts if text for run in _RUN.findall(text))


def phrase(query: str) -> str:
    """The grams-index MATCH expression for a short query."""
    return '"' + " ".join(query) + '"'


def short_query(query: str) -> bool:
    """Whether the grams index answers `query` (1–2 letters/digits) rather than trigrams."""
    return 0 < len(query) < 3 and bool(_RUN.fullmatch(query))


class TextIndex:
    """Changes to articles' title/body_text, applied to both indexes in one go before a commit."""

    def __init__(self, fts_table: str, grams_table: str) -> None:
        self.fts, self.grams = fts_table, grams_table
        self.pending: dict[int, tuple[Text | None, Text]] = {}  # rowid -> (indexed text, new text)

    def changed(self, rowid: int, old: Text | None, new: Text) -> None:
        """Article `rowid` now has `new`; `old` is what the indexes hold for it (None: nothing)."""
        indexed = self.pending[rowid][0] if rowid in self.pending else old
        self.pending[rowid] = (indexed, new)

    def flush(self, conn: sqlite3.Connection) -> None:
        """Write the pending changes (inside the transaction about to be committed)."""
        if not self.pending:
            return
        # External-content and contentless FTS5 tables forget a row by being told its indexed text.
        old = [(rowid, *text) for rowid, (text, _) in self.pending.items() if text is not None]
        conn.executemany(f"insert into {self.fts} ({self.fts}, rowid, title, body_text) values ('delete', ?, ?, ?)", old)
        conn.executemany(f"insert into {self.grams} ({self.grams}, rowid, grams) values ('delete', ?, ?)",
                         [(rowid, grams(title, body)) for rowid, title, body in old])
        new = [(rowid, *text) for rowid, (_, text) in self.pending.items()]
        conn.executemany(f"insert into {self.fts} (rowid, title, body_text) values (?, ?, ?)", new)
        conn.executemany(f"insert into {self.grams} (rowid, grams) values (?, ?)",
                         [(rowid, grams(title, body)) for rowid, title, body in new])
        self.pending.clear()
