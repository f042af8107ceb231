"""The reading room: Datasette on 127.0.0.1 over a crawled archive, read in headless Chromium.

Pages are loaded as a reader's browser loads them (scripts run; no host but 127.0.0.1 exists)
and checked in the DOM Chromium ends with.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest

from newscrawl.archive import Archive, ArchiveReader
from newscrawl.archive.search import count, search
from newscrawl.mirror.browser import load, screenshot, serve_datasette
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.proxy import MirrorProxy
from newscrawl.mirror.runner import crawl_through_mirror
from newscrawl.reading import beijing
from tests.conftest import SHARED, file_state, run_scrapy

SITE = {"articles": 120, "seed": 7}


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A crawl of a generated site, then of its next edition with two articles revised (every
    post read again)."""
    out = tmp_path_factory.mktemp("reading-room")
    for site, args in ((GeneratedSite(**SITE), {}), (GeneratedSite(**SITE, revised=2), {"refresh": "all"})):
        proxy = MirrorProxy(site)
        proxy.start_in_thread()
        result = crawl_through_mirror(proxy.url, out, spider_args=args)
        proxy.stop()
        assert result.report["finish_reason"] == "finished", result.log[-2000:]
    return out / "newscrawl.db"


@pytest.fixture(scope="module")
def room(archive_db: Path, chromium: str) -> Iterator[str]:
    with serve_datasette(archive_db) as base:
        yield base


def _dom(url: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(load(url))


def _text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _row(db: Path, where: str) -> dict:
    reader = ArchiveReader.open(db)
    try:
        found = next(reader.articles.rows_where(where, order_by="published_at", limit=1))
        return reader.get(found["id"]) or {}
    finally:
        reader.close()


def test_an_article_page_is_the_article(room: str, archive_db: Path) -> None:
    article = _row(archive_db, "cluster_id in (select cluster_id from clusters where size > 1) and share_url is not null")
    dom = _dom(f"{room}/newscrawl/articles/{article['id']}")
    page = _text(dom)
    assert _text(dom.cssselect("article h1")[0]) == article["title"]
    body = _text(dom.cssselect(".newscrawl-body")[0])
    first = article["body_text"].splitlines()[0]
    assert " ".join(first.split()) in body  # the body as text, not as escaped markup
    assert "&lt;p" not in lxml.html.tostring(dom, encoding="unicode") and "<p>" not in page
    assert beijing(article["published_at"]) in page and "Beijing time" in page
    links = {a.get("href") for a in dom.cssselect("a")}
    assert article["share_url"] in links and article["url"] in links
    # Its story: the other articles about its event (its cluster's among them), each linked.
    reader = ArchiveReader.open(archive_db)
    members = reader.story_members(article)
    reader.close()
    assert members and all(f"/newscrawl/articles/{m['id']}" in links for m in members)


def test_a_revised_article_shows_each_version_and_what_changed(room: str, archive_db: Path) -> None:
    reader = ArchiveReader.open(archive_db)
    revised = reader.revisions.rows_where(limit=1).__next__()
    article = reader.get(revised["id"]) or {}
    reader.close()
    dom = _dom(f"{room}/newscrawl/articles/{article['id']}")
    section = dom.cssselect(".newscrawl-changes")[0]
    assert "Version 1" in _text(section) and "1 paragraph added" in _text(section)
    added = _text(section.cssselect("ins")[0])
    assert added and added in article["body_text"] and added not in (revised["body_text"] or "")
    version = _dom(f"{room}{section.cssselect('h3 a')[0].get('href')}")
    assert _text(version.cssselect("article h1")[0]) == revised["title"]
    assert " ".join(revised["body_text"].splitlines()[0].split()) in _text(version.cssselect(".newscrawl-body")[0])


def test_the_table_shows_what_a_reader_scans(room: str, archive_db: Path) -> None:
    dom = _dom(f"{room}/newscrawl/articles")
    headers = [th.get("class") for th in dom.cssselect("table.rows-and-columns th")]
    assert headers == ["col-title", "col-media", "col-published_at"]
    assert not dom.cssselect("td.col-body_html") and not dom.cssselect("td.col-body_text")
    first = dom.cssselect("table.rows-and-columns tbody tr")[0]
    link = first.cssselect("td.col-title a")[0]
    assert link.get("href").startswith("/newscrawl/articles/")
    assert dom.cssselect("details.newscrawl-columns dl.column-descriptions")  # folded
    assert not [dl for dl in dom.cssselect("dl.column-descriptions") if dl.getparent().tag != "details"]
    facets = {_text(p).split(" ")[0] for p in dom.cssselect(".facet-info-name")}
    assert {"media", "published_at"} <= facets
    # Every column is one click away.
    every = _dom(f"{room}{dom.cssselect('.newscrawl-all-columns a')[0].get('href')}")
    assert every.cssselect("th.col-body_html") and every.cssselect("td.col-body_text")


@pytest.mark.parametrize("length", [1, 2, 4])
def test_the_search_box_answers_chinese_terms_exactly(room: str, archive_db: Path, length: int) -> None:
    reader = ArchiveReader.open(archive_db)
    term = {1: "茅", 2: "茅台"}.get(length) or next(
        r["title"][:4] for r in reader.articles.rows_where("length(title) > 6", order_by="id", limit=1))
    expected = {h.id for h in search(reader.db, term, limit=None)}
    reader.close()
    assert expected  # the term is in the archive
    dom = _dom(f"{room}/newscrawl/articles?{urllib.parse.urlencode({'_search': term, '_size': 'max'})}")
    assert dom.cssselect("input#_search")[0].get("value") == term  # the table's own search box
    found = {a.get("href").rsplit("/", 1)[1] for a in dom.cssselect("td.col-title a")}
    assert found == expected, term
    shown = run_scrapy("search", term, "--json", "--limit", "0", "--db", str(archive_db))
    assert {json.loads(line)["id"] for line in shown.stdout.splitlines()} == expected


def test_the_search_page_ranks_snippets_links_and_counts(room: str, archive_db: Path) -> None:
    dom = _dom(f"{room}/newscrawl/search?q=北向")
    reader = ArchiveReader.open(archive_db)
    ranked, total = [h.id for h in search(reader.db, "北向", limit=200)], count(reader.db, "北向")
    reader.close()
    assert f"{total:,} articles contain “北向”" in _text(dom.cssselect(".newscrawl-total")[0])
    hits = dom.cssselect(".newscrawl-hits li")
    assert [li.cssselect("a")[0].get("href").rsplit("/", 1)[1] for li in hits] == ranked
    assert all(mark.text == "北向" for mark in dom.cssselect(".newscrawl-snippet mark"))
    assert not dom.cssselect("textarea#sql-editor") and not dom.cssselect("pre#sql-query")


def test_nothing_a_browser_would_run_is_served(chromium: str, tmp_path: Path) -> None:
    """An archive written by an older newscrawl, or edited by hand: the page serves the body
    through the sanitizer again."""
    archive = Archive(tmp_path / "newscrawl.db")
    hostile = ('<p>正文第一段。</p><script>document.title="pwned"</script><img src="x" onerror="document.title=1">'
               '<p onclick="alert(1)"><a href="javascript:alert(1)">链接</a></p>')
    archive.save({"id": "202112082206672930", "url": "https://finews.withounder.com/emnews/2021/12/08/202112082206672930.html",
                  "title": "标题", "body_html": hostile, "body_text": "正文第一段。\n链接",
                  "share_url": "javascript:alert(document.domain)",  # a post's autolink may be anything
                  "published_at": "2021-12-08T10:46:18+08:00"}, None)
    archive.close()
    with serve_datasette(tmp_path / "newscrawl.db") as base:
        dom = _dom(f"{base}/newscrawl/articles/202112082206672930")
    body = dom.cssselect(".newscrawl-body")[0]
    assert "正文第一段。" in _text(body) and dom.findtext(".//title").startswith("标题")
    assert not body.cssselect("script") and not [e for e in body.iter() if any(k.startswith("on") for k in e.attrib)]
    links = [(a.get("href") or "").strip().lower() for a in dom.cssselect("a")]  # the whole page's
    assert links and not [h for h in links if h.startswith(("javascript", "data", "vbscript"))]


def test_scrapy_show_prints_one_article(archive_db: Path) -> None:
    article = _row(archive_db, "share_url is not null")
    before = file_state(archive_db)
    shown = run_scrapy("show", article["id"], "--db", str(archive_db))
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == article["title"] and beijing(article["published_at"]) in lines[2]
    assert article["body_text"].splitlines()[0][:20] in shown.stdout
    assert f"Original: {article['share_url']}" in lines and f"Post:     {article['url']}" in lines
    assert json.loads(run_scrapy("show", article["id"], "--json", "--db", str(archive_db)).stdout)["id"] == article["id"]
    assert file_state(archive_db) == before  # read-only
    for args, message in ((("show", "1", "--db", str(archive_db)), "show failed: no article 1 in"),
                          (("show", "1", "--db", str(archive_db.parent / "none.db")), "show failed: no archive at")):
        failed = run_scrapy(*args)
        assert failed.returncode == 1 and failed.stderr.strip().startswith(message), failed.stderr
    helped = run_scrapy("show", "-h")
    assert helped.returncode == 0 and "Beijing time" in helped.stdout
    assert run_scrapy("show").returncode == 2


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/finews is not here")
def test_the_real_sample_reads_in_the_browser(real_sample_db: Path, chromium: str, tmp_path: Path) -> None:
    expected = [json.loads(line) for line in (SHARED / "expected.jsonl").read_text(encoding="utf-8").splitlines()]
    reader = ArchiveReader.open(real_sample_db)
    with serve_datasette(real_sample_db) as base:
        for record in expected[:3]:
            dom = _dom(f"{base}/newscrawl/articles/{record['id']}")
            assert _text(dom.cssselect("article h1")[0]) == record["title"]
            assert beijing(record["published_at"]) in _text(dom.cssselect(".newscrawl-meta")[0])
            assert record["share_url"] in {a.get("href") for a in dom.cssselect("a")}
        for term in ("金", "美元", "北向资金"):
            dom = _dom(f"{base}/newscrawl/articles?{urllib.parse.urlencode({'_search': term, '_size': 'max'})}")
            found = {a.get("href").rsplit("/", 1)[1] for a in dom.cssselect("td.col-title a")}
            assert found == {h.id for h in search(reader.db, term, limit=None)} and found, term
        for name, path in (("article", f"/newscrawl/articles/{expected[0]['id']}"), ("table", "/newscrawl/articles")):
            png = screenshot(f"{base}{path}", tmp_path / f"{name}.png")
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    reader.close()
