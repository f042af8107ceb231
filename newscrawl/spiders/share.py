"""The `share` spider: archive articles from share links alone, for backfills.

    scrapy crawl share -a urls=FILE_OR_LIST      # NewsShare.html links or Eastmoney article links
    scrapy crawl share -a ids=NW2022…,2021…      # infoCodes or Eastmoney ids

For ids recovered from old archives or a colleague's spreadsheet, after the posts have left
the site. Each yields the same Article as a site crawl, with what the share host knows: no
page time, category or tags (an article already archived from its post keeps those).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.crawler import Crawler

from newscrawl.archive.runs import BACKFILL
from newscrawl.items import Article
from newscrawl.parsing.share import share_page_for_id
from newscrawl.parsing.urls import share_id_from_url
from newscrawl.processing.merge import merge_share
from newscrawl.spiders import read_url_args
from newscrawl.spiders.sharing import ShareLinks

_ID = re.compile(r"^(?:NW)?[0-9]{10,}$", re.I)


class ShareSpider(ShareLinks, scrapy.Spider):
    name = "share"
    run_kind = BACKFILL  # share answers, not the site: says nothing of the site's listings

    def __init__(self, urls: str | None = None, ids: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arguments = {k: v for k, v in {"urls": urls, "ids": ids, **kwargs}.items() if v is not None}
        self.links = read_url_args(urls)
        self.ids = [i for i in re.split(r"[\s,;]+", ids or "") if i]
        if not self.links and not self.ids:
            raise ValueError("give share links (-a urls=FILE_OR_LIST) or ids (-a ids=NW…,…)")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ShareSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.configure_share(crawler.settings)
        spider.allowed_domains = list(spider.share_hosts)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        links = list(self.links)
        for share_id in self.ids:
            if not _ID.match(share_id):
                self._count_share("bad_id")
                self.logger.warning("Not an infoCode or Eastmoney id, skipped: %s", share_id)
                continue
            links.append(share_page_for_id(share_id.upper(), self.default_share_host))
        for link in links:
            request = self.share_request(self._stub(link), link)
            if request is not None:
                yield request

    def finish_article(self, article: dict[str, Any], share: dict[str, Any] | None) -> Iterator[Article]:
        # Without an answer there is nothing to archive: the failure is already counted.
        if share is not None and (share["source_title"] or share["source_body_text"]):
            yield Article(**merge_share(article, share))

    @staticmethod
    def _stub(link: str) -> dict[str, Any]:
        share_id = share_id_from_url(link)
        return {
            "id": share_id[2:] if share_id and share_id.upper().startswith("NW") else share_id,
            "url": link,
            "share_url": link,
            "share_id": share_id,
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
