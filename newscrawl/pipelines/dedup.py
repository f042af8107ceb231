"""Decide what an article is against the archive: new, the same again, revised, or a copy.

- same_id: the archive holds this id with the same content (or the same article under
  another category's URL) → dropped; an unchanged re-crawl writes nothing.
- revised: the id's content changed → passed on; the store keeps the earlier version.
- same_url: another id is archived under the same canonical URL → dropped.
- same_content: another id has the same normalized text → kept, `duplicate_of` that id,
  same cluster.
- near_dup: a syndicated copy or small edit of an archived story (processing.similarity.same_story) →
  kept, same cluster. Never deleted: it is data.
The archive is the memory across runs and within one: nothing here grows with it.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from newscrawl.archive import Archive, unchanged, url_key
from newscrawl.crawling import archive_for
from newscrawl.items import item_fields, update_item
from newscrawl.processing.cleaning import clean_body
from newscrawl.processing.merge import from_post, reconcile
from newscrawl.processing.similarity import (
    DEFAULTS,
    DedupSettings,
    Text,
    content_key,
    index_keys,
    normalize,
    same_story,
)


class DedupArticlePipeline:
    def __init__(self, archive: Archive, stats: Any, settings: DedupSettings = DEFAULTS) -> None:
        self.archive = archive
        self.stats = stats
        self.settings = settings

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupArticlePipeline:
        s = crawler.settings
        settings = DedupSettings(
            threshold=s.getfloat("NEWSCRAWL_NEAR_DUP_THRESHOLD", DedupSettings.threshold),
            containment=s.getfloat("NEWSCRAWL_NEAR_DUP_CONTAINMENT", DedupSettings.containment),
        )
        return cls(archive_for(crawler), crawler.stats, settings)

    def process_item(self, item: Any) -> Any:
        original = item_fields(item)
        stored = self.archive.get(original["id"])
        record = reconcile(dict(original), stored)
        if record.get("body_html") != original.get("body_html"):
            # Reconciling took the body from the share answer, which is kept as answered.
            record["body_html"], record["body_text"] = clean_body(record["body_html"], record.get("url") or "")
        norm = normalize(record.get("body_text") or record.get("title"))
        record["content_hash"] = content_key(norm)
        if stored is not None:
            self._known(record, stored, norm)
        else:
            self._new(record, norm)
        update_item(item, {name: value for name, value in record.items() if value is not original.get(name)})
        return item

    def _known(self, record: dict[str, Any], stored: dict[str, Any], norm: str) -> None:
        record["cluster_id"] = stored.get("cluster_id") or record["id"]
        record["duplicate_of"] = stored.get("duplicate_of")
        # The same id under another post URL is the same article listed under another
        # category. (A share-only article read from its post page is an update, though.)
        moved = from_post(stored) and url_key(record.get("url")) != url_key(stored.get("url"))
        if unchanged(record, stored) or moved:
            self._drop("same_id", record)
        self.stats.inc_value("newscrawl/dedup/revised")
        if record["content_hash"] != stored.get("content_hash"):
            # A new text may be another story: it is placed again, like a new article's.
            self._place(record, norm)

    def _new(self, record: dict[str, Any], norm: str) -> None:
        if self.archive.id_with_url(record["url"], other_than=record["id"]):
            self._drop("same_url", record)
        self._place(record, norm)

    def _place(self, record: dict[str, Any], norm: str) -> None:
        """Set cluster_id and duplicate_of: a copy, a near-duplicate, or a story of its own."""
        record["cluster_id"], record["duplicate_of"] = record["id"], None
        if not record.get("body_text"):
            # Without a body the hash is the title's: two posts that share a title (a daily
            # 北向资金 line, a body the page lost) are not one text.
            self.stats.inc_value("newscrawl/dedup/unique")
            return
        copy = self.archive.with_content(record["content_hash"], other_than=record["id"]) if norm else None
        if copy is not None:
            record["duplicate_of"] = copy["duplicate_of"] or copy["id"]
            record["cluster_id"] = copy["cluster_id"] or copy["id"]
            self.stats.inc_value("newscrawl/dedup/same_content")
            return
        candidates = self.archive.near_candidates(index_keys(norm), other_than=record["id"])
        best, best_score = None, 0.0
        text = Text.of(norm) if candidates else None  # most articles have no candidate at all
        for candidate in candidates:
            score = same_story(text, normalize(candidate["body_text"] or candidate["title"]), self.settings)
            if score > best_score:
                best, best_score = candidate, score
        if best is not None:
            record["cluster_id"] = best["cluster_id"] or best["id"]
            self.stats.inc_value("newscrawl/dedup/near_dup")
        else:
            self.stats.inc_value("newscrawl/dedup/unique")

    def _drop(self, reason: str, record: dict[str, Any]) -> None:
        self.stats.inc_value(f"newscrawl/dedup/{reason}")
        raise DropItem(f"{reason}: {record.get('url')}", log_level="DEBUG")
