"""Incremental runs: archived posts are not fetched again, listings are asked conditionally."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from newscrawl.archive import Archive
from newscrawl.crawling.incremental import refresh_ids
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.http import MirrorResponse
from newscrawl.mirror.runner import crawl_through_mirror
from newscrawl.parsing.urls import PageKind, article_id_from_url, classify_url
from tests.conftest import ShareOverride


def _post_ids(requests: list, since: int = 0, status: int = 200) -> list[str]:
    """Ids of the post pages served with `status` (200: downloaded)."""
    return [article_id_from_url(f"https://finews.withounder.com{r.target}") for r in requests[since:]
            if r.host == "finews.withounder.com" and r.status == status
            and classify_url(f"https://finews.withounder.com{r.target}") is PageKind.POST]


def test_an_unchanged_site_costs_no_post_request(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    proxy = serve(small_site)
    first = crawl_through_mirror(proxy.url, tmp_path)
    before, lines = len(proxy.requests), (tmp_path / "articles.jsonl").read_text(encoding="utf-8")
    second = crawl_through_mirror(proxy.url, tmp_path)
    assert second.report["finish_reason"] == "finished"
    assert _post_ids(proxy.requests, before) == [] and _post_ids(proxy.requests, before, status=304) == []
    # The planted broken pages were read and dropped by the finished first run: not asked again.
    assert second.stats["newscrawl/incremental/skipped_dropped"] == sum(small_site.planted_drops().values())
    stats = second.stats
    assert stats["newscrawl/incremental/skipped"] > 0 and stats["newscrawl/incremental/not_modified"] > 0
    # Listings answered 304 cost no body; only share answers that failed last time are asked again.
    assert stats["downloader/request_count"] < first.stats["downloader/request_count"] / 4
    assert "newscrawl/store/new" not in stats and "newscrawl/store/changed" not in stats
    assert (tmp_path / "articles.jsonl").read_text(encoding="utf-8") == lines
    assert Archive(tmp_path / "newscrawl.db").count() == 120


def test_a_later_edition_costs_exactly_its_new_posts(serve, tmp_path: Path) -> None:
    crawl_through_mirror(serve(GeneratedSite(120, seed=7)).url, tmp_path)
    later = GeneratedSite(120, seed=7, revised=5, added=25)
    proxy = serve(later)
    result = crawl_through_mirror(proxy.url, tmp_path)
    assert sorted(_post_ids(proxy.requests)) == sorted(later.added_ids)
    assert result.stats["newscrawl/store/new"] == 25 and "newscrawl/store/changed" not in result.stats
    # The changed ones are fetched when asked for.
    refresh = crawl_through_mirror(proxy.url, tmp_path, spider_args={"refresh": ",".join(later.revised_ids)})
    assert sorted(_post_ids(proxy.requests, len(proxy.requests) - refresh.stats["downloader/request_count"])) == \
        sorted(later.revised_ids)
    assert refresh.stats["newscrawl/store/changed"] == 5 and refresh.stats["newscrawl/incremental/refetched"] == 5


def test_a_failed_share_answer_is_asked_again_without_its_page(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    article = next(a for a in small_site.articles
                   if a.share_id and not a.planted and not a.alias_of and not a.share_case)
    down = {article.share_id: MirrorResponse.html("busy", 503)}
    crawl_through_mirror(serve(ShareOverride(small_site, down)).url, tmp_path, settings={"RETRY_TIMES": "0"})
    assert Archive(tmp_path / "newscrawl.db").get(article.id)["source_title"] is None
    proxy = serve(small_site)
    result = crawl_through_mirror(proxy.url, tmp_path, settings={"NEWSCRAWL_SHARE_RETRY_BACKOFF": "0"})
    assert article.id not in _post_ids(proxy.requests)
    assert result.stats["newscrawl/incremental/share_retried"] >= 1
    assert Archive(tmp_path / "newscrawl.db").get(article.id)["source_title"] == article.title


def test_refresh_arguments() -> None:
    assert refresh_ids("all") is None and refresh_ids(None) == set()
    assert refresh_ids("202205262200011681, NW202205262200011682") == {"202205262200011681", "202205262200011682"}
    assert refresh_ids("https://finews.withounder.com/emnews/2022/05/26/202205262200011681.html") == {"202205262200011681"}


def test_a_conditional_request_reads_validators_and_a_304_reads_the_body(tmp_path: Path) -> None:
    from scrapy import Request
    from scrapy.http import Response
    from scrapy.utils.test import get_crawler

    from newscrawl.crawling.incremental import ConditionalGetMiddleware

    archive = Archive(tmp_path / "a.db")
    url = "https://finews.withounder.com/category/huaxiashibao.html"
    body = "<ul><li>a listing</li></ul>".encode() * 500
    archive.store_capture(url, "category", "2026-11-30T00:00:00+00:00", 200, body, "text/html", '"v1"', None)
    archive.commit()
    statements: list[str] = []
    archive.db.conn.set_trace_callback(statements.append)
    middleware = ConditionalGetMiddleware(archive, get_crawler().stats)
    request = Request(url)
    assert middleware.process_request(request) is None
    assert request.headers[b"If-None-Match"] == b'"v1"'
    assert statements and not [s for s in statements if "body" in s]  # validators only
    answered = middleware.process_response(request, Response(url, status=304, request=request))
    assert answered.status == 200 and answered.body == body
    assert [s for s in statements if "body" in s]  # the body, once the answer is a 304


def test_a_failing_share_answer_is_asked_with_a_backoff_then_given_up(serve, small_site: GeneratedSite,
                                                                      tmp_path: Path) -> None:
    article = next(a for a in small_site.articles
                   if a.share_id and not a.planted and not a.alias_of and not a.share_case)
    broken = serve(ShareOverride(small_site, {article.share_id: MirrorResponse.html("busy", 503)}))
    asked = lambda since: sum(1 for r in broken.requests[since:] if f"id={article.share_id}" in r.target)  # noqa: E731
    soon = {"RETRY_TIMES": "0", "NEWSCRAWL_SHARE_RETRY_BACKOFF": "0", "NEWSCRAWL_SHARE_RETRY_ATTEMPTS": "3"}

    def run(settings: dict[str, str], **spider_args: str) -> tuple[dict, int]:
        before = len(broken.requests)
        result = crawl_through_mirror(broken.url, tmp_path, settings=settings, spider_args=spider_args)
        assert result.report["finish_reason"] == "finished", result.log[-2000:]
        return result.stats, asked(before)

    stats, n = run({"RETRY_TIMES": "0"})  # attempt 1, from the post page
    assert n == 1 and stats["newscrawl/share/http_503"] == 1
    stats, n = run({"RETRY_TIMES": "0"})  # an hour has not passed: not asked
    assert n == 0 and stats["newscrawl/incremental/share_backoff"] >= 1  # (the planted failures wait too)
    for attempt in (2, 3):
        stats, n = run(soon)
        assert n == 1 and stats["newscrawl/incremental/share_retried"] >= 1, attempt
    assert stats["newscrawl/share/gave_up"] >= 1
    archive = Archive(tmp_path / "newscrawl.db")
    assert archive.share_attempts(article.id)[:2] == (3, True)
    archive.close()
    stats, n = run(soon)  # given up: never asked again …
    assert n == 0 and "newscrawl/incremental/share_retried" not in stats and "newscrawl/share/gave_up" not in stats
    stats, n = run(soon, refresh=article.id)  # … unless refreshed, which starts the count again
    assert n == 1 and stats["newscrawl/incremental/refetched"] >= 1
    archive = Archive(tmp_path / "newscrawl.db")
    assert archive.share_attempts(article.id)[:2] == (1, False)
    archive.close()
    stats, n = run(soon)  # so later runs ask it again
    assert n == 1
    healthy = serve(small_site)  # and a good answer ends it
    result = crawl_through_mirror(healthy.url, tmp_path, settings=soon)
    assert result.stats["newscrawl/share/ok"] == 1 and result.stats["newscrawl/store/changed"] == 1
    archive = Archive(tmp_path / "newscrawl.db")
    assert archive.get(article.id)["source_title"] == article.title and archive.share_attempts(article.id) == (0, False, None)


def test_share_retries_are_read_a_few_hundred_a_query(tmp_path: Path) -> None:
    from scrapy.utils.test import get_crawler

    from newscrawl.crawling.share_retries import ShareRetries

    archive = Archive(tmp_path / "a.db")
    for record in GeneratedSite(articles=60, seed=3).expected():
        archive.save({**record, "source_body_text": None}, None)
    archive.commit()
    statements: list[str] = []
    archive.db.conn.set_trace_callback(statements.append)
    due = list(ShareRetries(archive, get_crawler().stats).due(datetime.now(UTC), skip=set()))
    assert len(due) >= 50 and all(r["share_url"] for r in due)
    assert len([s for s in statements if s.lstrip().lower().startswith("select")]) <= 3


def test_a_share_answer_recorded_again_counts_once(tmp_path: Path) -> None:
    """The archiver takes again, after a crash, the outcomes it had written but not released:
    one answer is one attempt however often it is recorded."""
    from datetime import timedelta

    from scrapy.utils.test import get_crawler

    from newscrawl.crawling.share_retries import ShareRetries

    archive = Archive(tmp_path / "a.db")
    retries, at = ShareRetries(archive, get_crawler().stats), datetime(2026, 12, 1, 8, tzinfo=UTC)
    for _ in range(3):
        retries.answered("202612010800000001", "http_503", at)
    assert archive.share_attempts("202612010800000001") == (1, False, at.isoformat(timespec="seconds"))
    later = at + timedelta(hours=2)
    retries.answered("202612010800000001", "timeout", later)
    retries.answered("202612010800000001", "http_503", at)  # an older one, again
    assert archive.share_attempts("202612010800000001") == (2, False, later.isoformat(timespec="seconds"))
    archive.close()


def test_a_requests_kind_is_classified_once_and_read_from_its_meta(monkeypatch, tmp_path: Path) -> None:
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    import newscrawl.crawling.captures
    import newscrawl.crawling.incremental
    import newscrawl.parsing.listing
    import newscrawl.spiders
    import newscrawl.spiders.finews
    from newscrawl.crawling.captures import CaptureMiddleware
    from newscrawl.crawling.incremental import ConditionalGetMiddleware, IncrementalSpiderMiddleware
    from newscrawl.parsing import urls
    from newscrawl.spiders import KIND
    from newscrawl.spiders.finews import FinewsSpider

    calls: list[str] = []

    def counting(url: str) -> PageKind:
        calls.append(url)
        return urls.classify_url(url)

    for module in (newscrawl.spiders, newscrawl.spiders.finews, newscrawl.crawling.incremental,
                   newscrawl.crawling.captures, newscrawl.parsing.listing):
        if hasattr(module, "classify_url"):
            monkeypatch.setattr(module, "classify_url", counting)
    from newscrawl import settings

    project = {k: getattr(settings, k) for k in dir(settings) if k.isupper()}
    crawler = get_crawler(FinewsSpider, {**project, "NEWSCRAWL_DB": str(tmp_path / "a.db"), "NEWSCRAWL_JSONL": "",
                                         "NEWSCRAWL_REPORT": ""})
    spider = FinewsSpider.from_crawler(crawler)
    archive = Archive(tmp_path / "a.db")
    url = "https://finews.withounder.com/huaxiashibao/2022/04/02/202204022332158234.html"
    request = spider.request_for(url)
    assert request.meta[KIND] == "post" and len(calls) == 1
    IncrementalSpiderMiddleware(archive, crawler.stats, spider)._wanted(request)
    conditional = ConditionalGetMiddleware(archive, crawler.stats)
    conditional.process_request(request)
    response = HtmlResponse(url, body=b"<html></html>", request=request)
    conditional.process_response(request, response)
    CaptureMiddleware(archive, crawler.stats).process_response(request, response)
    assert len(calls) == 1  # every component read the kind from the request's meta
    assert archive.captured_urls("post") == [url]
    # The meta is what counts: a request marked as a category page is captured as one.
    listing = spider.request_for("https://finews.withounder.com/category/huaxiashibao.html")
    CaptureMiddleware(archive, crawler.stats).process_response(listing, HtmlResponse(listing.url, body=b"x", request=listing))
    assert archive.captured_urls("category") == [listing.url]


def test_a_redirected_request_is_classified_by_where_it_went() -> None:
    from scrapy import Request

    from newscrawl.spiders import KIND, kind_of

    post = Request("https://finews.withounder.com/emnews/2022/05/26/202205262200011681.html", meta={KIND: "post"})
    assert kind_of(post) == "post"
    # What RedirectMiddleware makes of it: the meta (and the kind in it) travels along.
    moved = post.replace(url="https://finews.withounder.com/", meta={**post.meta, "redirect_urls": [post.url]})
    assert kind_of(moved) == "home" and kind_of(moved) == "home"
