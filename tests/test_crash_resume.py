"""kill -9 at random points, each followed by a rerun: the archive ends as an uninterrupted crawl's."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path

from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.runner import PROJECT_DIR, crawl_command, crawl_through_mirror
from tests.conftest import SlowSite, comparable_articles

SETTINGS = {"NEWSCRAWL_COMMIT_EVERY": "4", "NEWSCRAWL_COMMIT_SECONDS": "0.2", "CONCURRENT_REQUESTS": "2"}


def test_five_kills_and_reruns_end_with_the_uninterrupted_archive(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    slow = serve(SlowSite(small_site, delay=0.08))
    rng = random.Random(29)
    killed_at = []
    for _ in range(5):
        cmd, env = crawl_command(slow.url, tmp_path / "killed", settings=SETTINGS)
        crawl = subprocess.Popen(cmd, env=env, cwd=PROJECT_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.0, 2.0))
        killed_at.append(crawl.poll() is None)
        crawl.send_signal(signal.SIGKILL)
        crawl.wait()
    assert sum(killed_at) >= 3, "most kills must land while the crawl runs"
    final = crawl_through_mirror(serve(small_site).url, tmp_path / "killed", settings=SETTINGS)
    assert final.report["finish_reason"] == "finished"
    assert crawl_through_mirror(serve(small_site).url, tmp_path / "whole").report["finish_reason"] == "finished"
    twice = set(small_site.dedup_cases["second_category"])
    assert comparable_articles(tmp_path / "killed" / "newscrawl.db", twice) == comparable_articles(tmp_path / "whole" / "newscrawl.db", twice)
    lines = [json.loads(line) for line in (tmp_path / "killed" / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len({r["id"] for r in lines}) == 120


def test_a_paused_crawl_resumes_from_its_jobdir(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    slow_site = SlowSite(small_site, delay=0.08)
    slow = serve(slow_site)
    settings = {**SETTINGS, "JOBDIR": str(tmp_path / "job")}
    cmd, env = crawl_command(slow.url, tmp_path, settings=settings)
    crawl = subprocess.Popen(cmd, env=env, cwd=PROJECT_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    slow_site.wait_for_posts(20)  # under way, not starting up
    crawl.send_signal(signal.SIGINT)  # Ctrl-C: Scrapy stops gracefully and keeps its queue in JOBDIR
    assert crawl.wait(60) == 3  # not a complete run: the report says so, cron would alert
    paused = json.loads((tmp_path / "last-run.json").read_text(encoding="utf-8"))
    assert paused["finish_reason"] == "shutdown" and paused["failed_gates"] == ["the crawl ended as 'shutdown'"]
    assert any((tmp_path / "job").iterdir())
    resumed = crawl_through_mirror(serve(small_site).url, tmp_path, settings=settings)
    assert resumed.report["finish_reason"] == "finished", resumed.log[-2000:]
    assert "Resuming crawl" in resumed.log  # the queue came back from JOBDIR
    lines = [json.loads(line) for line in (tmp_path / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len({r["id"] for r in lines}) == 120
