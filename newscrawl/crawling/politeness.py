"""Politeness towards the live site: a User-Agent that says whom to contact, and retries that
wait as long as the site asks (Retry-After) or back off exponentially — the throttling host
waits, not the crawl.

Scrapy's UserAgentMiddleware reads one fixed USER_AGENT; a deployment should only have to
say where its operator can be reached. So the header is `newscrawl/VERSION (+CONTACT_URL)`
unless USER_AGENT is set outright (on the command line, in a spider or in the settings).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import monotonic

import scrapy.exceptions
from scrapy import Request, signals
from scrapy.core.downloader import Downloader
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import call_later
from twisted.internet import defer, error

from newscrawl import __version__
from newscrawl.parsing.github import rate_limit

PROJECT_URL = "https://github.com/newscrawl/newscrawl"
_PAUSED = "newscrawl_paused"  # this answer's host was paused when it was downloaded


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


# Timeouts Scrapy's downloader raises (Twisted's, and the user-facing one).
_TIMEOUTS: tuple[type[BaseException], ...] = (
    defer.TimeoutError, TimeoutError, error.TimeoutError, error.TCPTimedOutError,
    *((scrapy.exceptions.DownloadTimeoutError,) if hasattr(scrapy.exceptions, "DownloadTimeoutError") else ()))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, spaced out: the wait a 429/503 asks for (Retry-After, in seconds or as
    an HTTP date, at most NEWSCRAWL_RETRY_MAX_WAIT), else exponential backoff from
    NEWSCRAWL_RETRY_BACKOFF seconds (1, 2, 4 … for the 1st, 2nd, 3rd retry).

    The wait is the throttling host's: its download slot sends nothing until the wait is over
    (SlotPauses), so the host is asked nothing meanwhile. The retried request and the host's
    other requests wait in that slot's queue, not in a sleep: the other hosts' slots go on at
    AutoThrottle's pace. The scheduler (SCHEDULER_PRIORITY_QUEUE, Scrapy's
    DownloaderAwarePriorityQueue) hands out first the requests of the hosts with the fewest
    requests in the downloader, so a paused share host does not fill the downloader while
    the site has pages to fetch. A 429/503 pauses its host as soon as it is downloaded,
    before the slot sends its next request.

    An API whose rate limit is used up (a 403/429 with `X-RateLimit-Remaining: 0`, as GitHub's)
    is waited for until its `X-RateLimit-Reset`, when that is at most NEWSCRAWL_GITHUB_MAX_WAIT
    seconds away; a later reset is not waited for: the answer goes to the spider, which says
    when to come back."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("NEWSCRAWL_RETRY_BACKOFF", 1.0)
        self.max_wait = settings.getfloat("NEWSCRAWL_RETRY_MAX_WAIT", 120.0)
        self.rate_limit_max_wait = settings.getfloat("NEWSCRAWL_GITHUB_MAX_WAIT", 600.0)
        self.timeout_retries = settings.getint("NEWSCRAWL_TIMEOUT_RETRIES", 1)
        self._pauses: SlotPauses | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        middleware = super().from_crawler(crawler)
        # Sent when the answer arrives, before its slot sends the next request: pausing in
        # process_response would let that one through first.
        crawler.signals.connect(middleware.response_downloaded, signal=signals.response_downloaded)
        return middleware

    @property
    def pauses(self) -> SlotPauses:
        if self._pauses is None:
            assert self.crawler.engine is not None
            self._pauses = SlotPauses(self.crawler.engine.downloader)
        return self._pauses

    def response_downloaded(self, response: Response, request: Request) -> None:
        limited = self._rate_limited(response)
        if limited is None and (response.status not in (429, 503) or response.status not in self.retry_http_codes):
            return
        if request.meta.get("dont_retry") or request.meta.get("retry_times", 0) >= request.meta.get(
                "max_retry_times", self.max_retry_times):
            return  # not retried: nothing to wait for
        if limited is not None:
            if limited <= self.rate_limit_max_wait:
                self._pause(request, limited)
                request.meta[_PAUSED] = True
            return
        self._pause(request, self._wait(retry_after(response.headers.get("Retry-After")),
                                        request.meta.get("retry_times", 0) + 1))
        request.meta[_PAUSED] = True

    def process_request(self, request: Request) -> None:
        self.pauses.hold(request)  # a slot Scrapy let go while its host is still paused

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        paused = request.meta.pop(_PAUSED, False)  # popped before the retry copies the meta
        limited = self._rate_limited(response)
        if limited is not None:
            if limited > self.rate_limit_max_wait or request.meta.get("dont_retry"):
                return response
            retry = self._retry(request, f"rate limit used up ({response.status})")
            if retry is None:
                return response
            if not paused:
                self._pause(request, limited)
            return retry
        result = super().process_response(request, response)
        if isinstance(result, Request) and not paused:
            self._pause(request, self._wait(retry_after(response.headers.get("Retry-After")),
                                            result.meta.get("retry_times", 1)))
        return result

    def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        if isinstance(exception, _TIMEOUTS) and request.meta.get("retry_times", 0) >= self.timeout_retries:
            # A page that did not come within DOWNLOAD_TIMEOUT is dripping or hung: asking it
            # RETRY_TIMES more times costs minutes for nothing. The errback counts it.
            self.crawler.stats.inc_value("newscrawl/retry/timeout_not_retried")
            return None
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            self._pause(request, self._wait(None, result.meta.get("retry_times", 1)))
        return result

    def _wait(self, asked: float | None, retry: int) -> float:
        """Seconds before the `retry`-th retry: as asked (capped), else the backoff's."""
        wait = asked if asked is not None else self.backoff * 2 ** (retry - 1)
        return min(max(wait, 0.0), self.max_wait)

    @staticmethod
    def _rate_limited(response: Response) -> float | None:
        """Seconds until a used-up API rate limit resets (a 403/429 saying so), else None."""
        if response.status not in (403, 429):
            return None
        limit = rate_limit(response.headers)
        if not limit.exhausted or limit.reset_at is None:
            return None
        return max(0.0, (limit.reset_at - datetime.now(UTC)).total_seconds()) + 1.0

    def _pause(self, failed: Request, wait: float) -> None:
        """Pause the host of `failed` for `wait` seconds."""
        if wait and self.pauses.pause(failed, wait):
            self.crawler.stats.inc_value("newscrawl/retry/waited_seconds", round(wait, 1))


class SlotPauses:
    """Download slots held until a time: no request of a paused host leaves the downloader.

    A slot that is waiting for its download delay has a `latercall`, and Scrapy's downloader
    sends nothing from it until that call fires; a pause is such a call, timed to the end of
    the wait. Pauses are kept by slot key, so a slot Scrapy collected meanwhile is held again
    when its next request comes.
    """

    def __init__(self, downloader: Downloader) -> None:
        self.downloader = downloader
        self.until: dict[str, float] = {}

    def pause(self, request: Request, seconds: float) -> bool:
        """Hold the request's slot for `seconds` from now; False if it is held longer already."""
        key = self.downloader.get_slot_key(request)
        until = monotonic() + seconds
        if until <= self.until.get(key, 0.0):
            return False
        self.until[key] = until
        self._hold(key)
        return True

    def hold(self, request: Request) -> None:
        """Make sure the slot of a request of a paused host is held."""
        if not self.until:
            return
        key = self.downloader.get_slot_key(request)
        if self.until.get(key, 0.0) > monotonic():
            slot = self.downloader.slots.get(key)
            if slot is None:
                self.downloader._get_slot(request)
            self._hold(key)
        else:
            self.until.pop(key, None)

    def _hold(self, key: str) -> None:
        slot = self.downloader.slots.get(key)
        remaining = self.until.get(key, 0.0) - monotonic()
        if slot is None or remaining <= 0:
            return
        if slot.latercall is not None:
            slot.latercall.cancel()
        slot.latercall = call_later(remaining, self.downloader._latercall, slot)


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
