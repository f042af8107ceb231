"""The offline mirror: an HTTP proxy on loopback that answers for the site's real hostnames.

Point a crawl at it with `http_proxy`/`https_proxy`; spiders and parsers stay unchanged.
It serves a generated site (generator.py, render.py) or a saved snapshot (snapshot.py).
"""

from __future__ import annotations

from newscrawl.parsing.urls import SHARE_HOSTS, SITE_HOSTS

MIRRORED_HOSTS: tuple[str, ...] = (*SITE_HOSTS, *SHARE_HOSTS)

# Settings for crawling a mirror on loopback: politeness delays only slow a local server.
MIRROR_CRAWL_SETTINGS: dict[str, str] = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "32",
    "NEWSCRAWL_RETRY_BACKOFF": "0.05",
}
