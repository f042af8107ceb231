"""Publication times inferred from id-ordered neighbours, for posts with no share answer."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from newscrawl.archive import ArchiveReader
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.runner import crawl_through_mirror
from newscrawl.mirror.snapshot import SnapshotBackend
from newscrawl.processing.timeline import BEIJING, Post, chains, choose
from tests.conftest import SHARED

EIGHT = timedelta(hours=8)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def _post(counter: int, page: str | None = None, known: str | None = None, day: str = "20211208") -> Post:
    return Post(f"{day}{counter:010d}", _at(page) if page else None, _at(known) if known else None)


def test_a_shown_time_8_hours_late_is_moved_back_by_its_neighbours() -> None:
    chain = [_post(100, known="2021-12-08 10:20:00"), _post(200, page="2021-12-08 18:31:00"),
             _post(300, page="2021-12-08 10:40:00"), _post(400, known="2021-12-08 10:52:00")]
    assert choose(chain) == [(_at("2021-12-08 10:20:00"), False), (_at("2021-12-08 10:31:00"), True),
                             (_at("2021-12-08 10:40:00"), True), (_at("2021-12-08 10:52:00"), False)]


def test_posts_that_are_all_unknown_anchor_each_other() -> None:
    """No true time at all (share following off): the posts shown on time pin the others."""
    late = [_post(n, page=f"2021-12-08 {18 + n // 100}:0{n % 10}:00") for n in range(100, 400, 100)]
    on_time = [_post(n, page=f"2021-12-08 {10 + n // 100}:1{n % 10}:00") for n in range(400, 600, 100)]
    picked = [time for time, _ in choose(late + on_time)]
    assert picked == [p.page - EIGHT for p in late] + [p.page for p in on_time]


def test_the_id_s_date_decides_alone() -> None:
    # Shown at 02:00 on the 9th with an id of the 8th: 8 hours earlier is the only time on that date.
    assert choose([_post(1, page="2021-12-09 02:00:00")]) == [(_at("2021-12-08 18:00:00"), True)]
    # Both times on the id's date and no neighbour: the page's time, undecided.
    assert choose([_post(1, page="2021-12-08 12:00:00")]) == [(_at("2021-12-08 12:00:00"), False)]


def test_a_jump_in_the_counter_ends_a_chain() -> None:
    posts = [_post(1, page="2021-12-08 12:00:00"), _post(2, page="2021-12-08 12:01:00"), _post(5_000_000, page="2021-12-08 20:00:00")]
    assert [len(c) for c in chains(posts)] == [2, 1]


def test_a_long_chain_is_cut_at_known_times_and_chooses_what_the_whole_chooses() -> None:
    import random

    rng = random.Random(5)
    posts = []
    for n in range(1, 400):
        page = f"2021-12-08 {8 + n // 60:02d}:{n % 60:02d}:00"
        shown = page if rng.random() < 0.5 else f"2021-12-08 {16 + n // 60:02d}:{n % 60:02d}:00"  # 8 hours late
        posts.append(_post(n, page=shown, known=page if rng.random() < 0.15 else None))
    whole = dict(zip((p.id for p in posts), choose(posts), strict=True))
    parts = list(chains(posts, most=40))
    assert len(parts) >= 5 and all(c[-1].known is not None and len(c) > 40 for c in parts[:-1])  # cut at known times
    assert all(a[-1] == b[0] for a, b in zip(parts, parts[1:]))  # which end one part and begin the next
    cut = {p.id: picked for c in parts for p, picked in zip(c, choose(c), strict=True) if p.known is None}
    assert len(cut) == sum(p.known is None for p in posts) and cut == {i: whole[i] for i in cut}
    # With no known time for long, a chain is cut where it is, at twice the length.
    unknown = [_post(n, page="2021-12-08 12:00:00") for n in range(1, 200)]
    assert [len(c) for c in chains(unknown, most=40)] == [80, 80, 39]


def _published(db: Path) -> dict[str, tuple[str, str]]:
    reader = ArchiveReader.open(db)
    try:
        return {r["id"]: (r["published_at"], r["provenance"]["published_at"])
                for r in (reader.get(row["id"]) for row in reader.articles.rows)}
    finally:
        reader.close()


def _jsonl(path: Path) -> dict[str, list[str]]:
    times: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        times.setdefault(record["id"], []).append(record["published_at"])
    return times


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/finews is not here")
def test_with_share_following_off_the_real_sample_gets_every_true_time(serve, tmp_path: Path) -> None:
    proxy = serve(SnapshotBackend(SHARED / "site", SHARED / "share"))
    result = crawl_through_mirror(proxy.url, tmp_path, settings={"NEWSCRAWL_FOLLOW_SHARE": "False"},
                                  spider_args={"urls": "https://finews.withounder.com/2021/12/08/202112082206703990.html"})
    assert result.returncode == 0 and not any("share" in r.host for r in proxy.requests)
    expected = [json.loads(line) for line in (SHARED / "expected.jsonl").read_text(encoding="utf-8").splitlines()]
    archived = _published(tmp_path / "newscrawl.db")
    assert {e["id"]: archived[e["id"]][0] for e in expected} == {e["id"]: e["published_at"] for e in expected}
    # 25 of the 37 pages show their post 8 hours late; one post has no neighbour and keeps its page's time.
    assert result.stats["newscrawl/timeline/shifted"] == 25 and result.stats["newscrawl/timeline/undecided"] == 1
    assert sum(where == "inferred" for _, where in archived.values()) == 36
    # Each line written once, with the time the archive ended with.
    assert _jsonl(tmp_path / "articles.jsonl") == {i: [t] for i, (t, _) in archived.items()}


def test_posts_whose_share_answers_fail_get_their_true_times(serve, tmp_path: Path) -> None:
    site = GeneratedSite(articles=80, seed=12)
    result = crawl_through_mirror(serve(site).url, tmp_path, settings={"NEWSCRAWL_FOLLOW_SHARE": "False"})
    assert result.returncode == 0
    archived = _published(tmp_path / "newscrawl.db")
    expected = {e["id"]: e["published_at"] for e in site.expected()}
    assert {i: archived[i][0] for i in expected} == expected
    shifted = sum(a.shifted for a in site.articles if a.id in expected)
    assert shifted > 20 and result.stats["newscrawl/timeline/shifted"] >= shifted


def test_a_killed_run_s_pending_times_are_inferred_by_the_next(serve, tmp_path: Path) -> None:
    """Articles stored with their page's time wait, with their JSONL lines, for the run's end: a
    run killed before it leaves them pending in the archive, and the next run's end does them."""
    import signal
    import subprocess
    import time

    from newscrawl.mirror.runner import PROJECT_DIR, crawl_command
    from tests.conftest import SlowSite

    site = GeneratedSite(articles=60, seed=13)
    slow = SlowSite(site, delay=0.05)
    settings = {"NEWSCRAWL_FOLLOW_SHARE": "False", "NEWSCRAWL_COMMIT_EVERY": "4", "NEWSCRAWL_COMMIT_SECONDS": "0.2",
                "CONCURRENT_REQUESTS": "2"}
    cmd, env = crawl_command(serve(slow).url, tmp_path, settings=settings)
    crawl = subprocess.Popen(cmd, env=env, cwd=PROJECT_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    slow.wait_for_posts(30)
    time.sleep(0.5)
    crawl.send_signal(signal.SIGKILL)
    crawl.wait()
    reader = ArchiveReader.open(tmp_path / "newscrawl.db")
    pending = reader.time_pending_ids(limit=1000)
    reader.close()
    assert pending, "the killed run left articles waiting for their times"
    assert not set(pending) & set(_jsonl(tmp_path / "articles.jsonl") if (tmp_path / "articles.jsonl").exists() else {})
    again = crawl_through_mirror(serve(site).url, tmp_path, settings=settings)
    assert again.returncode == 0
    archived = _published(tmp_path / "newscrawl.db")
    expected = {e["id"]: e["published_at"] for e in site.expected()}
    assert {i: archived[i][0] for i in expected} == expected
    lines = _jsonl(tmp_path / "articles.jsonl")
    assert set(pending) <= set(lines) and all(lines[i][-1] == archived[i][0] for i in lines)
