"""The SQLite archive: idempotent upserts keyed by the article id, through sqlite-utils."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from pathlib import Path

import pytest

from newscrawl.archive import Archive
from newscrawl.items import Article


def _record(**changes: object) -> dict:
    article = Article(id="202204022332158234", url="https://finews.withounder.com/huaxiashibao/2022/04/02/202204022332158234.html",
                      title="新网银行去年净利润增长近三成", site_published_at="2022-04-02T14:57:53+08:00",
                      published_at="2022-04-02T14:57:53+08:00", category="huaxiashibao", media="华夏时报",
                      tags=["华夏时报新闻"], body_text="正文", fetched_at="2026-11-29T00:00:00+00:00")
    return {**asdict(article), **changes}


def test_new_article_gets_one_row_with_one_column_per_field(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    assert archive.upsert(_record()) == "new"
    assert archive.count() == 1
    assert [c.name for c in archive.articles.columns] == [*Article.field_names(), "url_key", "seq"]
    assert archive.articles.pks == ["id"]
    raw = next(archive.db.query("select tags from articles"))
    assert json.loads(raw["tags"]) == ["华夏时报新闻"]


def test_same_content_fetched_again_writes_nothing(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    archive.upsert(_record())
    assert archive.upsert(_record(fetched_at="2026-11-30T00:00:00+00:00")) == "unchanged"
    assert archive.get("202204022332158234")["fetched_at"] == "2026-11-29T00:00:00+00:00"
    assert archive.count() == 1


def test_changed_content_updates_the_row(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    archive.upsert(_record())
    assert archive.upsert(_record(title="更正后的标题")) == "changed"
    assert archive.get("202204022332158234")["title"] == "更正后的标题"
    assert archive.count() == 1


def test_archive_reopens_and_uses_wal(tmp_path: Path) -> None:
    Archive(tmp_path / "a.db").upsert(_record())
    archive = Archive(tmp_path / "a.db")
    assert archive.count() == 1
    assert archive.db.journal_mode == "wal"


def _numbered(n: int, **changes: object) -> dict:
    article_id = f"2022040223321{n:05d}"
    fields = {"id": article_id, "url": f"https://finews.withounder.com/huaxiashibao/2022/04/02/{article_id}.html",
              "body_text": f"第{n}篇正文，各不相同。"}
    return _record(**{**fields, **changes})


def test_articles_are_committed_in_groups_and_on_close(tmp_path: Path) -> None:
    archive, commits = Archive(tmp_path / "a.db", commit_every=3), []
    archive.on_commit.append(lambda: commits.append(Archive(tmp_path / "a.db").count()))
    for n in range(7):
        archive.save(_numbered(n), None)
    # A full group is committed when the next article comes, so the group's last article
    # has been through every later pipeline by then.
    assert commits == [3, 6]
    assert Archive(tmp_path / "a.db").count() == 6
    archive.close()
    assert commits == [3, 6, 7] and Archive(tmp_path / "a.db").count() == 7


def test_an_article_that_fails_to_save_leaves_nothing_behind(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db", commit_every=10)
    archive.save(_numbered(1), None)
    stored = archive.get(_numbered(2)["id"])
    archive.save(_numbered(2), stored)
    broken = _numbered(2, body_text="改过的正文", title=None)  # title is NOT NULL: the upsert fails
    with pytest.raises(sqlite3.IntegrityError):
        archive.save(broken, archive.get(broken["id"]))
    archive.save(_numbered(3), None)
    archive.close()
    reopened = Archive(tmp_path / "a.db")
    assert reopened.count() == 3
    assert reopened.revisions.count == 0  # the failed save's revision row was rolled back
    assert reopened.get(broken["id"])["body_text"] == "第2篇正文，各不相同。"
