"""`scrapy show`: one archived article in the terminal.

    scrapy show ID [--json] [--db data/newscrawl.db]

Prints the article as a reader wants it: title, media, the publication time in Beijing time
(and the site's own time when it differs), the body as text, the links to the post and the
original, the other articles of its story and its earlier versions with what changed. --json
prints the stored record instead. Read-only: the archive is opened with mode=ro and left as
it was. Exit codes: 0 shown, 1 no archive there or no such article, 2 a bad option.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newscrawl.archive import ArchiveError, ArchiveReader
from newscrawl.reading import beijing, history, media_name, shown_times


class Command(ScrapyCommand):
    requires_project = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "ID [options]"

    def short_desc(self) -> str:
        return "Print one archived article: title, media, times, text, links, story, versions"

    def long_desc(self) -> str:
        return (__doc__ or "").strip()

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--json", action="store_true", help="the stored record, as JSON")
        parser.add_argument("--db", help="the archive (default: the NEWSCRAWL_DB setting)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1 or not args[0].strip():
            raise UsageError("give one article ID (the number in its post URL, e.g. 202112082206672930)")
        article_id = args[0].strip()
        assert self.settings is not None
        path = Path(opts.db or self.settings.get("NEWSCRAWL_DB"))
        try:
            archive = ArchiveReader.open(path)
        except ArchiveError as exc:
            print(f"show failed: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        try:
            article = archive.get(article_id)
            if article is None:
                print(f"show failed: no article {article_id} in {path} (scrapy search finds ids)", file=sys.stderr)
                self.exitcode = 1
                return
            if opts.json:
                print(json.dumps(article, ensure_ascii=False, indent=2))
                return
            members = archive.story_members(article)
            versions = archive.versions(article_id)
        finally:
            archive.close()
        print("\n".join(article_lines(article, members, versions)))


def article_lines(article: dict[str, Any], members: list[dict[str, Any]], versions: list[dict[str, Any]],
                  width: int = 80) -> list[str]:
    """The article as lines of text."""
    published, site_time = shown_times(article)
    lines = [article.get("title") or "", "=" * min(width, 2 * len(article.get("title") or ""))]
    meta = [media_name(article.get("media") or article.get("source_media")) or "",
            f"{published} Beijing time" if published else "", f"(the site's page shows {site_time})" if site_time else ""]
    lines += [" · ".join(m for m in meta if m), ""]
    if article.get("digest"):
        lines += [article["digest"], ""]
    text = article.get("body_text") or article.get("source_body_text") or ""
    for paragraph in (p.strip() for p in text.splitlines()):
        if paragraph:
            lines += [*textwrap.wrap(paragraph, width // 2 if _wide(paragraph) else width), ""]
    if article.get("source"):
        lines += [f"文章来源: {article['source']}", ""]
    lines += [f"Post:     {article.get('url') or '-'}", f"Original: {article.get('share_url') or '-'}"]
    if members:
        cluster = article.get("cluster_id")  # (none: no other article is a copy of this text)
        lines += ["", f"Its story ({len(members) + 1} articles about this event):"]
        lines += [f"  {m['id']}  {beijing(m['published_at']) or '-':16}  {media_name(m['media']) or '-'}  {m['title']}"
                  + ("  (a copy of this text)" if cluster and m["cluster_id"] == cluster else "") for m in members]
    if versions:
        lines += ["", f"Earlier versions ({len(versions)}):"]
        lines += [f"  {v['revision']}. fetched {beijing(v['fetched_at'])}: {changed.summary()} since"
                  for v, changed in history(article, versions)]
    return lines


def _wide(text: str) -> bool:
    """Whether most of the text is CJK (two columns a character in a terminal)."""
    return sum(ord(c) > 0x2E80 for c in text) > len(text) / 2
