"""The archive's schema: versioned, and an archive made by an older newscrawl migrated in place."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from newscrawl.archive import Archive
from newscrawl.archive.schema import ARTICLE_COLUMNS, FILTER_INDEXES, VERSION, version
from newscrawl.archive.search import search

# What newscrawl before schema versioning created (user_version 0), with two articles in it.
OLD_SCHEMA = """
create table articles ({columns}, primary key (id));
create index idx_articles_url_key on articles (url_key);
create table revisions (id text, revision integer, fetched_at text, content_hash text, title text,
                        body_html text, body_text text, record text, primary key (id, revision));
create table clusters (cluster_id text primary key, size integer, first_id text, updated_at text);
create table dedup_keys (key integer, id text, primary key (key, id));
create table dedup_key_counts (key integer primary key, n integer);
"""
OLD_COLUMNS = [c for c in ARTICLE_COLUMNS if c not in ("source_body_text", "provenance", "seq")]  # newer columns


def _old_archive(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(OLD_SCHEMA.format(columns=", ".join(f"[{c}] text" for c in OLD_COLUMNS)))
    for n, (title, body) in enumerate((("央行开展逆回购", "央行今日开展1000亿元逆回购操作。"),
                                       ("贵州茅台发布公告", "贵州茅台公告称，前三季度营收增长。"))):
        row = {c: None for c in OLD_COLUMNS} | {
            "id": f"2021120822066729{n:02d}", "url": f"https://finews.withounder.com/emnews/2021/12/08/{n}.html",
            "title": title, "body_text": body, "tags": json.dumps(["东财滚动新闻"]), "cluster_id": f"x{n}"}
        conn.execute(f"insert into articles ({', '.join(row)}) values ({', '.join('?' * len(row))})", list(row.values()))
        conn.execute("insert into clusters values (?, 1, ?, null)", [f"x{n}", row["id"]])
    conn.commit()
    conn.close()


def test_a_new_archive_has_the_current_version_and_indexes(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    assert version(archive.db) == VERSION
    indexed = {tuple(i.columns) for i in archive.articles.indexes}
    assert all(tuple(columns) in indexed for columns in FILTER_INDEXES)
    assert {"articles", "revisions", "clusters", "runs", "captures", "articles_fts", "articles_grams"} <= set(
        archive.db.table_names())


def test_an_older_archive_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_archive(path)
    archive = Archive(path)
    assert version(archive.db) == VERSION
    assert {"source_body_text", "provenance"} <= {c.name for c in archive.articles.columns}
    assert archive.count() == 2 and archive.get("202112082206672900")["tags"] == ["东财滚动新闻"]
    # The old rows are searchable at once, by 1-, 2- and 3+-character terms.
    assert [h.id for h in search(archive.db, "逆回购")] == ["202112082206672900"]
    assert [h.id for h in search(archive.db, "茅台")] == ["202112082206672901"]
    assert {h.id for h in search(archive.db, "央")} == {"202112082206672900"}
    # … and the near-duplicate index was rebuilt for the current scheme.
    assert "dedup_key_counts" not in archive.db.table_names()
    assert archive.db["dedup_keys"].count > 0
    archive.close()
    assert version(Archive(path).db) == VERSION  # opening again changes nothing


def test_an_archive_from_when_the_trigram_index_had_triggers_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    _old_archive(path)
    archive = Archive(path)
    # What version 2 left: sqlite-utils' triggers on the trigram index.
    archive.db.execute("drop table articles_fts")
    archive.articles.enable_fts(["title", "body_text"], fts_version="FTS5", tokenize="trigram", create_triggers=True)
    archive.db.execute("pragma user_version = 2")
    archive.db.conn.commit()
    archive.close()
    reopened = Archive(path)
    assert not [r for r in reopened.db.execute("select name from sqlite_master where type = 'trigger'")]
    reopened.upsert({**reopened.get("202112082206672900"), "body_text": "外汇局公布储备数据。"})
    reopened.commit()
    reopened.db.execute("insert into articles_fts (articles_fts) values ('integrity-check')")
    assert [h.id for h in search(reopened.db, "外汇局")] == ["202112082206672900"]
    assert search(reopened.db, "今日开展") == []  # the old body's words are gone from the index


def test_a_version_7_trigram_index_is_declared_again_for_datasette(tmp_path: Path) -> None:
    """Up to version 7 the trigram index was sqlite-utils' (content=[articles]), which Datasette
    takes for the articles' search box (and answers 茅 with nothing); version 8 declares it
    content='articles' and makes it again from the articles."""
    path = tmp_path / "v7.db"
    _old_archive(path)
    archive = Archive(path)
    archive.db.execute("drop table articles_fts")
    archive.articles.enable_fts(["title", "body_text"], fts_version="FTS5", tokenize="trigram")
    archive.db.execute("pragma user_version = 7")
    archive.db.conn.commit()
    archive.close()
    reopened = Archive(path)
    declared = reopened.db.execute("select sql from sqlite_master where name = 'articles_fts'").fetchone()[0]
    assert "content='articles'" in declared and "[articles]" not in declared
    reopened.db.execute("insert into articles_fts (articles_fts) values ('integrity-check')")
    assert [h.id for h in search(reopened.db, "逆回购")] == ["202112082206672900"]
    from datasette.utils import detect_fts

    assert detect_fts(reopened.db.conn, "articles") is None  # the plugin answers the search box
    # Killed while the index was made again: declared anew, but short of the articles.
    reopened.db.execute("delete from articles_fts_docsize")
    reopened.db.execute("pragma user_version = 7")
    reopened.db.conn.commit()
    reopened.close()
    mended = Archive(path)
    assert [h.id for h in search(mended.db, "逆回购")] == ["202112082206672900"]
    mended.close()


def test_runs_of_a_version_4_archive_learn_their_kind(tmp_path: Path) -> None:
    path = tmp_path / "v4.db"
    archive = Archive(path)
    archive.start_run("finews", "crawl", "2026-11-01T00:00:00+00:00", {"spider": {}, "settings": {}})
    archive.start_run("finews", "crawl", "2026-11-02T00:00:00+00:00", {"spider": {}, "settings": {"NEWSCRAWL_REPLAY": True}})
    archive.start_run("share", "crawl", "2026-11-03T00:00:00+00:00", {"spider": {"ids": "NW1"}, "settings": {}})
    archive.start_run("finews", "crawl", "2026-11-04T00:00:00+00:00", {
        "spider": {"start_url": "https://finews.withounder.com/category/emnews.html"}, "settings": {}})
    archive.start_run("finews", "crawl", "2026-11-05T00:00:00+00:00", {
        "spider": {"start_url": "https://finews.withounder.com/", "urls": "posts.txt"}, "settings": {}})
    archive.commit()
    archive.db.execute("alter table runs drop column kind")  # as version 4 wrote them
    archive.db.execute("pragma user_version = 4")
    archive.db.conn.commit()
    archive.close()
    assert [r["kind"] for r in Archive(path).runs.rows] == ["crawl", "replay", "backfill", "partial", "crawl"]


def test_an_empty_database_is_made_from_scratch_whatever_its_version(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("pragma user_version = 3")
    archive = Archive(path)
    assert version(archive.db) == VERSION and {"captures", "runs", "share_attempts"} <= set(archive.db.table_names())


@pytest.mark.parametrize("old", [4, 5])
def test_bodies_of_an_older_archive_take_the_one_layout_of_blocks(old: int, tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    archive = Archive(path)
    archive.save({"id": "202112082206672930", "url": "https://finews.withounder.com/emnews/2021/12/08/202112082206672930.html",
                  "title": "标题", "body_html": "<p>第一段。</p>\n\n<p>第二段。</p>", "body_text": "第一段。\n第二段。"}, None)
    archive.commit()
    archive.db.execute("drop table repo_sources")  # a version 5 archive had none yet
    archive.db.execute(f"pragma user_version = {old}")
    archive.db.conn.commit()
    archive.close()
    upgraded = Archive(path)
    assert upgraded.get("202112082206672930")["body_html"] == "<p>第一段。</p>\n<p>第二段。</p>"
    assert upgraded.archived_source("0" * 40) is False and "repo_sources" in upgraded.db.table_names()
