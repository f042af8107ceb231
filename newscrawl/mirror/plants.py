"""Planted deduplication cases in the generated site, and revised articles.

Among plain articles (no planted page, no planted share answer, shape A or B), in order:
an original and its exact copy under another id (same text, own title and media), an
original and a syndicated copy with a small edit (another media adds an attribution prefix,
no new figure), and an article also published under a second category (same id, two URLs).
`revise` rewrites the next `count` articles as a later poll would: a paragraph added.
"""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any

UPDATE = "更新：截至发稿，该公司股价报{price}元，较前一交易日收盘价变动{change}%。"


def _share_html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)


def _plain(articles: list[Any]) -> list[Any]:
    return [a for a in articles if not a.planted and not a.share_case and a.shape in ("A", "B") and not a.gbk]


def plant_duplicates(articles: list[Any], media: tuple[tuple[str, str], ...]) -> tuple[dict[str, Any], list[Any]]:
    """Make the planted cases in place; returns {kind: ids} and the extra (alias) pages."""
    plain = _plain(articles)
    if len(plain) < 5:
        return {}, []
    original, copy, source, syndicated, listed_twice = plain[:5]
    copy.paragraphs = list(original.paragraphs)
    syndicated.paragraphs = [f"据{syndicated.media}报道，{source.paragraphs[0]}", *source.paragraphs[1:]]
    for article in (copy, syndicated):
        article.digest, article.source = None, None
        article.share_html = _share_html(article.paragraphs)
    other_media, other_slug = next((m, s) for m, s in media if " " not in s and s != listed_twice.slug)
    alias = replace(listed_twice, media=other_media, slug=other_slug, shape="B", nav="category", alias_of=listed_twice.id)
    cases = {"same_content": (original.id, copy.id), "near_dup": (source.id, syndicated.id),
             "second_category": (listed_twice.id,)}
    return cases, [alias]


def revise(articles: list[Any], count: int) -> list[str]:
    """Add an update paragraph to `count` plain articles after the planted ones; their ids."""
    revised = _plain(articles)[5 : 5 + count]
    for n, article in enumerate(revised):
        article.paragraphs = [*article.paragraphs, UPDATE.format(price=f"{10 + n * 1.37:.2f}", change=f"{n + 0.5:.1f}")]
        lead = f"> {article.digest}\n\n" if article.digest else ""
        article.share_html = lead + _share_html(article.paragraphs)
    return [a.id for a in revised]
