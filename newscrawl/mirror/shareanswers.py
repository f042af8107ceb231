"""The generated mirror's share host: answers for every article, and planted cases.

Planted answers sit on fixed article indices (the newest posts), so every generated site of
10 articles or more has each once: a missing id, an empty `text`, a `content`-keyed answer,
a GBK-encoded answer, invalid JSON, an HTML error page with status 200, and share links a
crawler must never request (an offsite host, a `javascript:` link).
"""

from __future__ import annotations

import html
import json
from typing import Any

from newscrawl.mirror.http import JSON, MirrorResponse

SHARE_CASES: dict[int, str] = {
    1: "missing", 2: "empty_text", 3: "content_key", 4: "gbk",
    5: "offsite", 6: "invalid_json", 7: "html_error", 8: "javascript",
}
UNSAFE_LINKS = {
    "offsite": "http://share.example.net/html_News/NewsShare.html?infoCode=NW{id}",
    "javascript": "javascript:void(0)",
}
# What the crawl counts each case as (newscrawl/share/<reason>).
CASE_STATS = {
    "missing": "http_404", "empty_text": "empty_text", "content_key": "ok", "gbk": "ok",
    "offsite": "offsite", "invalid_json": "invalid_json", "html_error": "html_error_page",
    "javascript": "offsite",
}
_FAILED = {"missing", "invalid_json", "html_error", *UNSAFE_LINKS}


def share_response(article: Any) -> MirrorResponse:
    case = article.share_case
    answer = {"infoCode": article.share_id, "title": article.title,
              "showtime": article.published.strftime("%Y-%m-%d %H:%M:%S"), "medianame": article.media,
              "text": "" if case == "empty_text" else article.share_html}
    if case == "missing":
        return MirrorResponse.json({"error": "not found"}, 404)
    if case == "content_key":
        answer["content"] = answer.pop("text")
    if case == "gbk":
        body = json.dumps(answer, ensure_ascii=False).encode("gb18030")
        return MirrorResponse(200, body, "application/json; charset=GBK")
    if case == "invalid_json":
        return MirrorResponse(200, json.dumps(answer, ensure_ascii=False)[:40].encode(), JSON)
    if case == "html_error":
        return MirrorResponse.html("<html><body><h1>系统繁忙，请稍后再试</h1></body></html>")
    return MirrorResponse.json(answer)


def expected_share_fields(article: Any, post_body_text: str) -> dict[str, Any]:
    """The share-derived fields a correct crawl archives for a generated article."""
    case = article.share_case
    if case in _FAILED:
        failed = dict.fromkeys(("source_title", "source_published_at", "source_media", "source_body_text"))
        return failed | ({"share_id": None} if case == "javascript" else {})
    source_text = None if case == "empty_text" else _text_of(article.share_html)
    fields: dict[str, Any] = {
        "source_title": article.title,
        "source_published_at": article.published.isoformat(),
        "source_media": article.media,
        "source_body_text": source_text,
        "published_at": article.published.isoformat(),
    }
    if article.shape == "C" and source_text:
        fields["body_text"] = source_text
    return fields


def _text_of(share_html: str) -> str:
    lead, _, rest = share_html.rpartition("\n\n")
    lines = [lead] if lead else []
    lines += [p for p in rest.removeprefix("<p>").removesuffix("</p>").split("</p><p>")]
    return "\n".join(" ".join(html.unescape(line).replace("\u3000", " ").split()) for line in lines)
