"""A full disk, a read-only archive: the crawl stops with one clear line and a non-zero exit,
no JSONL line is partial or lost, and a rerun where there is room ends as an uninterrupted crawl.

The filesystems are real: a small tmpfs mounted for the test (full), or one remounted
read-only. Mounting needs root, which the test command runs as (it installs Debian packages).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from newscrawl.archive import Archive, StorageError
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.runner import crawl_through_mirror
from newscrawl.pipelines.jsonl import AppendJsonlPipeline
from tests.conftest import comparable_articles, file_state

SETTINGS = {"NEWSCRAWL_COMMIT_EVERY": "4", "CONCURRENT_REQUESTS": "2"}


@contextmanager
def filesystem(path: Path, size: int, read_only: bool = False, fill_from: Path | None = None) -> Iterator[Path]:
    """A tmpfs of `size` bytes mounted at `path` (with `fill_from`'s files copied in, then
    remounted read-only if asked); unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.fail("these tests mount filesystems: run them as root (the README's test command does)")
    path.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)], check=True)
    try:
        for name in sorted(os.listdir(fill_from)) if fill_from else ():
            shutil.copy(fill_from / name, path / name)
        if read_only:
            subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)
        yield path
    finally:
        # Lazily if still busy: an error here would hide the test's own.
        if subprocess.run(["umount", str(path)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(path)], check=True)


def _lines(path: Path) -> list[dict]:
    data = path.read_bytes() if path.exists() else b""
    assert not data or data.endswith(b"\n"), "the JSONL ends in a partial line"
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def _ids(db: Path) -> set[str]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return {r[0] for r in conn.execute("select id from articles")}


def _outcomes(db: Path) -> list[str]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return [r[0] for r in conn.execute("select outcome from runs order by rowid")]


def _stopped_once(result, reason: str) -> None:
    assert result.returncode == 4, result.log[-3000:]
    assert "Traceback" not in result.log
    stops = [line for line in result.log.splitlines() if "The crawl stops:" in line]
    assert len(stops) == 1 and reason in stops[0], stops
    assert result.log.strip().splitlines()[-1].startswith("crawl failed: ") and reason in result.log.splitlines()[-1]
    assert result.stats["finish_reason"] == "storage_failed" and result.stats["newscrawl/storage/failed"] == 1


def _comparable_lines(path: Path, listed_twice: set[str]) -> dict[str, dict]:
    skip = {"fetched_at", "cluster_id", "duplicate_of", "story_id"}  # story: crawl order (conftest)
    listing = {"url", "category", "media", "tags"}
    return {r["id"]: {k: v for k, v in r.items() if k not in skip and (r["id"] not in listed_twice or k not in listing)}
            for r in _lines(path)}


@pytest.fixture(scope="module")
def whole(small_site: GeneratedSite, tmp_path_factory: pytest.TempPathFactory):
    """An uninterrupted crawl of the small site: what every rerun must end as."""
    from newscrawl.mirror.proxy import MirrorProxy

    proxy = MirrorProxy(small_site)
    proxy.start_in_thread()
    out = tmp_path_factory.mktemp("whole")
    result = crawl_through_mirror(proxy.url, out, settings=SETTINGS)
    proxy.stop()
    assert result.returncode == 0
    return out


def _rerun_equals_whole(serve, site: GeneratedSite, work: Path, whole: Path) -> None:
    again = crawl_through_mirror(serve(site).url, work, settings=SETTINGS)
    assert again.returncode == 0 and again.report["finish_reason"] == "finished", again.log[-3000:]
    twice = set(site.dedup_cases["second_category"])
    assert comparable_articles(work / "newscrawl.db", twice) == comparable_articles(whole / "newscrawl.db", twice)
    lines = _lines(work / "articles.jsonl")
    assert len(lines) == len({r["id"] for r in lines}), "an article written twice"
    assert _comparable_lines(work / "articles.jsonl", twice) == _comparable_lines(whole / "articles.jsonl", twice)


def test_a_full_disk_stops_the_crawl_and_a_rerun_with_room_completes_it(
        serve, small_site: GeneratedSite, whole: Path, tmp_path: Path) -> None:
    full_size = sum(p.stat().st_size for p in whole.iterdir())
    with filesystem(tmp_path / "small", int(full_size * 0.6)) as small:
        # The report beside, not on the full disk: whether it still fits there depends on timing.
        result = crawl_through_mirror(serve(small_site).url, small,
                                      settings={**SETTINGS, "NEWSCRAWL_REPORT": str(tmp_path / "last-run.json")})
        _stopped_once(result, "the disk is full")
        archived = _ids(small / "newscrawl.db")
        # Some articles were committed, not all; the JSONL holds exactly those, in whole lines.
        assert 0 < len(archived) < len(_ids(whole / "newscrawl.db"))
        assert {r["id"] for r in _lines(small / "articles.jsonl")} == archived
        # Not "finished": nothing this run read counts as read by a finished run.
        assert "finished" not in _outcomes(small / "newscrawl.db")
        moved = tmp_path / "moved"
        moved.mkdir()
        for name in ("newscrawl.db", "newscrawl.db-wal", "articles.jsonl"):
            if (small / name).exists():
                shutil.copy(small / name, moved / name)
    _rerun_equals_whole(serve, small_site, moved, whole)


def test_a_full_disk_under_the_jsonl_alone_rolls_the_group_back(
        serve, small_site: GeneratedSite, whole: Path, tmp_path: Path) -> None:
    """The JSONL on another, full, disk: its partial write is cut off again and the archive
    rolls back the group whose lines it could not write, so both hold the same articles."""
    work = tmp_path / "work"
    with filesystem(tmp_path / "small", 120_000) as small:
        result = crawl_through_mirror(serve(small_site).url, work,
                                      settings={**SETTINGS, "NEWSCRAWL_JSONL": str(small / "articles.jsonl")})
        _stopped_once(result, "the disk is full")
        written = {r["id"] for r in _lines(small / "articles.jsonl")}
        assert written and written == _ids(work / "newscrawl.db")
        shutil.copy(small / "articles.jsonl", work / "articles.jsonl")
    _rerun_equals_whole(serve, small_site, work, whole)


def test_a_read_only_archive_is_one_line_and_left_as_it_is(serve, small_site: GeneratedSite, whole: Path,
                                                           tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    kept.mkdir()
    shutil.copy(whole / "newscrawl.db", kept / "newscrawl.db")
    with filesystem(tmp_path / "ro", 8 << 20, read_only=True, fill_from=kept) as ro:
        before = file_state(ro / "newscrawl.db")
        result = crawl_through_mirror(serve(small_site).url, tmp_path / "out",
                                      settings={**SETTINGS, "NEWSCRAWL_DB": str(ro / "newscrawl.db")})
        assert result.returncode == 1 and "Traceback" not in result.log
        last = result.log.strip().splitlines()[-1]
        assert last.startswith("crawl failed: cannot write the archive at ") and "read-only" in last, last
        assert file_state(ro / "newscrawl.db") == before
        assert not (tmp_path / "out" / "articles.jsonl").exists()


def test_a_read_only_jsonl_directory_is_one_line_before_the_crawl(serve, small_site: GeneratedSite,
                                                                  tmp_path: Path) -> None:
    with filesystem(tmp_path / "ro", 1 << 20, read_only=True) as ro:
        result = crawl_through_mirror(serve(small_site).url, tmp_path / "out",
                                      settings={**SETTINGS, "NEWSCRAWL_JSONL": str(ro / "articles.jsonl")})
    assert result.returncode == 1 and "Traceback" not in result.log
    last = result.log.strip().splitlines()[-1]
    assert last.startswith("crawl failed: cannot write") and "read-only" in last, last
    assert not (tmp_path / "out" / "newscrawl.db").exists() or _outcomes(tmp_path / "out" / "newscrawl.db") == []


def test_lines_a_killed_run_wrote_before_its_commit_are_cut_by_the_next(tmp_path: Path) -> None:
    """A kill between the JSONL write and the archive's commit leaves lines of articles the
    archive never got: the next run cuts the file back to its recorded size, then appends."""
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy.utils.test import get_crawler

    stats = MemoryStatsCollector(get_crawler())
    archive = Archive(tmp_path / "a.db", commit_every=10)
    jsonl = AppendJsonlPipeline(str(tmp_path / "a.jsonl"), stats, archive)
    record = {"id": "202205250000000001", "url": "https://finews.withounder.com/x/1.html", "title": "一"}
    archive.save(record, None)
    jsonl.process_item(record)
    archive.commit()
    committed = (tmp_path / "a.jsonl").read_bytes()
    # What a killed run left: its group's lines written, the commit never made.
    with (tmp_path / "a.jsonl").open("ab") as f:
        f.write(b'{"id": "202205250000000002", "title": "lost"}\n')
    archive.close()
    archive = Archive(tmp_path / "a.db", commit_every=10)
    jsonl = AppendJsonlPipeline(str(tmp_path / "a.jsonl"), stats, archive)
    second = {**record, "id": "202205250000000003", "url": "https://finews.withounder.com/x/3.html", "title": "三"}
    archive.save(second, None)
    jsonl.process_item(second)
    archive.close()
    assert [r["id"] for r in _lines(tmp_path / "a.jsonl")] == ["202205250000000001", "202205250000000003"]
    assert (tmp_path / "a.jsonl").read_bytes().startswith(committed)
    assert stats.get_value("newscrawl/jsonl/uncommitted_cut") == 1


def test_an_archive_that_fails_a_write_refuses_every_later_one(tmp_path: Path) -> None:
    with filesystem(tmp_path / "small", 1 << 20) as small:
        archive = Archive(small / "a.db", commit_every=1000)
        told: list[str] = []
        archive.on_failure.append(told.append)
        body = "财经新闻正文。" * 2000
        with pytest.raises(StorageError, match="the disk is full"):
            for n in range(1000):
                archive.save({"id": f"2022052500{n:08d}", "url": f"https://finews.withounder.com/x/{n}.html",
                              "title": f"标题{n}", "body_text": f"{n}{body}"}, None)
                if n % 10 == 9:
                    archive.commit()
        assert len(told) == 1 and archive.failed == told[0]
        with pytest.raises(StorageError):
            archive.start_run("finews", "crawl", "2022-05-25T00:00:00+00:00", {})
        archive.close()  # commits nothing, raises nothing
        assert len(told) == 1


def test_a_full_temporary_disk_under_the_request_queue_stops_the_crawl(
        serve, small_site: GeneratedSite, whole: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk queue writes through a buffer: when it fails, requests are lost already. The
    crawl stops as on any full disk (exit 4, one line), and a rerun completes it."""
    work = tmp_path / "work"
    with filesystem(tmp_path / "tmp", 16 << 10) as small_tmp:
        monkeypatch.setenv("TMPDIR", str(small_tmp))
        result = crawl_through_mirror(serve(small_site).url, work, settings=SETTINGS)
        monkeypatch.delenv("TMPDIR")
        _stopped_once(result, "the disk is full")
        assert result.stats["newscrawl/queue/disk_failed"] == 1
        assert {r["id"] for r in _lines(work / "articles.jsonl")} == _ids(work / "newscrawl.db")
        assert not list(small_tmp.iterdir()), "the queue's directory is left behind"
    _rerun_equals_whole(serve, small_site, work, whole)


def _record(n: int, body: str = "正文。") -> dict:
    return {"id": f"2022052500{n:08d}", "url": f"https://finews.withounder.com/x/{n}.html", "title": f"标题{n}",
            "body_text": f"{n}{body}", "site_published_at": "2022-05-25T08:00:00+00:00", "published_at":
            "2022-05-25T08:00:00+00:00", "provenance": {"published_at": "post"}}


def test_lines_of_a_killed_first_group_are_cut_by_the_next_run(tmp_path: Path) -> None:
    """A new file, killed between its first append and its first commit: the size recorded
    when the run opened tells the next run what to cut."""
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy.utils.test import get_crawler

    stats = MemoryStatsCollector(get_crawler())
    path = tmp_path / "a.jsonl"
    archive = Archive(tmp_path / "a.db", commit_every=10)
    jsonl = AppendJsonlPipeline(str(path), stats, archive)
    jsonl.open_spider()
    archive.save(_record(1), None)
    jsonl.process_item(_record(1))
    jsonl.write()  # the group's lines, inside its transaction …
    archive.db.conn.close()  # … which the kill never committed
    assert len(_lines(path)) == 1
    archive = Archive(tmp_path / "a.db", commit_every=10)
    jsonl = AppendJsonlPipeline(str(path), stats, archive)
    jsonl.open_spider()
    archive.save(_record(1), None)
    jsonl.process_item(_record(1))
    archive.close()
    assert [r["id"] for r in _lines(path)] == [_record(1)["id"]]
    assert stats.get_value("newscrawl/jsonl/uncommitted_cut") == 1


def test_a_directory_where_the_jsonl_should_be_stops_the_crawl(tmp_path: Path) -> None:
    """Not a full disk, still a write that cannot be done: one reason, the group rolled back."""
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy.utils.test import get_crawler

    path = tmp_path / "a.jsonl"
    archive = Archive(tmp_path / "a.db", commit_every=10)
    told: list[str] = []
    archive.on_failure.append(told.append)
    jsonl = AppendJsonlPipeline(str(path), MemoryStatsCollector(get_crawler()), archive)
    jsonl.open_spider()
    path.unlink(missing_ok=True)
    path.mkdir()  # what a mistaken `mkdir` or a restore did while the crawl ran
    archive.save(_record(1), None)
    jsonl.process_item(_record(1))
    with pytest.raises(StorageError, match="Is a directory"):
        archive.commit()
    assert len(told) == 1 and str(path) in told[0]
    archive.close()
    assert _ids(tmp_path / "a.db") == set()


def test_a_jsonl_path_that_is_a_directory_is_one_line_before_the_crawl(serve, small_site: GeneratedSite,
                                                                       tmp_path: Path) -> None:
    (tmp_path / "dir.jsonl").mkdir()
    result = crawl_through_mirror(serve(small_site).url, tmp_path / "out",
                                  settings={**SETTINGS, "NEWSCRAWL_JSONL": str(tmp_path / "dir.jsonl")})
    assert result.returncode == 1 and "Traceback" not in result.log
    assert result.log.strip().splitlines()[-1] == f"crawl failed: cannot write {tmp_path / 'dir.jsonl'}: it is a directory"


def test_a_full_disk_at_the_last_commit_is_said_once_and_raises_nothing(tmp_path: Path) -> None:
    """The run's last group is committed when the archive closes: a full disk then is the
    same one line, and undoing writes that fail themselves does not hide it."""
    with filesystem(tmp_path / "small", 1 << 20) as small:
        archive = Archive(small / "a.db", commit_every=1000)
        told: list[str] = []
        archive.on_failure.append(told.append)

        def undo_fails() -> None:
            raise OSError(5, "Input/output error")

        archive.on_rollback.append(undo_fails)
        for n in range(20):
            archive.save(_record(n, "财经新闻正文。" * 2000), None)
        archive.close()
        assert len(told) == 1 and "the disk is full" in told[0]


def test_an_article_s_pending_time_is_committed_with_it(tmp_path: Path) -> None:
    """Also when every article is committed at once: a kill after the commit must not leave
    an article archived whose time (and JSONL line) no run will ever infer."""
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy.utils.test import get_crawler

    from newscrawl.pipelines.store import StoreArticlePipeline
    from newscrawl.pipelines.timeline import InferTimesPipeline
    from newscrawl.settings import ITEM_PIPELINES

    order = sorted(ITEM_PIPELINES, key=ITEM_PIPELINES.get)
    assert order.index("newscrawl.pipelines.timeline.InferTimesPipeline") < order.index(
        "newscrawl.pipelines.store.StoreArticlePipeline")
    stats = MemoryStatsCollector(get_crawler())
    archive = Archive(tmp_path / "a.db", commit_every=1)
    for pipeline in (InferTimesPipeline(archive, stats), StoreArticlePipeline(archive, stats)):
        pipeline.process_item(_record(7))
    with closing(sqlite3.connect(tmp_path / "a.db")) as other:  # what a kill now leaves
        assert other.execute("select count(*) from time_pending").fetchone()[0] == 1
        assert other.execute("select count(*) from articles").fetchone()[0] == 1
    archive.close()
