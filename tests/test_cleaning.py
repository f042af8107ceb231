"""Cleaning rules, each on a real-shaped snippet (Eastmoney body HTML as the posts carry it)."""

from __future__ import annotations

from pathlib import Path

from newscrawl.parsing.post import parse_post
from newscrawl.parsing.share import ShareError, parse_share
from newscrawl.processing.cleaning import (
    clean_body,
    clean_html,
    clean_text,
    clean_title,
    fast_clean,
    full_clean,
)
from tests.conftest import SHARED

URL = "https://finews.withounder.com/emnews/2022/05/26/202205262391921712.html"


def test_kline_widget_between_em_comments_is_removed() -> None:
    html = ('<p>正文。</p><!-- EM_StockImg_Start --><p style="text-align:center;"><a href="http://quote.eastmoney.com/unify/r/106.NIO">'
            '<img src="https://webquoteklinepic.eastmoney.com/GetPic.aspx?nid=106.NIO&amp;imageType=k" alt="K图 NIO_0"></a></p>'
            "<!-- EM_StockImg_End --><p>下一段。</p>")
    cleaned = clean_html(html, URL)
    assert "GetPic" not in cleaned and "EM_StockImg" not in cleaned
    assert clean_text(cleaned) == "正文。\n下一段。"


def test_display_none_blocks_are_removed() -> None:
    html = '<p style="display:none;height:1px;overflow:hidden;"><br /></p><p style="DISPLAY: NONE">隐藏</p><p>可见。</p>'
    assert clean_html(html, URL) == "<p>可见。</p>"


def test_quote_links_keep_their_text() -> None:
    html = ('<p>霍尼韦尔宣布为<span id="stock_106.NIO"><a href="http://quote.eastmoney.com/unify/r/106.NIO" '
            'class="keytip" data-code="106,NIO">蔚来</a></span><span id="quote_106.NIO"></span>提供制冷剂。</p>')
    assert clean_html(html, URL) == "<p>霍尼韦尔宣布为蔚来提供制冷剂。</p>"


def test_scripts_styles_iframes_and_handlers_are_removed() -> None:
    html = ('<p onclick="track()" onmouseover="x()">正文<script>alert(1)</script><style>p{}</style></p>'
            '<iframe src="https://example.com/ad"></iframe><img src="a.png" onerror="steal()">')
    cleaned = clean_html(html, URL)
    assert cleaned == '<p>正文</p>\n<img src="https://finews.withounder.com/emnews/2022/05/26/a.png">'


def test_paragraphs_lists_tables_and_images_are_kept_with_absolute_urls() -> None:
    html = ('<center><img src="//dfscdn.dfcfw.com/download/D1.jpg" width="552" style="border:1px"></center>'
            "<ul><li>一</li><li>二</li></ul><table><tr><td colspan=\"2\">营收</td></tr></table>"
            '<p><strong>小标题</strong></p><img src="javascript:alert(1)">')
    cleaned = clean_html(html, URL)
    assert '<img src="https://dfscdn.dfcfw.com/download/D1.jpg" width="552">' in cleaned
    assert "<ul><li>一</li>\n<li>二</li></ul>" in cleaned and '<td colspan="2">营收</td>' in cleaned
    assert "<strong>小标题</strong>" in cleaned and "javascript" not in cleaned


def test_source_line_leaves_the_body() -> None:
    html = ('<p>正文。</p><p class="em_media">（文章来源：上海<span id="bk_90.BK0473"><a href="http://quote.eastmoney.com/'
            'unify/r/90.BK0473" class="keytip">证券</a></span>报）</p>')
    assert clean_text(clean_html(html, URL)) == "正文。"


def test_text_keeps_paragraph_breaks_and_has_no_ideographic_space_runs_or_entities() -> None:
    html = "<p>\u3000\u3000第一段&amp;A股，&lt;基加利修正案&gt;。</p><p>第二段&nbsp;&nbsp;&nbsp;结束。</p>"
    assert clean_text(clean_html(html, URL)) == "第一段&A股，<基加利修正案>。\n第二段 结束。"


def test_titles_are_trimmed_and_whitespace_normalized() -> None:
    assert clean_title("  蔚来汽车\u3000启用\n“绿色”制冷液 ") == "蔚来汽车 启用 “绿色”制冷液"
    assert clean_title("   ") is None


def test_a_body_of_nothing_but_widgets_is_none() -> None:
    assert clean_html('<p style="display:none"><br></p><!-- EM_StockImg_Start -->x<!-- EM_StockImg_End -->', URL) is None


def test_an_unclosed_widget_start_does_not_swallow_text() -> None:
    html = ("<p>甲</p><!--EM_StockImg_Start--><p>乙</p><p>丙</p>"
            "<!--EM_StockImg_Start-->K<!--EM_StockImg_End--><p>丁</p>")
    assert clean_text(clean_html(html, URL)) == "甲\n乙\n丙\n丁"


def test_text_after_a_source_note_in_the_same_paragraph_is_kept() -> None:
    assert clean_text(clean_html("<p>（文章来源：新华社）<br>后续正文（完）</p>", URL)) == "（文章来源：新华社）\n后续正文（完）"


def test_images_without_an_address_are_dropped_and_lazy_ones_resolved() -> None:
    html = '<p>图：</p><img alt="图"><img data-src="/lazy.jpg">'
    assert clean_html(html, URL) == '<p>图：</p>\n<img src="https://finews.withounder.com/lazy.jpg">'


def test_table_cells_do_not_fuse_in_text() -> None:
    assert clean_text(clean_html("<table><tr><td>2021</td><td>100</td></tr></table>", URL)) == "2021\n100"


def _bodies() -> list[str]:
    """Body HTML of every saved post page, every real post and share answer, and odd shapes."""
    bodies = [
        "<p>a &lt; b &amp; c&nbsp;&nbsp;d\u3000\u3000e</p><p>x<br>y</p>", "<p>（文章来源：新华社）</p><p>正文</p>",
        "<ul><li>一</li><li>二</li></ul>", "<p>a</p>\n\n<p>b\nc</p>", "text only", "<p><span>a</span><a href='x'>b</a></p>",
        "<p style='display:none'>hidden</p><p>ok</p>", "<h2>t</h2><blockquote><p>q</p></blockquote>",
        "<p>&#12288;&#12288;缩进</p>", "<p><strong>粗</strong>体</p>", "<div>一</div><div>二</div>", "<p>1 < 2 > 0</p>",
        '<p class="em_media">（文章来源：上海<span><a href="http://quote.eastmoney.com/x">证券</a></span>报）</p>',
        "<p>（文章来源：甲）</p><p>（文章来源：乙）正文</p>", "<p><!-- note -->注释</p>", "<p>a<p>b", "<?xml x?><p>pi</p>",
    ]
    for path in sorted(Path(__file__).parent.glob("pages/**/*.html")):
        try:
            parsed = parse_post(path.read_text(encoding="utf-8"), URL)
        except ValueError:  # pages that hold no post
            continue
        bodies.append(parsed.get("body_html") or "")
    if SHARED.exists():
        for path in sorted((SHARED / "site").glob("**/*.html")):
            try:
                parsed = parse_post(path.read_text(encoding="utf-8"), URL)
            except ValueError:
                continue
            bodies.append(parsed.get("body_html") or "")
        for path in sorted((SHARED / "share").glob("*.json")):
            try:
                bodies.append(parse_share(path.read_bytes(), URL).get("source_body_html") or "")
            except ShareError:
                continue
    return [b for b in bodies if b]


def test_the_fast_path_gives_what_the_full_pass_gives() -> None:
    bodies = _bodies()
    assert len(bodies) > 60 if SHARED.exists() else len(bodies) > 17
    for html in bodies:
        assert clean_body(html, URL) == full_clean(html, URL), html
    # … and most real bodies take it (it is what makes cleaning cheap).
    assert sum(fast_clean(html) is not None for html in bodies) > len(bodies) / 2


def test_bodies_keep_one_layout_of_blocks_whoever_rendered_them() -> None:
    # Jekyll's kramdown: a blank line between blocks, nested blocks indented, raw HTML blocks
    # on lines of their own; other renderers: none of that. The cleaned bodies are the same.
    kramdown = ('<blockquote>\n  <p>导语</p>\n</blockquote>\n\n<p>第一段。</p>\n\n<p>第二段 <strong>加粗</strong> 文字。</p>\n'
                '<img src="https://a.example/x.png">\n<p>图注</p>')
    other = ('<blockquote><p>导语</p></blockquote>\n<p>第一段。</p><p>第二段 <strong>加粗</strong> 文字。</p>'
             '<img src="https://a.example/x.png"><p>图注</p>')
    assert clean_html(kramdown, URL) == clean_html(other, URL) == (
        '<blockquote><p>导语</p></blockquote>\n<p>第一段。</p>\n<p>第二段 <strong>加粗</strong> 文字。</p>\n'
        '<img src="https://a.example/x.png">\n<p>图注</p>')
