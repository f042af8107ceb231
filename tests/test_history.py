"""The `history` spider: the real sample's sources, laid out as the site's repository (some moved
to old_post/), backfilled from a local path and from GitHub through the mirror, with share
following on and off — every post archived exactly as expected.jsonl has it, true time
included — and one archive with the site crawl, whichever comes first."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from newscrawl.archive import ArchiveReader
from newscrawl.mirror.github import RepoBackend
from newscrawl.mirror.proxy import MirrorProxy
from newscrawl.mirror.runner import crawl_through_mirror
from newscrawl.mirror.snapshot import SnapshotBackend
from tests.conftest import SHARED

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/finews is not here")

FIELDS = ("id", "url", "title", "site_published_at", "category", "media", "tags", "digest", "source", "share_url",
          "published_at")
# Sources the generator had moved out of _posts/ (after their three days on the site).
MOVED = ("2021-12-08-2021120822066", "2021-12-08-2021120822067", "2021-12-08-2021120822068")


def _expected() -> dict[str, dict]:
    lines = (SHARED / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["id"]: r for r in map(json.loads, lines)}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """../shared/finews/src's posts laid out as the repository: _posts/ and old_post/."""
    root = tmp_path_factory.mktemp("repo")
    for folder in ("_posts", "old_post"):
        (root / folder).mkdir()
    for source in sorted((SHARED / "src" / "_posts").iterdir()):
        folder = "old_post" if source.name.startswith(MOVED) else "_posts"
        shutil.copy(source, root / folder / source.name)
    assert len(list((root / "old_post").iterdir())) >= 10
    return root


@pytest.fixture
def mirror(repo: Path):
    """The real site, its share answers and its repository on GitHub, all on one loopback proxy."""
    proxy = MirrorProxy(SnapshotBackend(SHARED / "site", SHARED / "share"), repo=RepoBackend(repo))
    proxy.start_in_thread()
    yield proxy
    proxy.stop()


def _rows(db: Path) -> dict[str, dict]:
    reader = ArchiveReader.open(db)
    try:
        return {r["id"]: reader.get(r["id"]) for r in reader.articles.rows}
    finally:
        reader.close()


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0


def _assert_expected(db: Path) -> None:
    expected, rows = _expected(), _rows(db)
    assert sorted(rows) == sorted(expected)
    for article_id, record in expected.items():
        assert {f: rows[article_id][f] for f in FIELDS} == {f: record[f] for f in FIELDS}, article_id


@pytest.mark.parametrize("share", ["True", "False"])
@pytest.mark.parametrize("where", ["path", "github"])
def test_a_backfill_archives_every_post_exactly(where: str, share: str, repo: Path, mirror, tmp_path: Path) -> None:
    source = str(repo) if where == "path" else "github:zning1994/finews"
    result = crawl_through_mirror(mirror.url, tmp_path, spider="history", spider_args={"repo": source},
                                  settings={"NEWSCRAWL_FOLLOW_SHARE": share})
    assert result.report["finish_reason"] == "finished", result.log[-3000:]
    _assert_expected(tmp_path / "newscrawl.db")
    stats = result.stats
    # The source without front matter at byte 0, and the one Jekyll does not publish (no date
    # in its file name; its title is empty too): dropped, each with its reason.
    assert stats["newscrawl/history/source_dropped/no_front_matter"] == 1
    assert stats["newscrawl/history/source_dropped/not_a_post"] == 1
    assert stats["newscrawl/validate/missing_id"] == 1  # the site's own welcome post
    if share == "True":
        assert stats["newscrawl/share/ok"] >= 30
        assert all(r["provenance"]["published_at"] == "share" for r in _rows(tmp_path / "newscrawl.db").values()
                   if r["source_published_at"])
    else:
        assert "newscrawl/share/ok" not in stats
        assert {r["provenance"]["published_at"] for r in _rows(tmp_path / "newscrawl.db").values()} == {"repo"}
    if where == "github":
        assert {r.host for r in mirror.requests} >= {"api.github.com", "raw.githubusercontent.com"}
        assert not [r for r in mirror.requests if r.host == "finews.withounder.com"]  # the site is not asked


def test_a_second_backfill_fetches_no_file(repo: Path, mirror, tmp_path: Path) -> None:
    first = crawl_through_mirror(mirror.url, tmp_path, spider="history", spider_args={"repo": "github:zning1994/finews"})
    assert first.report["finish_reason"] == "finished"
    before, lines = len(mirror.requests), _lines(tmp_path / "articles.jsonl")
    second = crawl_through_mirror(mirror.url, tmp_path, spider="history", spider_args={"repo": "github:zning1994/finews"})
    assert second.report["finish_reason"] == "finished"
    asked = [r for r in mirror.requests[before:] if r.host == "raw.githubusercontent.com"]
    assert asked == [] and second.stats["newscrawl/incremental/skipped_sources"] == 40
    assert _lines(tmp_path / "articles.jsonl") == lines and "newscrawl/store/new" not in second.stats
    # And from the local checkout too: the same blobs, known by their git ids.
    local = crawl_through_mirror(mirror.url, tmp_path, spider="history", spider_args={"repo": str(repo)})
    assert local.stats["newscrawl/incremental/skipped_sources"] == 40 and "newscrawl/history/read" not in local.stats


@pytest.mark.parametrize("share", ["True", "False"])
def test_a_site_crawl_after_a_backfill_adds_nothing(share: str, repo: Path, mirror, tmp_path: Path) -> None:
    settings = {"NEWSCRAWL_FOLLOW_SHARE": share}
    backfill = crawl_through_mirror(mirror.url, tmp_path, spider="history", spider_args={"repo": str(repo)},
                                    settings=settings)
    assert backfill.report["finish_reason"] == "finished"
    rows, lines = _rows(tmp_path / "newscrawl.db"), _lines(tmp_path / "articles.jsonl")
    site = crawl_through_mirror(mirror.url, tmp_path, settings={**settings, "NEWSCRAWL_INCREMENTAL": "False"})
    assert site.report["finish_reason"] == "finished", site.log[-3000:]
    assert "newscrawl/store/new" not in site.stats and "newscrawl/store/changed" not in site.stats
    assert _lines(tmp_path / "articles.jsonl") == lines
    after = _rows(tmp_path / "newscrawl.db")
    assert {i: {k: v for k, v in r.items() if k != "provenance"} for i, r in after.items()} == {
        i: {k: v for k, v in r.items() if k != "provenance"} for i, r in rows.items()}
    reader = ArchiveReader.open(tmp_path / "newscrawl.db")
    assert reader.revisions.count == 0
    reader.close()


@pytest.mark.parametrize("share", ["True", "False"])
def test_a_backfill_after_a_site_crawl_adds_nothing_but_true_times(share: str, repo: Path, mirror,
                                                                    tmp_path: Path) -> None:
    settings = {"NEWSCRAWL_FOLLOW_SHARE": share}
    site = crawl_through_mirror(mirror.url, tmp_path, settings=settings)
    assert site.report["finish_reason"] == "finished"
    rows, lines = _rows(tmp_path / "newscrawl.db"), _lines(tmp_path / "articles.jsonl")
    backfill = crawl_through_mirror(mirror.url, tmp_path, spider="history", spider_args={"repo": str(repo)},
                                    settings=settings)
    assert backfill.report["finish_reason"] == "finished", backfill.log[-3000:]
    assert "newscrawl/store/new" not in backfill.stats
    expected = _expected()
    late = {i for i, r in rows.items() if r["published_at"] != expected[i]["published_at"]}
    if share == "True":  # the share answers gave every true time already: nothing to add
        assert late == set() and "newscrawl/store/changed" not in backfill.stats
        assert _lines(tmp_path / "articles.jsonl") == lines
    else:  # the pages' times, 8 hours late for most, were inferred from the posts' neighbours
        # (true already); the sources confirm them, and change nothing else
        assert late == set()
        assert sum(r["provenance"]["published_at"] == "inferred" for r in rows.values()) >= len(rows) - 1
    after = _rows(tmp_path / "newscrawl.db")
    for article_id, row in after.items():
        assert row["published_at"] == expected[article_id]["published_at"]
        assert {k: v for k, v in row.items() if k not in ("published_at", "provenance", "fetched_at")} == {
            k: v for k, v in rows[article_id].items() if k not in ("published_at", "provenance", "fetched_at")}
