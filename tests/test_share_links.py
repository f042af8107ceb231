"""Following share links in real crawls: the source's text and time, every failure kind
counted with the post still archived, the allowlist, retries on the next run."""

from __future__ import annotations

from pathlib import Path

from newscrawl.archive import Archive
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.http import MirrorResponse
from newscrawl.mirror.runner import crawl_through_mirror
from newscrawl.mirror.shareanswers import CASE_STATS
from newscrawl.parsing.urls import SHARE_HOSTS, SITE_HOSTS
from tests.conftest import ShareOverride


def _article(site: GeneratedSite, case: str):
    return next(a for a in site.articles if a.share_case == case)


def test_every_planted_share_case_is_counted_and_its_post_archived(serve, small_site, tmp_path: Path) -> None:
    proxy = serve(small_site)
    result = crawl_through_mirror(proxy.url, tmp_path)
    stats = result.stats
    for case, reason in CASE_STATS.items():
        if reason != "ok":
            assert stats[f"newscrawl/share/{reason}"] >= 1, case
        row = Archive(tmp_path / "newscrawl.db").get(_article(small_site, case).id)
        assert row is not None and row["title"] and row["body_text"], case
    assert stats["newscrawl/share/offsite"] == 2  # the offsite host and the javascript: link
    # Planted bad pages have missing answers too; the rest answer, the article published
    # under two categories twice.
    assert stats["newscrawl/share/ok"] == 120 - sum(1 for r in CASE_STATS.values() if r != "ok") + 1


def test_gbk_and_content_keyed_answers_are_read(serve, small_site, tmp_path: Path) -> None:
    crawl_through_mirror(serve(small_site).url, tmp_path)
    archive = Archive(tmp_path / "newscrawl.db")
    for case in ("gbk", "content_key"):
        article = _article(small_site, case)
        row = archive.get(article.id)
        assert row["source_title"] == article.title
        assert row["source_media"] == article.media
        assert row["published_at"] == article.published.isoformat()


def test_no_request_leaves_the_site_and_share_allowlist(serve, small_site, tmp_path: Path) -> None:
    proxy = serve(small_site)
    crawl_through_mirror(proxy.url, tmp_path)
    assert {r.host for r in proxy.requests} <= {*SITE_HOSTS, *SHARE_HOSTS}
    assert not [r for r in proxy.requests if "share.example.net" in r.host + r.target]


def test_page_time_is_corrected_and_digest_only_posts_get_the_full_text(serve, small_site, tmp_path: Path) -> None:
    crawl_through_mirror(serve(small_site).url, tmp_path)
    archive = Archive(tmp_path / "newscrawl.db")
    shifted = next(a for a in small_site.articles if a.shifted and not a.planted and not a.share_case)
    row = archive.get(shifted.id)
    assert row["site_published_at"] == shifted.shown.isoformat() != row["published_at"]
    assert row["published_at"] == shifted.published.isoformat()
    digest_only = [a for a in small_site.articles if a.shape == "C" and not a.share_case and not a.planted]
    assert digest_only
    for article in digest_only:
        row = archive.get(article.id)
        assert row["body_text"] == row["source_body_text"] and len(row["body_text"]) > 60
        assert row["provenance"]["body_text"] == "share"


def test_timeout_keeps_the_post_and_counts_once(serve, small_site, tmp_path: Path) -> None:
    article = next(a for a in small_site.articles if not a.share_case and not a.planted)
    slow = MirrorResponse.json({"title": "x"})
    slow.delay = 3
    proxy = serve(ShareOverride(small_site, {article.share_id: slow}))
    result = crawl_through_mirror(proxy.url, tmp_path, settings={"DOWNLOAD_TIMEOUT": "1", "RETRY_TIMES": "0"})
    assert result.stats["newscrawl/share/timeout"] == 1
    row = Archive(tmp_path / "newscrawl.db").get(article.id)
    assert row["title"] == article.title and row["source_title"] is None
    # No share time: the page's, judged by the post's neighbours (processing/timeline.py).
    assert row["published_at"] == article.published.isoformat() and row["provenance"]["published_at"] == "inferred"
    assert result.log.count(f"(article {article.id})") == 1


def test_next_run_retries_failed_share_fetches(serve, small_site, tmp_path: Path) -> None:
    article = next(a for a in small_site.articles if not a.share_case and not a.planted)
    broken = serve(ShareOverride(small_site, {article.share_id: MirrorResponse.html("<h1>502</h1>", 502)}))
    first = crawl_through_mirror(broken.url, tmp_path, settings={"RETRY_TIMES": "0"})
    assert first.stats["newscrawl/share/http_502"] == 1
    assert Archive(tmp_path / "newscrawl.db").get(article.id)["source_title"] is None
    second = crawl_through_mirror(serve(small_site).url, tmp_path, settings={"NEWSCRAWL_SHARE_RETRY_BACKOFF": "0"})
    assert second.stats["newscrawl/store/changed"] == 1
    assert Archive(tmp_path / "newscrawl.db").get(article.id)["source_title"] == article.title


def test_a_failing_rerun_does_not_erase_source_fields(serve, small_site, tmp_path: Path) -> None:
    crawl_through_mirror(serve(small_site).url, tmp_path)
    before = {r["id"]: r for r in Archive(tmp_path / "newscrawl.db").articles.rows}
    down = {a.share_id: MirrorResponse.json({"error": "x"}, 404) for a in small_site.articles}
    result = crawl_through_mirror(serve(ShareOverride(small_site, down)).url, tmp_path, spider_args={"refresh": "all"})
    # 120 articles + the one listed twice + 2 planted pages that parse (their titles/dates
    # are missing) - 2 unsafe links.
    assert result.stats["newscrawl/share/http_404"] == 121
    assert result.stats["newscrawl/dedup/same_id"] == 121  # with the article listed twice
    assert {r["id"]: r for r in Archive(tmp_path / "newscrawl.db").articles.rows} == before


def test_a_redirect_from_the_share_host_is_not_followed(serve, small_site, tmp_path: Path) -> None:
    article = next(a for a in small_site.articles if not a.share_case and not a.planted)
    redirect = MirrorResponse(302, b"", headers={"Location": "http://evil.example.org/steal"})
    proxy = serve(ShareOverride(small_site, {article.share_id: redirect}))
    result = crawl_through_mirror(proxy.url, tmp_path)
    assert result.stats["newscrawl/share/http_302"] == 1
    assert {r.host for r in proxy.requests} <= {*SITE_HOSTS, *SHARE_HOSTS}
    assert Archive(tmp_path / "newscrawl.db").get(article.id)["title"] == article.title


def test_an_answer_that_breaks_the_parser_costs_only_the_source(serve, small_site, tmp_path: Path) -> None:
    article = next(a for a in small_site.articles if not a.share_case and not a.planted)
    nested = MirrorResponse(200, b"[" * 100_000 + b"]" * 100_000, "application/json")
    result = crawl_through_mirror(serve(ShareOverride(small_site, {article.share_id: nested})).url, tmp_path)
    assert result.stats["newscrawl/share/invalid_json"] >= 1  # nested too deep for any JSON answer
    assert "newscrawl/share/parser_error" not in result.stats and "Traceback" not in result.log
    assert Archive(tmp_path / "newscrawl.db").get(article.id)["title"] == article.title
