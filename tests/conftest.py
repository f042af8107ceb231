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
