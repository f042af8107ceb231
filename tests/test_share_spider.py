"""`scrapy crawl share`: backfills from share links or ids, through the mirror."""

from __future__ import annotations

from pathlib import Path

from newscrawl.archive import Archive
from newscrawl.mirror.runner import crawl_through_mirror
from newscrawl.spiders import read_url_args

SHARE_FIELDS = ("source_title", "source_published_at", "source_media", "source_body_html", "source_body_text")


def _plain(site):
    return [a for a in site.articles if not a.share_case and not a.planted]


def test_ids_archive_exactly_those_articles(serve, small_site, tmp_path: Path) -> None:
    chosen = _plain(small_site)[:3]
    ids = ",".join(a.share_id for a in chosen)
    result = crawl_through_mirror(serve(small_site).url, tmp_path, spider="share", spider_args={"ids": ids})
    archive = Archive(tmp_path / "newscrawl.db")
    assert sorted(r["id"] for r in archive.articles.rows) == sorted(a.id for a in chosen)
    assert result.stats["newscrawl/share/ok"] == 3
    for article in chosen:
        row = archive.get(article.id)
        assert row["url"] == row["share_url"] and row["share_id"] == article.share_id
        assert row["category"] is None and row["tags"] == []
        assert row["title"] == row["source_title"] == article.title
        assert row["published_at"] == article.published.isoformat()
        assert row["media"] == article.media and row["body_text"]
        assert row["site_published_at"] is None


def test_share_links_from_a_file_match_a_site_crawls_source_fields(serve, small_site, tmp_path: Path) -> None:
    proxy = serve(small_site)
    crawl_through_mirror(proxy.url, tmp_path / "site")
    site_archive = Archive(tmp_path / "site" / "newscrawl.db")
    chosen = _plain(small_site)[:4]
    links = tmp_path / "links.txt"
    links.write_text("\n".join(a.share_url for a in chosen) + "\n", encoding="utf-8")
    crawl_through_mirror(proxy.url, tmp_path / "share", spider="share", spider_args={"urls": str(links)})
    share_archive = Archive(tmp_path / "share" / "newscrawl.db")
    for article in chosen:
        from_share, from_site = share_archive.get(article.id), site_archive.get(article.id)
        assert {f: from_share[f] for f in SHARE_FIELDS} == {f: from_site[f] for f in SHARE_FIELDS}
        assert from_share["published_at"] == from_site["published_at"]


def test_backfill_into_an_archive_keeps_what_the_posts_gave(serve, small_site, tmp_path: Path) -> None:
    proxy = serve(small_site)
    crawl_through_mirror(proxy.url, tmp_path)
    before = {r["id"]: r for r in Archive(tmp_path / "newscrawl.db").articles.rows}
    ids = " ".join(a.share_id for a in _plain(small_site)[:5])
    result = crawl_through_mirror(proxy.url, tmp_path, spider="share", spider_args={"ids": ids})
    assert result.stats["newscrawl/dedup/same_id"] == 5
    assert {r["id"]: r for r in Archive(tmp_path / "newscrawl.db").articles.rows} == before


def test_unknown_and_malformed_ids_are_counted_not_archived(serve, small_site, tmp_path: Path) -> None:
    result = crawl_through_mirror(serve(small_site).url, tmp_path, spider="share",
                                  spider_args={"ids": "NW209901010000000001,not-an-id"})
    assert result.stats["newscrawl/share/http_404"] == 1
    assert result.stats["newscrawl/share/bad_id"] == 1
    assert Archive(tmp_path / "newscrawl.db").count() == 0


def test_url_lists_skip_comment_lines(tmp_path: Path) -> None:
    links = tmp_path / "links.txt"
    links.write_text("# old archive, 2022\nhttp://a/1 http://a/2\n\n  # http://a/3\nhttp://a/4\n", encoding="utf-8")
    assert read_url_args(str(links)) == ["http://a/1", "http://a/2", "http://a/4"]
    assert read_url_args("http://a/1  http://a/2") == ["http://a/1", "http://a/2"]


def test_a_site_crawl_after_a_backfill_completes_the_article(serve, small_site, tmp_path: Path) -> None:
    proxy = serve(small_site)
    article = _plain(small_site)[0]
    crawl_through_mirror(proxy.url, tmp_path, spider="share", spider_args={"ids": article.share_id})
    result = crawl_through_mirror(proxy.url, tmp_path)
    row = Archive(tmp_path / "newscrawl.db").get(article.id)
    assert row["url"] == f"https://finews.withounder.com{article.path}" and row["category"] == article.slug
    assert row["site_published_at"] == article.shown.isoformat()
    assert result.stats["newscrawl/dedup/revised"] == 1
