"""A full `scrapy crawl finews` of a generated mirror, through the proxy, end to end."""

from __future__ import annotations

import json
from pathlib import Path

from newscrawl.archive import Archive
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.http import MirrorResponse
from newscrawl.mirror.runner import crawl_through_mirror

FIELDS = ("id", "url", "title", "site_published_at", "published_at", "category", "media", "tags", "digest",
          "source", "share_url", "share_id", "body_text", "source_title", "source_published_at", "source_media",
          "source_body_text")


LISTING = ("url", "category", "media", "tags")


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_crawl_archives_every_valid_article_with_its_fields(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    proxy = serve(small_site)
    result = crawl_through_mirror(proxy.url, tmp_path)
    assert result.report["finish_reason"] == "finished", result.log[-2000:]
    archive = Archive(tmp_path / "newscrawl.db")
    expected = small_site.expected()
    assert archive.count() == len(expected) == 120
    listed_twice = set(small_site.dedup_cases["second_category"])
    for record in expected:
        row = archive.get(record["id"])
        assert row is not None, record["url"]
        # An article published under two categories is archived from whichever came first.
        fields = [f for f in FIELDS if record["id"] not in listed_twice or f not in LISTING]
        assert {f: row[f] for f in fields} == {f: record[f] for f in fields}
        assert row["fetched_at"]
    lines = _jsonl(tmp_path / "articles.jsonl")
    assert sorted(r["id"] for r in lines) == sorted(r["id"] for r in expected)


def test_planted_bad_pages_are_counted_drops(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    proxy = serve(small_site)
    result = crawl_through_mirror(proxy.url, tmp_path)
    stats = result.stats
    assert stats["newscrawl/finews/page_dropped/no_layout"] == small_site.planted_drops()["no_layout"] == 2
    assert stats["newscrawl/validate/missing_title"] == 1
    assert stats["newscrawl/validate/missing_date"] == 1
    assert stats["newscrawl/store/new"] == 120
    assert "Traceback" not in result.log
    assert "log_count/ERROR" not in stats


def test_second_crawl_adds_no_rows_and_no_jsonl_lines(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    proxy = serve(small_site)
    crawl_through_mirror(proxy.url, tmp_path)
    first_lines = (tmp_path / "articles.jsonl").read_bytes()
    second = crawl_through_mirror(proxy.url, tmp_path, spider_args={"refresh": "all"})
    assert second.stats["newscrawl/dedup/same_id"] == 121  # 120 articles + one listed twice
    assert "newscrawl/store/new" not in second.stats
    assert "newscrawl/jsonl/written" not in second.stats
    assert (tmp_path / "articles.jsonl").read_bytes() == first_lines
    assert Archive(tmp_path / "newscrawl.db").count() == 120


class _RevisedSite:
    """The same site, with one article's title rewritten (a later poll of the generator)."""

    def __init__(self, site: GeneratedSite, path: str, old: str, new: str) -> None:
        self.site, self.path, self.old, self.new = site, path, old, new

    def site_page(self, path: str) -> MirrorResponse:
        response = self.site.site_page(path)
        if path == self.path:
            response = MirrorResponse(200, response.body.replace(self.old.encode(), self.new.encode()))
        return response

    def share_answer(self, share_id: str) -> MirrorResponse:
        return self.site.share_answer(share_id)


def test_changed_article_is_updated_and_appended_once(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    crawl_through_mirror(serve(small_site).url, tmp_path)
    target = next(a for a in small_site.articles if not a.planted and a.shape == "B")
    revised = _RevisedSite(small_site, target.path, f"<h1>{target.title}</h1>", "<h1>更正：标题已修改</h1>")
    result = crawl_through_mirror(serve(revised).url, tmp_path, spider_args={"refresh": "all"})
    assert result.stats["newscrawl/store/changed"] == 1
    assert result.stats["newscrawl/jsonl/written"] == 1
    archive = Archive(tmp_path / "newscrawl.db")
    assert archive.count() == 120
    assert archive.get(target.id)["title"] == "更正：标题已修改"
    lines = _jsonl(tmp_path / "articles.jsonl")
    assert len(lines) == 121 and lines[-1]["id"] == target.id
