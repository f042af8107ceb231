"""`scrapy reparse`: rebuild the archive's articles from its raw captures, with no network.

    scrapy reparse [--db data/newscrawl.db] [--spider finews] [-a NAME=VALUE] [-s NAME=VALUE]

Runs the spider with the current parsers and pipelines, every request answered from the
archive's captures (captures.ReplayMiddleware): the home page, feed and category pages as
last captured, and every post page ever captured — so articles whose pages have vanished
from the site are re-parsed too. Changed articles keep their earlier version in `revisions`,
exactly as when a crawl finds a changed page; the report says what changed. Then every
article is placed in its story again, in publication order (the stories of the texts as
they are now).

Changed and new articles are appended to `articles.jsonl` beside the archive, and the run
report is `last-reparse.json` beside it (`-s NEWSCRAWL_JSONL=…`, `-s NEWSCRAWL_REPORT=…`,
empty for none). The run is recorded in `runs` as a replay: it says nothing of how recent
the archive is, so the gap alarm looks past it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from scrapy.commands import BaseRunSpiderCommand
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES

from newscrawl import settings as defaults
from newscrawl.archive import Archive, ArchiveError, ArchiveReader
from newscrawl.crawling import story_window

JSONL_NAME, REPORT_NAME = "articles.jsonl", "last-reparse.json"
# No network, nothing to be polite to: replay as fast as the pipelines go.
REPLAY_SETTINGS = {
    "NEWSCRAWL_REPLAY": True,
    "ROBOTSTXT_OBEY": False,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "RETRY_ENABLED": False,
}


class Command(BaseRunSpiderCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Re-parse archived articles from the raw captures (no network)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--db", help="the archive (default: the NEWSCRAWL_DB setting)")
        parser.add_argument("--spider", default="finews", help="the spider whose pages are replayed")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        if opts.db:
            self.settings.set("NEWSCRAWL_DB", opts.db, priority="cmdline")
        self.settings.setdict(REPLAY_SETTINGS, priority="cmdline")
        # The JSONL lines and the report go beside the archive replayed, never into another
        # archive's place (the checkout's data/), unless chosen (-s, or the user's settings).
        beside = Path(self.settings["NEWSCRAWL_DB"]).parent
        for name, path in (("NEWSCRAWL_JSONL", beside / JSONL_NAME), ("NEWSCRAWL_REPORT", beside / REPORT_NAME)):
            chosen = (self.settings.getpriority(name) or 0) >= SETTINGS_PRIORITIES["cmdline"]
            if not chosen and self.settings.get(name) == getattr(defaults, name):
                self.settings.set(name, str(path), priority="cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("reparse takes no positional arguments")
        assert self.settings is not None and self.crawler_process is not None
        path = Path(self.settings["NEWSCRAWL_DB"])
        if not path.is_file():
            raise UsageError(f"no archive at {path}")
        try:
            archive = Archive(path, story_window=story_window(self.settings))
        except ArchiveError as exc:
            print(f"reparse failed: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        posts = archive.captured_urls("post")
        revisions_before = archive.revision_mark()
        archive.close()
        with tempfile.TemporaryDirectory() as work:
            url_file = Path(work) / "posts.txt"
            url_file.write_text("\n".join(posts), encoding="utf-8")
            spider_args = {"urls": str(url_file), **opts.spargs} if opts.spider == "finews" else dict(opts.spargs)
            crawler = self.crawler_process.create_crawler(opts.spider)
            self.crawler_process.crawl(crawler, **spider_args)
            self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        # Articles were placed in their stories as they came, against others still as
        # before: the stories are placed again over the texts as they are now.
        try:
            archive = Archive(path, story_window=story_window(self.settings))
            try:
                stories = archive.rebuild_stories()
            finally:
                archive.close()
        except ArchiveError as exc:
            print(f"reparse failed: the stories could not be placed again: {exc}", file=sys.stderr)
            self.exitcode = 4
            return
        self._report(path, crawler.stats.get_stats() or {}, len(posts), revisions_before)
        print(f"stories: {stories:,} (every article placed again, in publication order)")

    def _report(self, path: Path, stats: dict, posts: int, revisions_before: int) -> None:
        archive = ArchiveReader.open(path)
        changed = archive.revised_since(revisions_before)
        archive.close()
        n = lambda key: stats.get(f"newscrawl/{key}", 0)  # noqa: E731
        print(f"reparse of {path}: {n('replay/replayed')} captured responses replayed, "
              f"{n('replay/missing')} requests never captured; {posts} captured post pages")
        print(f"articles: {n('dedup/same_id')} unchanged, {n('store/changed')} changed "
              f"(earlier versions kept in `revisions`), {n('store/new')} new")
        for article_id, title in changed:
            print(f"  changed: {article_id} {title}")
