"""Crawl the real Jekyll build of ../shared/finews through the mirror (acceptance check).

Runs wherever ../shared/finews exists (CI always has it).
"""

from __future__ import annotations

import json

import pytest

from newscrawl.processing.cleaning import clean_body
from newscrawl.archive import Archive
from newscrawl.mirror.runner import crawl_through_mirror
from newscrawl.mirror.snapshot import SnapshotBackend
from newscrawl.parsing.urls import SHARE_HOSTS
from tests.conftest import SHARED

SHARE = SHARED / "share"

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/finews is not here")

FIELDS = ("id", "url", "title", "site_published_at", "category", "media", "tags", "digest", "source", "share_url")
BARE_PAGE = "https://finews.withounder.com/2021/12/08/202112082206703990.html"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory):
    from newscrawl.mirror.proxy import MirrorProxy

    proxy = MirrorProxy(SnapshotBackend(SHARED / "site", SHARED / "share"))
    proxy.start_in_thread()
    out = tmp_path_factory.mktemp("real")
    # The layout-less page is linked from nowhere on the site: it is handed to the spider.
    result = crawl_through_mirror(proxy.url, out, spider_args={"urls": BARE_PAGE})
    proxy.stop()
    return result, Archive(out / "newscrawl.db"), proxy.requests


def _expected() -> list[dict]:
    return [json.loads(line) for line in (SHARED / "expected.jsonl").read_text(encoding="utf-8").splitlines()]


def test_every_expected_post_is_archived_with_exact_fields(crawled) -> None:
    result, archive, _ = crawled
    assert result.report["finish_reason"] == "finished"
    for record in _expected():
        row = archive.get(record["id"])
        assert row is not None, record["url"]
        assert {f: row[f] for f in FIELDS} == {f: record[f] for f in FIELDS}
    assert archive.count() == len(_expected())


def test_bodies_hold_no_navigation_or_share_links(crawled) -> None:
    _, archive, _ = crawled
    for record in _expected():
        row = archive.get(record["id"])
        assert row["body_text"] and "返回" not in row["body_text"]
        assert record["share_url"] not in row["body_html"]
        assert "返回首页" not in row["body_html"]


def test_layout_less_page_and_site_news_are_counted_drops(crawled) -> None:
    result, _, requests = crawled
    assert result.stats["newscrawl/finews/page_dropped/no_layout"] == 1
    assert result.stats["newscrawl/validate/missing_id"] == 1  # /sitenews/…/init.html
    assert any(r.target.endswith("202112082206703990.html") and r.status == 200 for r in requests)
    assert "Traceback" not in result.log


def test_crawl_stays_on_the_site_and_the_share_allowlist(crawled) -> None:
    _, _, requests = crawled
    site = [r for r in requests if r.host == "finews.withounder.com"]
    assert site and all(r.scheme == "https" for r in site)
    assert {r.host for r in requests} <= {"finews.withounder.com", *SHARE_HOSTS}
    share = [r for r in requests if r.target.startswith("/NewsData/GetNewsText.do")]
    assert len(share) == len(_expected())


def test_published_at_is_the_share_hosts_time_and_source_fields_match_the_answers(crawled) -> None:
    result, archive, _ = crawled
    for record in _expected():
        row = archive.get(record["id"])
        assert row["published_at"] == record["published_at"]
        assert row["site_published_at"] == record["site_published_at"]
        answer = json.loads((SHARE / f"{record['share_id']}.json").read_text(encoding="utf-8"))
        assert row["source_title"] == answer["title"]
        assert row["source_media"] == answer["medianame"]
        assert row["source_published_at"] == answer["showtime"].replace(" ", "T") + "+08:00"
        # Stored sanitized, as cleaning gives it (the answer as it came is in the captures).
        assert row["source_body_html"] == clean_body(answer["text"].strip(), row["share_url"])[0]
        assert row["source_body_text"]
        assert row["provenance"]["published_at"] == "share"
    assert result.stats["newscrawl/share/ok"] == len(_expected())
