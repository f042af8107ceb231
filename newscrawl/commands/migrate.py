"""`scrapy migrate`: bring an archive to this newscrawl's schema, in place.

    scrapy migrate [--db data/newscrawl.db]

A crawl does the same when it opens an archive; this is for archives only read (search,
export, Datasette), which read-only commands never change. Exit codes: 0 migrated or already
current, 1 no archive there, or not one this newscrawl can migrate.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newscrawl.archive import Archive, ArchiveError
from newscrawl.archive.schema import VERSION
from newscrawl.crawling import story_window


class Command(ScrapyCommand):
    requires_project = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[--db PATH]"

    def short_desc(self) -> str:
        return "Upgrade an archive to this newscrawl's schema, in place"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--db", help="the archive (default: the NEWSCRAWL_DB setting)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("migrate takes no positional arguments")
        assert self.settings is not None
        path = Path(opts.db or self.settings.get("NEWSCRAWL_DB"))
        if not path.is_file() or not path.stat().st_size:
            print(f"migrate failed: no archive at {path}", file=sys.stderr)
            self.exitcode = 1
            return
        try:
            archive = Archive(path, story_window=story_window(self.settings))
        except ArchiveError as exc:
            print(f"migrate failed: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        found = archive.migrated_from
        archive.close()
        if found == VERSION:
            print(f"{path}: schema version {VERSION}, up to date")
        else:
            print(f"{path}: migrated from schema version {found} to {VERSION}")
