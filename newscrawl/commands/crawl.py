"""`scrapy crawl`: Scrapy's, checking its arguments first and ending with what the run did.

    scrapy crawl finews [-a refresh=all|ID,…|FILE] [-a start_url=URL] [-a urls=FILE] [-s NAME=VALUE]

At the end it prints the run in words (new, revised, drops by reason, share failures, failed
requests, gates and gap) and where it wrote (archive, JSONL, report), as the demo does.

Exit codes: 0 a good run; 1 the crawl could not start or did not run (another program's
file as the archive, a Ctrl-C before the first page); 2 a mistake on the command line (an
unknown spider, a bad -a refresh=…); 3 a quality gate failed or a possible gap in the
archive was found — the summary and the run report (NEWSCRAWL_REPORT) say which and why;
4 the archive, the JSONL or the request queue's temporary files could not be written (a full
disk, a read-only file): the crawl stopped, nothing it had not committed is kept, and a rerun
once there is room fetches it.
A read-only or full archive found before the crawl starts is 1, with the reason.

With -s NEWSCRAWL_REDIS_URL=redis://… the crawl is a worker of a distributed run: it shares
the run's queue with the other workers, hands what it fetched to `scrapy archiver` through
Redis, and writes no archive nor JSONL (NEWSCRAWL_DB may name another machine's file). No
Redis there is exit code 1.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from newscrawl.archive import Archive, ArchiveError, ArchiveReader, integrity_problems, storage_problem
from newscrawl.crawling import PROBLEM_STAT, story_window
from newscrawl.crawling.incremental import refresh_ids
from newscrawl.crawling.quality import summary_lines, where_lines
from newscrawl.crawling.report import RunReportExtension
from newscrawl.distributed import unreachable, worker_mode
from newscrawl.export.jsonl import partition_path
from newscrawl.processing.stories import WINDOW

DID_NOT_RUN = 1
QUALITY_FAILED = 3
STORAGE_FAILED = 4


class Command(ScrapyCrawlCommand):
    def short_desc(self) -> str:
        return "Run a spider (finews: the site; share: share links alone) and say what the run did"

    def long_desc(self) -> str:
        return (__doc__ or "").strip()

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give the one spider to run (scrapy list names them)")
        assert self.crawler_process is not None and self.settings is not None
        check_spider(args[0], self.crawler_process.spider_loader.list())
        check_arguments(opts.spargs, self.crawler_process.spider_loader.load(args[0]))
        db = self.settings.get("NEWSCRAWL_DB")
        worker = worker_mode(self.settings)
        if worker:  # it writes no archive nor JSONL (NEWSCRAWL_DB may be another machine's path)
            db = None
            if problem := unreachable(self.settings["NEWSCRAWL_REDIS_URL"]):
                print(f"crawl failed: {problem}", file=sys.stderr)
                self.exitcode = DID_NOT_RUN
                return
        if db and (problem := archive_problem(db, story_window(self.settings))):
            print(f"crawl failed: {problem}", file=sys.stderr)
            self.exitcode = DID_NOT_RUN
            return
        jsonl_problem = None if worker else unwritable(self.settings.get("NEWSCRAWL_JSONL"))
        if jsonl_problem:
            print(f"crawl failed: {jsonl_problem}", file=sys.stderr)
            self.exitcode = DID_NOT_RUN
            return
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = DID_NOT_RUN
            return
        extension = crawler.get_extension(RunReportExtension)
        report = extension.report if extension is not None else None
        if report is None:
            # Stopped (Ctrl-C) before the engine ran: the spider never opened nor closed.
            print("crawl did not run: it was stopped before it started", file=sys.stderr)
            self.exitcode = DID_NOT_RUN
            return
        articles = stories = None
        if db:
            try:
                reader = ArchiveReader.open(db)
                articles, stories = reader.count(), reader.cluster_count()
                reader.close()
            except (ArchiveError, sqlite3.Error):
                pass  # the summary goes without the archive's totals
        s = self.settings
        jsonl = None if worker else s.get("NEWSCRAWL_JSONL")
        if jsonl:  # the file name, or its pattern with daily files
            jsonl = str(partition_path(Path(jsonl), "YYYY-MM-DD", s.getbool("NEWSCRAWL_JSONL_DAILY"),
                                       s.getbool("NEWSCRAWL_JSONL_GZIP")))
        lines = summary_lines(report, articles, stories)
        if worker:  # its articles are the archiver's to count: what it handed over instead
            handed = {k.rsplit("/", 1)[-1]: v for k, v in report["stats"].items() if k.startswith("newscrawl/worker/handed/")}
            lines[1] = "  handed to the archiver: " + (", ".join(f"{v:,} {k}" for k, v in sorted(handed.items())) or "nothing")
        print("\n".join([*lines,
                         *where_lines({"Archive (SQLite)": db, "JSONL": jsonl, "Run report": s.get("NEWSCRAWL_REPORT"),
                                       **({"Handed to (Redis)": s.get("NEWSCRAWL_REDIS_URL")} if worker else {})})]))
        problem = crawler.stats.get_value(PROBLEM_STAT) if crawler.stats else None
        if problem:
            print(f"crawl failed: {problem}: the crawl stopped, what it had not committed is not kept; "
                  "make room (or make it writable) and run it again", file=sys.stderr)
            self.exitcode = STORAGE_FAILED
        elif crawler.stats and (crawler.stats.get_value("newscrawl/quality/failed")
                              or crawler.stats.get_value("newscrawl/quality/gap")):
            self.exitcode = QUALITY_FAILED


def archive_problem(db: str, window: timedelta = WINDOW) -> str | None:
    """Why the archive at `db` cannot be crawled into, in one line, or None: another program's
    SQLite file, a damaged one, a read-only or full one — refused before anything is crawled."""
    try:
        problems = integrity_problems(db)
        if problems:
            return (f"the archive at {db} failed its integrity check ({problems[0]}): restore it from a backup, "
                    f"or recover it with `sqlite3 {db} .recover`")
        archive = Archive(db, story_window=window)
        try:
            archive.check_writable()
        finally:
            archive.close()
    except ArchiveError as exc:
        return str(exc)
    except (sqlite3.Error, OSError) as exc:
        problem = None if Path(db).is_dir() else storage_problem(exc, db)
        return problem or f"cannot open the archive at {db}: {exc}"
    return None


def unwritable(path: str | None) -> str | None:
    """Why a file cannot be written or made at `path` (a read-only filesystem or directory), or
    None: checked by writing, as the crawl would (a file made to check is removed)."""
    if not path:
        return None
    target = Path(path)
    if target.is_dir():
        return f"cannot write {target}: it is a directory"
    probe = target if target.exists() else next((p for p in target.parents if p.exists()), Path("."))
    if probe != target and not probe.is_dir():
        return f"cannot write {target}: {probe} is not a directory"
    try:
        if probe.is_file():
            os.close(os.open(probe, os.O_WRONLY | os.O_APPEND))
        else:
            tempfile.TemporaryFile(dir=probe).close()
    except OSError as exc:
        return storage_problem(OSError(exc.errno, exc.strerror, str(target)), target) or f"cannot write {target}: {exc}"
    return None


def check_spider(name: str, spiders: list[str]) -> None:
    if name not in spiders:
        raise UsageError(f"no spider named {name!r}; the spiders are: {', '.join(sorted(spiders))}")


def check_arguments(spider_args: dict[str, str], spidercls: type) -> None:
    """Spider arguments, checked before anything runs: those newscrawl's components read, and
    the spider's own (its `check_arguments`)."""
    if "refresh" in spider_args:
        try:
            refresh_ids(spider_args["refresh"])
        except ValueError as exc:
            raise UsageError(f"-a refresh={spider_args['refresh']}: {exc}") from None
    check = getattr(spidercls, "check_arguments", None)
    if check is not None:
        try:
            check(spider_args)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
