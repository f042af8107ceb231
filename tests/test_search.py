"""Chinese full-text search: exactly the articles whose title or body text holds the term."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from newscrawl.archive import Archive
from newscrawl.archive.search import search, snippet
from newscrawl.mirror.runner import PROJECT_DIR

# 1-, 2- and 3+-character terms, ASCII too; the expected sets are computed from the rows.
TERMS = ("金", "股", "元", "央行", "茅台", "银行", "基金", "FF", "人民币", "北向资金", "同比增长", "2021年", "有限公司")


@pytest.fixture
def real_archive(real_sample_db: Path) -> Path:
    return real_sample_db


def _containing(archive: Archive, term: str) -> set[str]:
    return {r["id"] for r in archive.articles.rows
            if term.lower() in (r["title"] or "").lower() or term.lower() in (r["body_text"] or "").lower()}


def test_search_finds_exactly_the_articles_holding_the_term(real_archive: Path) -> None:
    archive = Archive(real_archive)
    found_any = {1: 0, 2: 0, 3: 0}
    for term in TERMS:
        expected = _containing(archive, term)
        assert {h.id for h in search(archive.db, term, limit=None)} == expected, term
        found_any[min(len(term), 3)] += bool(expected)
    assert all(found_any.values()), found_any  # each length class is really exercised
    archive.db.execute("insert into articles_fts (articles_fts) values ('integrity-check')")


def test_a_revised_text_is_found_by_its_new_words_only(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    record = {"id": "202112082206672930", "url": "https://finews.withounder.com/emnews/2021/12/08/202112082206672930.html",
              "title": "离岸人民币升值", "body_text": "央行今日开展逆回购操作。"}
    archive.upsert(record)
    archive.upsert({**record, "body_text": "外汇局公布最新储备数据。"})
    archive.upsert({**record, "body_text": "外汇局公布最新储备数据。", "title": "外汇储备"})
    archive.commit()
    for term, hits in (("央行", 0), ("逆回购", 0), ("外汇", 1), ("外汇局公布", 1), ("人民币", 0), ("储备", 1)):
        assert len(search(archive.db, term)) == hits, term
    # Characters either side of punctuation, or of the title/body join, are not adjacent.
    archive.upsert({**record, "id": "202112082206672931", "url": record["url"].replace("30.html", "31.html"),
                    "title": "上海", "body_text": "银行贵州。茅台"})
    archive.commit()
    assert search(archive.db, "海银") == [] and search(archive.db, "州茅") == []
    assert [h.id for h in search(archive.db, "茅台")] == ["202112082206672931"]
    # The trigram index matches the articles table exactly (FTS5 compares the two).
    archive.db.execute("insert into articles_fts (articles_fts) values ('integrity-check')")
    archive.db.execute("insert into articles_grams (articles_grams) values ('integrity-check')")


def test_filters_ranking_and_snippets(real_archive: Path) -> None:
    archive = Archive(real_archive)
    hits = search(archive.db, "人民币", limit=None)
    assert hits and all("[人民币]" in h.snippet for h in hits)
    assert [h.score for h in hits] == sorted(h.score for h in hits)  # bm25: lower is better
    media = hits[0].media
    assert {h.media for h in search(archive.db, "人民币", media=media, limit=None)} == {media}
    day = hits[0].published_at[:10]
    assert all(h.published_at[:10] == day for h in search(archive.db, "人民币", since=day, until=day, limit=None))
    assert len(search(archive.db, "人民币", limit=1)) == 1
    assert search(archive.db, "，。") == [] and search(archive.db, "  ") == []
    assert snippet("标题", "前" * 40 + "央行" + "后" * 40, "央行") == "…" + "前" * 30 + "[央行]" + "后" * 30 + "…"


def test_search_command_prints_json_lines(real_archive: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "scrapy", "search", "银行", "--json", "--limit", "0", "--db", str(real_archive)],
                          capture_output=True, text=True, cwd=PROJECT_DIR, check=True)
    ids = {json.loads(line)["id"] for line in proc.stdout.splitlines()}
    assert ids == _containing(Archive(real_archive), "银行") and ids
    text = subprocess.run([sys.executable, "-m", "scrapy", "search", "银行", "--db", str(real_archive)],
                          capture_output=True, text=True, cwd=PROJECT_DIR, check=True).stdout
    shown = min(len(ids), 20)
    assert text.splitlines()[-1] == f"{shown} result{'s' if shown != 1 else ''}"
