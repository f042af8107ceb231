"""Post sources → fields, as Jekyll built the pages: front matter, Ruby's dates, the permalink,
the Markdown as kramdown renders it (expected outputs below are kramdown's own), and the
real sample's sources against their built pages."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from newscrawl.parsing import PageError
from newscrawl.parsing.github import blob_sha, parse_repo, parse_tree, rate_limit, wanted
from newscrawl.parsing.markdown import render_markdown
from newscrawl.parsing.post import parse_post
from newscrawl.parsing.source import front_matter, jekyll_time, parse_source, post_url, words
from newscrawl.parsing.typography import kramdown_typography
from newscrawl.processing.cleaning import clean_body
from tests.conftest import SHARED

BEIJING = timezone(timedelta(hours=8))


def _source(front: str, body: str = "正文。\n\n<http://finance.eastmoney.com/a/202112082206672930.html>\n") -> str:
    return f"---\n{front}\n---\n{body}"


def test_front_matter_as_the_generator_writes_it() -> None:
    data, body = front_matter(_source('layout: post\ntitle: "阿里巴巴(09988.HK)：\\"元境\\" 成立"\n'
                                      'date: 2021-12-08 10:46:18\ncategories: emnews\ntags: 东财滚动新闻'), "p")
    assert data["title"] == '阿里巴巴(09988.HK)："元境" 成立'
    assert data["date"] == "2021-12-08 10:46:18"  # left as text: Ruby's rules say what it means
    assert body.startswith("正文。")
    assert front_matter(_source('title: ""\ndate:  +0800'), "p")[0] == {"title": "", "date": "+0800"}
    assert front_matter("---\r\ntitle: \"CRLF\"\r\n---\r\n正文", "p") == ({"title": "CRLF"}, "正文")
    assert front_matter("---\n---\n正文", "p") == ({}, "正文")


@pytest.mark.parametrize("text, reason", [("\n---\ntitle: x\n---\n正文", "no_front_matter"),
                                          ("正文", "no_front_matter"),
                                          ("---\ntitle: [unclosed\n---\n", "bad_front_matter"),
                                          ("---\n- a list\n---\n", "bad_front_matter")])
def test_a_source_without_usable_front_matter_is_refused(text: str, reason: str) -> None:
    with pytest.raises(PageError) as error:
        parse_source(text, "_posts/2021-12-08-202112082206672930.md")
    assert error.value.reason == reason


def test_dates_as_ruby_and_jekyll_read_them() -> None:
    # A full time without an offset is UTC to Ruby: the page shows it 8 hours late; the
    # generator meant Beijing time.
    def date(line: str) -> object:
        return front_matter(f"---\ndate: {line}\n---\n", "x.md")[0]["date"]

    shown, meant = jekyll_time(date("2021-12-08 10:46:18"))
    assert shown.astimezone(BEIJING).isoformat() == "2021-12-08T18:46:18+08:00"
    assert meant.isoformat() == "2021-12-08T10:46:18+08:00"
    # Quoted, it is text that Jekyll's Time.parse reads as local time: no shift.
    assert jekyll_time(date("'2021-12-08 10:46:18'")) == (datetime(2021, 12, 8, 10, 46, 18, tzinfo=BEIJING),) * 2
    assert jekyll_time(date("2021-12-08 10:20:24 +0800")) == (datetime(2021, 12, 8, 10, 20, 24, tzinfo=BEIJING),) * 2
    # Another offset is the same instant, in Beijing time like every other time.
    assert [t.isoformat() for t in jekyll_time(date("2021-12-08T02:20:24Z"))] == ["2021-12-08T10:20:24+08:00"] * 2
    # A bare date, or a time without seconds, is local (Beijing) to Time.parse.
    assert jekyll_time("2021-12-08")[0].isoformat() == "2021-12-08T00:00:00+08:00"
    assert jekyll_time("2021-12-08 10:46")[0].isoformat() == "2021-12-08T10:46:00+08:00"
    assert jekyll_time("+0800") is None and jekyll_time("soon") is None


def test_the_permalink_splits_lowercases_and_deduplicates_categories() -> None:
    day = datetime(2022, 5, 26, 0, 19, 55, tzinfo=BEIJING)
    base = "https://finews.withounder.com"
    assert post_url(words("21shijijingjibaodao  nancailicaitong"), day, "202205262391921712") == \
        f"{base}/21shijijingjibaodao/nancailicaitong/2022/05/26/202205262391921712.html"
    assert post_url(words("Career In touxingPEVC"), day, "1") == f"{base}/career/in/touxingpevc/2022/05/26/1.html"
    assert post_url(words("anxinguojizhengquan(xianggang)"), day, "1") == \
        f"{base}/anxinguojizhengquan(xianggang)/2022/05/26/1.html"
    assert post_url(words(["Wind", "wind"]), day, "1") == f"{base}/wind/2022/05/26/1.html"
    assert post_url([], day, "1") == f"{base}/2022/05/26/1.html"


def test_a_source_without_an_offset_lives_at_its_shifted_date() -> None:
    fields = parse_source(_source('title: "夜间快讯"\ndate: 2021-12-08 17:30:00\ncategories: emnews\ntags: 东财滚动新闻'),
                          "old_post/2021-12-08-202112082206999999.md")
    # 17:30 Beijing, read as UTC by Jekyll: shown at 01:30 the next day, and filed under it.
    assert fields["url"] == "https://finews.withounder.com/emnews/2021/12/09/202112082206999999.html"
    assert fields["site_published_at"] == "2021-12-09T01:30:00+08:00"
    assert fields["published_at"] == "2021-12-08T17:30:00+08:00"
    assert (fields["id"], fields["category"], fields["media"], fields["tags"]) == (
        "202112082206999999", "emnews", "东财滚动", ["东财滚动新闻"])
    assert fields["share_url"] == "http://finance.eastmoney.com/a/202112082206672930.html"


def test_a_media_post_named_by_its_infocode_has_the_digits_as_id() -> None:
    body = ("<p>正文第一段。</p>\n <p>正文第二段。</p><p class=\"em_media\">（文章来源：每日经济新闻）</p>\n\n"
            "<http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202205312391234567>\n\n"
            "[返回每日经济新闻新闻](//finews.withounder.com/category/meirijingjixinwen.html)｜"
            "[返回首页](//finews.withounder.com/)")
    fields = parse_source(_source('title: "标题"\ndate: 2022-05-31 09:00:00 +0800\ncategories: meirijingjixinwen\n'
                                  "tags: 每日经济新闻新闻", body), "_posts/2022-05-31-NW202205312391234567.md")
    assert fields["id"] == "202205312391234567"
    assert fields["url"].endswith("/meirijingjixinwen/2022/05/31/NW202205312391234567.html")
    assert (fields["source"], fields["media"], fields["share_id"]) == ("每日经济新闻", "每日经济新闻", "NW202205312391234567")
    assert clean_body(fields["body_html"], fields["url"])[1] == "正文第一段。\n正文第二段。"


def test_a_split_category_keeps_its_slug_from_the_back_link() -> None:
    body = ("<p>正文。</p>\n\n<http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202205262200011681>\n\n"
            "[返回21世纪经济报道  南财理财通新闻](//finews.withounder.com/category/21shijijingjibaodao  nancailicaitong.html)"
            "｜[返回首页](//finews.withounder.com/)")
    fields = parse_source(_source('title: "标题"\ndate: 2022-05-26 08:00:00\ncategories: 21shijijingjibaodao  nancailicaitong\n'
                                  "tags: 21世纪经济报道  南财理财通新闻", body), "_posts/2022-05-26-202205262200011681.md")
    assert fields["url"].endswith("/21shijijingjibaodao/nancailicaitong/2022/05/26/202205262200011681.html")
    assert fields["category"] == "21shijijingjibaodao  nancailicaitong"
    assert fields["tags"] == ["21世纪经济报道", "南财理财通新闻"] and fields["media"] == "21世纪经济报道  南财理财通"


def test_a_file_jekyll_does_not_publish_and_a_missing_title_or_date() -> None:
    with pytest.raises(PageError) as error:
        parse_source(_source('title: ""\ndate:  +0800'), "_posts/-202205262391921712.md")
    assert error.value.reason == "not_a_post"
    undated = parse_source(_source('title: "标题"\ndate:  +0800\ncategories: emnews'), "_posts/2022-05-26-202205262391921712.md")
    assert undated["published_at"] is None and undated["site_published_at"] is None  # validate counts it
    untitled = parse_source(_source('title: ""\ndate: 2022-05-26 08:00:00 +0800'), "_posts/2022-05-26-202205262391921712.md")
    assert not untitled["title"]
    # No date at all: Jekyll dates the post by its file name, at local midnight.
    named = parse_source(_source('title: "标题"'), "_posts/2022-05-26-202205262391921712.md")
    assert named["published_at"] == named["site_published_at"] == "2022-05-26T00:00:00+08:00"


@pytest.mark.parametrize("text, kramdown", [
    # What kramdown 2.4 (Jekyll's settings) makes of these, read off its own output.
    ('据"新华社"报道', "据\u201d新华社\u201d报道"),
    ('"开头引号"的段落。', "\u201c开头引号\u201d的段落。"),
    ("公司称'稳中求进'，业绩--增长...明显。", "公司称\u2019稳中求进\u2019，业绩\u2013增长\u2026明显。"),
    ('英文 "quoted" text and \'single\' ones, don\'t stop.',
     "英文 \u201cquoted\u201d text and \u2018single\u2019 ones, don\u2019t stop."),
    ("'80s and '90s", "\u201980s and \u201990s"),
    ('"\'嵌套\'的"引号', '"\u2019嵌套\u2019的\u201d引号'),
    ("A股<<证券法>>修订后，市场>>预期。", "A股\u00ab证券法\u00bb修订后，市场\u00bb预期。"),
    ("<< 空格 >>", "\u00ab\u00a0空格\u00a0\u00bb"),
    ("---破折号", "\u2014破折号"),
])
def test_smart_quotes_and_symbols_as_kramdown_makes_them(text: str, kramdown: str) -> None:
    assert kramdown_typography(text) == kramdown


def test_markdown_renders_as_kramdown_does_where_it_matters() -> None:
    html = render_markdown("> 导语\n\n\u3000\u3000正文\"引号\"。\n\n<http://a.example/x?a=1&b=2>\n\n"
                           "[返回](//finews.withounder.com/category/a  b.html)\n\n`代码\"不变\"`")
    assert "<blockquote>\n<p>导语</p>\n</blockquote>" in html
    assert "<p>\u3000\u3000正文\u201d引号\u201d。</p>" in html  # the indent kept, the quotes curled
    assert '<a href="http://a.example/x?a=1&amp;b=2">' in html
    assert '<a href="//finews.withounder.com/category/a  b.html">返回</a>' in html  # spaces kept, not encoded
    assert "<code>代码&quot;不变&quot;</code>" in html  # no smart quotes in code
    # A block of HTML on one line, then text: kramdown ends the block with its element.
    assert render_markdown("<div>块级</div>\n正文") == "<div>块级</div>\n<p>正文</p>\n"


def test_github_helpers() -> None:
    assert parse_repo("github:zning1994/finews@main").tree_url() == \
        "https://api.github.com/repos/zning1994/finews/git/trees/main?recursive=1"
    assert parse_repo("github:zning1994/finews").raw_url("old_post/a b.md") == \
        "https://raw.githubusercontent.com/zning1994/finews/HEAD/old_post/a%20b.md"
    with pytest.raises(ValueError):
        parse_repo("zning1994/finews")
    tree = parse_tree(json.dumps({"tree": [{"path": "_posts/a.md", "sha": "1" * 40, "type": "blob"}, {"x": 1}],
                                  "truncated": True}).encode(), "u")
    assert [e.path for e in tree.entries] == ["_posts/a.md"] and tree.truncated
    for body in (b"{not json", b'{"message": "Not Found"}'):
        with pytest.raises(PageError):
            parse_tree(body, "u")
    assert blob_sha(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"  # git hash-object
    assert wanted("old_post/2022-01-02-1.md") and not wanted("assets/x.md") and not wanted("_posts/2022-01-02-1.png")
    assert wanted("old_post/2022-01-02-1.md", ("old_post/2022-01-*",)) and not wanted("_posts/2022-01-02-1.md", ("old_post",))
    assert not wanted("old_post/2022-01-02-1.md", since="2022-01-03") and wanted("old_post/2022-01-02-1.md", until="2022-01-02")
    limit = rate_limit({"X-RateLimit-Remaining": b"0", "X-RateLimit-Reset": b"1700000000"})
    assert limit.exhausted and limit.reset_at.year == 2023


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/finews is not here")
def test_every_real_source_gives_its_built_page_s_fields() -> None:
    expected = {r["id"]: r for r in map(json.loads, (SHARED / "expected.jsonl").read_text(encoding="utf-8").splitlines())}
    fields_of = ("id", "url", "title", "site_published_at", "category", "media", "tags", "digest", "source", "share_url",
                 "published_at")
    seen = set()
    for source in sorted((SHARED / "src" / "_posts").iterdir()):
        try:
            fields = parse_source(source.read_text(encoding="utf-8"), f"_posts/{source.name}")
        except PageError as error:
            assert (source.name, error.reason) in {("-202205262391921712.md", "not_a_post"),
                                                     ("2021-12-08-202112082206703990.md", "no_front_matter")}
            continue
        if fields["id"] is None:
            assert source.name == "2021-12-01-init.md"
            continue
        record = expected[fields["id"]]
        assert {f: fields[f] for f in fields_of} == {f: record[f] for f in fields_of}, source.name
        page = (SHARED / "site" / record["url"].split(".com/", 1)[1]).read_text(encoding="utf-8")
        built = parse_post(page, record["url"])
        assert clean_body(fields["body_html"], record["url"]) == clean_body(built["body_html"], record["url"])
        seen.add(fields["id"])
    assert seen == set(expected)
