"""Append each new or changed article to JSONL (settings NEWSCRAWL_JSONL, _GZIP, _DAILY).

UTF-8 without escapes, one article per line, fields in Article order. With an archive, the
lines of a group are written inside the transaction that commits the group's articles, each
file's new size recorded in it (the archive's `jsonl_files`), each group in one write()
(export/jsonl.py):
- a write that fails (a full disk) is cut off again and the group rolled back, and a group
  the archive fails to commit has its lines cut off: no partial line, no line for an article
  the archive lost;
- a run killed between the write and the commit left lines the archive never committed: the
  next run cuts the file back to its recorded size before it appends
  (`newscrawl/jsonl/uncommitted_cut`), so it writes each article once.
Without an archive, lines are written at once. With NEWSCRAWL_JSONL_DAILY, lines go to
`articles-YYYY-MM-DD.jsonl` by fetch day; with NEWSCRAWL_JSONL_GZIP the files are gzip
(`.jsonl.gz`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from newscrawl.archive import Archive, StorageError, write_problem
from newscrawl.crawling import archive_for, storage_failed, storage_kept
from newscrawl.export.jsonl import append, cut_to, line, partition_path, repair, size_of
from newscrawl.items import item_fields

logger = logging.getLogger(__name__)


class AppendJsonlPipeline:
    def __init__(self, path: str, stats: StatsCollector, archive: Archive | None = None,
                 daily: bool = False, compress: bool = False, crawler: Crawler | None = None) -> None:
        self.path = Path(path)
        self.stats = stats
        self.archive = archive
        self.daily = daily
        self.compress = compress
        self.crawler = crawler
        self.lines: dict[Path, list[str]] = {}
        self.checked: set[Path] = set()
        self.written: list[tuple[Path, int, int]] = []  # (file, size before, lines) of the open group
        self.failed = False
        # Whether an article's line waits (its time is inferred at the run's end, timeline.py).
        self.waits: Callable[[str], bool] | None = None
        if archive is not None:
            archive.before_commit.append(self.write)
            archive.on_commit.append(self.committed)
            archive.on_rollback.append(self.rolled_back)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AppendJsonlPipeline:
        s = crawler.settings
        path = s.get("NEWSCRAWL_JSONL")
        if not path:
            raise NotConfigured("NEWSCRAWL_JSONL is empty")
        archive = archive_for(crawler) if s.get("NEWSCRAWL_DB") else None
        return cls(path, crawler.stats, archive, s.getbool("NEWSCRAWL_JSONL_DAILY"), s.getbool("NEWSCRAWL_JSONL_GZIP"),
                   crawler)

    def open_spider(self) -> None:
        """Record the size of the files this run will append to before it appends (committed at
        once): a run killed between its first append and its first commit left lines the next
        run must know to cut, which a file with no recorded size would not tell."""
        if self.archive is None:
            return
        now = datetime.now(UTC)
        days = (now, now + timedelta(days=1)) if self.daily else (now,)
        try:
            for day in days:
                path = partition_path(self.path, day.isoformat(), self.daily, self.compress)
                if self.archive.jsonl_size(path.name) is None:
                    self._check(path)  # what a run before schema 7 left half-written is repaired first
                    self.archive.record_jsonl_size(path.name, size_of(path))
            self.archive.commit()
        except StorageError:
            pass  # said once; the crawl stops
        except OSError as exc:  # a directory where the file should be: the commit would fail too
            if self.crawler is not None:
                self.failed = True
                storage_failed(self.crawler, write_problem(exc, self.path) or str(exc))

    def close_spider(self) -> None:
        self._commit()

    def process_item(self, item: Any) -> Any:
        if self.failed or (self.archive is not None and self.archive.failed is not None):
            return item  # not stored either; the crawl is stopping
        record = item_fields(item)
        if self.waits is not None and self.waits(record["id"]):
            return item
        self.add(record)
        # Written with its group's commit; now, in a commit of its own, when the article's
        # group was committed already (a timer commit may come between store and here).
        if self.archive is None or record.get("id") not in self.archive.pending_ids:
            self._commit()
        return item

    def add(self, record: dict[str, Any]) -> None:
        """The record's line, written with the next commit."""
        path = partition_path(self.path, record.get("fetched_at"), self.daily, self.compress)
        self.lines.setdefault(path, []).append(line(record))

    def _commit(self) -> None:
        if self.archive is not None:
            with storage_kept():  # a failure stops the crawl through the archive
                self.archive.commit()  # which writes the lines first
            return
        try:
            self.write()
        except OSError as exc:
            problem = write_problem(exc, self.path)
            self.rolled_back()
            self.failed = True
            if self.crawler is not None:
                storage_failed(self.crawler, problem)
            return
        self.committed()

    def write(self) -> None:
        """Append the lines of the group: inside the archive's transaction, when there is one."""
        for path, lines in self.lines.items():
            if path not in self.checked:
                self._check(path)
            before = size_of(path)
            self.written.append((path, before, len(lines)))
            append(path, lines)
            if self.archive is not None:
                self.archive.record_jsonl_size(path.name, size_of(path))
        self.lines.clear()

    def committed(self) -> None:
        for _, _, count in self.written:
            self.stats.inc_value("newscrawl/jsonl/written", count)
        self.written.clear()

    def rolled_back(self) -> None:
        """The group is lost: so are its lines (cut off; a full disk takes the cut, it frees)."""
        for path, before, _ in reversed(self.written):
            cut_to(path, before)
        self.written.clear()
        self.lines.clear()

    def _check(self, path: Path) -> None:
        """Before the first append to a file: cut what a killed run left beyond its last commit."""
        self.checked.add(path)
        recorded = self.archive.jsonl_size(path.name) if self.archive is not None else None
        if recorded is not None and size_of(path) > recorded and cut_to(path, recorded, at_line=True):
            self.stats.inc_value("newscrawl/jsonl/uncommitted_cut")
            logger.warning("%s held lines of articles the archive never committed (a run killed before "
                           "its commit): cut back to its last committed size, %d bytes", path, recorded)
            return
        if cut := repair(path):
            self.stats.inc_value("newscrawl/jsonl/repaired_bytes", cut)
