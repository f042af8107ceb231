"""Raw captures and `scrapy reparse`: articles rebuilt from the archive alone, with no network."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import zlib
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newscrawl.archive import Archive
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.runner import PROJECT_DIR, crawl_through_mirror
from tests.conftest import data_state

CHANGED = {"SPIDER_MODULES": "tests.changed_parser"}


def _reparse(db: Path, *settings: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "scrapy", "reparse", "--db", str(db)]
    for setting in settings:
        cmd += ["-s", setting]
    # No proxy and no mirror: a request that reached the network would fail.
    env = {"PATH": "/usr/bin:/bin", "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           **(env or {})}
    return subprocess.run(cmd, capture_output=True, text=True, cwd=PROJECT_DIR, env=env, check=True)


def _rows(db: Path) -> dict[str, dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return {r["id"]: {k: r[k] for k in r.keys() if k not in ("fetched_at", "seq")} for r in conn.execute("select * from articles")}


def _partition(rows: dict[str, dict], by: str = "cluster_id") -> set[frozenset[str]]:
    clusters: dict[str, set[str]] = {}
    for article_id, row in rows.items():
        clusters.setdefault(row[by], set()).add(article_id)
    return {frozenset(c) for c in clusters.values()}


def test_every_page_and_share_answer_is_captured_once_per_version(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    proxy = serve(small_site)
    crawl_through_mirror(proxy.url, tmp_path)
    second = crawl_through_mirror(proxy.url, tmp_path)
    with sqlite3.connect(tmp_path / "newscrawl.db") as conn:
        kinds = dict(conn.execute("select kind, count(*) from captures group by kind").fetchall())
        url, body = conn.execute("select url, body from captures where kind = 'post' limit 1").fetchone()
    assert kinds["post"] >= 120 and kinds["share"] >= 100 and kinds["home"] == 1 and kinds["feed"] == 1
    assert kinds["category"] >= 1
    assert zlib.decompress(body).decode("utf-8") == small_site.site_page(url.split("withounder.com", 1)[1]).body.decode()
    # The second crawl found every page unchanged: it only moved last_seen_at.
    assert second.stats["newscrawl/capture/seen"] > 0 and "newscrawl/capture/new" not in second.stats


def test_reparse_with_a_changed_parser_equals_a_fresh_crawl_with_it(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    proxy = serve(small_site)
    old, fresh = tmp_path / "old", tmp_path / "fresh"
    assert crawl_through_mirror(proxy.url, old).report["finish_reason"] == "finished"
    proxy.stop()

    same = _reparse(old / "newscrawl.db")  # the same parser: nothing changes
    assert "0 changed" in same.stdout and Archive(old / "newscrawl.db").revisions.count == 0, same.stdout

    changed = _reparse(old / "newscrawl.db", f"SPIDER_MODULES={CHANGED['SPIDER_MODULES']}")
    assert "requests never captured" in changed.stdout, changed.stdout + changed.stderr
    assert "120 changed" in changed.stdout, changed.stdout

    result = crawl_through_mirror(serve(small_site).url, fresh, settings=CHANGED)
    assert result.report["finish_reason"] == "finished"
    reparsed, crawled = _rows(old / "newscrawl.db"), _rows(fresh / "newscrawl.db")
    assert len(reparsed) == 120 and all(r["title"].endswith("（新解析）") for r in reparsed.values())
    assert _partition(reparsed) == _partition(crawled)
    # Which story member represents a cluster, and which category's URL an article listed
    # under two categories is archived from, follow crawl order: those are compared apart.
    twice = set(small_site.dedup_cases["second_category"])
    listing = ("url", "url_key", "category", "media", "tags")

    def comparable(rows: dict[str, dict]) -> dict[str, dict]:
        return {i: {k: v for k, v in r.items()
                    if k not in ("cluster_id", "duplicate_of", "story_id") and (i not in twice or k not in listing)}
                for i, r in rows.items()}

    assert comparable(reparsed) == comparable(crawled)
    # Reparse places every story again, in publication order: the fresh crawl's, placed again.
    fresh_archive = Archive(fresh / "newscrawl.db")
    fresh_archive.rebuild_stories()
    fresh_archive.close()
    assert _partition(reparsed, "story_id") == _partition(_rows(fresh / "newscrawl.db"), "story_id")
    # … and the versions before the parser change are kept.
    assert Archive(old / "newscrawl.db").revisions.count == 120


def test_each_crawl_is_recorded_in_runs(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    proxy = serve(small_site)
    crawl_through_mirror(proxy.url, tmp_path, settings={"NEWSCRAWL_COMMIT_EVERY": "50"})
    _reparse(tmp_path / "newscrawl.db")
    runs = list(Archive(tmp_path / "newscrawl.db").runs.rows)
    assert [r["outcome"] for r in runs] == ["finished", "finished"] and all(r["finished_at"] for r in runs)
    assert [r["kind"] for r in runs] == ["crawl", "replay"]
    assert '"NEWSCRAWL_COMMIT_EVERY": "50"' in runs[0]["arguments"] and '"NEWSCRAWL_REPLAY": true' in runs[1]["arguments"]
    assert '"newscrawl/store/new": 120' in runs[0]["stats"]


def test_a_reparse_elsewhere_writes_beside_that_archive_only(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    crawl_through_mirror(serve(small_site).url, elsewhere, settings={"NEWSCRAWL_JSONL": ""})
    before = data_state()
    done = _reparse(elsewhere / "newscrawl.db", f"SPIDER_MODULES={CHANGED['SPIDER_MODULES']}")
    assert "120 changed" in done.stdout
    assert data_state() == before  # the checkout's data/ is as it was
    lines = (elsewhere / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 120 and all("（新解析）" in line for line in lines)
    report = json.loads((elsewhere / "last-reparse.json").read_text(encoding="utf-8"))
    assert report["finish_reason"] == "finished" and report["gap"] is None
    # Outputs a user's own settings choose are kept. On a machine whose settings make crawls
    # distributed workers (a Redis, here one that is not there), a reparse is still local.
    (tmp_path / "mysettings.py").write_text(f"from newscrawl.settings import *\nNEWSCRAWL_JSONL = {str(tmp_path / 'mine.jsonl')!r}\n"
                                            "NEWSCRAWL_REDIS_URL = 'redis://127.0.0.1:9/0'\n", encoding="utf-8")
    _reparse(elsewhere / "newscrawl.db", env={"PYTHONPATH": str(tmp_path), "SCRAPY_SETTINGS_MODULE": "mysettings"})
    assert (tmp_path / "mine.jsonl").exists() and data_state() == before


def test_the_gap_alarm_looks_past_a_reparse(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    proxy = serve(small_site)
    assert crawl_through_mirror(proxy.url, tmp_path).returncode == 0
    with closing(sqlite3.connect(tmp_path / "newscrawl.db")) as conn, conn:  # as if it ran six days ago
        conn.execute("update runs set finished_at = ?", [(datetime.now(UTC) - timedelta(days=6)).isoformat()])
    _reparse(tmp_path / "newscrawl.db")  # a replay finishes now: not a crawl of the site
    result = crawl_through_mirror(proxy.url, tmp_path)
    assert result.returncode == 3 and result.report["gap"]["reason"].startswith("the last good run finished 6 days")
