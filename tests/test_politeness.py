"""Polite by default: robots.txt, AutoThrottle, bounded concurrency, a User-Agent with a contact URL."""

from __future__ import annotations

from pathlib import Path

from newscrawl import __version__, settings
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.runner import crawl_through_mirror


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
