"""A faulty site (the mirror's fault mode) costs retries, not articles; retries wait as asked."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from newscrawl.crawling.politeness import retry_after
from newscrawl.mirror.faults import KINDS, Faults
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.runner import crawl_through_mirror
from tests.conftest import comparable_articles


def test_fault_draws_are_reproducible_and_at_the_rate() -> None:
    a, b = Faults(0.15, seed=3), Faults(0.15, seed=3)
    draws = [a.draw("finews.withounder.com", f"/p/{n}.html") for n in range(4000)]
    assert draws == [b.draw("finews.withounder.com", f"/p/{n}.html") for n in range(4000)]
    assert 0.13 < sum(d is not None for d in draws) / len(draws) < 0.17
    assert set(draws) - {None} == set(KINDS)
    assert Faults(0.9).draw("finews.withounder.com", "/robots.txt") is None


def test_retry_after_values() -> None:
    assert retry_after(b"3") == 3.0 and retry_after(None) is None and retry_after(b"soon") is None
    assert retry_after(b"Wed, 21 Oct 2015 07:28:00 GMT") < 0  # a date in the past: no wait


def test_every_article_is_archived_through_15_percent_faults(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    faulty = serve(small_site, faults=Faults(0.15, seed=3, delay=3.0))
    result = crawl_through_mirror(faulty.url, tmp_path / "faulty", settings={"DOWNLOAD_TIMEOUT": "2"})  # the faults hang 3 s; a loaded CI machine answers a healthy share request in more than 1 s
    assert result.report["finish_reason"] == "finished", result.log[-2000:]
    kinds = Counter(r.fault for r in faulty.requests if r.fault)
    assert set(kinds) == set(KINDS), kinds  # every kind of fault happened …
    assert result.stats["retry/count"] >= sum(kinds.values()) - kinds["truncated"]
    assert result.stats["newscrawl/retry/waited_seconds"] >= kinds["429"] + kinds["503"]  # Retry-After: 1
    clean = crawl_through_mirror(serve(small_site).url, tmp_path / "clean")
    twice = set(small_site.dedup_cases["second_category"])
    # … and the archive is the one a crawl of the healthy site makes.
    assert comparable_articles(tmp_path / "faulty" / "newscrawl.db", twice) == comparable_articles(tmp_path / "clean" / "newscrawl.db", twice)
    assert result.returncode == clean.returncode == 0
