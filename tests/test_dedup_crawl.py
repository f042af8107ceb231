"""Deduplication in real crawls: the real sample twice, its duplicate groups, a later version
of a post, and a generated mirror's planted cases."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from newscrawl.archive import Archive
from newscrawl.mirror import render
from newscrawl.mirror.generator import BEIJING, GeneratedSite
from newscrawl.mirror.http import MirrorResponse
from newscrawl.mirror.runner import crawl_through_mirror
from newscrawl.mirror.snapshot import SnapshotBackend
from newscrawl.processing.similarity import figures, normalize
from tests.conftest import SHARED

real_sample = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/finews is not here")
SITE = "https://finews.withounder.com"


def _snapshot() -> SnapshotBackend:
    return SnapshotBackend(SHARED / "site", SHARED / "share")


@pytest.fixture(scope="module")
def twice(tmp_path_factory: pytest.TempPathFactory):
    """The real sample crawled twice into one archive."""
    from newscrawl.mirror.proxy import MirrorProxy

    proxy = MirrorProxy(_snapshot())
    proxy.start_in_thread()
    out = tmp_path_factory.mktemp("twice")
    # The second run fetches every page again (refresh=all): the dedup path, not the incremental one.
    first = crawl_through_mirror(proxy.url, out)
    second = crawl_through_mirror(proxy.url, out, spider_args={"refresh": "all"})
    proxy.stop()
    return first, second, Archive(out / "newscrawl.db")


@real_sample
def test_second_crawl_of_the_real_sample_writes_nothing(twice) -> None:
    first, second, archive = twice
    assert first.stats["newscrawl/store/new"] == 37 == archive.count()
    assert second.stats["newscrawl/dedup/same_id"] == 37
    assert "newscrawl/store/new" not in second.stats and "newscrawl/dedup/revised" not in second.stats
    assert archive.revisions.count == 0


@real_sample
def test_duplicate_groups_share_a_cluster_and_exact_copies_are_flagged(twice) -> None:
    _, _, archive = twice
    groups = json.loads((SHARED / "duplicates.json").read_text(encoding="utf-8"))["groups"]
    for group in groups:
        if group["kind"] not in ("exact", "near"):
            continue
        rows = [archive.get(i) for i in group["ids"]]
        assert len({r["cluster_id"] for r in rows}) == 1, group
        if group["kind"] == "exact":
            assert len({r["content_hash"] for r in rows}) == 1
            first = [r["id"] for r in rows if r["duplicate_of"] is None]
            assert len(first) == 1 and all(r["duplicate_of"] == first[0] for r in rows if r["id"] != first[0])


@real_sample
def test_no_cluster_joins_texts_whose_figures_differ(twice) -> None:
    _, _, archive = twice
    clusters: dict[str, list[set[str]]] = {}
    for row in archive.articles.rows:
        clusters.setdefault(row["cluster_id"], []).append(figures(normalize(row["body_text"])))
    for members in clusters.values():
        smallest = min(members, key=len)
        assert all(smallest <= m for m in members)
    northbound = [r for r in archive.articles.rows if (r["body_text"] or "").startswith("北向资金")]
    assert len({r["cluster_id"] for r in northbound}) == len({r["content_hash"] for r in northbound})


class _Replaced:
    """A snapshot with one page's body replaced."""

    def __init__(self, backend: SnapshotBackend, path: str, body: bytes) -> None:
        self.backend, self.path, self.body = backend, path, body

    def site_page(self, path: str) -> MirrorResponse:
        return MirrorResponse(200, self.body) if path == self.path else self.backend.site_page(path)

    def share_answer(self, share_id: str) -> MirrorResponse:
        return self.backend.share_answer(share_id)


def _render_version(source: str, path: str) -> bytes:
    """A versions/ source as the site's layouts render it (the Markdown these posts use)."""
    _, front, body = source.split("---", 2)
    meta = dict(line.split(":", 1) for line in front.strip().splitlines())
    date = datetime.fromisoformat(meta["date"].strip()) + timedelta(hours=8)  # no offset: read as UTC
    blocks = []
    for block in filter(None, (b.strip() for b in body.split("\n\n"))):
        block = re.sub(r"<(https?://[^>]+)>", r'<a href="\1">\1</a>', block)
        block = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r'<a href="\2">\1</a>', block)
        blocks.append(f"<p>{block}</p>")
    return render.post_page(meta["title"].strip().strip('"'), path, date.replace(tzinfo=BEIJING),
                            "\n\n".join(blocks), meta["tags"].split(), "").encode()


@real_sample
def test_a_later_version_with_new_text_is_one_revision(serve, tmp_path: Path) -> None:
    path = "/emnews/2021/12/08/202112082206885265.html"
    crawl_through_mirror(serve(_snapshot()).url, tmp_path)
    page = (SHARED / "site" / path.lstrip("/")).read_bytes()
    later = page.replace("本公司将继续监察市场状况".encode(), "本公司已于今日完成回购。本公司将继续监察市场状况".encode())
    result = crawl_through_mirror(serve(_Replaced(_snapshot(), path, later)).url, tmp_path, spider_args={"refresh": "all"})
    archive = Archive(tmp_path / "newscrawl.db")
    assert result.stats["newscrawl/dedup/revised"] == 1 and archive.revisions.count == 1
    revision = next(archive.revisions.rows)
    assert revision["id"] == "202112082206885265" and revision["revision"] == 1
    assert "已于今日完成回购" not in revision["body_text"]
    assert "已于今日完成回购" in archive.get("202112082206885265")["body_text"]
    again = crawl_through_mirror(serve(_Replaced(_snapshot(), path, later)).url, tmp_path, spider_args={"refresh": "all"})
    assert "newscrawl/dedup/revised" not in again.stats and archive.revisions.count == 1


@real_sample
def test_the_real_later_version_changes_only_navigation_so_it_is_no_revision(serve, tmp_path: Path) -> None:
    # versions/…885265.md.v2 differs from the post only in its 返回 links: not content.
    path = "/emnews/2021/12/08/202112082206885265.html"
    crawl_through_mirror(serve(_snapshot()).url, tmp_path)
    source = (SHARED / "versions" / "2021-12-08-202112082206885265.md.v2").read_text(encoding="utf-8")
    result = crawl_through_mirror(serve(_Replaced(_snapshot(), path, _render_version(source, path))).url, tmp_path,
                                  spider_args={"refresh": "all"})
    assert result.stats["newscrawl/dedup/same_id"] == 37
    assert Archive(tmp_path / "newscrawl.db").revisions.count == 0


def test_planted_generated_cases_are_detected_as_their_kind(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    result = crawl_through_mirror(serve(small_site).url, tmp_path)
    stats, archive = result.stats, Archive(tmp_path / "newscrawl.db")
    assert stats["newscrawl/dedup/same_content"] == 1
    assert stats["newscrawl/dedup/near_dup"] == 1
    assert stats["newscrawl/dedup/same_id"] == 1  # the article listed under a second category
    original, copy = (archive.get(i) for i in small_site.dedup_cases["same_content"])
    assert original["cluster_id"] == copy["cluster_id"] and original["content_hash"] == copy["content_hash"]
    first, second = sorted((original, copy), key=lambda r: r["duplicate_of"] is not None)
    assert first["duplicate_of"] is None and second["duplicate_of"] == first["id"]
    source, syndicated = (archive.get(i) for i in small_site.dedup_cases["near_dup"])
    assert source["cluster_id"] == syndicated["cluster_id"] and syndicated["content_hash"] != source["content_hash"]
    # No false cluster: every other article is a story of its own.
    shared = {r["cluster_id"]: r["size"] for r in archive.clusters.rows if r["size"] > 1}
    assert shared == {original["cluster_id"]: 2, source["cluster_id"]: 2}


def test_a_later_edition_records_one_revision_per_revised_article(serve, tmp_path: Path) -> None:
    crawl_through_mirror(serve(GeneratedSite(120, seed=7)).url, tmp_path)
    later = GeneratedSite(120, seed=7, revised=3)
    result = crawl_through_mirror(serve(later).url, tmp_path, spider_args={"refresh": "all"})
    archive = Archive(tmp_path / "newscrawl.db")
    assert result.stats["newscrawl/dedup/revised"] == 3
    assert sorted(r["id"] for r in archive.revisions.rows) == sorted(later.revised_ids)
    assert result.stats["newscrawl/dedup/same_id"] == 121 - 3
