"""A finews spider whose parsing changed (titles gain a suffix): what `scrapy reparse` is for.

Used with `-s SPIDER_MODULES=tests.changed_parser` in test_reparse.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from newscrawl.spiders.finews import FinewsSpider


class ChangedFinewsSpider(FinewsSpider):
    name = "finews"

    def finish_article(self, article: dict[str, Any], share: dict[str, Any] | None) -> Iterator[Any]:
        title = article.get("title")
        yield from super().finish_article({**article, "title": f"{title}（新解析）" if title else title}, share)
