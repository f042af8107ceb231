"""Polite by default: robots.txt, AutoThrottle, bounded concurrency, a User-Agent with a contact URL."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

from newscrawl import __version__, settings
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.http import MirrorResponse
from newscrawl.mirror.runner import crawl_through_mirror
from newscrawl.parsing.urls import SITE_HOSTS


def test_defaults_for_the_live_site_are_polite() -> None:
    assert settings.ROBOTSTXT_OBEY and settings.AUTOTHROTTLE_ENABLED
    assert settings.CONCURRENT_REQUESTS_PER_DOMAIN <= 4 and settings.RETRY_TIMES >= 2


def test_every_request_names_newscrawl_and_the_contact_url(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    proxy = serve(small_site)
    crawl_through_mirror(proxy.url, tmp_path, settings={"NEWSCRAWL_CONTACT_URL": "mailto:ops@example.org"})
    agents = {r.user_agent for r in proxy.requests}
    assert agents == {f"newscrawl/{__version__} (+mailto:ops@example.org)"}
    assert any(r.target == "/robots.txt" for r in proxy.requests)  # asked before anything else on the host
    crawl_through_mirror(proxy.url, tmp_path / "2", settings={"USER_AGENT": "my-archive/2.0"})
    assert proxy.requests[-1].user_agent == "my-archive/2.0"


class _ThrottlingShareHosts:
    """The generated site whose share hosts rate-limit: from their first request on, for
    `wait` seconds, every answer is a 429 asking to come back when the window is over."""

    def __init__(self, site: GeneratedSite, wait: float) -> None:
        self.site, self.wait = site, wait
        self.opened: float | None = None
        self._lock = threading.Lock()

    def site_page(self, path: str) -> MirrorResponse:
        return self.site.site_page(path)

    def share_answer(self, share_id: str) -> MirrorResponse:
        with self._lock:
            now = time.monotonic()
            self.opened = self.opened or now
            left = self.opened + self.wait - now
        if left > 0:  # (an answer takes a moment, as over a network)
            return MirrorResponse(429, b"slow down", headers={"Retry-After": str(math.ceil(left))}, delay=0.05)
        return self.site.share_answer(share_id)


def test_a_throttling_share_host_waits_and_the_site_goes_on(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    wait = 6.0
    proxy = serve(_ThrottlingShareHosts(small_site, wait))
    # The live defaults' concurrency: eight requests waiting out a Retry-After in the
    # downloader would hold all of it.
    result = crawl_through_mirror(proxy.url, tmp_path, settings={
        "CONCURRENT_REQUESTS": "8", "CONCURRENT_REQUESTS_PER_DOMAIN": "4", "NEWSCRAWL_RETRY_MAX_WAIT": "30"})
    assert result.report["finish_reason"] == "finished" and result.stats["newscrawl/store/new"] == 120
    assert "newscrawl/share/http_429" not in result.stats  # every throttled answer was retried, then given
    share = [r for r in proxy.requests if r.target.startswith("/NewsData/")]
    site = [r for r in proxy.requests if r.host in SITE_HOSTS and r.target.endswith(".html")]
    opened = min(r.at for r in share if r.status == 429)
    # The share hosts were left alone for the wait they asked (requests already on their way aside) …
    assert not [r for r in share if opened + 1.0 < r.at < opened + wait - 1.0]
    # … while the site's pages went on: most of them were fetched during that wait.
    during = [r for r in site if opened < r.at < opened + wait - 1.0]
    assert len(during) >= 60, f"only {len(during)} site pages fetched while the share hosts waited"


def test_a_429_pauses_its_host_before_the_next_request_leaves(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    wait = 4.0
    proxy = serve(_ThrottlingShareHosts(small_site, wait))
    # One request at a time per host, a little apart (with no delay at all Scrapy's downloader
    # sends a slot's whole queue at once, whatever the slot's concurrency), and the 429 takes
    # longer than that delay: the slot would send its next request the moment it arrives.
    result = crawl_through_mirror(proxy.url, tmp_path, settings={
        "CONCURRENT_REQUESTS": "8", "CONCURRENT_REQUESTS_PER_DOMAIN": "1", "DOWNLOAD_DELAY": "0.01",
        "NEWSCRAWL_RETRY_MAX_WAIT": "30"})
    assert result.report["finish_reason"] == "finished" and result.stats["newscrawl/store/new"] == 120
    for host in {r.host for r in proxy.requests if r.target.startswith("/NewsData/")}:
        share = [r for r in proxy.requests if r.host == host and r.target.startswith("/NewsData/")]
        first = min(r.at for r in share if r.status == 429)
        # After its first 429, the host's next request waits the pause.
        assert [r.status for r in share if first <= r.at < first + wait - 0.5] == [429], host
