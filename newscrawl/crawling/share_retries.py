"""Failed share answers, asked again across runs with a growing wait, then given up.

A share answer that failed (an error status, a timeout, invalid JSON, an empty text) is
asked again by later runs — the answer, not the post page — once 1, 2, 4 … times
NEWSCRAWL_SHARE_RETRY_BACKOFF seconds have passed since the last attempt (as the run's
settings say, so a changed setting applies at once), and after NEWSCRAWL_SHARE_RETRY_ATTEMPTS failed
attempts no more (`newscrawl/share/gave_up`, logged once). A share link that may never be
requested (another host, `javascript:`) is given up at once. `-a refresh=…` starts the count
again for the articles it names. The spiders report each answer with the `share_answered`
signal; the attempts are kept in the archive (`share_attempts`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from newscrawl.archive import Archive

logger = logging.getLogger(__name__)
OK = "ok"
# Links that are never requested (off the allowlist, too long to request): no retry.
NEVER_ASKED = frozenset({"offsite", "url_too_long"})


@dataclass(frozen=True)
class Backoff:
    base_seconds: float = 3600.0
    max_attempts: int = 5

    @classmethod
    def from_settings(cls, settings: Any) -> Backoff:
        """NEWSCRAWL_SHARE_RETRY_BACKOFF and NEWSCRAWL_SHARE_RETRY_ATTEMPTS."""
        return cls(settings.getfloat("NEWSCRAWL_SHARE_RETRY_BACKOFF", cls.base_seconds),
                   settings.getint("NEWSCRAWL_SHARE_RETRY_ATTEMPTS", cls.max_attempts))

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts

    def due(self, attempts: int, last: str | None, now: datetime) -> bool:
        """Whether an answer that failed `attempts` times, the last at `last`, is asked again now."""
        if not attempts or not last:
            return True
        return now >= datetime.fromisoformat(last) + timedelta(seconds=self.base_seconds * 2 ** (attempts - 1))


class ShareRetries:
    def __init__(self, archive: Archive, stats: Any, backoff: Backoff = Backoff()) -> None:
        self.archive = archive
        self.stats = stats
        self.backoff = backoff

    def answered(self, article_id: str | None, reason: str, now: datetime) -> None:
        """Record what a share answer was: OK, or why it failed."""
        if not article_id or self.archive.failed is not None:
            return
        if reason == OK:
            if self.archive.share_attempts(article_id)[0]:
                self.archive.forget_share_attempts([article_id])
            return
        attempts, gave_up, last = self.archive.share_attempts(article_id)
        # Not after the last recorded: this answer was recorded (the archiver takes again, after
        # a crash, messages it had written but not released).
        if gave_up or (last is not None and last >= _iso(now)):
            return
        attempts += 1
        gave_up = reason in NEVER_ASKED or self.backoff.gives_up(attempts)
        self.archive.record_share_attempt(article_id, attempts, reason, _iso(now), gave_up)
        if gave_up and reason not in NEVER_ASKED:
            self.stats.inc_value("newscrawl/share/gave_up")
            logger.warning("Share answer failed %d times (last: %s), not asked again (-a refresh=%s asks): article %s",
                           attempts, reason, article_id, article_id)

    def due(self, now: datetime, skip: set[str] | None) -> Iterator[dict[str, Any]]:
        """The archived articles whose share answer is to be asked again now (not those in
        `skip`; None skips all), a query per few hundred of them."""
        due, waiting = [], 0
        for article_id, attempts, last in self.archive.missing_shares():
            if self.backoff.due(attempts, last, now):
                due.append(article_id)
            else:
                waiting += 1
        if waiting:
            self.stats.inc_value("newscrawl/incremental/share_backoff", waiting)
        if skip is None:
            return
        yield from self.archive.records([i for i in due if i not in skip])

    def forget(self, ids: set[str] | None) -> None:
        """`-a refresh`: these articles' attempts start again (None: every article's)."""
        if ids is None or ids:
            self.archive.forget_share_attempts(None if ids is None else sorted(ids))


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")
