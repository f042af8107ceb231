"""Spiders: navigation only. Parsing lives in newscrawl.parsing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawl.parsing.urls import classify_url

# Set on a request answered from the archive's captures (`scrapy reparse`): when the capture
# was fetched, which is when the article was fetched.
CAPTURED_AT = "newscrawl_captured_at"
# What a request is for, said once by the spider that builds it: a site page kind (home,
# feed, category, post) or "share" (a share answer). Components read it here.
KIND = "newscrawl_kind"
SHARE = "share"


_KIND_OF = "newscrawl_kind_of"  # the URL a kind was found from, when not the spider's


def kind_of(request: Any) -> str:
    """The kind a request was built for. A request no spider marked (robots.txt, another
    spider's), or one a redirect sent elsewhere (its meta travels with it), is classified by
    its URL, once per URL, and marked."""
    kind = request.meta.get(KIND)
    moved = "redirect_urls" in request.meta and request.meta.get(_KIND_OF) != request.url
    if kind is None or moved:
        kind = request.meta[KIND] = classify_url(request.url).value
        request.meta[_KIND_OF] = request.url
    return kind


def fetched_at(response: Any = None) -> str:
    """When `response` was fetched: its capture's time when replayed, else now (UTC)."""
    meta = getattr(getattr(response, "request", None), "meta", None) or {}
    return meta.get(CAPTURED_AT) or datetime.now(UTC).isoformat(timespec="seconds")


def read_url_args(value: str | None) -> list[str]:
    """URLs from a spider argument: a file with one per line (# starts a comment line), or a
    whitespace-separated list.

    Commas cannot separate URLs: Eastmoney article links contain them (…/news/1344,ID.html).
    """
    if not value:
        return []
    path = Path(value)
    text = path.read_text(encoding="utf-8") if path.is_file() else value
    lines = (line.split("#", 1)[0] if line.lstrip().startswith("#") else line for line in text.splitlines())
    return [url for line in lines for url in line.split()]
