"""Tokens for the short-query full-text index: every 1- and 2-character gram of a text.

A trigram index finds any 3+ character substring but no shorter one (茅台, 央行, 金), and
Chinese has no spaces for a word tokenizer to use. So each run of letters and digits is also
indexed as its single characters and adjacent pairs, spaced out for FTS5's unicode61
tokenizer: "贵州茅台" → "贵 州 茅 台 贵州 州茅 茅台". A 1- or 2-character query is then one
token, matched exactly. Punctuation and spaces end a run, as they end unicode61's tokens.
"""

from __future__ import annotations

import re

# unicode61's token characters are letters and numbers; \w adds only "_", which it splits on.
_RUN = re.compile(r"[^\W_]+")


def grams(*texts: str | None) -> str:
    """The 1- and 2-grams of the texts' letter/digit runs, space-separated."""
    out: list[str] = []
    for text in texts:
        for run in _RUN.findall(text or ""):
            out.extend(run)
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return " ".join(out)


def short_query(query: str) -> bool:
    """Whether the grams index answers `query` (1–2 letters/digits) rather than trigrams."""
    return 0 < len(query) < 3 and bool(_RUN.fullmatch(query))
