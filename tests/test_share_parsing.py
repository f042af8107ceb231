"""Share links → endpoint URLs, endpoint answers → source fields, and the merge rules."""

from __future__ import annotations

import json

import pytest

from newscrawl.parsing.share import ShareError, UnsafeLink, parse_share, share_endpoint
from newscrawl.processing.merge import merge_share, reconcile

HOSTS = frozenset({"finews.zning.xyz", "choicewzp1.eastmoney.com"})
DEFAULT = "finews.zning.xyz"
ANSWER = {"infoCode": "NW202204022332158234", "title": "新网银行去年净利润增长近三成",
          "showtime": "2022-04-02 14:57:53", "medianame": "华夏时报", "text": "<p>第一段。</p><p>第二段。</p>"}


def _endpoint(link: str) -> str:
    return share_endpoint(link, HOSTS, DEFAULT)


def test_newsshare_page_maps_to_the_json_endpoint_on_its_host() -> None:
    assert _endpoint("http://choicewzp1.eastmoney.com/html_News/NewsShare.html?infoCode=NW2022") == (
        "http://choicewzp1.eastmoney.com/NewsData/GetNewsText.do?id=NW2022")


@pytest.mark.parametrize("link", [
    "http://finance.eastmoney.com/news/1344,202112082206672930.html",
    "http://stock.eastmoney.com/a/202112082206672930.html",
    "https://hk.eastmoney.com/news/11362,202112082206672930.html",
])
def test_eastmoney_article_links_go_to_the_default_share_host(link: str) -> None:
    assert _endpoint(link) == "http://finews.zning.xyz/NewsData/GetNewsText.do?id=202112082206672930"


@pytest.mark.parametrize(("link", "reason"), [
    ("http://share.example.net/html_News/NewsShare.html?infoCode=NW1", "host"),
    ("http://www.example.com/news/1344,202112082206672930.html", "host"),
    ("javascript:void(0)", "scheme"),
    ("data:text/html,<p>x</p>", "scheme"),
    ("file:///etc/passwd", "scheme"),
    ("http://[x/html_News/NewsShare.html?infoCode=NW1", "malformed"),
    ("http://finews.zning.xyz/html_News/NewsShare.html", "malformed"),
    ("", "malformed"),
])
def test_unsafe_share_links_are_refused(link: str, reason: str) -> None:
    with pytest.raises(UnsafeLink) as caught:
        _endpoint(link)
    assert caught.value.reason == reason


def test_answer_fields_and_beijing_time() -> None:
    share = parse_share(json.dumps(ANSWER).encode(), "u")
    assert share == {
        "source_title": "新网银行去年净利润增长近三成",
        "source_published_at": "2022-04-02T14:57:53+08:00",
        "source_media": "华夏时报",
        "source_body_html": "<p>第一段。</p><p>第二段。</p>",
        "source_body_text": "第一段。\n第二段。",
    }


def test_content_keyed_answer() -> None:
    answer = {**ANSWER, "content": ANSWER["text"]}
    del answer["text"]
    assert parse_share(json.dumps(answer).encode(), "u")["source_body_text"] == "第一段。\n第二段。"


@pytest.mark.parametrize("declared", ["gbk", "GB2312", "gb18030", None])
def test_gbk_answers_decode_as_gb18030(declared: str | None) -> None:
    body = json.dumps(ANSWER, ensure_ascii=False).encode("gb18030")
    assert parse_share(body, "u", declared)["source_title"] == ANSWER["title"]


def test_empty_text_keeps_title_and_time() -> None:
    share = parse_share(json.dumps({**ANSWER, "text": ""}).encode(), "u")
    assert share["source_title"] and share["source_published_at"] and share["source_body_text"] is None


@pytest.mark.parametrize(("body", "reason"), [
    (b'{"title": "x", "te', "invalid_json"),
    (b"<html><h1>Error</h1></html>", "html_error_page"),
    (b"\xef\xbb\xbf  <!DOCTYPE html><h1>Error</h1>", "html_error_page"),
    (b'{"error": "not found"}', "not_found"),
    (b"[]", "not_found"),
    (b"  ", "empty_answer"),
])
def test_unusable_answers_raise_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(ShareError) as caught:
        parse_share(body, "u")
    assert caught.value.reason == reason


def test_declared_gbk_wins_over_a_utf8_reading_of_the_same_bytes() -> None:
    # GBK 茅台 (C3 A9 CC A8) is also valid UTF-8 (é + a combining mark).
    body = json.dumps({"title": "茅台", "showtime": "2022-04-02 14:57:53", "text": "<p>x</p>"},
                      ensure_ascii=False).encode("gbk")
    assert parse_share(body, "u", "gbk")["source_title"] == "茅台"
    assert parse_share(body, "u", None)["source_title"] != "茅台"


def test_bom_control_characters_and_lone_surrogates_are_tolerated() -> None:
    body = b"\xef\xbb\xbf" + json.dumps({**ANSWER, "title": "\ud800标题", "text": "<p>a\x0bb</p>"}).encode()
    share = parse_share(body, "u", "utf-8")
    assert share["source_title"] == "标题" and share["source_body_text"] == "ab"


def test_a_body_without_text_is_no_body() -> None:
    share = parse_share(json.dumps({**ANSWER, "text": "<p> </p>"}).encode(), "u")
    assert share["source_body_html"] is None and share["source_body_text"] is None


def _post(**fields: object) -> dict:
    base = {"id": "1", "url": "https://finews.withounder.com/huaxiashibao/2022/04/02/1.html", "title": "标题",
            "site_published_at": "2022-04-02T22:57:53+08:00",
            "published_at": "2022-04-02T22:57:53+08:00", "media": "华夏时报", "digest": None,
            "body_html": "<p>一段。</p>", "body_text": "一段。",
            "share_url": "http://choicewzp1.eastmoney.com/html_News/NewsShare.html?infoCode=NW1"}
    return {**base, **fields}


SHARE = parse_share(json.dumps(ANSWER).encode(), "u")


def test_merge_takes_the_sources_time_and_records_provenance() -> None:
    merged = merge_share(_post(), SHARE)
    assert merged["published_at"] == "2022-04-02T14:57:53+08:00"
    assert merged["site_published_at"] == "2022-04-02T22:57:53+08:00"
    assert merged["provenance"]["published_at"] == "share" and merged["provenance"]["title"] == "post"


def test_digest_only_media_post_gets_the_full_text() -> None:
    full = "第一段，新网银行去年净利润增长近三成。\n第二段，小微贷款余额较年初增长两成。"
    share = {**SHARE, "source_body_text": full}
    for lead in ("标题\n一段", "标题\n一段\n（文章来源：华夏时报）", "", "标题"):
        merged = merge_share(_post(body_text=lead, body_html="<p>lead</p>"), share)
        assert merged["body_text"] == full and merged["provenance"]["body_text"] == "share"


def test_a_body_taken_from_the_source_follows_a_longer_source() -> None:
    first = merge_share(_post(body_text="一段"), SHARE)
    grown = {**SHARE, "source_body_text": "第一段。\n第二段。\n第三段。", "source_body_html": "<p>3</p>"}
    assert merge_share(first, grown)["body_text"] == "第一段。\n第二段。\n第三段。"


def test_a_post_with_a_body_keeps_it() -> None:
    body = "第一句很长的正文。\n第二句。\n第三句。"
    eastmoney = "http://finance.eastmoney.com/news/1354,1.html"
    merged = merge_share(_post(body_text="一段。", share_url=eastmoney), SHARE)
    assert merged["body_text"] == "一段。"
    assert merge_share(_post(body_text=body), SHARE)["body_text"] == body


def test_a_shorter_or_empty_source_never_replaces_the_body() -> None:
    long_post = _post(body_text="这是一段比来源更长的正文内容。")
    assert merge_share(long_post, {**SHARE, "source_body_text": "短"})["body_text"] == long_post["body_text"]
    assert merge_share(_post(body_text="一段"), {**SHARE, "source_body_text": None})["body_text"] == "一段"


def test_no_answer_keeps_the_post_as_it_is() -> None:
    merged = merge_share(_post(), None)
    assert merged["published_at"] == _post()["published_at"]
    assert merged["source_title"] is None and merged["provenance"]["published_at"] == "post"


def test_reconcile_keeps_earlier_source_fields_when_the_share_fetch_failed() -> None:
    stored = merge_share(_post(), SHARE)
    assert reconcile(merge_share(_post(), None), stored) == stored


def test_reconcile_keeps_the_posts_fields_under_a_share_only_article() -> None:
    stored = merge_share(_post(), SHARE)
    share_only = merge_share({"id": "1", "url": "http://x", "share_url": "http://x"}, SHARE)
    result = reconcile(share_only, stored)
    assert {k: result[k] for k in ("title", "site_published_at", "media", "body_text")} == {
        k: stored[k] for k in ("title", "site_published_at", "media", "body_text")}


def test_reconcile_keeps_a_post_without_a_page_date_under_a_share_only_article() -> None:
    stored = merge_share(_post(site_published_at=None, published_at=None, category="emnews", tags=["东财滚动新闻"]), SHARE)
    share_only = merge_share({"id": "1", "url": "http://x", "share_url": "http://x"}, SHARE)
    result = reconcile(share_only, stored)
    assert (result["url"], result["category"], result["tags"]) == (stored["url"], "emnews", ["东财滚动新闻"])


def test_reconcile_keeps_an_earlier_time_when_the_new_answer_has_none() -> None:
    stored = merge_share(_post(), SHARE)
    incoming = merge_share(_post(), {**SHARE, "source_published_at": None})
    assert reconcile(incoming, stored)["published_at"] == SHARE["source_published_at"]


def test_reconcile_of_an_unchanged_recrawl_is_the_stored_record() -> None:
    stored = merge_share(_post(), SHARE)
    assert reconcile(merge_share(_post(), SHARE), stored) == stored
