"""`scrapy export`: releases that round-trip, verify, shard, deduplicate, and deltas of exactly what changed."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from newscrawl.archive import Archive
from newscrawl.archive.search import search
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.runner import PROJECT_DIR, crawl_through_mirror


def _export(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrapy", "export", *args], capture_output=True, text=True,
                          cwd=PROJECT_DIR)


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def real_db(real_sample_db: Path) -> Path:
    return real_sample_db


def test_a_release_of_the_real_sample_round_trips_and_verifies(real_db: Path, tmp_path: Path) -> None:
    release = tmp_path / "release"
    done = _export("--db", str(real_db), "--out", str(release))
    assert done.returncode == 0, done.stderr
    archive = Archive(real_db)
    records = _jsonl(release / "articles.jsonl")
    assert len(records) == archive.count() == 37
    for record in records:
        assert record == archive.get(record["id"])
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["records"] == 37 and sum(manifest["counts"]["per_media"].values()) == 37
    assert [f["name"] for f in manifest["schema"]["fields"]][:3] == ["id", "url", "title"]
    assert manifest["crawl_window"]["runs"] == 1 and manifest["files"][0]["records"] == 37

    assert _export("--verify", str(release)).returncode == 0
    data = bytearray((release / "articles.jsonl").read_bytes())
    data[100] = ord("X") if data[100] != ord("X") else ord("Y")  # one byte changed
    (release / "articles.jsonl").write_bytes(bytes(data))
    broken = _export("--verify", str(release))
    assert broken.returncode == 1 and "MISMATCH articles.jsonl" in broken.stdout


def test_filters_fields_shards_formats_and_dedup(real_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "cut"
    done = _export("--db", str(real_db), "--out", str(out), "--format", "jsonl,csv,parquet",
                   "--fields", "id,title,tags,cluster_id", "--shard-size", "10", "--dedup", "cluster")
    assert done.returncode == 0, done.stderr
    archive = Archive(real_db)
    stories = archive.db.execute("select count(distinct coalesce(cluster_id, id)) from articles").fetchone()[0]
    shards = sorted(out.glob("articles-*.jsonl"))
    records = [r for p in shards for r in _jsonl(p)]
    assert len(records) == stories < 37 and [len(_jsonl(p)) for p in shards][:-1] == [10] * (len(shards) - 1)
    assert list(records[0]) == ["id", "title", "tags", "cluster_id"]
    assert len({r["cluster_id"] for r in records}) == stories
    # The representative is the cluster's earliest published article.
    for record in records:
        members = archive.db.execute("select id from articles where coalesce(cluster_id, id) = ? "
                                     "order by published_at, id", [record["cluster_id"]]).fetchall()
        assert record["id"] == members[0][0]
    rows = [row for p in sorted(out.glob("articles-*.csv")) for row in list(csv.DictReader(p.open(encoding="utf-8")))]
    assert [r["id"] for r in rows] == [r["id"] for r in records] and json.loads(rows[0]["tags"]) == records[0]["tags"]
    table = [r for p in sorted(out.glob("articles-*.parquet")) for r in pq.read_table(p).to_pylist()]
    assert [r["id"] for r in table] == [r["id"] for r in records]
    assert _export("--verify", str(out)).returncode == 0

    media = next(iter(json.loads((out / "manifest.json").read_text())["counts"]["per_media"]), None)
    exact = _export("--db", str(real_db), "--out", str(tmp_path / "exact"), "--dedup", "exact")
    assert exact.returncode == 0
    assert all(r["duplicate_of"] is None for r in _jsonl(tmp_path / "exact" / "articles.jsonl"))
    assert _export("--db", str(real_db), "--out", str(tmp_path / "q"), "--query", "人民币").returncode == 0
    assert {r["id"] for r in _jsonl(tmp_path / "q" / "articles.jsonl")} == {h.id for h in search(archive.db, "人民币", limit=None)}
    day = _jsonl(tmp_path / "exact" / "articles.jsonl")[0]["published_at"][:10]
    assert _export("--db", str(real_db), "--out", str(tmp_path / "d"), "--since", day, "--until", day).returncode == 0
    assert {r["published_at"][:10] for r in _jsonl(tmp_path / "d" / "articles.jsonl")} == {day}
    assert media is not None


def test_a_delta_release_holds_exactly_the_new_and_revised_articles(serve, tmp_path: Path) -> None:
    db = tmp_path / "newscrawl.db"
    crawl_through_mirror(serve(GeneratedSite(120, seed=7)).url, tmp_path)
    assert _export("--db", str(db), "--out", str(tmp_path / "r1")).returncode == 0
    later = GeneratedSite(120, seed=7, revised=3, added=10)
    second = crawl_through_mirror(serve(later).url, tmp_path, spider_args={"refresh": ",".join(later.revised_ids)})
    assert second.stats["newscrawl/store/new"] == 10 and second.stats["newscrawl/store/changed"] == 3
    done = _export("--db", str(db), "--out", str(tmp_path / "r2"), "--since-release", str(tmp_path / "r1"))
    assert done.returncode == 0, done.stderr
    delta = {r["id"] for r in _jsonl(tmp_path / "r2" / "articles.jsonl")}
    assert delta == set(later.added_ids) | set(later.revised_ids) and len(delta) == 13
    # Nothing changed since r2: the next delta is empty.
    _export("--db", str(db), "--out", str(tmp_path / "r3"), "--since-release", str(tmp_path / "r2"),
            "--format", "jsonl,parquet")
    assert _jsonl(tmp_path / "r3" / "articles.jsonl") == [] and pq.read_table(tmp_path / "r3" / "articles.parquet").num_rows == 0
    assert _export("--verify", str(tmp_path / "r3")).returncode == 0  # an empty release is a release


def test_bad_options_and_missing_archives_fail_clearly(tmp_path: Path) -> None:
    bad = _export("--db", str(tmp_path / "x.db"), "--out", str(tmp_path / "o"), "--since", "yesterday")
    assert bad.returncode == 2 and "--since must be an ISO date" in bad.stderr + bad.stdout
    assert _export("--out", str(tmp_path / "o"), "--dedup", "fuzzy").returncode == 2
    missing = _export("--db", str(tmp_path / "none.db"), "--out", str(tmp_path / "o"))
    assert missing.returncode == 1 and "no archive at" in missing.stderr
    Archive(tmp_path / "a.db").close()
    (tmp_path / "a-file").write_text("")  # a directory that cannot be made, even by root
    unwritable = _export("--db", str(tmp_path / "a.db"), "--out", str(tmp_path / "a-file" / "release"))
    assert unwritable.returncode == 1 and "cannot write to" in unwritable.stderr
    unknown = _export("--db", str(tmp_path / "a.db"), "--out", str(tmp_path / "o2"), "--fields", "id,nope")
    assert unknown.returncode == 2 and "unknown --fields nope" in unknown.stderr
    assert _export("--verify", str(tmp_path / "nothing")).returncode == 1
