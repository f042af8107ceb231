"""`scrapy crawl`, exiting with code 3 when the run failed a quality gate (see crawling/quality.py).

Exit codes: 0 good run, 1 the crawl could not start, 3 a quality gate failed or a possible
gap in the archive was found — the run report (NEWSCRAWL_REPORT) says which and why.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from newscrawl.archive import Archive, ArchiveError

QUALITY_FAILED = 3


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one spider")
        assert self.crawler_process is not None and self.settings is not None
        if self.settings.get("NEWSCRAWL_DB"):
            try:  # another program's SQLite file is refused before anything is crawled
                Archive(self.settings["NEWSCRAWL_DB"]).close()
            except ArchiveError as exc:
                print(f"crawl failed: {exc}", file=sys.stderr)
                self.exitcode = 1
                return
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        elif crawler.stats and (crawler.stats.get_value("newscrawl/quality/failed")
                                or crawler.stats.get_value("newscrawl/quality/gap")):
            self.exitcode = QUALITY_FAILED
