"""A post whose page fails is archived from the feed's copy when the feed lists it."""

from __future__ import annotations

from pathlib import Path

import pytest

from newscrawl.archive import Archive
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.http import MirrorResponse
from newscrawl.mirror.runner import crawl_through_mirror

FIELDS = ("id", "url", "title", "site_published_at", "published_at", "category", "media", "tags", "digest",
          "source", "share_url", "body_text", "source_title")


class _BrokenPage:
    """The generated site with one post page answering `response` instead."""

    def __init__(self, site: GeneratedSite, path: str, response: MirrorResponse) -> None:
        self.site, self.path, self.response = site, path, response

    def site_page(self, path: str) -> MirrorResponse:
        return self.response if path == self.path else self.site.site_page(path)

    def share_answer(self, share_id: str) -> MirrorResponse:
        return self.site.share_answer(share_id)


@pytest.mark.parametrize("broken", [
    MirrorResponse.html("<h1>Internal Server Error</h1>", 500),
    MirrorResponse.html("<!DOCTYPE html><html><head><title>cut off"),
])
def test_failed_page_of_a_feed_post_is_archived_from_the_feed(serve, small_site, tmp_path: Path, broken) -> None:
    newest = next(a for a in small_site.live if not a.planted and not a.share_case)
    crawl_through_mirror(serve(small_site).url, tmp_path / "ok")
    result = crawl_through_mirror(serve(_BrokenPage(small_site, newest.path, broken)).url, tmp_path / "broken",
                                  settings={"RETRY_TIMES": "0"})
    assert result.stats["newscrawl/finews/from_feed"] == 1
    good = Archive(tmp_path / "ok" / "newscrawl.db").get(newest.id)
    recovered = Archive(tmp_path / "broken" / "newscrawl.db").get(newest.id)
    assert {f: recovered[f] for f in FIELDS} == {f: good[f] for f in FIELDS}
    assert recovered["provenance"]["title"] == "feed" and recovered["provenance"]["published_at"] == "share"
    assert Archive(tmp_path / "broken" / "newscrawl.db").count() == 120


def test_a_failed_page_not_in_the_feed_is_counted_not_invented(serve, small_site, tmp_path: Path) -> None:
    old = next(a for a in reversed(small_site.live) if not a.planted)  # far older than the feed's 10
    result = crawl_through_mirror(serve(_BrokenPage(small_site, old.path, MirrorResponse.html("x", 500))).url,
                                  tmp_path, settings={"RETRY_TIMES": "0"})
    assert "newscrawl/finews/from_feed" not in result.stats
    assert result.stats["newscrawl/finews/fetch_error/http_500"] == 1
    assert Archive(tmp_path / "newscrawl.db").get(old.id) is None
