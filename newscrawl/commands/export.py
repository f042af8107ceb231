"""`scrapy export`: a dataset release from the archive (JSONL, CSV, Parquet) with a manifest.

    scrapy export --out DIR [--format jsonl,csv,parquet] [--since D] [--until D] [--time published|fetched]
                  [--category SLUG] [--media NAME] [--query TERM] [--dedup none|exact|cluster|story]
                  [--fields id,title,…] [--shard-size N] [--since-release DIR] [--db PATH]
    scrapy export --verify DIR

Exit codes: 0 done (or release intact), 1 the release does not match its manifest or the
export failed (no archive, unwritable directory), 2 a bad option.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newscrawl.export.release import DEDUP_MODES, ExportError, Filters, export, verify


class Command(ScrapyCommand):
    requires_project = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "--out DIR [options] | --verify DIR"

    def short_desc(self) -> str:
        return "Export a dataset release from the archive (JSONL/CSV/Parquet + manifest), or verify one"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--out", help="the release directory to write")
        parser.add_argument("--verify", metavar="DIR", help="check a release against its manifest")
        parser.add_argument("--format", default="jsonl", help="jsonl, csv, parquet (comma-separated)")
        parser.add_argument("--since", help="published (or --time fetched) at or after this ISO date/time")
        parser.add_argument("--until", help="… at or before (a date keeps its whole day)")
        parser.add_argument("--time", default="published", help="published (default) or fetched: what since/until mean")
        parser.add_argument("--category", help="category slug (one word of a split slug is enough)")
        parser.add_argument("--media", help="media name, e.g. 华夏时报")
        parser.add_argument("--query", help="full-text: only articles whose title or text contains it")
        parser.add_argument("--dedup", default="none", help=f"{'|'.join(DEDUP_MODES)}: none; drop exact copies; "
                            "one article per cluster of copies (the earliest published); one per story, "
                            "i.e. per event (the fullest write-up: the longest text, then the earliest)")
        parser.add_argument("--fields", help="comma-separated fields (default: all, in schema order)")
        parser.add_argument("--shard-size", type=int, default=0, help="records per file (0: one file)")
        parser.add_argument("--since-release", metavar="DIR", help="only articles new or revised since that release")
        parser.add_argument("--db", help="the archive (default: the NEWSCRAWL_DB setting)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("export takes options only")
        if opts.verify:
            self._verify(Path(opts.verify))
            return
        if not opts.out:
            raise UsageError("give --out DIR (or --verify DIR)")
        if opts.shard_size < 0:
            raise UsageError("--shard-size must be 0 or more")
        assert self.settings is not None
        filters = Filters(opts.since, opts.until, opts.time, opts.category, opts.media, opts.query, opts.dedup,
                          opts.since_release)
        fields = tuple(f.strip() for f in opts.fields.split(",") if f.strip()) if opts.fields else None
        formats = tuple(f.strip() for f in opts.format.split(",") if f.strip())
        try:
            filters.check()
        except ExportError as exc:
            raise UsageError(str(exc)) from None
        try:
            manifest = export(Path(opts.db or self.settings.get("NEWSCRAWL_DB")), Path(opts.out), filters, formats,
                              fields, opts.shard_size, progress=_progress)
        except ExportError as exc:
            print(f"\nexport failed: {exc}", file=sys.stderr)
            self.exitcode = 2 if str(exc).startswith(("--", "unknown --")) else 1
            return
        counts, dedup = manifest["counts"], manifest["dedup"]
        print(f"\nexported {counts['records']:,} articles to {opts.out} "
              f"({len(manifest['files'])} file{'s' if len(manifest['files']) != 1 else ''} + manifest.json); "
              f"{len(counts['per_media'])} media, {len(counts['per_day'])} days; dedup {dedup['mode']}: "
              f"{dedup['skipped']:,} of {dedup['selected']:,} skipped")

    def _verify(self, release: Path) -> None:
        try:
            problems = verify(release)
        except ExportError as exc:
            print(f"verify failed: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        for problem in problems:
            print(f"MISMATCH {problem}")
        print(f"{release}: {'intact' if not problems else f'{len(problems)} mismatch(es)'}")
        self.exitcode = 1 if problems else 0


def _progress(done: int, total: int, seconds: float) -> None:
    rate = done / seconds if seconds > 0 else 0.0
    eta = (total - done) / rate if rate > 0 else 0.0
    print(f"\r{done:,}/{total:,} articles  {rate:,.0f}/s  ETA {eta:,.0f} s ", end="", file=sys.stderr, flush=True)
