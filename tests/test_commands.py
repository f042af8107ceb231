"""Commands that say what they did: `scrapy crawl` ends with the run in words and logs its
progress; mistakes on the command line are one line and exit 2; `scrapy search` says how many."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from newscrawl import settings
from newscrawl.archive import ArchiveReader
from newscrawl.mirror.faults import Faults
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.runner import crawl_through_mirror
from tests.conftest import SlowSite, build_archive, run_scrapy


def _usage_error(done: subprocess.CompletedProcess, words: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and words in errors[0], done.stderr


@dataclass
class _ResetOnce(Faults):
    """The first request for `path` has its connection reset; every other request is answered."""

    path: str = ""

    def draw(self, host: str, path: str) -> str | None:
        first = path == self.path and not self.seen[path]
        self.seen[path] += 1
        return "reset" if first else None


def test_a_crawl_ends_with_what_it_did_and_where(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    post = next(a for a in small_site.articles if not a.planted and not a.alias_of)
    result = crawl_through_mirror(serve(small_site, faults=_ResetOnce(path=post.path)).url, tmp_path)
    assert result.returncode == 0, result.log[-2000:]
    end = result.log[result.log.index("Crawl finished:"):].splitlines()
    stories = ArchiveReader.open(tmp_path / "newscrawl.db").cluster_count()
    assert end[1] == f"  articles: 120 new, 0 revised; 120 in the archive, {stories} stories"
    text = "\n".join(end)
    for line in ("  dropped, by reason:", "    missing_title: 1", "    page_no_layout: 2",
                 "  share links: ", "    http_404: ",
                 f"Archive (SQLite): {tmp_path / 'newscrawl.db'}", f"JSONL:            {tmp_path / 'articles.jsonl'}",
                 f"Run report:       {tmp_path / 'last-run.json'}"):
        assert line in text, line
    # The post whose first request was reset was retried, then answered: no failed request.
    assert "retried" in end[0] and "ConnectionLost" not in text and "ResponseNeverReceived" not in text
    assert result.report["summary"]["retried"] >= 1
    # The split categories' words that have no page are guesses, not failures.
    assert set(result.report["summary"]["errors"]) == set() and "  failed requests: none" in text
    assert result.stats["newscrawl/finews/guessed_category_missing"] >= 1


def test_a_long_crawl_logs_its_progress(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    assert settings.NEWSCRAWL_PROGRESS_SECONDS <= 30
    slow = serve(SlowSite(small_site, delay=0.05))
    result = crawl_through_mirror(slow.url, tmp_path, settings={"NEWSCRAWL_PROGRESS_SECONDS": "0.5",
                                                                "CONCURRENT_REQUESTS": "2"})
    progress = [line.split("Progress: ", 1)[1] for line in result.log.splitlines() if "Progress: " in line]
    assert len(progress) >= 3, result.log[-2000:]
    assert all(" pages (" in line and "/s), " in line and " new articles, " in line for line in progress)
    pages = [int(line.split(" pages", 1)[0].replace(",", "")) for line in progress]
    assert pages == sorted(pages) and pages[0] < pages[-1]  # it moves
    assert "Crawled " not in result.log  # Scrapy's own LogStats line is replaced


def _crawl(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """`scrapy crawl ARGS` writing only into tmp_path (and reaching no network: no proxy here)."""
    outputs = [f"NEWSCRAWL_DB={tmp_path / 'a.db'}", f"NEWSCRAWL_JSONL={tmp_path / 'a.jsonl'}",
               f"NEWSCRAWL_REPORT={tmp_path / 'r.json'}"]
    return run_scrapy("crawl", *args, *(arg for setting in outputs for arg in ("-s", setting)))


def test_an_unknown_spider_is_one_line(tmp_path: Path) -> None:
    _usage_error(_crawl(tmp_path, "finwes"), "no spider named 'finwes'")
    assert not list(tmp_path.iterdir())


def test_a_refresh_that_names_nothing_is_one_line(tmp_path: Path) -> None:
    _usage_error(_crawl(tmp_path, "finews", "-a", "refresh=ids.txt"), "'ids.txt' is not an article id")
    _usage_error(_crawl(tmp_path, "finews", "-a", "refresh=202205262200011681,soon"), "'soon'")
    _usage_error(_crawl(tmp_path, "finews", "-a", "refresh="), "give ids, NW codes, post URLs")
    binary = tmp_path / "ids.bin"
    binary.write_bytes(b"\xff\xfe\x00 not text")
    _usage_error(_crawl(tmp_path, "finews", "-a", f"refresh={binary}"), f"cannot read {binary}")
    listed = tmp_path / "ids.txt"
    listed.write_text("202205262200011681\nNW202205262200011682\n# a comment\nnot-an-id\n", encoding="utf-8")
    _usage_error(_crawl(tmp_path, "finews", "-a", f"refresh={listed}"), f"'not-an-id' (in {listed})")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ids.bin", "ids.txt"]


def test_an_archive_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.db").mkdir()  # a directory where the archive should be
    done = _crawl(tmp_path, "finews")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith(f"crawl failed: cannot open the archive at {tmp_path / 'a.db'}")


def test_search_checks_its_options_and_says_how_many_matched(tmp_path: Path) -> None:
    db = str(build_archive(tmp_path / "a.db", articles=60))
    _usage_error(run_scrapy("search", "的", "--db", db, "--since", "yesterday"), "--since must be an ISO date")
    _usage_error(run_scrapy("search", "的", "--db", db, "--until", "2022-13-45"), "--until must be an ISO date")
    _usage_error(run_scrapy("search", "的", "--db", db, "--since", "20211208"), "--since must be an ISO date")
    _usage_error(run_scrapy("search", "的", "--db", db, "--limit", "-1"), "--limit must be 0 (all) or more")
    everything = run_scrapy("search", "的", "--db", db, "--limit", "0")
    total = int(everything.stdout.strip().splitlines()[-1].split()[0])
    assert total > 5 and everything.stdout.count("\n    https://") == total
    few = run_scrapy("search", "的", "--db", db, "--limit", "5")
    assert few.stdout.strip().splitlines()[-1] == f"5 of {total} results"
    literal = run_scrapy("search", '"贵州茅台" AND 银行', "--db", db)
    assert literal.returncode == 0 and literal.stdout.strip().endswith("0 results")
    assert "searched as written" in literal.stderr and "no operators" in literal.stderr
    assert "searched as written" not in few.stderr
    assert "searched as written" not in run_scrapy("search", "10:30", "--db", db).stderr
