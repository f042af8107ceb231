"""Merging a share answer into an article, never losing what the post page had.

Pure functions over plain dicts (an Article as a dict). `provenance` records where each main
field came from: "post" (the post page), "feed" (the Atom feed's copy of the post), "repo"
(the post's source in the site's repository) or "share" (the share host's answer).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from newscrawl.parsing.urls import is_site_url
from newscrawl.processing.cleaning import SOURCE_LINE

SHARE_FIELDS = ("source_title", "source_published_at", "source_media", "source_body_html", "source_body_text")
MAIN_FIELDS = ("title", "published_at", "media", "body_html", "body_text")
# Share fields that travel together when an earlier answer fills in for a failed one.
_SHARE_GROUPS = (("source_title",), ("source_published_at",), ("source_media",),
                 ("source_body_html", "source_body_text"))


def from_post(record: dict[str, Any]) -> bool:
    """Whether the record was read from a post page; the share spider's carry the share link."""
    return is_site_url(record.get("url") or "")


BEIJING = timezone(timedelta(hours=8))


def merge_share(article: dict[str, Any], share: dict[str, Any] | None) -> dict[str, Any]:
    """The article with the share answer's fields, and its main fields improved by them.

    - `published_at` becomes the source's time: the page's is often 8 hours late.
    - The body is filled from the source only when the post had a lead at most (a digest, a
      title line), and never replaced by a shorter or empty source body; a body that came
      from an earlier answer follows the source.
    - Fields the article lacks (a share-only article) are taken from the source.
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
    if merged.get("source_body_text") and (provenance.get("body_text") == "share" or _only_a_lead(merged)):
        merged["body_html"] = merged["source_body_html"]
        merged["body_text"] = merged["source_body_text"]
        provenance["body_html"] = provenance["body_text"] = "share"
    merged["provenance"] = provenance
    return merged


def _only_a_lead(record: dict[str, Any]) -> bool:
    """Whether the post's body is only a lead that the (longer) source completes.

    Posts with a body carry the source's own text (东财 posts) or its paragraphs (media
    posts), sometimes with the digest prepended in raw Markdown on the share host: those keep
    their body. A lead is an empty body, the digest alone, the title, or — for a media post
    (a NewsShare.html link) — a title line and a digest (and its 文章来源 line).
    """
    source = (record.get("source_body_text") or "").strip()
    post = (record.get("body_text") or "").strip()
    if len(source) <= len(post):
        return False
    if not post or post in {(record.get("digest") or "").strip(), (record.get("title") or "").strip()}:
        return True
    lines = [line for line in post.split("\n") if not SOURCE_LINE.match(line)]
    media_post = "NewsShare.html" in (record.get("share_url") or "")
    return media_post and len(lines) <= 2


def reconcile(incoming: dict[str, Any], stored: dict[str, Any] | None) -> dict[str, Any]:
    """What to archive, given what a crawl produced and what the archive holds.

    A failed or partial share answer does not erase source fields an earlier run got; a
    share-only article (share spider) does not erase what an earlier site crawl read; and a
    publication time is never replaced by a worse one (the share host's, then the repository
    source's, then the page's, 8 hours late for most posts).
    """
    if not stored:
        return incoming
    if not from_post(incoming) and from_post(stored):
        share = _fill(incoming, stored)
        provenance = {**(stored.get("provenance") or {}), "published_at": "post"}
        base = {**stored, "published_at": stored.get("site_published_at"), "provenance": provenance}
        merged = _best_time(merge_share(base, share), stored)
        return merged | {"fetched_at": stored.get("fetched_at") if _same(merged, stored) else incoming.get("fetched_at")}
    share = _fill(incoming, stored)
    if any(share[f] != incoming.get(f) for f in SHARE_FIELDS):
        return _best_time(merge_share(incoming, share), stored)
    return _best_time(incoming, stored)


# How far a publication time can be trusted, by where it came from.
# An inferred time (processing/timeline.py) is the page's or 8 hours earlier, chosen by the
# post's neighbours: better than the page's, not as good as a source's.
_TIME_RANK = {"share": 4, "repo": 3, "inferred": 2, "post": 1, "feed": 1}


def _best_time(record: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    ours = _TIME_RANK.get((record.get("provenance") or {}).get("published_at", "post"), 0)
    known = (stored.get("provenance") or {}).get("published_at", "post")
    if stored.get("published_at") and _TIME_RANK.get(known, 0) > ours:
        return record | {"published_at": stored["published_at"],
                         "provenance": {**(record.get("provenance") or {}), "published_at": known}}
    return record


def _fill(incoming: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    share: dict[str, Any] = {}
    for group in _SHARE_GROUPS:
        source = incoming if incoming.get(group[-1]) else stored
        share.update({f: source.get(f) for f in group})
    return share


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(a.get(k) == b.get(k) for k in a if k != "fetched_at")


def plausible_time(value: Any, earliest: datetime, latest: datetime) -> bool:
    """Whether an ISO time is one news can have (not before `earliest`, not after `latest`);
    text that is no time at all is left to validation (bad_date)."""
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return True
    when = when if when.tzinfo else when.replace(tzinfo=BEIJING)
    return earliest <= when <= latest
