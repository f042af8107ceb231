"""Shared fixtures: hand-written pages (tests/pages/), a running mirror proxy, a small site."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from newscrawl.mirror.faults import Faults
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.http import Backend
from newscrawl.mirror.proxy import MirrorProxy

SHARED = Path(__file__).resolve().parents[2] / "shared" / "finews"
PAGES = Path(__file__).parent / "pages"


@pytest.fixture
def page() -> Callable[[str], str]:
    """page(name) -> the text of tests/pages/<name> (UTF-8)."""

    def load(name: str) -> str:
        return (PAGES / name).read_text(encoding="utf-8")

    return load


@pytest.fixture
def serve() -> Iterator[Callable[..., MirrorProxy]]:
    """serve(backend) starts a mirror proxy on 127.0.0.1; all are stopped after the test."""
    started: list[MirrorProxy] = []

    def start(backend: Backend, faults: Faults | None = None) -> MirrorProxy:
        proxy = MirrorProxy(backend, faults=faults)
        proxy.start_in_thread()
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


@pytest.fixture(scope="session")
def small_site() -> GeneratedSite:
    return GeneratedSite(articles=120, seed=7)


@pytest.fixture(scope="session")
def real_sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of the real sample (../shared/finews), crawled once through the mirror."""
    from newscrawl.mirror.runner import crawl_through_mirror
    from newscrawl.mirror.snapshot import SnapshotBackend

    if not SHARED.is_dir():
        pytest.skip("../shared/finews is not here")
    proxy = MirrorProxy(SnapshotBackend(SHARED / "site", SHARED / "share"))
    proxy.start_in_thread()
    out = tmp_path_factory.mktemp("real-sample")
    result = crawl_through_mirror(proxy.url, out)
    proxy.stop()
    assert result.report["finish_reason"] == "finished", result.log[-2000:]
    return out / "newscrawl.db"
