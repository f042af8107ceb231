"""Merging a share answer into an article, never losing what the post page had.

Pure functions over plain dicts (an Article as a dict). `provenance` records where each main
field came from: "post" (the post page) or "share" (the share host's answer).
"""

from __future__ import annotations

from typing import Any

SHARE_FIELDS = ("source_title", "source_published_at", "source_media", "source_body_html", "source_body_text")
MAIN_FIELDS = ("title", "published_at", "media", "body_html", "body_text")


def has_share(record: dict[str, Any]) -> bool:
    return any(record.get(f) for f in SHARE_FIELDS)


def from_post(record: dict[str, Any]) -> bool:
    """Whether the record was read from a post page (the share spider's are not)."""
    return bool(record.get("site_published_at"))


def merge_share(article: dict[str, Any], share: dict[str, Any] | None) -> dict[str, Any]:
    """The article with the share answer's fields, and its main fields improved by them.

    - `published_at` becomes the source's time: the page's is often 8 hours late.
    - The body is filled from the source only when the post had a digest or a title line
      at most, and never replaced by a shorter or empty source body.
    - Fields the post page lacks (a share-only article) are taken from the source.
    """
    merged = dict(article)
    known = article.get("provenance") or {}
    provenance = {f: known.get(f, "post") for f in MAIN_FIELDS if merged.get(f)}
    for field in SHARE_FIELDS:
        merged[field] = (share or {}).get(field)
    if merged.get("source_published_at"):
        merged["published_at"] = merged["source_published_at"]
        provenance["published_at"] = "share"
    for field, source in (("title", "source_title"), ("media", "source_media")):
        if not merged.get(field) and merged.get(source):
            merged[field] = merged[source]
            provenance[field] = "share"
    if _source_body_is_better(merged):
        merged["body_html"] = merged["source_body_html"]
        merged["body_text"] = merged["source_body_text"]
        provenance["body_html"] = provenance["body_text"] = "share"
    merged["provenance"] = provenance
    return merged


def _source_body_is_better(record: dict[str, Any]) -> bool:
    """Whether the post had only a lead (a digest or a title line) that the source completes.

    Posts with a body carry the source's own text (东财 posts) or its paragraphs (media
    posts), sometimes with the digest prepended in raw Markdown on the share host: those keep
    their body. A longer source replaces only an empty body, the digest alone, the title,
    or the title line + digest of a digest-only media post (a NewsShare.html link).
    """
    source = (record.get("source_body_text") or "").strip()
    post = (record.get("body_text") or "").strip()
    if not source or len(source) <= len(post):
        return False
    leads = {(record.get("digest") or "").strip(), (record.get("title") or "").strip()}
    digest_only_media = "NewsShare.html" in (record.get("share_url") or "") and post.count("\n") <= 1
    return not post or post in leads or digest_only_media


def reconcile(incoming: dict[str, Any], stored: dict[str, Any] | None) -> dict[str, Any]:
    """What to archive, given what a crawl produced and what the archive holds.

    A failed share fetch does not erase source fields an earlier run got; a share-only
    article (share spider) does not erase what an earlier site crawl read from the post.
    """
    if not stored:
        return incoming
    if not from_post(incoming) and from_post(stored):
        share = {f: incoming.get(f) or stored.get(f) for f in SHARE_FIELDS}
        provenance = {**(stored.get("provenance") or {}), "published_at": "post"}
        base = {**stored, "published_at": stored.get("site_published_at"), "provenance": provenance}
        return merge_share(base, share) | {"fetched_at": incoming.get("fetched_at")}
    if has_share(stored) and not all(incoming.get(f) for f in ("source_title", "source_body_text")):
        share = {f: incoming.get(f) or stored.get(f) for f in SHARE_FIELDS}
        return merge_share(incoming, share)
    return incoming

