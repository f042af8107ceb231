"""A basic clean: trimmed, whitespace-normalized titles and tags, no empty strings."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from newscrawl.parsing.text import normalize_space

_OPTIONAL_TEXT = ("digest", "body_html", "body_text", "source", "share_url", "share_id", "category", "media")


class CleanArticlePipeline:
    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        adapter["title"] = normalize_space(adapter["title"])
        adapter["tags"] = [normalize_space(t) for t in adapter.get("tags") or [] if normalize_space(t)]
        for name in _OPTIONAL_TEXT:
            value = adapter.get(name)
            # Category and media slugs keep inner double spaces: they are the generator's own.
            if isinstance(value, str):
                adapter[name] = value.strip() or None
        return item
