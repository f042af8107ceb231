"""`scrapy search`: full-text search of the archive (Chinese: any 1+ character term).

    scrapy search QUERY [--since DATE] [--until DATE] [--category SLUG] [--media NAME]
                        [--limit 20] [--stories] [--json] [--db data/newscrawl.db]

A term is a literal substring of the title or text, whatever its length: no operators,
quotes or wildcards. --stories groups the hits by story (one event, however many write-ups),
the story of the best hit first. Read-only: the archive is opened with mode=ro and left as it was.
Exit codes: 0 searched (with or without results), 1 no archive there (or not one), 2 a bad option.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newscrawl.archive import ArchiveError, ArchiveReader
from newscrawl.archive.search import check_bound, looks_like_syntax


class Command(ScrapyCommand):
    requires_project = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "QUERY [options]"

    def short_desc(self) -> str:
        return "Search the archive's titles and texts (ranked, with snippets)"

    def long_desc(self) -> str:
        return (__doc__ or "").strip()

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--since", help="published at or after (ISO date or time, Beijing)")
        parser.add_argument("--until", help="published at or before (ISO date or time; a date keeps its whole day)")
        parser.add_argument("--category", help="category slug (one word of a split slug is enough)")
        parser.add_argument("--media", help="media name, e.g. 华夏时报")
        parser.add_argument("--limit", type=int, default=20, help="at most this many results (0: all)")
        parser.add_argument("--stories", action="store_true", help="group the hits by story (event)")
        parser.add_argument("--json", action="store_true", help="one JSON object per result")
        parser.add_argument("--db", help="the archive (default: the NEWSCRAWL_DB setting)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one QUERY (quote it if it has spaces)")
        query = args[0]
        for name in ("since", "until"):
            try:
                check_bound(name, getattr(opts, name))
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        if opts.limit < 0:
            raise UsageError(f"--limit must be 0 (all) or more, not {opts.limit}")
        if not query.strip():
            raise UsageError("the QUERY is empty")
        assert self.settings is not None
        path = Path(opts.db or self.settings.get("NEWSCRAWL_DB"))
        try:
            archive = ArchiveReader.open(path)
        except ArchiveError as exc:
            print(f"search failed: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        filters = (opts.since, opts.until, opts.category, opts.media)
        try:
            hits = archive.search(query, *filters, opts.limit or None)
            total = len(hits) if not opts.limit or len(hits) < opts.limit else archive.search_count(query, *filters)
            stories = ({r["id"]: r.get("story_id") or r["id"] for r in archive.records([h.id for h in hits])}
                       if opts.stories else {})
        finally:
            archive.close()
        if looks_like_syntax(query):
            print(f"note: {query!r} is searched as written, one literal substring: there are no operators "
                  "(AND, OR, NOT), quotes or wildcards (*)", file=sys.stderr)
        groups: dict[str, list[Any]] = {}
        for hit in hits:  # best first: a story comes where its best hit does
            groups.setdefault(stories.get(hit.id, hit.id), []).append(hit)
        for story, members in groups.items() if opts.stories else [("", hits)]:
            if opts.stories and not opts.json:
                print(f"Story {story}: {len(members)} hit{'s' if len(members) != 1 else ''}")
            for hit in members:
                if opts.json:
                    print(json.dumps({**hit.as_dict(), **({"story_id": story} if opts.stories else {})},
                                     ensure_ascii=False))
                else:
                    indent = "  " if opts.stories else ""
                    print(f"{indent}{hit.published_at or '-':25} {hit.media or '-'}  {hit.title}\n"
                          f"{indent}    {hit.snippet}\n{indent}    {hit.url}")
        if not opts.json:
            shown = f"{len(hits):,} of {total:,}" if total > len(hits) else f"{total:,}"
            stories_line = f" in {len(groups):,} stor{'ies' if len(groups) != 1 else 'y'}" if opts.stories else ""
            print(f"{shown} result{'s' if total != 1 else ''}{stories_line}")
