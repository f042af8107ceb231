"""Articles are committed in groups: a killed crawl loses only an uncommitted group, and the
JSONL export never holds an article the archive lost, nor one line twice after the rerun."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from newscrawl.archive import Archive
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.runner import PROJECT_DIR, crawl_command, crawl_through_mirror
from tests.conftest import SlowSite


def _ids(jsonl: Path) -> list[str]:
    if not jsonl.exists():
        return []
    return [json.loads(line)["id"] for line in jsonl.read_text(encoding="utf-8").splitlines()]


def _archived(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("select id from articles")}


def test_small_groups_archive_and_export_every_article_once(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    proxy = serve(small_site)
    result = crawl_through_mirror(proxy.url, tmp_path, settings={"NEWSCRAWL_COMMIT_EVERY": "7"})
    assert result.report["finish_reason"] == "finished", result.log[-2000:]
    ids = _ids(tmp_path / "articles.jsonl")
    assert len(ids) == len(set(ids)) == Archive(tmp_path / "newscrawl.db").count() == 120
    assert result.stats["newscrawl/jsonl/written"] == 120


def test_a_killed_crawl_keeps_its_committed_groups_and_the_rerun_writes_each_line_once(
    serve, small_site: GeneratedSite, tmp_path: Path
) -> None:
    slow = serve(SlowSite(small_site, delay=0.05))
    cmd, env = crawl_command(slow.url, tmp_path, settings={
        "NEWSCRAWL_COMMIT_EVERY": "5", "NEWSCRAWL_COMMIT_SECONDS": "0.2", "CONCURRENT_REQUESTS": "2"})
    crawl = subprocess.Popen(cmd, env=env, cwd=PROJECT_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    jsonl, db = tmp_path / "articles.jsonl", tmp_path / "newscrawl.db"
    deadline = time.monotonic() + 60
    while len(_ids(jsonl)) < 20 and crawl.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    crawl.send_signal(signal.SIGKILL)
    crawl.wait()
    killed_lines, killed_archive = _ids(jsonl), _archived(db)
    assert 20 <= len(killed_lines) < 120, "the crawl must be killed midway"
    # Every exported line is an article the archive kept (lines follow commits).
    assert set(killed_lines) <= killed_archive and len(killed_lines) == len(set(killed_lines))

    result = crawl_through_mirror(serve(small_site).url, tmp_path)
    assert result.report["finish_reason"] == "finished", result.log[-2000:]
    ids = _ids(jsonl)
    assert len(ids) == len(set(ids)) == len(_archived(db)) == 120
    assert result.stats["newscrawl/store/new"] == 120 - len(killed_archive)
