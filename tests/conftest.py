"""Shared fixtures and helpers: hand-written pages (tests/pages/), a running mirror proxy, a
small site, backends that change the generated site (slow posts, replaced share answers),
archives compared across crawl orders, free ports."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from newscrawl.mirror.faults import Faults
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.http import Backend, MirrorResponse
from newscrawl.mirror.proxy import MirrorProxy

SHARED = Path(__file__).resolve().parents[2] / "shared" / "finews"
PAGES = Path(__file__).parent / "pages"
# The checkout's own data/, where a user's archive lives: no test may write there.
CHECKOUT_DATA = Path(__file__).resolve().parents[1] / "data"


def data_state() -> dict[str, tuple[int, int]]:
    """Every file under the checkout's data/: its size and modification time."""
    if not CHECKOUT_DATA.is_dir():
        return {}
    return {str(p.relative_to(CHECKOUT_DATA)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(CHECKOUT_DATA.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session", autouse=True)
def checkout_data_untouched() -> Iterator[None]:
    """The whole suite leaves the checkout's data/ as it found it."""
    before = data_state()
    yield
    after = data_state()
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"tests wrote into the checkout's data/: {changed}"


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


class SlowSite:
    """The generated site, each post page answered after a pause: a crawl long enough to kill.
    `posts_served` counts the post pages answered so far."""

    def __init__(self, site: GeneratedSite, delay: float) -> None:
        self.site, self.delay = site, delay
        self.posts_served = 0
        self._lock = threading.Lock()

    def site_page(self, path: str) -> MirrorResponse:
        response = self.site.site_page(path)
        is_post = path.endswith(".html") and "/category/" not in path
        response.delay = self.delay if is_post else 0.0
        if is_post:
            with self._lock:
                self.posts_served += 1
        return response

    def share_answer(self, share_id: str) -> MirrorResponse:
        return self.site.share_answer(share_id)

    def wait_for_posts(self, count: int, timeout: float = 60.0) -> None:
        """Until `count` post pages were served: the crawl is under way, not starting up."""
        deadline = time.monotonic() + timeout
        while self.posts_served < count:
            assert time.monotonic() < deadline, f"only {self.posts_served} post pages served in {timeout} s"
            time.sleep(0.05)


class ShareOverride:
    """The generated site, with some share answers replaced (`answers`: share_id -> response)."""

    def __init__(self, site: GeneratedSite, answers: dict[str, MirrorResponse]) -> None:
        self.site, self.answers = site, answers

    def site_page(self, path: str) -> MirrorResponse:
        return self.site.site_page(path)

    def share_answer(self, share_id: str) -> MirrorResponse:
        return self.answers.get(share_id) or self.site.share_answer(share_id)


def comparable_articles(db: Path, listed_twice: set[str]) -> dict[str, dict]:
    """Rows as comparable across crawl orders (see test_reparse): no fetch time or write counter,
    no cluster representative or story, and no listing fields for an article listed under two
    categories.
    Checks the archive's integrity on the way."""
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        rows = {r["id"]: dict(r) for r in conn.execute("select * from articles")}
    # A story is placed against the archive as it is then (a feature's rarity grows with it):
    # across crawl orders stories may differ where a pair is borderline, so they are compared
    # apart (tests/test_stories.py).
    skip = {"fetched_at", "seq", "cluster_id", "duplicate_of", "story_id"}
    listing = {"url", "url_key", "category", "media", "tags"}
    return {i: {k: v for k, v in r.items() if k not in skip and (i not in listed_twice or k not in listing)}
            for i, r in rows.items()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_archive(path: Path, articles: int = 40, seed: int = 3) -> Path:
    """An archive of a generated site's articles written through the Archive API (no crawl)."""
    from newscrawl.archive import Archive

    archive = Archive(path)
    for record in GeneratedSite(articles=articles, seed=seed).expected():
        archive.save({**record, "fetched_at": "2026-11-30T00:00:00+00:00"}, archive.get(record["id"]))
    archive.close()
    return path


def run_scrapy(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`scrapy ARGS…` as a user runs it (from the project directory unless `cwd`)."""
    from newscrawl.mirror.runner import PROJECT_DIR

    return subprocess.run([sys.executable, "-m", "scrapy", *args], capture_output=True, text=True,
                          cwd=cwd or PROJECT_DIR)


def file_state(path: Path) -> tuple[str, int, list[str]]:
    """What says a file was not touched: its SHA-256, its size, and the files beside it."""
    import hashlib

    return (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_size,
            sorted(p.name for p in path.parent.iterdir() if not p.name.startswith(path.name + "-")))


@pytest.fixture
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on 127.0.0.1 (a free port, no persistence), stopped after the test.
    The README's test command installs Debian's redis-server when it is missing."""
    import shutil

    from newscrawl.mirror.runner import start_redis

    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: run the tests with `make test`, which installs it")
    try:
        proc, url = start_redis(tmp_path_factory.mktemp("redis"), free_port())
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Headless Chromium (Debian's package; the README's test command installs it when missing)."""
    from newscrawl.mirror.browser import BrowserMissing, chromium

    try:
        return chromium()
    except BrowserMissing as exc:
        pytest.fail(str(exc))
