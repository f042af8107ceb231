"""The `history` spider on a generated site's repository: every article as the site crawl has it
(split categories, media posts, digests and all), one archive with the site crawl, and what
GitHub does wrong — a missing repository, a used-up rate limit, a listing cut short or broken,
files that fail — counted, logged, and costing nothing already archived."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from newscrawl.archive import ArchiveReader
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.github import RepoBackend
from newscrawl.mirror.http import JSON, MirrorResponse
from newscrawl.mirror.proxy import MirrorProxy
from newscrawl.mirror.repository import write_repository
from newscrawl.mirror.runner import crawl_through_mirror
from tests.conftest import run_scrapy

GITHUB = {"repo": "github:zning1994/finews"}
FIELDS = ("url", "title", "site_published_at", "category", "media", "tags", "digest", "source", "share_url",
          "body_text")


@pytest.fixture(scope="module")
def site() -> GeneratedSite:
    return GeneratedSite(articles=120, seed=11)


@pytest.fixture(scope="module")
def repo_dir(site: GeneratedSite, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("generated-repo")
    write_repository(site, root)
    return root


class _Faulty(RepoBackend):
    """The repository, with chosen GitHub answers replaced: (host, path prefix) -> response."""

    def __init__(self, root: Path, faults: dict[tuple[str, str], MirrorResponse], **kwargs: object) -> None:
        super().__init__(root, **kwargs)  # type: ignore[arg-type]
        self.faults = faults

    def answer(self, host: str, path: str, query: str) -> MirrorResponse:
        for (fault_host, prefix), response in self.faults.items():
            if host == fault_host and path.startswith(prefix):
                return response
        return super().answer(host, path, query)


@pytest.fixture
def mirror_of(site: GeneratedSite):
    started: list[MirrorProxy] = []

    def start(repo: RepoBackend) -> MirrorProxy:
        proxy = MirrorProxy(site, repo=repo)
        proxy.start_in_thread()
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


def _rows(db: Path) -> dict[str, dict]:
    if not db.exists():
        return {}
    reader = ArchiveReader.open(db)
    try:
        return {r["id"]: reader.get(r["id"]) for r in reader.articles.rows}
    finally:
        reader.close()


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0


def test_a_backfill_of_a_generated_repository_is_the_site_crawl_s_archive(site: GeneratedSite, repo_dir: Path,
                                                                           mirror_of, tmp_path: Path) -> None:
    proxy = mirror_of(RepoBackend(repo_dir))
    backfill = crawl_through_mirror(proxy.url, tmp_path, spider="history", spider_args=GITHUB)
    assert backfill.report["finish_reason"] == "finished", backfill.log[-3000:]
    rows = _rows(tmp_path / "newscrawl.db")
    expected = {e["id"]: e for e in site.expected()}
    truncated = {a.id for a in site.articles if a.planted == "truncated"}
    # The page cut short on the site is whole in the repository: the backfill has it too.
    assert set(rows) == set(expected) | truncated
    for article_id, record in expected.items():
        assert {f: rows[article_id][f] for f in FIELDS} == {f: record[f] for f in FIELDS}, article_id
        real = next(a for a in site.articles if a.id == article_id)
        if record["source_published_at"] is None:  # no share answer: the source's own time
            assert rows[article_id]["published_at"] == real.published.isoformat()
    assert backfill.stats["newscrawl/history/source_dropped/no_front_matter"] == 1
    assert backfill.stats["newscrawl/validate/missing_title"] == 1 and backfill.stats["newscrawl/validate/missing_date"] == 1
    # Then the site crawl, every post page fetched again: nothing to add.
    lines = _lines(tmp_path / "articles.jsonl")
    crawl = crawl_through_mirror(proxy.url, tmp_path, settings={"NEWSCRAWL_INCREMENTAL": "False"})
    assert crawl.report["finish_reason"] == "finished"
    assert "newscrawl/store/new" not in crawl.stats and "newscrawl/store/changed" not in crawl.stats
    assert _lines(tmp_path / "articles.jsonl") == lines


def test_paths_and_dates_narrow_a_backfill(site: GeneratedSite, repo_dir: Path, mirror_of, tmp_path: Path) -> None:
    proxy = mirror_of(RepoBackend(repo_dir))
    moved = sorted(p.name for p in (repo_dir / "old_post").iterdir())
    day = moved[-1][:10]
    result = crawl_through_mirror(proxy.url, tmp_path, spider="history",
                                  spider_args={**GITHUB, "paths": "old_post", "since": day, "until": day},
                                  settings={"NEWSCRAWL_FOLLOW_SHARE": "False"})
    raw = [r.target for r in proxy.requests if r.host == "raw.githubusercontent.com"]
    assert raw and all("/old_post/" in t and f"/{day}-" in t for t in raw)
    assert len(raw) == sum(1 for name in moved if name.startswith(day))
    assert result.report["finish_reason"] == "finished"


def test_a_missing_repository_is_a_counted_failure(repo_dir: Path, mirror_of, tmp_path: Path) -> None:
    proxy = mirror_of(RepoBackend(repo_dir))
    result = crawl_through_mirror(proxy.url, tmp_path, spider="history", spider_args={"repo": "github:someone/nothing"})
    assert result.returncode == 3 and result.report["finish_reason"] == "listing_failed"
    assert result.stats["newscrawl/history/listing_failed/http_404"] == 1
    assert "The repository's file list could not be read (http_404)" in result.log


@pytest.mark.parametrize("body, reason", [(b"{not json", "invalid_json"), (b'{"message": "odd"}', "not_a_tree")])
def test_a_broken_listing_loses_nothing_archived(body: bytes, reason: str, repo_dir: Path, mirror_of,
                                                 tmp_path: Path) -> None:
    good = mirror_of(RepoBackend(repo_dir))
    crawl_through_mirror(good.url, tmp_path, spider="history", spider_args={**GITHUB, "paths": "_posts"},
                         settings={"NEWSCRAWL_FOLLOW_SHARE": "False"})
    before, lines = _rows(tmp_path / "newscrawl.db"), _lines(tmp_path / "articles.jsonl")
    assert before
    broken = mirror_of(_Faulty(repo_dir, {("api.github.com", "/repos/"): MirrorResponse(200, body, JSON)}))
    result = crawl_through_mirror(broken.url, tmp_path, spider="history", spider_args=GITHUB)
    assert result.returncode == 3 and result.stats[f"newscrawl/history/listing_failed/{reason}"] == 1
    assert _rows(tmp_path / "newscrawl.db") == before and _lines(tmp_path / "articles.jsonl") == lines


def test_a_used_up_rate_limit_ends_the_run_with_when_to_come_back(repo_dir: Path, mirror_of, tmp_path: Path) -> None:
    proxy = mirror_of(RepoBackend(repo_dir, limit=0))
    result = crawl_through_mirror(proxy.url, tmp_path, spider="history", spider_args=GITHUB)
    assert result.returncode == 3 and result.report["finish_reason"] == "rate_limited"
    assert result.stats["newscrawl/history/rate_limited"] == 1
    assert "GitHub's API rate limit is used up until" in result.log and "NEWSCRAWL_GITHUB_TOKEN" in result.log
    assert not [r for r in proxy.requests if r.host == "raw.githubusercontent.com"]


def test_a_rate_limit_that_resets_soon_is_waited_for(repo_dir: Path, mirror_of, tmp_path: Path) -> None:
    repo = RepoBackend(repo_dir, limit=0)
    repo.reset_at = int(time.time()) + 3
    proxy = mirror_of(repo)

    def refill() -> None:  # the window passes: the mirror's limit is back
        while time.time() < repo.reset_at:
            time.sleep(0.1)
        repo.remaining = 60

    threading.Thread(target=refill, daemon=True).start()
    result = crawl_through_mirror(proxy.url, tmp_path, spider="history", spider_args={**GITHUB, "paths": "_posts"},
                                  settings={"NEWSCRAWL_GITHUB_MAX_WAIT": "30", "NEWSCRAWL_FOLLOW_SHARE": "False"})
    assert result.report["finish_reason"] == "finished", result.log[-3000:]
    assert result.stats["newscrawl/retry/waited_seconds"] >= 1 and result.stats["newscrawl/store/new"] > 10
    tree_requests = [r for r in proxy.requests if r.host == "api.github.com"]
    assert [r.status for r in tree_requests] == [403, 200]


def test_a_listing_cut_short_is_reported_and_read_folder_by_folder(site: GeneratedSite, repo_dir: Path, mirror_of,
                                                                   tmp_path: Path) -> None:
    proxy = mirror_of(RepoBackend(repo_dir, truncate_after=5))
    result = crawl_through_mirror(proxy.url, tmp_path, spider="history", spider_args=GITHUB,
                                  settings={"NEWSCRAWL_FOLLOW_SHARE": "False"})
    assert result.report["finish_reason"] == "finished"
    assert result.stats["newscrawl/history/tree_truncated"] == 1
    assert "GitHub cut the listing" in result.log
    assert result.stats["newscrawl/history/read"] == sum(1 for _ in repo_dir.rglob("*.md"))


def test_files_that_fail_are_counted_and_read_by_the_next_run(repo_dir: Path, mirror_of, tmp_path: Path) -> None:
    failing = {("raw.githubusercontent.com", "/zning1994/finews/HEAD/_posts/"): MirrorResponse(404, b"404: Not Found")}
    broken = mirror_of(_Faulty(repo_dir, failing))
    first = crawl_through_mirror(broken.url, tmp_path, spider="history", spider_args=GITHUB,
                                 settings={"NEWSCRAWL_FOLLOW_SHARE": "False", "RETRY_TIMES": "0"})
    posts = sum(1 for _ in (repo_dir / "_posts").iterdir())
    assert first.stats["newscrawl/history/fetch_error/http_404"] == posts
    healthy = mirror_of(RepoBackend(repo_dir))
    second = crawl_through_mirror(healthy.url, tmp_path, spider="history", spider_args=GITHUB,
                                  settings={"NEWSCRAWL_FOLLOW_SHARE": "False"})
    raw = [r.target for r in healthy.requests if r.host == "raw.githubusercontent.com"]
    assert len(raw) == posts and all("/_posts/" in t for t in raw)  # only what failed
    assert second.stats["newscrawl/incremental/skipped_sources"] == sum(1 for _ in (repo_dir / "old_post").iterdir())


def test_a_long_backfill_shows_its_progress(repo_dir: Path, tmp_path: Path) -> None:
    result = run_scrapy(
        "crawl", "history", "-a", f"repo={repo_dir}", "-s", f"NEWSCRAWL_DB={tmp_path / 'a.db'}",
        "-s", f"NEWSCRAWL_JSONL={tmp_path / 'a.jsonl'}", "-s", f"NEWSCRAWL_REPORT={tmp_path / 'r.json'}",
        "-s", "NEWSCRAWL_FOLLOW_SHARE=False", "-s", "NEWSCRAWL_PROGRESS_SECONDS=0.05", "-s", "NEWSCRAWL_COMMIT_EVERY=1")
    total = sum(1 for _ in repo_dir.rglob("*.md"))
    progress = [line for line in result.stderr.splitlines() if "Progress: " in line]
    assert progress and all(f"/{total}" in line for line in progress), result.stderr[-2000:]
    assert "Crawl finished" in result.stdout and "repository sources: read" in result.stdout


def test_a_repository_that_is_neither_a_checkout_nor_github_is_one_line(tmp_path: Path) -> None:
    done = run_scrapy("crawl", "history", "-a", f"repo={tmp_path / 'nowhere'}", "-s", f"NEWSCRAWL_DB={tmp_path / 'a.db'}")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and errors[0].endswith(
        f"error: -a repo={tmp_path / 'nowhere'}: no such directory, and not github:OWNER/NAME[@REF]")
    assert not (tmp_path / "a.db").exists()


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_local_checkout_is_the_network_backfill_with_or_without_parsing_workers(
        workers: str, site: GeneratedSite, repo_dir: Path, mirror_of, tmp_path: Path) -> None:
    proxy = mirror_of(RepoBackend(repo_dir))
    over_github = crawl_through_mirror(proxy.url, tmp_path / "github", spider="history", spider_args=GITHUB,
                                       settings={"NEWSCRAWL_FOLLOW_SHARE": "False"})
    local = tmp_path / "local"
    done = run_scrapy(
        "crawl", "history", "-a", f"repo={repo_dir}", "-s", f"NEWSCRAWL_DB={local / 'a.db'}",
        "-s", f"NEWSCRAWL_JSONL={local / 'a.jsonl'}", "-s", f"NEWSCRAWL_REPORT={local / 'r.json'}",
        "-s", "NEWSCRAWL_FOLLOW_SHARE=False", "-s", f"NEWSCRAWL_PARSE_WORKERS={workers}")
    assert done.returncode == 0, done.stderr[-2000:]
    network, here = _rows(tmp_path / "github" / "newscrawl.db"), _rows(local / "a.db")
    # More sources than one batch of work: the worker processes (when on) parsed most of them.
    assert len(here) > 64 and set(here) == set(network)
    keep = (*FIELDS, "published_at", "provenance")
    assert all({f: here[i][f] for f in keep} == {f: network[i][f] for f in keep} for i in here)
    assert _lines(local / "a.jsonl") == len(here)


def test_a_checkout_is_walked_where_the_patterns_point(tmp_path: Path) -> None:
    from newscrawl.parsing.github import wanted
    from newscrawl.spiders.checkout import local_sources

    names = ["_posts/2022-05-26-1.md", "old_post/2021-12-08-2.md", "archive2021/2021-12-09-3.md",
             "archive2021/deep/2022-05-27-4.md", ".git/2022-05-26-5.md", "notes.md"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("---\n---\n", encoding="utf-8")
    for patterns in [("_posts", "old_post"), ("archive2021",), ("*/2022-*",), ("archive2021/deep",), ("old_post/2021-*",)]:
        listed = [n for n in sorted(names) if not n.startswith(".git/") and wanted(n, patterns)]
        assert list(local_sources(tmp_path, patterns, None, None)) == listed, patterns
    assert list(local_sources(tmp_path, ("archive2021",), None, None)) == [
        "archive2021/2021-12-09-3.md", "archive2021/deep/2022-05-27-4.md"]


def test_each_source_is_marked_read_by_its_own_article_only(tmp_path: Path) -> None:
    from newscrawl.archive import Archive
    from newscrawl.crawling.sources import RepoSourcesExtension
    from newscrawl.items import Article

    archive = Archive(tmp_path / "a.db")
    extension = RepoSourcesExtension(archive)
    # One post in both folders: two sources of one id, each with its own item.
    first, second = (Article(id="202205262200000001", url="https://finews.withounder.com/x.html", title=t)
                     for t in ("一", "二"))
    extension.source_read("a" * 40, "_posts/2022-05-26-202205262200000001.md", first.id, "ok", item=first)
    extension.source_read("b" * 40, "old_post/2022-05-26-202205262200000001.md", second.id, "ok", item=second)
    extension.item_scraped(second)
    extension.item_error(first)  # its pipelines failed: read again next time
    extension.source_read("c" * 40, "_posts/2022-05-26-x.md", None, "parser_error")  # a bug to be fixed
    extension.source_read("d" * 40, "_posts/2022-05-26-y.md", None, "no_front_matter")
    assert [archive.archived_source(sha * 40) for sha in "abcd"] == [False, True, False, True]
    assert extension.pending == {}
    archive.close()
