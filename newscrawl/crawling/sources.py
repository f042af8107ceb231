"""Keep which repository sources a backfill read (the `history` spider), so none is read twice.

A source that gave no article is recorded at once, with its reason. One that gave an article
is recorded when that article has been through the pipelines — stored, or dropped as
unchanged or invalid — in the same transaction as the article, so a killed run that lost the
article has not marked its source read. An article whose pipeline failed leaves its source
unread, for the next run.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from newscrawl.archive import Archive
from newscrawl.crawling import archive_for
from newscrawl.spiders.history import source_read


class RepoSourcesExtension:
    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        # Sources whose article is still on its way (its share answer, the pipelines), by id.
        self.pending: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RepoSourcesExtension:
        if not crawler.settings.get("NEWSCRAWL_DB"):
            raise NotConfigured("NEWSCRAWL_DB is empty")
        extension = cls(archive_for(crawler))
        crawler.signals.connect(extension.source_read, signal=source_read)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(extension.item_error, signal=signals.item_error)
        return extension

    def source_read(self, sha: str, path: str, article_id: str | None, reason: str) -> None:
        if reason == "ok" and article_id:
            self.pending[article_id].append((sha, path))
        else:
            self.archive.record_source(sha, path, None, reason, _now())

    def item_scraped(self, item: Any) -> None:
        self._done(item, "archived")

    def item_dropped(self, item: Any, exception: DropItem) -> None:
        # "same_id: …" — the archive had it already; any other reason is why it was not kept.
        reason = str(exception).split(":", 1)[0].strip() or "dropped"
        self._done(item, "unchanged" if reason == "same_id" else reason)

    def item_error(self, item: Any) -> None:
        self._take(item)

    def _done(self, item: Any, outcome: str) -> None:
        article_id, source = self._take(item)
        if source is not None:
            self.archive.record_source(source[0], source[1], article_id, outcome, _now())

    def _take(self, item: Any) -> tuple[str | None, tuple[str, str] | None]:
        article_id = getattr(item, "id", None) or (item.get("id") if isinstance(item, dict) else None)
        waiting = self.pending.get(article_id) if article_id else None
        if not waiting:
            return article_id, None
        source = waiting.pop(0)
        if not waiting:
            del self.pending[article_id]
        return article_id, source


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
