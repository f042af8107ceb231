"""Stories (processing/stories.py): one event, many write-ups — judged on the real sample's
labelled pairs (bench/story_labels.json) and on the look-alikes the issue names."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from newscrawl.processing.stories import conflict, features, running_update, same_event
from tests.conftest import SHARED

LABELS = Path(__file__).resolve().parents[1] / "bench" / "story_labels.json"


def _judge(records: list[tuple[str, str, str, str]]) -> tuple[dict, Counter, int]:
    found = {i: features(t, body, when) for i, t, body, when in records}
    return found, Counter(k for f in found.values() for k in f.keys()), len(found)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/finews is not here")
def test_the_real_sample_s_labelled_pairs(real_sample_db: Path) -> None:
    with sqlite3.connect(real_sample_db) as conn:
        records = list(conn.execute("select id, title, body_text, published_at from articles"))
    # The FF write-up Jekyll published without its front matter: read from its source.
    source = (SHARED / "src" / "_posts" / "2021-12-08-202112082206703990.md").read_text(encoding="utf-8")
    title = re.search(r'^title: "(.*)"$', source, re.M).group(1)  # type: ignore[union-attr]
    body = source.split("---", 2)[2].strip().split("\n\n<http")[0]
    records.append(("202112082206703990", title, body, "2021-12-08T10:18:31+08:00"))
    found, counts, total = _judge(records)
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    wrong = [(a, b, why) for a, b, why in labels["same"] if not same_event(found[a], found[b], counts, total)]
    wrong += [(a, b, why) for a, b, why in labels["different"] if same_event(found[a], found[b], counts, total)]
    assert wrong == []
    assert len(labels["same"]) >= 4 and len(labels["different"]) >= 10


def test_running_updates_are_one_story_and_look_alikes_are_not() -> None:
    series = [("a", "北向资金净流入达30亿元", "北向资金净流入达30亿元。", "2021-12-08T10:20:00+08:00"),
              ("b", "北向资金净流入超40亿元", "北向资金净流入超40亿元。", "2021-12-08T10:47:00+08:00"),
              ("c", "北向资金净流入达80亿元", "北向资金净流入达80亿元。", "2021-12-08T14:50:00+08:00"),
              ("d", "北向资金净流入达60亿元", "北向资金净流入达60亿元。", "2021-12-09T14:40:00+08:00")]
    movers = [("m1", "恒大汽车短线下挫", "恒大汽车短线下挫，现跌超5%。", "2021-12-08T12:00:00+08:00"),
              ("m2", "融创中国短线下挫", "融创中国短线下挫，现跌超5%。", "2021-12-08T13:10:00+08:00")]
    auctions = [("x1", "财政部：2年期国债中标利率为2.35%", "财政部今日招标的2年期国债中标利率为2.35%，投标倍数2.61。",
                 "2021-12-08T11:05:00+08:00"),
                ("x2", "财政部：2年期国债中标利率为2.41%", "财政部今日招标的2年期国债中标利率为2.41%，投标倍数2.87。",
                 "2021-12-09T11:04:00+08:00")]
    ratings = [("r1", "瑞银：下调博彩股目标价", "瑞银发表研究报告，下调博彩股目标价。", "2021-12-08T11:13:00+08:00"),
               ("r2", "瑞信：下调博彩股目标价", "瑞信发表研究报告，下调博彩股目标价。", "2021-12-08T11:40:00+08:00"),
               ("r3", "中金：维持腾讯控股跑赢行业评级", "中金发布研报，维持腾讯控股(00700.HK)跑赢行业评级。",
                "2021-12-08T09:10:00+08:00"),
               ("r4", "中金：维持美团跑赢行业评级", "中金发布研报，维持美团(03690.HK)跑赢行业评级。",
                "2021-12-08T09:40:00+08:00")]
    # One day's auctions of two tenors: the same line but for a label (2年期, 5年期) and figures.
    tenors = [("t2", "财政部：2年期国债中标利率为2.35%", "财政部今日招标的2年期国债中标利率为2.35%。",
               "2021-12-08T11:05:00+08:00"),
              ("t5", "财政部：5年期国债中标利率为2.62%", "财政部今日招标的5年期国债中标利率为2.62%。",
               "2021-12-08T11:06:00+08:00")]
    found, counts, total = _judge(series + movers + auctions + ratings + tenors)
    assert all(running_update(found[a], found[b]) and same_event(found[a], found[b], counts, total)
               for a, b in (("a", "b"), ("b", "c"), ("a", "c")))
    assert not same_event(found["c"], found["d"], counts, total)  # the next day's figure: another day's story
    assert conflict(found["m1"], found["m2"]) == "names" and not same_event(found["m1"], found["m2"], counts, total)
    assert conflict(found["x1"], found["x2"]) == "figures"
    assert conflict(found["r1"], found["r2"]) == "subject"
    assert conflict(found["r3"], found["r4"]) == "objects" and not same_event(found["r3"], found["r4"], counts, total)
    assert not running_update(found["t2"], found["t5"]) and conflict(found["t2"], found["t5"]) == "labels"


def test_named_dates_and_the_window_part_events() -> None:
    found, counts, total = _judge([
        ("p", "美联储宣布加息25个基点", "美联储12月7日宣布加息25个基点。", "2021-12-08T03:00:00+08:00"),
        ("q", "美联储宣布加息25个基点", "美联储12月8日宣布加息25个基点。", "2021-12-09T03:00:00+08:00"),
        ("r", "美联储宣布加息25个基点", "美联储宣布加息25个基点。", "2021-12-11T03:00:00+08:00")])
    assert conflict(found["p"], found["q"]) == "dates" and conflict(found["p"], found["r"]) == "time"


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/finews is not here")
def test_a_crawl_of_the_real_sample_places_every_article_in_a_story(real_sample_db: Path) -> None:
    with sqlite3.connect(real_sample_db) as conn:
        story = dict(conn.execute("select id, story_id from articles"))
        rows = conn.execute("select story_id, size, representative from stories").fetchall()
    assert all(story.values()) and sum(size for _, size, _ in rows) == len(story)
    assert {s for s, _, _ in rows} == set(story.values()) and all(story[r] == s for s, _, r in rows)
    duplicates = json.loads((SHARED / "duplicates.json").read_text(encoding="utf-8"))
    for group in duplicates["groups"]:
        archived = [i for i in group["ids"] if i in story]
        if group["kind"] in ("exact", "near"):  # copies: one cluster, so one story
            assert len({story[i] for i in archived}) == 1, group
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    assert all(story[a] != story[b] for a, b, _ in labels["different"] if a in story and b in story)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path, dict[str, int]]:
    """A crawl of a generated site with four planted events (three write-ups each) and look-alikes."""
    from newscrawl.mirror.generator import GeneratedSite
    from newscrawl.mirror.proxy import MirrorProxy
    from newscrawl.mirror.runner import crawl_through_mirror

    site = GeneratedSite(articles=200, seed=5, events=4)
    proxy = MirrorProxy(site)
    proxy.start_in_thread()
    out = tmp_path_factory.mktemp("stories")
    result = crawl_through_mirror(proxy.url, out)
    proxy.stop()
    assert result.report["finish_reason"] == "finished", result.log[-2000:]
    return site, out / "newscrawl.db", result.stats


def test_planted_events_are_one_story_each_and_look_alikes_are_not(planted: tuple[Any, Path, dict]) -> None:
    from newscrawl.processing.similarity import normalize, shingles

    site, db, stats = planted
    assert len(site.events.events) == 4
    with sqlite3.connect(db) as conn:
        rows = {r[0]: r[1:] for r in conn.execute("select id, story_id, cluster_id, body_text from articles")}
        stories = {r[0]: r[1:] for r in conn.execute("select story_id, size, representative from stories")}
    for event, (in_event, lookalike) in zip(site.events.events, site.events.lookalikes, strict=True):
        assert len({rows[i][0] for i in event}) == 1, event  # one story …
        assert len({rows[i][1] for i in event}) == 3, event  # … of three texts (three clusters)
        texts = [shingles(normalize(rows[i][2])) for i in event]
        assert all(len(a & b) / len(a | b) < 0.2 for a, b in ((texts[0], texts[1]), (texts[1], texts[2])))
        assert rows[lookalike][0] != rows[in_event][0]
        size, representative = stories[rows[in_event][0]]
        # The fullest write-up represents it: the report, the longest of the three.
        assert size == 3 and representative == max(event, key=lambda i: len(rows[i][2]))
    # One broker's ratings of two companies: one subject, one template, two events.
    assert len(site.events.rated) == 4
    assert all(rows[a][0] != rows[b][0] for a, b in site.events.rated), site.events.rated
    assert stats.get("newscrawl/story/event", 0) >= 4 * 2  # counted as they were placed


def test_export_one_article_per_story_and_search_by_story(planted: tuple[Any, Path, dict], tmp_path: Path) -> None:
    from tests.conftest import run_scrapy

    site, db, _ = planted
    with sqlite3.connect(db) as conn:
        total, stories = conn.execute("select count(*), count(distinct story_id) from articles").fetchone()
        representatives = {r[0] for r in conn.execute("select representative from stories")}
    done = run_scrapy("export", "--out", str(tmp_path / "release"), "--dedup", "story", "--db", str(db))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for f in sorted((tmp_path / "release").glob("*.jsonl")) for line in f.read_text().splitlines()]
    assert len(lines) == stories < total and {r["id"] for r in lines} == representatives
    manifest = json.loads((tmp_path / "release" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["dedup"]["mode"] == "story" and manifest["dedup"]["skipped"] == total - stories
    event = site.events.events[0]
    found = run_scrapy("search", "星澜半导体", "--stories", "--db", str(db))
    assert found.returncode == 0 and found.stdout.count("Story ") == 1 and "3 hits" in found.stdout, found.stdout
    hits = [json.loads(line) for line in run_scrapy("search", "星澜半导体", "--stories", "--json", "--db",
                                                      str(db)).stdout.splitlines()]
    assert {h["id"] for h in hits} == set(event) and len({h["story_id"] for h in hits}) == 1


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/finews is not here")
def test_the_ff_write_ups_and_the_northbound_series_join_the_real_sample_s_stories(real_sample_db: Path,
                                                                                   tmp_path: Path) -> None:
    """Into (a copy of) the real sample's archive, through the pipelines: the FF write-up
    Jekyll published bare (read from its source), and the day's other 北向资金 updates."""
    import shutil

    from scrapy.exceptions import DropItem
    from scrapy.utils.test import get_crawler

    from newscrawl.archive import Archive
    from newscrawl.items import Article
    from newscrawl.pipelines.clean import CleanArticlePipeline
    from newscrawl.pipelines.dedup import DedupArticlePipeline
    from newscrawl.pipelines.store import StoreArticlePipeline
    from newscrawl.pipelines.stories import StoryPipeline

    shutil.copy(real_sample_db, tmp_path / "newscrawl.db")
    archive, stats = Archive(tmp_path / "newscrawl.db"), get_crawler().stats
    pipelines = [CleanArticlePipeline(), DedupArticlePipeline(archive, stats), StoryPipeline(archive, stats),
                 StoreArticlePipeline(archive, stats)]
    source = (SHARED / "src" / "_posts" / "2021-12-08-202112082206703990.md").read_text(encoding="utf-8")
    body = source.split("---", 2)[2].strip().split("\n\n<http")[0]
    ff = Article(id="202112082206703990", url="https://finews.withounder.com/2021/12/08/202112082206703990.html",
                 title=re.search(r'^title: "(.*)"$', source, re.M).group(1),  # type: ignore[union-attr]
                 body_html=f"<p>{body}</p>", published_at="2021-12-08T10:18:31+08:00")
    series = [Article(id=f"2021120822069000{n}", url=f"https://finews.withounder.com/emnews/2021/12/08/2021120822069000{n}.html",
                      title=f"北向资金净流入{figure}", body_html=f"<p>北向资金净流入{figure}。</p>", published_at=when)
              for n, (figure, when) in enumerate((("达30亿元", "2021-12-08T10:20:00+08:00"),
                                                   ("超50亿元", "2021-12-08T11:30:00+08:00"),
                                                   ("达80亿元", "2021-12-08T14:50:00+08:00")))]
    for item in (ff, *series):
        try:
            for pipeline in pipelines:
                item = pipeline.process_item(item)
        except DropItem as exc:
            pytest.fail(f"dropped: {exc}")
    archive.commit()
    story = {i: archive.get(i) for i in ("202112082206703990", "202112082206717618", "202112082206757673",
                                         "202112082206761079", *(s.id for s in series))}
    archive.close()
    assert story["202112082206703990"]["story_id"] == story["202112082206717618"]["story_id"]  # FF
    northbound = [story[i] for i in ("202112082206757673", "202112082206761079", *(s.id for s in series))]
    assert len({r["story_id"] for r in northbound}) == 1  # one developing story …
    assert len({r["cluster_id"] for r in northbound}) == 4  # … of four texts: the 40 亿 pair is one
