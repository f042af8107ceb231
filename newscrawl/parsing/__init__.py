"""Pure parsing functions, one per page type: (html/xml, url) -> plain data.

Nothing here knows Scrapy; every function is tested on saved pages.
"""

from __future__ import annotations


class PageError(ValueError):
    """A page that cannot yield what its URL promised; `reason` is a short stats key."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
