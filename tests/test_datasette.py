"""`datasette data/newscrawl.db` out of the box: the plugin's metadata, search and canned queries."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from newscrawl.archive import Archive
from newscrawl.archive.search import search
from newscrawl.items import Article
from newscrawl.mirror.browser import serve_datasette
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.runner import crawl_through_mirror


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from newscrawl.mirror.proxy import MirrorProxy

    proxy = MirrorProxy(GeneratedSite(articles=120, seed=7))
    proxy.start_in_thread()
    out = tmp_path_factory.mktemp("datasette")
    result = crawl_through_mirror(proxy.url, out)
    proxy.stop()
    assert result.report["finish_reason"] == "finished"
    return out / "newscrawl.db"


@pytest.fixture(scope="module")
def datasette(archive_db: Path) -> Iterator[str]:
    with serve_datasette(archive_db) as base:
        yield base


def _get(base: str, path: str, **params: str) -> object:
    query = urllib.parse.urlencode({**params, "_shape": "array"} if "/-/" not in path else params)
    with urllib.request.urlopen(f"{base}{path}?{query}", timeout=10) as response:
        return json.loads(response.read())


def test_the_archive_is_documented_without_a_metadata_file(datasette: str) -> None:
    metadata = _get(datasette, "/-/metadata.json")
    tables = metadata["databases"]["newscrawl"]["tables"]
    assert metadata["title"].startswith("newscrawl")
    assert tables["articles"]["columns"]["share_url"] == Article.descriptions()["share_url"]
    # Not Datasette's search of the trigram index (0 rows for 茅): the plugin's (test_reading_room).
    assert "fts_table" not in tables["articles"] and tables["articles_fts"]["hidden"]
    assert set(metadata["databases"]["newscrawl"]["queries"]) == {
        "search", "latest_by_media", "cluster_members", "story_members", "article_revisions"}


def test_search_box_and_canned_queries_answer(datasette: str, archive_db: Path) -> None:
    archive = Archive(archive_db)
    row = next(archive.articles.rows_where("media is not null and body_text is not null", limit=1))
    term3 = row["title"][:4]
    for term in (row["title"][:2], row["title"][:1], term3):
        # The table's search (the JSON API too), any length: every match, as scrapy search has them.
        found = _get(datasette, "/newscrawl/articles.json", _search=term, _size="max")
        assert {r["id"] for r in found} == {h.id for h in search(archive.db, term, limit=None)}, term
        found = _get(datasette, "/newscrawl/search.json", q=term)
        assert {r["id"] for r in found} == {h.id for h in search(archive.db, term, limit=200)}, term
    latest = _get(datasette, "/newscrawl/latest_by_media.json", media=row["media"])
    assert row["id"] in {r["id"] for r in latest}
    cluster = archive.db.execute("select cluster_id from clusters where size > 1 limit 1").fetchone()[0]
    members = _get(datasette, "/newscrawl/cluster_members.json", cluster_id=cluster)
    assert len(members) > 1
    assert _get(datasette, "/newscrawl/article_revisions.json", id=row["id"]) == []


def test_request_arguments_are_values_never_sql(datasette: str) -> None:
    """A facet names a column of the table or nothing; a search term with quotes is a term."""
    injected = "v]) as v0, (select group_concat(name) from sqlite_master) as value, count(*) as count from (select 1 as v) --"
    query = urllib.parse.urlencode({"_facet_day": injected, "_extra": "facet_results"})
    with urllib.request.urlopen(f"{datasette}/newscrawl/articles.json?{query}", timeout=10) as response:
        facets = json.loads(response.read()).get("facet_results", {})
    assert injected not in facets  # no facet of it …
    assert "articles_grams" not in json.dumps(facets, ensure_ascii=False)  # … nor the archive's table names
    for term in ('"', 'a"', '茅"'):
        assert isinstance(_get(datasette, "/newscrawl/search.json", q=term), list)
