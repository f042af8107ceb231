"""A User-Agent that names newscrawl and whom to contact (setting NEWSCRAWL_CONTACT_URL).

Scrapy's UserAgentMiddleware reads one fixed USER_AGENT; a deployment should only have to
say where its operator can be reached. So the header is `newscrawl/VERSION (+CONTACT_URL)`
unless USER_AGENT is set outright (on the command line, in a spider or in the settings).
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware

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
