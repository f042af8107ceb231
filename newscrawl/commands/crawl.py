"""`scrapy crawl`, exiting with code 3 when the run failed a quality gate (see crawling/quality.py).

Exit codes: 0 good run, 1 the crawl could not start, 3 a quality gate failed or a possible
gap in the archive was found — the run report (NEWSCRAWL_REPORT) says which and why.
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

QUALITY_FAILED = 3


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one spider")
        assert self.crawler_process is not None
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        elif crawler.stats and (crawler.stats.get_value("newscrawl/quality/failed")
                                or crawler.stats.get_value("newscrawl/quality/gap")):
            self.exitcode = QUALITY_FAILED
