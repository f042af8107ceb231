"""Judge the crawl when it ends — finish reason, summary, quality gates, a possible gap in the
archive, all stats — and write it to a JSON file (NEWSCRAWL_REPORT; empty: not written).

The demo, the tests and cron wrappers read it instead of scraping the log. A failed gate is
also counted (`newscrawl/quality/failed`), which makes `scrapy crawl` exit with code 3.
"""

from __future__ import annotations

import contextlib
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from newscrawl.archive import Archive, write_problem
from newscrawl.crawling import PROBLEM_STAT, archive_for
from newscrawl.crawling.quality import Gates, failed_gates, gap, summary
from newscrawl.distributed import worker_mode

logger = logging.getLogger(__name__)
DEFAULT_GATES = Gates()


class RunReportExtension:
    def __init__(self, path: str | None, stats: StatsCollector, gates: Gates = DEFAULT_GATES,
                 retention: timedelta = timedelta(days=3), archive: Archive | None = None, replay: bool = False) -> None:
        self.path = Path(path) if path else None
        self.report: dict[str, Any] | None = None  # when the spider has closed
        self.stats = stats
        self.gates = gates
        self.retention = retention
        self.archive = archive
        self.replay = replay  # a replay of the captures says nothing of how recent the archive is

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReportExtension:
        s = crawler.settings
        path = s.get("NEWSCRAWL_REPORT")  # empty: judged, summarized, not written
        gates = Gates(s.getint("NEWSCRAWL_GATE_MIN_NEW", Gates.min_new),
                      s.getfloat("NEWSCRAWL_GATE_MAX_ERROR_RATE", Gates.max_error_rate),
                      s.getfloat("NEWSCRAWL_GATE_MAX_SHARE_FAILURE_RATE", Gates.max_share_failure_rate))
        # A worker judges its own requests; the archiver judges the run (and its gap).
        archive = archive_for(crawler) if s.get("NEWSCRAWL_DB") and not worker_mode(s) else None
        ext = cls(path, crawler.stats, gates, timedelta(days=s.getfloat("NEWSCRAWL_RETENTION_DAYS", 3)), archive,
                  s.getbool("NEWSCRAWL_REPLAY"))
        # Connected after CoreStats (an earlier extension), so finish_time and finish_reason
        # are in the stats by the time this handler runs.
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = {k: _plain(v) for k, v in sorted(self.stats.get_stats().items())}
        failures = failed_gates(stats, self.gates)
        if reason != "finished":
            failures.append(f"the crawl ended as {reason!r}")
        possible_gap = None if self.replay else gap(datetime.now(UTC), stats, self._previous_good_run(), self.retention)
        for failure in failures:
            logger.error("Quality gate failed: %s", failure)
        if failures:
            self.stats.set_value("newscrawl/quality/failed", len(failures))
        if possible_gap:
            logger.error("Possible gap in the archive (%s): %s to %s", possible_gap["reason"], possible_gap["from"],
                         possible_gap["to"])
            self.stats.set_value("newscrawl/quality/gap", 1)
        report = {
            "spider": spider.name,
            "finish_reason": reason,
            "ok": not failures and not possible_gap,
            "summary": summary(stats),
            "failed_gates": failures,
            "gap": possible_gap,
            "stats": {k: _plain(v) for k, v in sorted(self.stats.get_stats().items())},
        }
        self.report = report
        if self.path is None:
            return
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
            tmp.replace(self.path)
        except OSError as exc:  # a full disk: the run is said in the log and the summary still
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            # After a storage failure (said once already) this is its consequence, not news.
            level = logging.INFO if self.stats.get_value(PROBLEM_STAT) else logging.ERROR
            logger.log(level, "Run report not written: %s", write_problem(exc, self.path) or exc)

    def _previous_good_run(self) -> dict[str, Any] | None:
        """The last crawl that finished with no failed gate (this one is still `running`)."""
        if self.archive is None:
            return None
        return self.archive.previous_good_run()


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
