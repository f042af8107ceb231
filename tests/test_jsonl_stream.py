"""The crawl's JSONL stream: whole lines only (even after kill -9), gzip, daily files, stable order."""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import time
from pathlib import Path

from newscrawl.export.jsonl import FIELD_ORDER, append, line, partition_path, repair
from newscrawl.items import Article
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.runner import PROJECT_DIR, crawl_command, crawl_through_mirror
from tests.conftest import SlowSite


def _lines(path: Path) -> list[dict]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return [json.loads(text) for text in raw.decode("utf-8").splitlines()]


def test_a_partial_last_line_is_cut_before_the_next_append(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"id": "1"}\n{"id": "2", "ti')
    assert repair(path) == len(b'{"id": "2", "ti')
    append(path, [line({"id": "3"})])
    assert [r["id"] for r in _lines(path)] == ["1", "3"]
    assert repair(path) == 0 and repair(tmp_path / "missing.jsonl") == 0


def test_lines_keep_article_field_order_and_unescaped_utf8() -> None:
    text = line({"title": "央行", "id": "1"})
    assert list(json.loads(text)) == list(FIELD_ORDER) == Article.field_names()
    assert "央行" in text and text.endswith("\n") and text.count("\n") == 1


def test_daily_gzip_files_are_named_by_fetch_day(tmp_path: Path) -> None:
    base = tmp_path / "articles.jsonl"
    assert partition_path(base, "2026-11-29T08:00:00+00:00", True, True).name == "articles-2026-11-29.jsonl.gz"
    assert partition_path(base, "2026-11-29T08:00:00+00:00", False, False) == base
    gz = partition_path(base, "2026-11-29T08:00:00+00:00", True, True)
    append(gz, [line({"id": "1"})])
    append(gz, [line({"id": "2"}), line({"id": "3"})])  # a second gzip member
    assert [r["id"] for r in _lines(gz)] == ["1", "2", "3"]


def test_kill_9_during_a_daily_gzip_crawl_leaves_every_file_readable(
    serve, small_site: GeneratedSite, tmp_path: Path
) -> None:
    settings = {"NEWSCRAWL_JSONL_DAILY": "True", "NEWSCRAWL_JSONL_GZIP": "True",
                "NEWSCRAWL_COMMIT_EVERY": "3", "NEWSCRAWL_COMMIT_SECONDS": "0.1", "CONCURRENT_REQUESTS": "2"}
    cmd, env = crawl_command(serve(SlowSite(small_site, delay=0.05)).url, tmp_path, settings=settings)
    crawl = subprocess.Popen(cmd, env=env, cwd=PROJECT_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while sum(len(_lines(p)) for p in tmp_path.glob("articles-*.jsonl.gz")) < 15 and time.monotonic() < deadline:
        time.sleep(0.05)
    crawl.send_signal(signal.SIGKILL)
    crawl.wait()
    files = sorted(tmp_path.glob("articles-*.jsonl.gz"))
    assert files and all(p.name[9:19].count("-") == 2 for p in files)
    killed = [r["id"] for p in files for r in _lines(p)]
    assert 15 <= len(killed) < 120

    result = crawl_through_mirror(serve(small_site).url, tmp_path, settings=settings)
    assert result.report["finish_reason"] == "finished"
    ids = [r["id"] for p in sorted(tmp_path.glob("articles-*.jsonl.gz")) for r in _lines(p)]
    assert len(ids) == len(set(ids)) == 120
