"""Politeness towards the live site: a User-Agent that says whom to contact, and retries that
wait as long as the site asks (Retry-After) or back off exponentially.

Scrapy's UserAgentMiddleware reads one fixed USER_AGENT; a deployment should only have to
say where its operator can be reached. So the header is `newscrawl/VERSION (+CONTACT_URL)`
unless USER_AGENT is set outright (on the command line, in a spider or in the settings).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings

from newscrawl import __version__

PROJECT_URL = "https://github.com/newscrawl/newscrawl"


def user_agent(contact_url: str | None) -> str:
    return f"newscrawl/{__version__} (+{contact_url or PROJECT_URL})"


class ContactUserAgentMiddleware(UserAgentMiddleware):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ContactUserAgentMiddleware:
        s = crawler.settings
        # USER_AGENT set above Scrapy's default (project settings included) wins as it is.
        explicit = s.getpriority("USER_AGENT") is not None and s.getpriority("USER_AGENT") > 0
        agent = s.get("USER_AGENT") if explicit else user_agent(s.get("NEWSCRAWL_CONTACT_URL"))
        return cls(agent)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, spaced out: the wait a 429/503 asks for (Retry-After, in seconds or as
    an HTTP date, at most NEWSCRAWL_RETRY_MAX_WAIT), else exponential backoff from
    NEWSCRAWL_RETRY_BACKOFF seconds (1, 2, 4 … for the 1st, 2nd, 3rd retry). Only the retried
    request waits; the rest of the crawl goes on at AutoThrottle's pace."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("NEWSCRAWL_RETRY_BACKOFF", 1.0)
        self.max_wait = settings.getfloat("NEWSCRAWL_RETRY_MAX_WAIT", 120.0)

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._wait(result, retry_after(response.headers.get("Retry-After")))
        return result

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._wait(result, None)
        return result

    async def _wait(self, retry: Request, asked: float | None) -> None:
        wait = asked if asked is not None else self.backoff * 2 ** (retry.meta.get("retry_times", 1) - 1)
        wait = min(max(wait, 0.0), self.max_wait)
        if wait:
            self.crawler.stats.inc_value("newscrawl/retry/waited_seconds", round(wait, 1))
            await asyncio.sleep(wait)


def retry_after(value: bytes | None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date); None if none."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return (when - datetime.now(UTC)).total_seconds() if when.tzinfo else None
