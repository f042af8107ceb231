"""Clean articles: sanitized body HTML (processing/cleaning.py), its text, normalized title and tags."""

from __future__ import annotations

from typing import Any

from newscrawl.items import item_fields, update_item
from newscrawl.parsing.text import normalize_space
from newscrawl.processing.cleaning import clean_body, clean_title

_OPTIONAL_TEXT = ("digest", "source", "share_url", "share_id", "category", "media", "source_title", "source_media")


class CleanArticlePipeline:
    def process_item(self, item: Any) -> Any:
        record = item_fields(item)
        changes: dict[str, Any] = {
            "title": clean_title(record.get("title")),
            "tags": [normalize_space(t) for t in record.get("tags") or [] if normalize_space(t)],
        }
        if record.get("body_html"):
            changes["body_html"], changes["body_text"] = clean_body(record["body_html"], record.get("url") or "")
        # The source's HTML is sanitized like the body's before it is stored or served (the
        # share host's answer as it came is in the raw captures).
        if record.get("source_body_html"):
            changes["source_body_html"], changes["source_body_text"] = clean_body(
                record["source_body_html"], record.get("share_url") or "")
        for name in _OPTIONAL_TEXT:
            value = record.get(name)
            # Category and media slugs keep inner double spaces: they are the generator's own.
            if isinstance(value, str):
                changes[name] = value.strip() or None
        update_item(item, changes)
        return item
