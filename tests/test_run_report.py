"""Run reports: a summary of each run, quality gates that fail the exit code, and the gap alarm."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newscrawl.crawling.quality import FIRST_SEEN, LAST_SEEN, Gates, failed_gates, gap
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.http import MirrorResponse
from newscrawl.mirror.runner import crawl_through_mirror

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


class _Failing:
    """The generated site with a share of its pages answering 500 (deterministic by path)."""

    def __init__(self, site: GeneratedSite, rate: float) -> None:
        self.site, self.rate = site, rate

    def site_page(self, path: str) -> MirrorResponse:
        if path not in ("/", "/feed.xml") and hashlib.sha1(path.encode()).digest()[0] < 256 * self.rate:
            return MirrorResponse.html("server error", 500)
        return self.site.site_page(path)

    def share_answer(self, share_id: str) -> MirrorResponse:
        return self.site.share_answer(share_id)


def test_gates() -> None:
    good = {"downloader/request_count": 100, "newscrawl/finews/fetch_error/http_404": 5, "newscrawl/share/ok": 50,
            "newscrawl/share/http_404": 3, "newscrawl/capture/first_post": 10, "newscrawl/store/new": 10}
    assert failed_gates(good, Gates()) == []
    errors = failed_gates({**good, "newscrawl/finews/fetch_error/http_500": 30}, Gates())
    assert len(errors) == 1 and errors[0].startswith("error rate 35/100")
    share = failed_gates({**good, "newscrawl/share/timeout": 60}, Gates())
    assert len(share) == 1 and share[0].startswith("share failures 63/113")
    assert failed_gates({**good, "newscrawl/store/new": 0}, Gates())[0].startswith("0 new articles")
    # Too few requests to judge a rate; known failures asked again do not count.
    assert failed_gates({"downloader/request_count": 5, "newscrawl/finews/fetch_error/http_500": 5}, Gates()) == []
    assert failed_gates({**good, "newscrawl/share/http_404": 40, "newscrawl/incremental/share_retried": 40}, Gates()) == []
    # A give-up is the last failure of an answer retried and counted by its reason already.
    gave_up = {**good, "newscrawl/share/http_503": 20, "newscrawl/share/gave_up": 20,
               "newscrawl/incremental/share_retried": 20}
    assert failed_gates(gave_up, Gates()) == []


def test_gap() -> None:
    previous = {"finished_at": (NOW - timedelta(hours=6)).isoformat(), "stats": {LAST_SEEN: "2026-11-29T05:00:00+08:00"}}
    stats = {FIRST_SEEN: "2026-11-26T12:00:00+08:00"}
    assert gap(NOW, stats, previous, timedelta(days=3)) is None
    assert gap(NOW, stats, None, timedelta(days=3)) is None
    late = gap(NOW, stats, {**previous, "finished_at": (NOW - timedelta(days=4)).isoformat()}, timedelta(days=3))
    assert late is not None and "longer than the site keeps posts" in late["reason"]
    moved_on = gap(NOW, {FIRST_SEEN: "2026-11-29T08:00:00+08:00"}, previous, timedelta(days=3))
    assert moved_on == {"reason": "the oldest post listed now is newer than the newest post the last run saw",
                        "from": "2026-11-29T05:00:00+08:00", "to": "2026-11-29T08:00:00+08:00"}


def test_a_good_run_reports_its_summary_and_exits_0(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    result = crawl_through_mirror(serve(small_site).url, tmp_path)
    report = result.report
    assert result.returncode == 0 and report["ok"] and report["failed_gates"] == [] and report["gap"] is None
    summary = report["summary"]
    assert summary["new"] == 120 and summary["revised"] == 0
    assert summary["dropped"]["missing_title"] == 1 and summary["dropped"]["page_no_layout"] == 2
    assert summary["share_failures"]["http_404"] >= 1 and summary["duration_seconds"] > 0
    assert summary["published_window"]["first"] < summary["published_window"]["last"]


def test_a_mostly_failing_site_fails_the_run(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    result = crawl_through_mirror(serve(_Failing(small_site, 0.6)).url, tmp_path, settings={"RETRY_TIMES": "0"})
    assert result.returncode == 3, result.log[-2000:]
    assert not result.report["ok"] and result.report["failed_gates"][0].startswith("error rate")
    assert "Quality gate failed: error rate" in result.log


def test_a_pause_longer_than_the_retention_raises_the_gap_alarm(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    proxy = serve(small_site)
    assert crawl_through_mirror(proxy.url, tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "newscrawl.db") as conn:  # as if it ran four days ago
        conn.execute("update runs set finished_at = ?", [(datetime.now(UTC) - timedelta(days=4)).isoformat()])
    result = crawl_through_mirror(proxy.url, tmp_path)
    assert result.returncode == 3 and result.report["gap"]["reason"].startswith("the last good run finished")
    assert "Possible gap in the archive" in result.log


def test_only_a_walk_of_the_site_counts_as_a_good_run(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    proxy = serve(small_site)
    assert crawl_through_mirror(proxy.url, tmp_path).returncode == 0
    with closing(sqlite3.connect(tmp_path / "newscrawl.db")) as conn, conn:  # as if it ran six days ago
        conn.execute("update runs set finished_at = ?", [(datetime.now(UTC) - timedelta(days=6)).isoformat()])
    article = next(a for a in small_site.articles if a.share_id and not a.planted and not a.share_case)
    # A share backfill and a crawl from a category page finish now, but neither walked the site.
    crawl_through_mirror(proxy.url, tmp_path, spider="share", spider_args={"ids": article.share_id})
    category = f"https://finews.withounder.com/category/{article.slug.split()[0]}.html"
    crawl_through_mirror(proxy.url, tmp_path, spider_args={"start_url": category})
    with closing(sqlite3.connect(tmp_path / "newscrawl.db")) as conn:
        assert [k for (k,) in conn.execute("select kind from runs order by run_id")] == ["crawl", "backfill", "partial"]
    result = crawl_through_mirror(proxy.url, tmp_path)
    assert result.returncode == 3 and result.report["gap"]["reason"].startswith("the last good run finished 6 days")
