"""parse_post on the variants that break naive parsers: malformed Eastmoney HTML, titles
that look like markup, share links in odd places, malformed links."""

from __future__ import annotations

from newscrawl.parsing.listing import parse_listing
from newscrawl.parsing.post import parse_post

SITE = "https://finews.withounder.com"
URL = f"{SITE}/emnews/2022/05/26/202205262391900009.html"


def _post(content: str, title: str = "标题", headline: str = "标题") -> str:
    return (
        '<html><head><link rel="canonical" href="https://finews.withounder.com/emnews/2022/05/26/202205262391900009.html">'
        '<meta property="article:published_time" content="2022-05-26T08:00:00+08:00">'
        f'<script type="application/ld+json">{{"headline": "{headline}"}}</script></head>'
        f"<body><section><small>(GMT+8, Asia/Shanghai, CST) 2022-05-26 08:00:00</small><h1>{title}</h1>"
        f"{content}<small>tags: <em>东财滚动新闻</em></small></section></body></html>"
    )


def test_unclosed_div_in_body_does_not_leak_navigation_share_link_or_tags() -> None:
    html = _post(
        '<div class="em"><p>正文第一段。</p>'
        '<p><a href="http://finance.eastmoney.com/a/202205262391900009.html">'
        "http://finance.eastmoney.com/a/202205262391900009.html</a></p>"
        '<p><a href="../emnews/">返回东财滚动新闻</a></p>'
    )
    fields = parse_post(html, URL)
    assert fields["body_text"] == "正文第一段。"
    assert fields["share_id"] == "202205262391900009"
    assert fields["tags"] == ["东财滚动新闻"]
    assert fields["media"] == "东财滚动" and fields["category"] == "emnews"


def test_title_that_turned_into_markup_comes_from_the_json_ld_headline() -> None:
    # Without the layout's date line before the <h1>, the raw title is not escaped before
    # parsing: "<E 低于10倍" opens an element, and only the JSON-LD headline (JSON-escaped,
    # as jekyll-seo-tag writes it) still holds the title.
    html = _post("<p>正文。</p>", title="市盈率P<E 低于10倍", headline="市盈率P\\u003cE 低于10倍").replace(
        "<small>(GMT+8, Asia/Shanghai, CST) 2022-05-26 08:00:00</small>", "")
    fields = parse_post(html, URL)
    assert fields["title"] == "市盈率P<E 低于10倍"
    assert fields["site_published_at"] == "2022-05-26T08:00:00+08:00"


def test_share_link_inside_a_sentence_is_still_found() -> None:
    html = _post('<p>详见<a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW1">原文</a>。</p>')
    fields = parse_post(html, URL)
    assert fields["share_id"] == "NW1"



def _layout(content: str, title: str = "标题") -> str:
    """A post inside the site's real layout, footer and script included."""
    return _post(content, title=title).replace(
        "</section></body>", '</section><footer><p>&copy; 2021</p></footer><script src="/assets/js/scale.fix.js"></script></body>'
    )


def test_unclosed_div_does_not_pull_the_footer_into_the_body() -> None:
    fields = parse_post(_layout('<div class="b-review"><p>正文。</p>'), URL)
    assert fields["body_text"] == "正文。"
    assert "footer" not in fields["body_html"] and "scale.fix.js" not in fields["body_html"]


def test_title_with_a_less_than_sign_keeps_the_whole_body() -> None:
    fields = parse_post(_layout("<p>第一段。</p><p>第二段。</p>", title="市盈率P<E 低于10倍"), URL)
    assert fields["title"] == "市盈率P<E 低于10倍"
    assert fields["body_text"] == "第一段。\n第二段。"


def test_only_share_autolinks_are_removed_from_the_body() -> None:
    data = "http://data.eastmoney.com/bbsj/"
    fields = parse_post(_post(f'<p>正文。</p><p><a href="{data}">{data}</a></p>'), URL)
    assert data in fields["body_text"]


def test_text_after_a_widget_comment_is_kept() -> None:
    fields = parse_post(_post("<!-- EM_StockImg_End -->正文紧跟注释。<p>下一段。</p>"), URL)
    assert fields["body_text"] == "正文紧跟注释。\n下一段。"


def test_share_autolink_inside_a_body_paragraph_leaves_the_text() -> None:
    link = "http://finance.eastmoney.com/news/1354,202205262391900009.html"
    fields = parse_post(_post(f'<p>正文最后一句。\n<a href="{link}">{link}</a></p>'), URL)
    assert fields["share_url"] == link
    assert fields["body_text"] == "正文最后一句。"


def test_malformed_links_do_not_break_a_post_or_a_listing() -> None:
    fields = parse_post(_post('<p>正文<a href="http://[x">坏链接</a>。</p>'), URL)
    assert fields["body_text"] == "正文坏链接。"
    listing = (
        '<html><body><section><ul><li><a href="http://[x">坏</a></li>'
        '<li><a href="/emnews/2022/05/26/202205262391900009.html">好</a></li></ul></section></body></html>'
    )
    assert parse_listing(listing, f"{SITE}/category/emnews.html") == [URL]
