"""parse_post (and the text helpers it relies on) on hand-written pages shaped like finews posts.

Fixtures live in tests/pages/; see ../shared/finews/SITE.md for the shapes they imitate.
"""

from __future__ import annotations

import lxml.html
import pytest

from newscrawl.parsing import PageError
from newscrawl.parsing.post import parse_post

SITE = "https://finews.withounder.com"

MEDIA_URL = f"{SITE}/huaxiashibao/2022/04/03/202204031187654321.html"
BLOCKQUOTE_URL = f"{SITE}/emnews/2022/05/27/202205272398765432.html"
DIGEST_ONLY_URL = f"{SITE}/zhongguozhengquanbao/2022/04/02/202204022331234567.html"
SPLIT_URL = f"{SITE}/21shijijingjibaodao/nancailicaitong/2022/04/02/202204022330011122.html"
ENTITIES_URL = f"{SITE}/emnews/2021/12/08/202112082206111111.html"
NO_LAYOUT_URL = f"{SITE}/2021/12/08/202112082206222222.html"
EMPTY_TITLE_URL = f"{SITE}/emnews/2022/05/26/202205262391900001.html"
SMALL_DATE_URL = f"{SITE}/emnews/2021/12/08/202112082206333333.html"
NO_DATE_URL = f"{SITE}/emnews/2021/12/08/202112082206444444.html"
SITENEWS_URL = f"{SITE}/sitenews/2021/12/01/init.html"

MEDIA_SHARE_URL = "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202204031187654321"
MEDIA_BODY_TEXT = (
    "本报记者 王明 北京报道\n"
    "一季度，某城商行普惠小微贷款余额较年初增长21.5%，高于各项贷款平均增速。\n"
    "线上审批占比过半\n"
    "该行人士表示，线上审批的“快易贷”产品已覆盖3万余户个体工商户。\n"
    "（文章来源：华夏时报）"
)


@pytest.fixture
def media(page):
    return parse_post(page("post_media.html"), MEDIA_URL)


@pytest.fixture
def blockquote(page):
    return parse_post(page("post_emnews_blockquote.html"), BLOCKQUOTE_URL)


@pytest.fixture
def digest_only(page):
    return parse_post(page("post_digest_only.html"), DIGEST_ONLY_URL)


@pytest.fixture
def split(page):
    return parse_post(page("post_split_category.html"), SPLIT_URL)


@pytest.fixture
def entities(page):
    return parse_post(page("post_entities.html"), ENTITIES_URL)


@pytest.fixture
def sitenews(page):
    return parse_post(page("post_sitenews_init.html"), SITENEWS_URL)


def _paragraph_texts(body_html: str) -> list[str]:
    root = lxml.html.fragment_fromstring(body_html, create_parent="div")
    return [p.text_content() for p in root.iter("p")]


# --- media post (shape B) --------------------------------------------------------------------


def test_media_post_id_is_the_numeric_last_path_segment(media):
    assert media["id"] == "202204031187654321"


def test_media_post_url_is_the_canonical_link(media):
    assert media["url"] == MEDIA_URL


def test_media_post_title_is_the_h1_text(media):
    assert media["title"] == "某城商行一季度信贷投放提速 普惠贷款余额增长两成"


def test_media_post_site_published_at_is_iso_with_beijing_offset(media):
    assert media["site_published_at"] == "2022-04-03T09:15:00+08:00"


def test_media_post_category_is_the_slug_of_its_category_back_link(media):
    assert media["category"] == "huaxiashibao"


def test_media_post_media_is_the_back_link_name_without_xinwen(media):
    assert media["media"] == "华夏时报"


def test_media_post_tags_are_the_em_items_of_the_tags_line(media):
    assert media["tags"] == ["华夏时报新闻"]


def test_media_post_without_blockquote_has_no_digest(media):
    assert media["digest"] is None


def test_media_post_body_text_is_only_the_article_paragraphs(media):
    assert media["body_text"] == MEDIA_BODY_TEXT


def test_media_post_body_html_keeps_exactly_the_article_paragraphs(media):
    assert _paragraph_texts(media["body_html"]) == MEDIA_BODY_TEXT.split("\n")


def test_media_post_body_html_has_no_share_link_and_no_navigation(media):
    assert "<a" not in media["body_html"]
    assert "NewsShare" not in media["body_html"]
    assert "返回" not in media["body_html"]


def test_media_post_source_is_the_name_in_wenzhang_laiyuan(media):
    assert media["source"] == "华夏时报"


def test_media_post_share_url_is_the_newsshare_autolink(media):
    assert media["share_url"] == MEDIA_SHARE_URL


def test_media_post_share_id_is_the_info_code(media):
    assert media["share_id"] == "NW202204031187654321"


def test_media_fixture_reproduces_og_description_spilling_links_out_of_head(page):
    # Guard for the tests below: the unescaped og:description really does put a second copy
    # of the share link and the navigation into the parsed document, outside <section>.
    doc = lxml.html.document_fromstring(page("post_media.html"))
    assert len(doc.xpath("//a[@href=$h]", h=MEDIA_SHARE_URL)) == 2
    assert len(doc.xpath("//a[.='返回华夏时报新闻']")) == 2
    assert len(doc.xpath("//section//a[.='返回华夏时报新闻']")) == 1


def test_og_description_paragraphs_are_not_duplicated_into_the_body(media):
    assert media["body_text"].count("本报记者 王明 北京报道") == 1
    assert media["body_html"].count("em_media") == 1


def test_fields_ignore_links_and_text_spilled_from_og_description(page):
    # Make the head's raw copy (the first occurrence of each string) differ from the section,
    # so that anything read from it would show.
    html = page("post_media.html")
    html = html.replace("NW202204031187654321", "NW209901019999999999", 2)  # href and link text
    html = html.replace("category/huaxiashibao.html", "category/decoy.html", 1)
    html = html.replace("返回华夏时报新闻", "返回诱饵日报新闻", 1)
    html = html.replace("本报记者 王明 北京报道", "诱饵段落", 1)
    html = html.replace("（文章来源：华夏时报）", "（文章来源：诱饵日报）", 1)
    assert html.index("诱饵段落") < html.index("<section>")

    fields = parse_post(html, MEDIA_URL)

    assert fields["share_url"] == MEDIA_SHARE_URL
    assert fields["share_id"] == "NW202204031187654321"
    assert fields["category"] == "huaxiashibao"
    assert fields["media"] == "华夏时报"
    assert fields["source"] == "华夏时报"
    assert fields["body_text"] == MEDIA_BODY_TEXT


# --- 东财滚动新闻 post with a blockquote digest and Eastmoney widgets (shape A) ---------------


def test_blockquote_post_digest_is_the_blockquote_text(blockquote):
    assert blockquote["digest"] == (
        "5月27日午后，储能板块震荡拉升，多只个股涨停。多家上市公司在互动平台回应称在手订单充足。（证券时报）"
    )


def test_blockquote_post_body_does_not_repeat_the_digest(blockquote):
    assert "<blockquote" not in blockquote["body_html"]
    assert "多只个股涨停" not in blockquote["body_text"]


def test_blockquote_post_body_text_is_the_article_paragraphs_with_keytip_text_inline(blockquote):
    assert blockquote["body_text"] == (
        "受消息面提振，储能板块午后走强，板块内十余只个股涨幅超过5%。\n"
        "有公司在互动平台表示，目前产线满负荷运转，订单已排至三季度。\n"
        "（文章来源：证券时报）"
    )


def test_blockquote_post_body_html_has_no_eastmoney_article_link(blockquote):
    assert "finance.eastmoney.com/news" not in blockquote["body_html"]


def test_blockquote_post_body_html_has_no_navigation_separated_by_newline(blockquote):
    assert "返回" not in blockquote["body_html"]
    assert 'href="../' not in blockquote["body_html"]


def test_emnews_post_category_comes_from_relative_back_link(blockquote):
    assert blockquote["category"] == "emnews"


def test_emnews_post_media_is_dongcai_gundong(blockquote):
    assert blockquote["media"] == "东财滚动"


def test_emnews_post_tags(blockquote):
    assert blockquote["tags"] == ["东财滚动新闻"]


def test_emnews_post_title(blockquote):
    assert blockquote["title"] == "储能板块午后拉升 多家公司回应订单情况"


def test_emnews_post_site_published_at(blockquote):
    assert blockquote["site_published_at"] == "2022-05-27T13:42:10+08:00"


def test_emnews_post_source_is_the_name_in_wenzhang_laiyuan(blockquote):
    assert blockquote["source"] == "证券时报"


def test_emnews_post_share_url_is_the_eastmoney_article_link(blockquote):
    assert blockquote["share_url"] == "http://finance.eastmoney.com/news/1354,202205272398765432.html"


def test_emnews_post_share_id_is_the_eastmoney_article_id(blockquote):
    assert blockquote["share_id"] == "202205272398765432"


def test_emnews_post_id(blockquote):
    assert blockquote["id"] == "202205272398765432"


def test_blockquote_only_post_keeps_the_digest_as_its_body():
    # The first version of a 东财滚动新闻 post may hold nothing but the digest.
    html = """<html><body><section>
<small>(GMT+8, Asia/Shanghai, CST) 2022-05-27 13:42:10</small>
<h1>储能板块午后拉升</h1>
<blockquote>
  <p>储能板块午后震荡拉升，多只个股涨停。</p>
</blockquote>
<p><a href="http://finance.eastmoney.com/news/1354,202205272398765432.html">http://finance.eastmoney.com/news/1354,202205272398765432.html</a></p>
<p><a href="../emnews/">返回东财滚动新闻</a>
<a href="../">返回首页</a></p>
  <small>tags: <em>东财滚动新闻</em></small>
</section></body></html>"""
    fields = parse_post(html, BLOCKQUOTE_URL)
    assert (fields["digest"], fields["body_text"]) == (
        "储能板块午后震荡拉升，多只个股涨停。",
        "储能板块午后震荡拉升，多只个股涨停。",
    )


# --- digest-only media post (shape C) --------------------------------------------------------


def test_digest_only_post_body_is_its_single_paragraph(digest_only):
    assert digest_only["body_text"] == (
        "多家券商近日下调融资融券保证金比例，业内人士认为此举有助于释放流动性、支持市场平稳运行。"
    )
    assert _paragraph_texts(digest_only["body_html"]) == [digest_only["body_text"]]


def test_digest_only_post_without_blockquote_has_no_digest(digest_only):
    assert digest_only["digest"] is None


def test_digest_only_post_without_wenzhang_laiyuan_has_no_source(digest_only):
    assert digest_only["source"] is None


def test_digest_only_post_share_url_is_on_choicewzp1(digest_only):
    assert digest_only["share_url"] == (
        "http://choicewzp1.eastmoney.com/html_News/NewsShare.html?infoCode=NW202204022331234567"
    )


def test_digest_only_post_share_id_is_the_info_code(digest_only):
    assert digest_only["share_id"] == "NW202204022331234567"


def test_digest_only_post_category_and_media(digest_only):
    assert (digest_only["category"], digest_only["media"]) == ("zhongguozhengquanbao", "中国证券报")


# --- category with spaces, split by Jekyll ---------------------------------------------------


def test_split_category_post_category_keeps_the_generators_two_spaces(split):
    assert split["category"] == "21shijijingjibaodao  nancailicaitong"


def test_split_category_post_media_keeps_the_two_spaces(split):
    assert split["media"] == "21世纪经济报道  南财理财通"


def test_split_category_post_tags_are_the_two_split_tags(split):
    assert split["tags"] == ["21世纪经济报道", "南财理财通新闻"]


def test_split_category_post_id_and_url(split):
    assert (split["id"], split["url"]) == ("202204022330011122", SPLIT_URL)


def test_split_category_post_body_text(split):
    assert split["body_text"] == (
        "3月理财子公司新发产品数量环比回升，其中固定收益类产品占比超过九成。\n"
        "分析人士指出，二季度理财产品净值波动有望收窄。\n"
        "（文章来源：21世纪经济报道）"
    )


def test_split_category_post_source_and_share_id(split):
    assert (split["source"], split["share_id"]) == ("21世纪经济报道", "NW202204022330011122")


def test_split_category_post_without_back_link_falls_back_to_url_path(page):
    html = page("post_split_category.html").replace("返回21世纪经济报道  南财理财通新闻", "")
    fields = parse_post(html, SPLIT_URL)
    assert fields["category"] == "21shijijingjibaodao nancailicaitong"


# --- entities and U+3000 indentation ---------------------------------------------------------


def test_title_entities_are_decoded(entities):
    assert entities["title"] == '中金&高盛：<2022展望>称"稳增长"将发力'


def test_body_text_has_entities_decoded_and_no_ideographic_space(entities):
    assert entities["body_text"] == (
        '中金公司与高盛在各自的<2022年展望>报告中均提到，"稳增长"政策将在上半年集中发力。\n'
        "R&D投入较高的科技制造板块或受益。"
    )


def test_body_text_contains_no_u3000(entities):
    assert "\u3000" not in entities["body_text"]


def test_category_comes_from_absolute_bare_back_link(entities):
    assert entities["category"] == "emnews"


def test_share_id_of_eastmoney_a_link(entities):
    assert entities["share_url"] == "http://finance.eastmoney.com/a/202112082206111111.html"
    assert entities["share_id"] == "202112082206111111"


# --- pages without a post --------------------------------------------------------------------


def test_page_published_without_layout_raises_no_layout(page):
    with pytest.raises(PageError) as err:
        parse_post(page("post_no_layout.html"), NO_LAYOUT_URL)
    assert err.value.reason == "no_layout"


def test_not_found_page_raises_no_layout():
    html = (
        "<html><body><div class='wrapper'><section>"
        "<h2 id='404'>404 找不到页面 Page Not Found</h2><p>此页面不存在。</p>"
        "</section></div></body></html>"
    )
    with pytest.raises(PageError) as err:
        parse_post(html, f"{SITE}/emnews/2021/12/01/202112012200000000.html")
    assert err.value.reason == "no_layout"


@pytest.mark.parametrize("html", ["", "  \n\t "])
def test_empty_page_raises_empty_page(html):
    with pytest.raises(PageError) as err:
        parse_post(html, MEDIA_URL)
    assert err.value.reason == "empty_page"


# --- missing single fields -------------------------------------------------------------------


def test_empty_h1_gives_title_none(page):
    assert parse_post(page("post_empty_title.html"), EMPTY_TITLE_URL)["title"] is None


def test_empty_h1_still_gives_the_other_fields(page):
    fields = parse_post(page("post_empty_title.html"), EMPTY_TITLE_URL)
    assert (fields["id"], fields["body_text"], fields["share_id"]) == (
        "202205262391900001",
        "沪深两市早盘小幅高开，创业板指涨0.3%。",
        "202205262391900001",
    )


def test_shown_gmt8_line_is_the_last_resort_published_time(page):
    fields = parse_post(page("post_date_in_small_only.html"), SMALL_DATE_URL)
    assert fields["site_published_at"] == "2021-12-08T20:21:32+08:00"


def test_post_without_any_date_has_site_published_at_none(page):
    assert parse_post(page("post_no_date.html"), NO_DATE_URL)["site_published_at"] is None


def test_url_without_canonical_is_https_site_url_of_the_path(page):
    # The page still has og:url on the old host finews.zning.me: that is not the canonical.
    fields = parse_post(
        page("post_date_in_small_only.html"),
        "http://finews.withounder.com/emnews/2021/12/08/202112082206333333.html?from=feed",
    )
    assert fields["url"] == SMALL_DATE_URL


# --- the site's own news post ----------------------------------------------------------------


def test_site_news_post_has_no_article_id(sitenews):
    assert sitenews["id"] is None


def test_site_news_post_category_from_url_and_media_from_tag(sitenews):
    assert (sitenews["category"], sitenews["media"]) == ("sitenews", "站长消息")


def test_site_news_post_has_no_share_link(sitenews):
    assert (sitenews["share_url"], sitenews["share_id"], sitenews["source"]) == (None, None, None)


def test_site_news_post_title_and_body(sitenews):
    assert (sitenews["title"], sitenews["body_text"]) == ("本站开通", "本站今日开通，欢迎访问。")
