"""Place each new or changed article in its story: one event, however many write-ups.

After dedup (its cluster is known: a story holds whole clusters) and before the store, which
indexes it. An article the archive holds with the same title, text and time keeps its story;
any other is placed again (archive/storyindex.py `place`). Counted by how it was placed:
newscrawl/story/cluster (its cluster's story), event (another write-up's), alone (its own).
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from newscrawl.archive import Archive
from newscrawl.crawling import archive_for
from newscrawl.items import item_fields, update_item

_PLACED_BY = ("title", "body_text", "source_body_text", "published_at", "site_published_at", "cluster_id")


class StoryPipeline:
    def __init__(self, archive: Archive, stats: Any) -> None:
        self.archive = archive
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoryPipeline:
        return cls(archive_for(crawler), crawler.stats)

    def process_item(self, item: Any) -> Any:
        record = item_fields(item)
        stored = self.archive.get(record["id"])
        if stored is not None and stored.get("story_id") and all(record.get(n) == stored.get(n) for n in _PLACED_BY):
            story, how = stored["story_id"], "kept"
        else:
            story, how = self.archive.stories.place(record)
        self.stats.inc_value(f"newscrawl/story/{how}")
        update_item(item, {"story_id": story})
        return item
