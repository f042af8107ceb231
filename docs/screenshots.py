"""The README's screenshots of the reading room: Datasette over an archive, in headless Chromium.

    python docs/screenshots.py [--db ARCHIVE] [--out docs]

Without --db it crawls the demo's generated mirror (300 articles) into a temporary directory,
then its next edition with a few articles revised, so that the article shown has an earlier
version. Writes reading-room-table.png (the articles table) and reading-room-article.png (an
article with a story or an earlier version) at 1400×1000. Needs Chromium and fonts-noto-cjk
(`make install`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newscrawl.archive import ArchiveReader  # noqa: E402
from newscrawl.mirror.browser import screenshot, serve_datasette  # noqa: E402
from newscrawl.mirror.generator import GeneratedSite  # noqa: E402
from newscrawl.mirror.proxy import MirrorProxy  # noqa: E402
from newscrawl.mirror.runner import crawl_through_mirror  # noqa: E402


def demo_archive(out: Path) -> Path:
    for site, args in ((GeneratedSite(articles=300, seed=1), {}),
                       (GeneratedSite(articles=300, seed=1, revised=3), {"refresh": "all"})):
        proxy = MirrorProxy(site)
        proxy.start_in_thread()
        crawl_through_mirror(proxy.url, out, spider_args=args, settings={"NEWSCRAWL_JSONL": ""})
        proxy.stop()
    return out / "newscrawl.db"


def shown_article(db: Path) -> str:
    """An article with an earlier version, else one whose story has others, else the newest."""
    reader = ArchiveReader.open(db)
    try:
        for revision in reader.revisions.rows_where(order_by="id", limit=1):
            return str(revision["id"])
        for row in reader.articles.rows_where("cluster_id in (select cluster_id from clusters where size > 1)",
                                              order_by="published_at desc", limit=1):
            return str(row["id"])
        return str(next(reader.articles.rows_where(order_by="published_at desc", limit=1))["id"])
    finally:
        reader.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="the archive (default: a fresh crawl of the demo mirror)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or demo_archive(Path(tmp))
        with serve_datasette(db) as base:
            name = db.stem
            for png, path in ((args.out / "reading-room-table.png", f"/{name}/articles"),
                              (args.out / "reading-room-article.png", f"/{name}/articles/{shown_article(db)}")):
                print(screenshot(base + path, png))


if __name__ == "__main__":
    main()
