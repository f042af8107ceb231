"""Read-only ways into the archive: search, export, Datasette and the reader leave the file as it
was; another program's file, or no SQLite at all, is one line and exit 1, and stays untouched."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest

from newscrawl.archive import Archive, ArchiveError, ArchiveReader, is_archive
from newscrawl.archive.schema import VERSION
from tests.conftest import build_archive, file_state, free_port, run_scrapy


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    return build_archive(tmp_path / "archive" / "newscrawl.db")


def _foreign(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("create table notes (id integer primary key, text text)")
        conn.execute("insert into notes (text) values ('茅台 is not news here')")
    return path


def _set_version(path: Path, version: int) -> None:
    """As an older or newer newscrawl would have left it: written through, nothing in the WAL."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(f"pragma user_version = {version}")
        conn.execute("pragma wal_checkpoint(truncate)")


def _one_line_error(done: subprocess.CompletedProcess, words: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and words in lines[0], done.stderr


def test_search_and_export_leave_the_archive_byte_identical(archive_path: Path, tmp_path: Path) -> None:
    reader = ArchiveReader.open(archive_path)
    term = next(reader.articles.rows)["title"][:2]
    reader.close()
    before = file_state(archive_path)
    done = run_scrapy("search", term, "--db", str(archive_path))
    assert done.returncode == 0 and "result" in done.stdout, done.stderr
    assert run_scrapy("search", term, "--db", str(archive_path), "--json").returncode == 0
    release = tmp_path / "release"
    assert run_scrapy("export", "--db", str(archive_path), "--out", str(release), "--format", "jsonl,csv",
                      "--query", term).returncode == 0
    assert run_scrapy("export", "--verify", str(release)).returncode == 0
    assert file_state(archive_path) == before


def test_the_reader_opens_read_only(archive_path: Path) -> None:
    before = file_state(archive_path)
    reader = Archive.reader(archive_path)
    assert reader.count() == 40 and reader.search("的", limit=None)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.db.execute("delete from articles")
    reader.close()
    assert file_state(archive_path) == before


def test_datasette_leaves_the_archive_byte_identical(archive_path: Path) -> None:
    before = file_state(archive_path)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "datasette", "serve", str(archive_path), "-h", "127.0.0.1",
                               "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.2)
        for path in ("/newscrawl/articles.json", "/newscrawl/search.json?q=%E7%9A%84", "/-/metadata.json"):
            with urllib.request.urlopen(base + path, timeout=10) as response:
                assert response.status == 200
    finally:
        server.terminate()
        server.wait(10)
    assert file_state(archive_path) == before


@pytest.mark.parametrize("command", [("search", "茅台"), ("export", "--out", "OUT")])
def test_a_foreign_sqlite_file_is_refused_and_untouched(command: tuple[str, ...], tmp_path: Path) -> None:
    other = _foreign(tmp_path / "other.db")
    before = file_state(other)
    args = [a.replace("OUT", str(tmp_path / "release")) for a in command]
    _one_line_error(run_scrapy(*args, "--db", str(other)), "is not a newscrawl archive")
    assert file_state(other) == before and not (tmp_path / "release").exists()
    with closing(sqlite3.connect(other)) as conn:
        assert conn.execute("pragma journal_mode").fetchone()[0] == "delete"  # not switched to WAL


def test_another_programs_articles_table_is_not_taken_for_an_old_archive(tmp_path: Path) -> None:
    other = tmp_path / "notes.db"
    with closing(sqlite3.connect(other)) as conn, conn:
        conn.execute("create table articles (id integer primary key, body text)")
        conn.execute("insert into articles (body) values ('mine')")
    before = file_state(other)
    for args in (("search", "的"), ("migrate",)):
        _one_line_error(run_scrapy(*args, "--db", str(other)), "is not a newscrawl archive")
    with pytest.raises(ArchiveError, match="not a newscrawl archive"):
        Archive(other)
    assert file_state(other) == before


def test_an_archive_in_a_directory_the_reader_cannot_write_is_read(archive_path: Path, tmp_path: Path) -> None:
    """A read-only mount, or another user's archive: SQLite cannot make its -shm file there.
    (As root, the reader runs as the user nobody in a directory root owns — pytest's own
    temporary directories are private to root, so this one is world-readable in /tmp; as
    another user, in a directory made read-only.)"""
    with tempfile.TemporaryDirectory(prefix="newscrawl-ro-") as shared_dir:
        shared = Path(shared_dir)
        shutil.copy(archive_path, shared / "newscrawl.db")
        (shared / "newscrawl.db").chmod(0o644)
        shared.chmod(0o755 if os.geteuid() == 0 else 0o555)
        reader = ("import sys; from newscrawl.archive import ArchiveReader; "
                  "print(ArchiveReader.open(sys.argv[1]).count())")
        as_other = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
        done = subprocess.run([*as_other, sys.executable, "-c", reader, str(shared / "newscrawl.db")],
                              capture_output=True, text=True, cwd=Path(__file__).parents[1])
        shared.chmod(0o755)
        assert done.returncode == 0 and done.stdout.strip() == "40", done.stderr
        assert sorted(p.name for p in shared.iterdir()) == ["newscrawl.db"]


def test_a_file_that_is_no_sqlite_is_one_line(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# not a database\n" * 100, encoding="utf-8")
    before = file_state(readme)
    for args in (("search", "茅台"), ("export", "--out", str(tmp_path / "r")), ("migrate",)):
        _one_line_error(run_scrapy(*args, "--db", str(readme)), "is not an SQLite database")
    assert file_state(readme) == before


def test_a_crawl_into_a_foreign_file_is_refused_before_it_starts(tmp_path: Path) -> None:
    other = _foreign(tmp_path / "other.db")
    before = file_state(other)
    done = run_scrapy("crawl", "finews", "-s", f"NEWSCRAWL_DB={other}", "-s", f"NEWSCRAWL_JSONL={tmp_path / 'a.jsonl'}",
                      "-s", f"NEWSCRAWL_REPORT={tmp_path / 'r.json'}")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    # After Scrapy's start-up lines, one line says why.
    assert [line for line in done.stderr.splitlines() if "not a newscrawl archive" in line] == [
        done.stderr.strip().splitlines()[-1]]
    assert file_state(other) == before and not (tmp_path / "a.jsonl").exists()
    with pytest.raises(ArchiveError, match="not a newscrawl archive"):
        Archive(other)
    assert file_state(other) == before


def test_an_older_archive_is_read_after_scrapy_migrate(archive_path: Path) -> None:
    _set_version(archive_path, 3)
    assert not is_archive(str(archive_path))
    before = file_state(archive_path)
    done = run_scrapy("search", "的", "--db", str(archive_path))
    _one_line_error(done, f"scrapy migrate --db {archive_path}")
    assert file_state(archive_path) == before
    migrated = run_scrapy("migrate", "--db", str(archive_path))
    assert migrated.returncode == 0 and f"migrated from schema version 3 to {VERSION}" in migrated.stdout
    assert run_scrapy("migrate", "--db", str(archive_path)).stdout.strip().endswith("up to date")
    assert run_scrapy("search", "的", "--db", str(archive_path)).returncode == 0


def test_an_archive_of_a_newer_newscrawl_is_not_read_or_written(archive_path: Path) -> None:
    _set_version(archive_path, VERSION + 1)
    before = file_state(archive_path)
    for make in (ArchiveReader.open, Archive):
        with pytest.raises(ArchiveError, match="newer newscrawl"):
            make(archive_path)
    _one_line_error(run_scrapy("migrate", "--db", str(archive_path)), "upgrade newscrawl")
    assert file_state(archive_path) == before


def test_a_missing_archive_is_one_line(tmp_path: Path) -> None:
    for args in (("search", "茅台"), ("export", "--out", str(tmp_path / "r")), ("migrate",)):
        _one_line_error(run_scrapy(*args, "--db", str(tmp_path / "none.db")), "no archive at")
    assert not (tmp_path / "none.db").exists()


def test_datasette_plugin_documents_archives_only(archive_path: Path, tmp_path: Path) -> None:
    other = _foreign(tmp_path / "other.db")
    copy = tmp_path / "copy.db"
    shutil.copy(archive_path, copy)
    assert is_archive(str(copy)) and not is_archive(str(other)) and not is_archive(str(tmp_path / "none.db"))


def _before_stories(path: Path) -> None:
    """As a newscrawl from before stories left it (schema 8): no story_id, no story tables."""
    with closing(sqlite3.connect(path)) as conn:
        for table in ("stories", "story_keys", "story_counts"):
            conn.execute(f"drop table {table}")
        conn.execute("drop index idx_articles_story_id")
        conn.execute("alter table articles drop column story_id")
        conn.execute("delete from meta where name like 'story_%'")
        conn.commit()
        conn.execute("pragma wal_checkpoint(truncate)")


def test_an_archive_from_before_stories_is_read_without_migrating_it(archive_path: Path, tmp_path: Path) -> None:
    from newscrawl.mirror.browser import serve_datasette

    _before_stories(archive_path)
    before = file_state(archive_path)
    for dedup in ("none", "cluster", "story"):
        release = tmp_path / f"release-{dedup}"
        done = run_scrapy("export", "--db", str(archive_path), "--out", str(release), "--dedup", dedup,
                          "--format", "jsonl,csv")
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        lines = [json.loads(line) for f in sorted(release.glob("*.jsonl")) for line in f.open(encoding="utf-8")]
        assert len(lines) == 40 and all(line["story_id"] is None for line in lines)  # its clusters are its stories
    reader = ArchiveReader.open(archive_path)
    some = next(reader.articles.rows)
    reader.close()
    assert run_scrapy("search", some["title"][:2], "--stories", "--db", str(archive_path)).returncode == 0
    assert run_scrapy("show", some["id"], "--db", str(archive_path)).returncode == 0
    with serve_datasette(archive_path) as base:
        with urllib.request.urlopen(f"{base}/-/metadata.json", timeout=10) as response:
            queries = json.loads(response.read())["databases"][archive_path.stem]["queries"]
        assert "cluster_members" in queries and "story_members" not in queries  # it has no stories to ask for
        with urllib.request.urlopen(f"{base}/{archive_path.stem}/articles/{some['id']}", timeout=10) as response:
            assert response.status == 200
    assert file_state(archive_path) == before
