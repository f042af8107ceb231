"""Spiders: navigation only. Parsing lives in newscrawl.parsing."""

from __future__ import annotations

from pathlib import Path


def read_url_args(value: str | None) -> list[str]:
    """URLs from a spider argument: a file with one per line, or a whitespace-separated list.

    Commas cannot separate URLs: Eastmoney article links contain them (…/news/1344,ID.html).
    """
    if not value:
        return []
    path = Path(value)
    text = path.read_text(encoding="utf-8") if path.is_file() else value
    return [u.strip() for u in text.split() if u.strip() and not u.startswith("#")]
