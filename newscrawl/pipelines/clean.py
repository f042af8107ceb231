"""Clean articles: sanitized body HTML (cleaning.py), its text, normalized title and tags."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from newscrawl.cleaning import clean_body, clean_title
from newscrawl.parsing.text import normalize_space

_OPTIONAL_TEXT = ("digest", "source", "share_url", "share_id", "category", "media", "source_title", "source_media")


class CleanArticlePipeline:
    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        adapter["title"] = clean_title(adapter.get("title"))
        adapter["tags"] = [normalize_space(t) for t in adapter.get("tags") or [] if normalize_space(t)]
        if adapter.get("body_html"):
            adapter["body_html"], adapter["body_text"] = clean_body(adapter["body_html"], adapter.get("url") or "")
        # The source's HTML stays as the share host answered it (a record of the source);
        # its text is read from the cleaned HTML, like the body's.
        if adapter.get("source_body_html"):
            adapter["source_body_text"] = clean_body(adapter["source_body_html"], adapter.get("share_url") or "")[1]
        for name in _OPTIONAL_TEXT:
            value = adapter.get(name)
            # Category and media slugs keep inner double spaces: they are the generator's own.
            if isinstance(value, str):
                adapter[name] = value.strip() or None
        return item
