"""The SQLite archive: idempotent upserts keyed by the article id, through sqlite-utils."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

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
    assert [c.name for c in archive.articles.columns] == [*Article.field_names(), "url_key"]
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
