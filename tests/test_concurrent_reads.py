"""Reading the archive while a crawl writes it: never "database is locked", never half an article."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from newscrawl.archive import Archive
from newscrawl.archive.search import search
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.runner import PROJECT_DIR, crawl_command
from tests.conftest import SlowSite


def _consistent_snapshot(db: Path) -> tuple[int, int, int, int]:
    """Counts read in one statement (one snapshot): articles, their FTS rows, clusters' sizes, keys."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1)
    try:
        return conn.execute(
            "select (select count(*) from articles), (select count(*) from articles_fts), "
            "(select coalesce(sum(size), 0) from clusters), "
            "(select count(*) from articles a where not exists (select 1 from dedup_keys k where k.id = a.id))"
        ).fetchone()
    finally:
        conn.close()


def test_search_and_reads_during_a_crawl(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    slow = serve(SlowSite(small_site, delay=0.03))
    db = tmp_path / "newscrawl.db"
    Archive(db).close()  # the schema exists before the first reader comes
    cmd, env = crawl_command(slow.url, tmp_path, settings={
        "NEWSCRAWL_COMMIT_EVERY": "3", "NEWSCRAWL_COMMIT_SECONDS": "0.1", "CONCURRENT_REQUESTS": "4"})
    log = tmp_path / "crawl.log"
    with log.open("w") as log_file:
        crawl = subprocess.Popen(cmd, env=env, cwd=PROJECT_DIR, stdout=log_file, stderr=subprocess.STDOUT)
    seen: list[int] = []
    searches = 0
    try:
        while crawl.poll() is None:
            articles, fts_rows, cluster_sizes, unindexed = _consistent_snapshot(db)
            # A reader sees whole articles: each with its FTS row, its cluster and its keys.
            assert articles == fts_rows == cluster_sizes and unindexed == 0
            seen.append(articles)
            reader = Archive(db)  # what `scrapy search` and the exporters open
            search(reader.db, "亿元", limit=None)
            reader.close()
            searches += 1
            if searches % 10 == 0:
                out = subprocess.run([sys.executable, "-m", "scrapy", "search", "亿元", "--json", "--db", str(db)],
                                     capture_output=True, text=True, cwd=PROJECT_DIR)
                assert out.returncode == 0 and "locked" not in out.stderr, out.stderr
                assert all(json.loads(line)["id"] for line in out.stdout.splitlines())
            time.sleep(0.02)
    finally:
        crawl.wait(120)
    assert crawl.returncode == 0, log.read_text()[-2000:]
    assert "database is locked" not in log.read_text()
    # The reads really overlapped the writes: several growing snapshots were seen.
    assert len(set(seen)) >= 3 and seen == sorted(seen), seen
    assert _consistent_snapshot(db)[0] == 120
