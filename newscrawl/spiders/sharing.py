"""Following share links: the request to the JSON endpoint, and what its answer (or its
failure) makes of the article. Shared by the `finews` and `share` spiders.

A share fetch never costs the article: whatever fails (404, timeout, invalid JSON, an HTML
error page, an empty text) is counted as `newscrawl/share/<reason>`, logged once for the
article, and the article goes on with what the post page had.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from w3lib.encoding import http_content_type_encoding

from newscrawl.items import Article
from newscrawl.parsing.share import ShareError, UnsafeLink, parse_share, share_endpoint
from newscrawl.processing.merge import BEIJING, merge_share, plausible_time
from newscrawl.spiders import KIND, SHARE

# Sent for every share link met: (article_id, reason), reason "ok" for a good answer, else why
# it failed ("offsite" for a link never requested). Incremental runs keep count of failures.
share_answered = object()


class ShareLinks:
    """Mixin for spiders that follow share links; `configure_share` reads the settings."""

    follow_share: bool = True
    share_hosts: frozenset[str] = frozenset()
    default_share_host: str = ""
    url_limit: int = 2083
    earliest: datetime = datetime(2000, 1, 1, tzinfo=BEIJING)
    future: timedelta = timedelta(days=1)
    crawler: Any
    logger: Any

    def configure_share(self, settings: BaseSettings) -> None:
        self.follow_share = settings.getbool("NEWSCRAWL_FOLLOW_SHARE", True)
        self.share_hosts = frozenset(h.lower() for h in settings.getlist("NEWSCRAWL_SHARE_HOSTS"))
        self.default_share_host = settings.get("NEWSCRAWL_SHARE_DEFAULT_HOST", "").lower()
        self.url_limit = settings.getint("URLLENGTH_LIMIT", 2083)
        self.earliest = datetime.fromisoformat(settings.get("NEWSCRAWL_EARLIEST_DATE", "2000-01-01")).replace(tzinfo=BEIJING)
        self.future = timedelta(days=settings.getfloat("NEWSCRAWL_FUTURE_DAYS", 1.0))
        if self.default_share_host not in self.share_hosts:
            raise ValueError("NEWSCRAWL_SHARE_DEFAULT_HOST must be one of NEWSCRAWL_SHARE_HOSTS")

    def share_request(self, article: dict[str, Any], share_url: str) -> scrapy.Request | None:
        """The request for a share link's answer; None (counted) for a link never to request."""
        try:
            endpoint = share_endpoint(share_url, self.share_hosts, self.default_share_host)
        except UnsafeLink as exc:
            self._count_share("offsite")
            self.logger.warning("Share link not requested (%s): %s (article %s)", exc.reason, share_url, article.get("id"))
            self._answered(article, "offsite")
            return None
        if self.url_limit and len(endpoint) > self.url_limit:
            # Scrapy's UrlLengthMiddleware would drop the request silently, and the article
            # waiting for its answer with it.
            self._count_share("url_too_long")
            self.logger.warning("Share link not requested (url_too_long, %d characters): %.200s… (article %s)",
                                len(endpoint), share_url, article.get("id"))
            self._answered(article, "url_too_long")
            return None
        # Two posts can carry the same share link: each needs its own answer (dont_filter).
        # dont_filter also lifts the offsite check, so a redirect is not followed: it could
        # leave the allowlist. A 3xx is a counted failure like any other.
        return scrapy.Request(endpoint, callback=self.parse_share_answer, errback=self.share_failed,
                              cb_kwargs={"article": article}, dont_filter=True,
                              meta={"dont_redirect": True, KIND: SHARE})

    def parse_share_answer(self, response: Response, article: dict[str, Any]) -> Iterator[Article]:
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        try:
            share = parse_share(response.body, response.url, http_content_type_encoding(content_type))
        except ShareError as exc:
            yield from self._failed(article, exc.reason, response.url)
            return
        except Exception:  # a parser bug must cost the source, never the post
            self.logger.exception("Share answer parser failed: %s", response.url)
            yield from self._failed(article, "parser_error", response.url)
            return
        if share["source_body_text"]:
            self._count_share("ok")
            self._answered(article, "ok")
        else:
            self._count_share("empty_text")
            self.logger.warning("Share answer has no text: %s (article %s)", response.url, article.get("id"))
            self._answered(article, "empty_text")
        yield from self.finish_article(article, share)

    def share_failed(self, failure: Failure) -> Iterator[Article]:
        article = failure.request.cb_kwargs["article"]
        if isinstance(failure.value, HttpError):
            reason = f"http_{failure.value.response.status}"
        elif "Timeout" in type(failure.value).__name__:
            reason = "timeout"
        else:
            reason = type(failure.value).__name__
        yield from self._failed(article, reason, failure.request.url)

    def finish_article(self, article: dict[str, Any], share: dict[str, Any] | None) -> Iterator[Article]:
        shown = (share or {}).get("source_published_at")
        if shown and not plausible_time(shown, self.earliest, datetime.now(BEIJING) + self.future):
            # A share host's year 9999 must not become the publication time: the article keeps its own.
            self._count_share("implausible_date")
            self.logger.warning("Share answer's time %s is implausible, not used (article %s)", shown, article.get("id"))
            share = {**share, "source_published_at": None}  # type: ignore[dict-item]
        yield Article(**merge_share(article, share))

    def _failed(self, article: dict[str, Any], reason: str, url: str) -> Iterator[Article]:
        self._count_share(reason)
        self.logger.warning("Share fetch failed (%s): %s (article %s)", reason, url, article.get("id"))
        self._answered(article, reason)
        yield from self.finish_article(article, None)

    def _answered(self, article: dict[str, Any], reason: str) -> None:
        self.crawler.signals.send_catch_log(share_answered, article_id=article.get("id"), reason=reason)

    def _count_share(self, event: str) -> None:
        self.crawler.stats.inc_value(f"newscrawl/share/{event}")
