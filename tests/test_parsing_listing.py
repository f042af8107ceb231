"""parse_listing, parse_feed and the URL helpers, on hand-written pages shaped like finews's."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest

from newscrawl.parsing import PageError
from newscrawl.parsing.listing import FeedEntry, parse_feed, parse_listing
from newscrawl.parsing.urls import (
    PageKind,
    article_id_from_url,
    category_from_link,
    category_from_post_url,
    category_page_url,
    classify_url,
    share_id_from_url,
)

SITE = "https://finews.withounder.com"
FEED_URL = f"{SITE}/feed.xml"

SITENEWS_POST = f"{SITE}/sitenews/2021/12/01/init.html"
BLOCKQUOTE_POST = f"{SITE}/emnews/2022/05/27/202205272398765432.html"
ENTITIES_POST = f"{SITE}/emnews/2021/12/08/202112082206111111.html"
SPLIT_POST = f"{SITE}/21shijijingjibaodao/nancailicaitong/2022/04/02/202204022330011122.html"
MEDIA_POST = f"{SITE}/huaxiashibao/2022/04/03/202204031187654321.html"
OTHER_MEDIA_POST = f"{SITE}/huaxiashibao/2022/04/02/202204022330999888.html"
TWO_SPACE_SLUG = "21shijijingjibaodao  nancailicaitong"


def feed_bytes(page, name: str) -> bytes:
    return page(name).encode("utf-8")


# --- parse_listing ---------------------------------------------------------------------------


def test_home_lists_each_post_once_in_page_order(page):
    assert parse_listing(page("home.html"), f"{SITE}/") == [
        SITENEWS_POST,
        BLOCKQUOTE_POST,
        ENTITIES_POST,
        SPLIT_POST,
        MEDIA_POST,
    ]


def test_home_links_are_absolute_on_the_https_site_host(page):
    links = parse_listing(page("home.html"), f"{SITE}/")
    assert {(urlsplit(u).scheme, urlsplit(u).hostname) for u in links} == {("https", "finews.withounder.com")}


def test_home_header_link_and_og_description_template_links_are_not_listed(page):
    links = parse_listing(page("home.html"), f"{SITE}/")
    assert f"{SITE}/" not in links
    assert not any("{{" in u or "%7B" in u for u in links)


def test_category_page_lists_its_posts(page):
    assert parse_listing(page("category_huaxiashibao.html"), f"{SITE}/category/huaxiashibao.html") == [
        MEDIA_POST,
        OTHER_MEDIA_POST,
    ]


def test_empty_category_page_lists_nothing(page):
    url = category_page_url(TWO_SPACE_SLUG)
    assert parse_listing(page("category_empty.html"), url) == []


def test_listing_keeps_only_post_links():
    html = (
        "<html><body><section><ul>"
        "<li><a href='/category/huaxiashibao.html'>华夏时报新闻</a></li>"
        "<li><a href='/feed.xml'>订阅</a></li>"
        "<li><a href='http://finance.eastmoney.com/news/1354,202205272398765432.html'>东财原文</a></li>"
        "<li><a href='/emnews/2022/05/27/202205272398765432.html'>储能板块午后拉升</a></li>"
        "</ul></section></body></html>"
    )
    assert parse_listing(html, f"{SITE}/") == [BLOCKQUOTE_POST]


def test_listing_of_empty_page_raises_empty_page():
    with pytest.raises(PageError) as err:
        parse_listing("", f"{SITE}/")
    assert err.value.reason == "empty_page"


# --- parse_feed ------------------------------------------------------------------------------


def test_feed_entry_urls_are_the_alternate_links(page):
    assert [e.url for e in parse_feed(feed_bytes(page, "feed.xml"), FEED_URL)] == [
        BLOCKQUOTE_POST,
        MEDIA_POST,
        SPLIT_POST,
    ]


def test_feed_entry_titles(page):
    assert [e.title for e in parse_feed(feed_bytes(page, "feed.xml"), FEED_URL)] == [
        "储能板块午后拉升 多家公司回应订单情况",
        "某城商行一季度信贷投放提速 普惠贷款余额增长两成",
        "银行理财子公司3月新发产品数量回升 固收类占比超九成",
    ]


def test_feed_entry_published_keeps_its_offset(page):
    assert [e.published for e in parse_feed(feed_bytes(page, "feed.xml"), FEED_URL)] == [
        "2022-05-27T13:42:10+08:00",
        "2022-04-03T09:15:00+08:00",
        "2022-04-02T11:20:05+08:00",
    ]


def test_feed_links_inside_entry_content_are_not_entries(page):
    urls = [e.url for e in parse_feed(feed_bytes(page, "feed.xml"), FEED_URL)]
    assert not any("eastmoney" in u or "zning.xyz" in u or "/category/" in u for u in urls)


def test_truncated_feed_is_recovered_up_to_the_cut(page):
    # Cut inside the third entry's <content>: its link and published were already received.
    entries = parse_feed(feed_bytes(page, "feed_truncated.xml"), FEED_URL)
    assert [(e.url, e.title, e.published) for e in entries] == [
        (BLOCKQUOTE_POST, "储能板块午后拉升 多家公司回应订单情况", "2022-05-27T13:42:10+08:00"),
        (MEDIA_POST, "某城商行一季度信贷投放提速 普惠贷款余额增长两成", "2022-04-03T09:15:00+08:00"),
        (SPLIT_POST, "银行理财子公司3月新发产品数量回升 固收类占比超九成", "2022-04-02T11:20:05+08:00"),
    ]
    assert entries[0].terms == ("emnews", "东财滚动新闻") and "返回东财滚动新闻" in entries[0].content


def test_feed_relative_entry_link_is_made_absolute():
    xml = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        '<entry><title type="html">储能板块午后拉升</title>'
        '<link href="/emnews/2022/05/27/202205272398765432.html" rel="alternate" type="text/html" />'
        "<published>2022-05-27T13:42:10+08:00</published></entry></feed>"
    ).encode()
    assert [e.url for e in parse_feed(xml, FEED_URL)] == [BLOCKQUOTE_POST]


def test_html_page_served_as_feed_raises_bad_feed():
    with pytest.raises(PageError) as err:
        parse_feed("<html><body><p>此页面不存在。</p></body></html>".encode(), FEED_URL)
    assert err.value.reason == "bad_feed"


def test_text_that_is_not_xml_raises_bad_feed():
    with pytest.raises(PageError) as err:
        parse_feed(b"502 Bad Gateway", FEED_URL)
    assert err.value.reason == "bad_feed"


def test_empty_feed_raises_empty_page():
    with pytest.raises(PageError) as err:
        parse_feed(b"  \n", FEED_URL)
    assert err.value.reason == "empty_page"


# --- classify_url ----------------------------------------------------------------------------


def test_classify_site_root_as_home():
    assert classify_url(f"{SITE}/") is PageKind.HOME


def test_classify_index_html_as_home():
    assert classify_url(f"{SITE}/index.html") is PageKind.HOME


def test_classify_feed():
    assert classify_url(FEED_URL) is PageKind.FEED


def test_classify_category_page():
    assert classify_url(f"{SITE}/category/huaxiashibao.html") is PageKind.CATEGORY


def test_classify_category_page_with_encoded_spaces():
    assert classify_url(f"{SITE}/category/21shijijingjibaodao%20%20nancailicaitong.html") is PageKind.CATEGORY


def test_classify_post():
    assert classify_url(MEDIA_POST) is PageKind.POST


def test_classify_post_of_split_category():
    assert classify_url(SPLIT_POST) is PageKind.POST


def test_classify_post_without_category():
    assert classify_url(f"{SITE}/2021/12/08/202112082206222222.html") is PageKind.POST


def test_classify_post_on_the_old_host_as_site_post():
    assert classify_url("https://finews.zning.me/emnews/2022/05/27/202205272398765432.html") is PageKind.POST


def test_classify_share_host_as_other():
    url = "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202204031187654321"
    assert classify_url(url) is PageKind.OTHER


def test_classify_eastmoney_article_as_other():
    assert classify_url("http://finance.eastmoney.com/news/1354,202205272398765432.html") is PageKind.OTHER


def test_classify_404_page_as_other():
    assert classify_url(f"{SITE}/404.html") is PageKind.OTHER


def test_classify_bare_emnews_back_link_target_as_other():
    assert classify_url(f"{SITE}/emnews/") is PageKind.OTHER


# --- article_id_from_url ---------------------------------------------------------------------


def test_article_id_of_post():
    assert article_id_from_url(MEDIA_POST) == "202204031187654321"


def test_article_id_of_split_category_post():
    assert article_id_from_url(SPLIT_POST) == "202204022330011122"


def test_article_id_of_site_news_post_is_none():
    assert article_id_from_url(SITENEWS_POST) is None


def test_article_id_of_category_page_is_none():
    assert article_id_from_url(f"{SITE}/category/huaxiashibao.html") is None


# --- category_from_post_url ------------------------------------------------------------------


def test_category_from_post_url_of_single_segment():
    assert category_from_post_url(MEDIA_POST) == "huaxiashibao"


def test_category_from_post_url_joins_split_segments_with_one_space():
    assert category_from_post_url(SPLIT_POST) == "21shijijingjibaodao nancailicaitong"


def test_category_from_post_url_of_lowercased_split_path():
    url = f"{SITE}/career/in/touxingpevc/2022/04/02/202204022330777666.html"
    assert category_from_post_url(url) == "career in touxingpevc"


def test_category_from_post_url_without_category_is_none():
    assert category_from_post_url(f"{SITE}/2021/12/08/202112082206222222.html") is None


# --- category_from_link ----------------------------------------------------------------------


def test_category_from_absolute_bare_back_link():
    assert category_from_link("//finews.withounder.com/emnews/", ENTITIES_POST) == "emnews"


def test_category_from_relative_back_link():
    assert category_from_link("../emnews/", BLOCKQUOTE_POST) == "emnews"


def test_category_from_category_page_back_link():
    assert category_from_link("//finews.withounder.com/category/huaxiashibao.html", MEDIA_POST) == "huaxiashibao"


def test_category_from_back_link_keeps_two_unencoded_spaces():
    href = "//finews.withounder.com/category/21shijijingjibaodao  nancailicaitong.html"
    assert category_from_link(href, SPLIT_POST) == TWO_SPACE_SLUG


def test_category_from_back_link_decodes_encoded_spaces():
    href = "//finews.withounder.com/category/21shijijingjibaodao%20%20nancailicaitong.html"
    assert category_from_link(href, SPLIT_POST) == TWO_SPACE_SLUG


def test_category_from_back_link_keeps_parentheses():
    href = "//finews.withounder.com/category/anxinguojizhengquan(xianggang).html"
    assert category_from_link(href, MEDIA_POST) == "anxinguojizhengquan(xianggang)"


def test_category_from_home_back_link_is_none():
    assert category_from_link("//finews.withounder.com/", MEDIA_POST) is None


def test_category_from_off_site_link_is_none():
    assert category_from_link("http://finance.eastmoney.com/news/", MEDIA_POST) is None


# --- category_page_url -----------------------------------------------------------------------


def test_category_page_url_percent_encodes_two_spaces():
    assert category_page_url(TWO_SPACE_SLUG) == f"{SITE}/category/21shijijingjibaodao%20%20nancailicaitong.html"


def test_category_page_url_percent_encodes_inner_spaces_and_keeps_case():
    assert category_page_url("Career In touxingPEVC") == f"{SITE}/category/Career%20In%20touxingPEVC.html"


def test_category_page_url_of_slug_with_parentheses_names_that_slug():
    url = category_page_url("anxinguojizhengquan(xianggang)")
    assert " " not in url
    assert classify_url(url) is PageKind.CATEGORY
    assert unquote(urlsplit(url).path) == "/category/anxinguojizhengquan(xianggang).html"


def test_category_page_url_follows_the_base_url_host():
    assert category_page_url("emnews", "http://127.0.0.1:8000/x/") == "http://127.0.0.1:8000/category/emnews.html"


# --- share_id_from_url -----------------------------------------------------------------------


def test_share_id_from_zning_share_link_is_the_info_code():
    url = "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202204031187654321"
    assert share_id_from_url(url) == "NW202204031187654321"


def test_share_id_from_choicewzp1_share_link_is_the_info_code():
    url = "http://choicewzp1.eastmoney.com/html_News/NewsShare.html?infoCode=NW202204022331234567"
    assert share_id_from_url(url) == "NW202204022331234567"


def test_share_id_from_eastmoney_news_link_is_the_digits_after_the_comma():
    assert share_id_from_url("http://finance.eastmoney.com/news/1344,202205262391900001.html") == (
        "202205262391900001"
    )


def test_share_id_from_eastmoney_stock_news_link():
    assert share_id_from_url("http://stock.eastmoney.com/news/1405,202112082206222222.html") == (
        "202112082206222222"
    )


def test_share_id_from_eastmoney_a_link_is_the_digits_after_a():
    assert share_id_from_url("http://finance.eastmoney.com/a/202112082206111111.html") == "202112082206111111"


def test_share_id_from_eastmoney_quote_link_is_none():
    assert share_id_from_url("http://quote.eastmoney.com/unify/r/90.BK1033") is None


def test_share_id_from_site_url_is_none():
    assert share_id_from_url(MEDIA_POST) is None


def test_feed_entry_gives_the_same_fields_as_its_post_page() -> None:
    from newscrawl.parsing.listing import post_from_feed_entry

    link = "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202204022330011122"
    entry = FeedEntry(
        url=SPLIT_POST, title="理财子公司A&B产品净值回升", published="2022-04-02T15:00:00+08:00",
        content=(f'<p>正文一段。</p>\n\n<p><a href="{link}">{link}</a></p>\n\n'
                 f'<p><a href="//finews.withounder.com/category/{TWO_SPACE_SLUG}.html">返回21世纪经济报道  南财理财通新闻</a>'
                 '｜<a href="//finews.withounder.com/">返回首页</a></p>'),
        terms=("21shijijingjibaodao", "nancailicaitong", "21世纪经济报道", "南财理财通新闻"),
    )
    fields = post_from_feed_entry(entry)
    assert fields["id"] == "202204022330011122" and fields["url"] == SPLIT_POST
    assert fields["title"] == "理财子公司A&B产品净值回升"
    assert fields["site_published_at"] == "2022-04-02T15:00:00+08:00"
    assert fields["category"] == TWO_SPACE_SLUG and fields["media"] == "21世纪经济报道  南财理财通"
    assert fields["tags"] == ["21世纪经济报道", "南财理财通新闻"]
    assert fields["body_text"] == "正文一段。" and fields["share_id"] == "NW202204022330011122"
