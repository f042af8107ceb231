"""The near-duplicate index: hot keys skipped, old keys dropped on revision, rebuilt on a new scheme."""

from __future__ import annotations

import random
from dataclasses import asdict
from pathlib import Path

import numpy as np
from w3lib.url import canonicalize_url

from newscrawl.archive import Archive, url_key
from newscrawl.archive.nearindex import DEDUP_KEYS, HOT_KEY
from newscrawl.items import Article
from newscrawl.processing.similarity import BANDS, ROWS, index_keys, normalize, signature


def _article(n: int, text: str) -> dict:
    article_id = f"2022040223321{n:05d}"
    return asdict(Article(id=article_id, url=f"https://finews.withounder.com/emnews/2022/04/02/{article_id}.html",
                          title=f"标题{n}", body_text=text))


TEXT = "新网银行2021年实现营业收入42.12亿元，同比增长14.86%；净利润7.31亿元，同比增长28.6%，资产规模稳步扩大。"


def test_a_key_shared_by_too_many_articles_finds_nothing(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db", commit_every=100)
    for n in range(HOT_KEY + 5):
        archive.save(_article(n, TEXT), None)
    keys = index_keys(normalize(TEXT))
    assert archive.near.candidates(keys, other_than="x") == []
    few = Archive(tmp_path / "b.db", commit_every=100)
    for n in range(5):
        few.save(_article(n, TEXT), None)
    assert len(few.near.candidates(keys, other_than="x")) == 5


def test_a_revised_text_leaves_its_old_keys(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    first = _article(1, TEXT)
    archive.save(first, None)
    revised = {**first, "body_text": "完全不同的另一篇报道，讲的是央行公开市场操作，净投放流动性1000亿元。"}
    archive.save(revised, archive.get(first["id"]))
    assert archive.near.candidates(index_keys(normalize(TEXT)), other_than="x") == []
    assert archive.near.candidates(index_keys(normalize(revised["body_text"])), other_than="x") == [first["id"]]


def test_an_index_of_an_older_scheme_is_rebuilt_from_the_stored_texts(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    for n in range(3):
        archive.save(_article(n, f"{TEXT}第{n}条。"), None)
    db = archive.db
    # What an older newscrawl left: a rowid key table with other keys, a count table, no scheme.
    db.execute(f"drop table {DEDUP_KEYS}")
    db.execute(f"create table {DEDUP_KEYS} (key integer, id text, primary key (key, id))")
    db.execute(f"insert into {DEDUP_KEYS} values (1, '{_article(0, '')['id']}')")
    db.execute("create table dedup_key_counts (key integer primary key, n integer)")
    db.execute("delete from meta")
    db.conn.commit()
    archive.close()
    reopened = Archive(tmp_path / "a.db")
    assert "dedup_key_counts" not in reopened.db.table_names()
    assert "WITHOUT ROWID" in reopened.db[DEDUP_KEYS].schema.upper()
    assert reopened.near.candidates([1], other_than="x") == []
    for n in range(3):
        keys = index_keys(normalize(f"{TEXT}第{n}条。"))
        assert _article(n, "")["id"] in reopened.near.candidates(keys, other_than="x")


def test_lsh_bands_meet_for_close_texts_and_not_for_unrelated_ones() -> None:
    rng = random.Random(5)
    chars = [chr(0x4E00 + i) for i in range(3000)]
    met, unrelated_met = 0, 0
    for _ in range(200):
        text = "".join(rng.choice(chars) for _ in range(rng.choice([80, 200, 600])))
        edited = list(text)
        for _ in range(max(1, len(text) // 40)):  # a 3-gram Jaccard of about 0.85
            edited[rng.randrange(len(edited))] = rng.choice(chars)
        a, b = signature(text).reshape(BANDS, ROWS), signature("".join(edited)).reshape(BANDS, ROWS)
        met += bool(np.any(np.all(a == b, axis=1)))
        other = signature("".join(rng.choice(chars) for _ in range(len(text)))).reshape(BANDS, ROWS)
        unrelated_met += bool(np.any(np.all(a == other, axis=1)))
    assert met >= 190 and unrelated_met == 0


def test_plain_urls_are_their_own_canonical_form() -> None:
    for url in ("https://finews.withounder.com/emnews/2021/12/08/202112082206672930.html",
                "https://finews.withounder.com/", "https://finews.withounder.com/a,b/c~d_e-f.html",
                "https://finews.withounder.com/x.html?b=2&a=1", "https://FINEWS.withounder.com/x.html#top",
                "https://finews.withounder.com/%E6%96%B0.html", "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW1"):
        assert url_key(url) == canonicalize_url(url)
