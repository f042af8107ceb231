"""The story index (archive/storyindex.py) stays what the articles say it is: after revisions,
rollbacks, a kill, rebuilds and inferred times; a story spans one window, never a chain of
days; a story whose first article leaves it is named after the next; a busy key hides no rare
one; a rebuild cut short leaves the stories as they were."""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from newscrawl.archive import Archive
from newscrawl.archive.storyindex import HOT_KEY
from newscrawl.items import Article
from newscrawl.processing.stories import features, index_keys, key_number

T0 = datetime.fromisoformat("2021-12-08T09:00:00+08:00")
FUND = "北向资金全天净流入"


def _record(n: int, title: str, body: str, hours: float | None, **changes: Any) -> dict[str, Any]:
    article_id = f"20211208{2206700000 + n}"
    when = None if hours is None else (T0 + timedelta(hours=hours)).isoformat()
    article = Article(id=article_id, url=f"https://finews.withounder.com/cls/2021/12/08/{article_id}.html",
                      title=title, body_text=body, published_at=when, site_published_at=when,
                      category="cls", media="财联社", fetched_at="2026-11-30T00:00:00+00:00")
    return {**asdict(article), **changes}


def _save(archive: Archive, record: dict[str, Any]) -> str:
    """As StoryPipeline then the store do: placed, then saved. Returns its story."""
    story = archive.stories.place(record)[0]
    archive.save({**record, "story_id": story}, archive.get(record["id"]))
    return story


def _stories(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("select id, story_id from articles"))


def _assert_consistent(db: Path) -> None:
    """The index as the articles say: every feature counted once per article, keys under each
    article's day only, each story's row made from its articles, named after one of them."""
    with sqlite3.connect(db) as conn:
        articles = conn.execute("select id, title, coalesce(nullif(body_text, ''), source_body_text), "
                                "coalesce(published_at, site_published_at), story_id, "
                                "length(coalesce(body_text, '')) from articles").fetchall()
        counts = dict(conn.execute("select key, n from story_counts where n != 0"))
        total = int(conn.execute("select value from meta where name = 'story_total'").fetchone()[0])
        keyed = set(conn.execute("select id, day from story_keys"))
        rows = {r[0]: r[1:] for r in conn.execute("select story_id, size, first_published_at, last_published_at, "
                                                   "representative from stories")}
    found = {a[0]: features(a[1], (a[2] or "")[:320], a[3]) for a in articles}
    assert total == len(articles)
    assert counts == dict(Counter(n for f in found.values() for n in f.keys()))
    assert keyed <= {(i, f.day) for i, f in found.items() if f.day is not None}
    assert {i for i, _ in keyed} == {i for i, f in found.items() if f.day is not None and index_keys(f, {})}
    members: dict[str, list[tuple]] = {}
    for a in articles:
        assert a[4], a  # every article is in a story
        members.setdefault(a[4], []).append(a)
    assert set(rows) == set(members)
    for story, its in members.items():
        assert story in {a[0] for a in its}, story  # named after one of its articles
        times = [a[3] for a in its if a[3]]
        fullest = min(its, key=lambda a: (-a[5], a[3] is None, a[3] or "", a[0]))[0]
        assert rows[story] == (len(its), min(times, default=None), max(times, default=None), fullest), story


def test_a_story_spans_one_window_and_a_daily_wrap_up_chains_no_days(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    archive = Archive(db)
    # The same wrap-up line every 30 hours: each is within the window (36 h) of the one before.
    stories = [_save(archive, _record(n, FUND, f"{FUND}，沪股通与深股通合计。", hours=30 * n)) for n in range(5)]
    archive.close()
    assert stories[1] == stories[0]  # 30 h apart: one event (nothing tells them apart)
    assert stories[2] != stories[0]  # 60 h from the story's first: another story, however alike
    assert len(set(stories)) == 3
    _assert_consistent(db)


def test_a_story_whose_first_article_leaves_it_is_named_after_the_next(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    archive = Archive(db)
    first = _record(1, "星澜半导体：拟投资12.6亿元在合肥建设新工厂", "星澜半导体(688901)公告，拟投资12.6亿元在合肥建设新工厂。", 0)
    second = _record(2, "星澜半导体12.6亿元合肥新工厂获批", "星澜半导体(688901)的12.6亿元合肥新工厂项目获批。", 1)
    third = _record(3, "星澜半导体合肥新工厂开工 投资12.6亿元", "星澜半导体(688901)投资12.6亿元的合肥新工厂今日开工。", 2)
    assert _save(archive, first) == first["id"]
    assert _save(archive, second) == first["id"] and _save(archive, third) == first["id"]
    archive.commit()
    before = dict(archive.db.execute("select id, seq from articles").fetchall())
    # A revision makes the first another event: it leaves, and the story keeps its others.
    assert _save(archive, {**first, "title": "川禾新材料：董事长辞职", "body_text": "川禾新材料(301877)董事长因个人原因辞职。"}) \
        == first["id"]
    archive.commit()
    after = dict(archive.db.execute("select id, seq from articles").fetchall())
    archive.close()
    stories = _stories(db)
    assert stories == {first["id"]: first["id"], second["id"]: second["id"], third["id"]: second["id"]}
    assert all(after[i] > before[i] for i in (second["id"], third["id"]))  # a delta export sees them
    _assert_consistent(db)


def test_the_index_matches_the_articles_after_revisions_rollbacks_and_a_kill(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "a.db"
    archive = Archive(db, commit_every=50)
    records = [_record(n, f"北向资金净流入超{30 + 10 * n}亿元", f"北向资金净流入超{30 + 10 * n}亿元。", n / 2) for n in range(4)]
    records += [_record(10 + n, f"公司{n}号：回购股份", f"公司{n}号公告回购{n + 1}00万股。", 1 + n) for n in range(4)]
    for record in records:
        _save(archive, record)
    _save(archive, {**records[5], "body_text": "公司1号公告回购900万股，回购价格不超过20元。"})  # a revision
    # A write that fails inside its savepoint: its count changes go back with it, the group's stay.
    real_refresh = archive.stories.refresh
    monkeypatch.setattr(archive.stories, "refresh", lambda stories: (_ for _ in ()).throw(ValueError("a bug")))
    with pytest.raises(ValueError):
        _save(archive, _record(30, "央行开展逆回购操作", "央行今日开展100亿元逆回购操作。", 3))
    monkeypatch.setattr(archive.stories, "refresh", real_refresh)
    _save(archive, _record(31, "央行开展逆回购操作", "央行今日开展200亿元逆回购操作。", 3.5))
    archive.commit()
    # Then a group that is never committed: the process is killed.
    _save(archive, _record(40, "沪指午间收涨", "沪指午间收涨0.5%。", 4))
    archive.db.conn.close()
    _assert_consistent(db)
    assert len(_stories(db)) == len(records) + 1
    archive = Archive(db)
    assert archive.stories.tally.total() == len(records) + 1
    _save(archive, _record(40, "沪指午间收涨", "沪指午间收涨0.5%。", 4))
    archive.close()
    _assert_consistent(db)


def test_a_rebuild_gives_what_placing_in_order_gives_and_a_rebuild_cut_short_changes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "a.db"
    archive = Archive(db)
    records = [_record(n, f"北向资金净流入超{30 + 10 * n}亿元", f"北向资金净流入超{30 + 10 * n}亿元。", n) for n in range(3)]
    records += [_record(5, FUND, f"{FUND}。", 8), _record(6, FUND, f"{FUND}。", 40), _record(7, FUND, f"{FUND}。", 70)]
    for record in reversed(records):  # crawled newest first, as the site lists them
        _save(archive, record)
    archive.commit()
    with sqlite3.connect(db) as conn:
        state = [conn.execute(f"select * from {t} order by 1, 2").fetchall() for t in ("stories", "story_counts")]
    calls = 0

    def place_then_die(record: dict[str, Any]) -> tuple[str, str]:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise KeyboardInterrupt  # Ctrl-C in the middle of a rebuild
        return real_place(record)

    real_place = archive.stories.place
    monkeypatch.setattr(archive.stories, "place", place_then_die)
    with pytest.raises(KeyboardInterrupt):
        archive.rebuild_stories()
    monkeypatch.setattr(archive.stories, "place", real_place)
    archive.close()
    with sqlite3.connect(db) as conn:
        assert [conn.execute(f"select * from {t} order by 1, 2").fetchall() for t in ("stories", "story_counts")] == state
        assert conn.execute("select value from meta where name = 'story_scheme'").fetchone() is not None
    _assert_consistent(db)
    # Whole, a rebuild is what placing them in publication order gives.
    archive = Archive(db)
    archive.rebuild_stories()
    archive.close()
    _assert_consistent(db)
    in_order = tmp_path / "in_order.db"
    fresh = Archive(in_order)
    for record in records:
        _save(fresh, record)
    fresh.close()
    assert _stories(db) == _stories(in_order)
    stories = _stories(db)
    # The series and the day's wrap-up (8 h): one day's northbound flow. 40 h is past the window
    # of that story's first (0 h), and starts one that 70 h joins.
    ids = [r["id"] for r in records]
    assert {stories[i] for i in ids[:4]} == {ids[0]} and {stories[i] for i in ids[4:]} == {ids[4]}


def test_an_inferred_time_places_the_article_again(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    archive = Archive(db)
    flash = _record(1, "FF首次披露IPO后财务状况 预计总资产约为11.9亿美元", "FF首次披露IPO后财务状况，预计总资产约为11.9亿美元。", 0)
    later = _record(2, "FF：总资产约11.9亿美元 有充足现金支持FF 91投产", "FF称，总资产约11.9亿美元，现金足以支持FF 91投产。", None)
    _save(archive, flash)
    assert _save(archive, later) == later["id"]  # no time: no window, its own story
    archive.commit()
    archive.set_inferred_times([(later["id"], (T0 + timedelta(hours=2)).isoformat(), "inferred")])
    archive.commit()
    assert archive.get(later["id"])["story_id"] == flash["id"]
    archive.close()
    _assert_consistent(db)


def test_inferred_times_that_move_a_story_s_first_two_articles_leave_its_row_right(tmp_path: Path) -> None:
    """One batch of inferred times: the first article's move renames the story of the second,
    which moves next (each is placed again as it is then, not as the batch found it)."""
    db = tmp_path / "a.db"
    archive = Archive(db)
    texts = [("星澜半导体：拟投资12.6亿元在合肥建设新工厂", "星澜半导体(688901)公告，拟投资12.6亿元在合肥建设新工厂。"),
             ("星澜半导体12.6亿元合肥新工厂获批", "星澜半导体(688901)的12.6亿元合肥新工厂项目获批。"),
             ("星澜半导体合肥新工厂开工 投资12.6亿元", "星澜半导体(688901)投资12.6亿元的合肥新工厂今日开工。")]
    first, second, third = (_record(n + 1, title, body, n) for n, (title, body) in enumerate(texts))
    assert {_save(archive, r) for r in (first, second, third)} == {first["id"]}
    archive.commit()
    seqs = dict(archive.db.execute("select id, seq from articles").fetchall())
    archive.set_inferred_times([(first["id"], (T0 + timedelta(days=20)).isoformat(), "inferred"),
                                (second["id"], (T0 + timedelta(days=10)).isoformat(), "inferred")])
    archive.commit()
    after = dict(archive.db.execute("select id, seq from articles").fetchall())
    archive.close()
    assert _stories(db) == {first["id"]: first["id"], second["id"]: second["id"], third["id"]: third["id"]}
    assert all(after[i] > seqs[i] for i in after)  # the moved and the renamed: a delta export sees them
    _assert_consistent(db)


def test_the_index_s_key_numbers_are_the_crc_of_the_kind_and_the_feature() -> None:
    """The numbers archives hold: a change of them must come with a new SCHEME."""
    f = features("FF：总资产约11.9亿美元", "FF称，总资产约11.9亿美元。", T0.isoformat())
    assert key_number("g:总资") in f.grams and key_number("e:ff") in f.entities
    assert key_number("f:11.9亿美元") in f.figures and key_number("g:总资") == 1845545166


def test_a_busy_key_hides_no_rare_one(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    archive = Archive(db, commit_every=500)
    common = "、".join("ESG IPO ETF GDP CPI PMI LPR MLF SLF PSL RRR QFII".split())
    for n in range(HOT_KEY * 2):  # each busy key: twice what is read of a key
        _save(archive, _record(100 + n, f"机构{n:03d}号：关注{common}", f"机构{n:03d}号点评{common}。", n / 200))
    # Asked by the busy keys and a rare one (a Latin name) whose key number is the largest, so
    # that an index read in key order would reach it last.
    busy = [f"e:{w.lower()}" for w in common.split("、")]
    name = next(n for n in (f"qz{a}{b}" for a in "abcdefghjk" for b in "abcdefghjk")
                if key_number(f"e:{n}") > max(map(key_number, busy)))
    partner = _record(2, "拟投资12.6亿元建设新工厂", f"公司({name.upper()})公告拟投资12.6亿元建设新工厂。", 1.5)
    _save(archive, partner)
    day = features(partner["title"], "", partner["published_at"]).day
    keys = [key_number(k) for k in busy]
    assert archive.stories.candidates([*keys, key_number(f"e:{name}")], day, "someone") == [partner["id"]]
    assert archive.stories.candidates(keys, day, "someone") == []  # (busy keys find nothing)
    archive.close()
