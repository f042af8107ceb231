"""Share links → the JSON endpoint behind them, and the endpoint's answer → source fields.

`NewsShare.html?infoCode=…` is a script shell; its script reads
`/NewsData/GetNewsText.do?id=<infoCode>` on the same host. An Eastmoney article link
(`…/news/1344,<id>.html`, `…/a/<id>.html`) maps to that endpoint with `id=<id>` on a default
share host. Answers are JSON (`title`, `showtime` in Beijing time, `medianame`, the body in
`text` or, in older variants, `content`).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit

from w3lib.encoding import resolve_encoding

from newscrawl.parsing.text import html_to_text, parsable
from newscrawl.parsing.urls import share_id_from_url

BEIJING = timezone(timedelta(hours=8))
SHARE_PATH = "/NewsData/GetNewsText.do"
_SHOWTIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S")


class UnsafeLink(ValueError):
    """A share link that must not be requested; `reason` is `host`, `scheme` or `malformed`."""

    def __init__(self, reason: str, link: str) -> None:
        super().__init__(f"{reason}: {link}")
        self.reason = reason


class ShareError(ValueError):
    """An answer that holds no usable source; `reason` is a short stats key."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def share_endpoint(share_url: str, allowed_hosts: frozenset[str], default_host: str) -> str:
    """The JSON endpoint URL for a share link, or UnsafeLink when it must not be requested."""
    link = (share_url or "").strip()
    try:
        parts = urlsplit(link)
        host = (parts.hostname or "").lower()
    except ValueError as exc:
        raise UnsafeLink("malformed", link) from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeLink("scheme" if parts.scheme else "malformed", link)
    share_id = share_id_from_url(link)
    if not host or not share_id:
        raise UnsafeLink("malformed", link)
    if parts.path.endswith("/NewsShare.html"):
        if host not in allowed_hosts:
            raise UnsafeLink("host", link)
        return endpoint_for_id(share_id, host, scheme=parts.scheme)
    if host == "eastmoney.com" or host.endswith(".eastmoney.com"):
        # Only the default share host is contacted; the Eastmoney article host never is.
        return endpoint_for_id(share_id, default_host)
    raise UnsafeLink("host", link)


def endpoint_for_id(share_id: str, host: str, scheme: str = "http") -> str:
    return f"{scheme}://{host}{SHARE_PATH}?{urlencode({'id': share_id})}"


def share_page_for_id(share_id: str, host: str) -> str:
    """The human-facing share page of an infoCode or Eastmoney id."""
    return f"http://{host}/html_News/NewsShare.html?{urlencode({'infoCode': share_id})}"


def parse_share(body: bytes, url: str, encoding: str | None = None) -> dict[str, Any]:
    """Source fields of an endpoint answer; ShareError when it holds no article.

    A GB2312/GBK-declared answer is decoded as GB18030 (its superset), as browsers do. An
    answer with an empty body text still gives its title and time; only `source_body_*`
    are None then, and the caller counts it as `empty_text`.
    """
    if not body or not body.strip():
        raise ShareError("empty_answer", url)
    stripped = parsable(_decode(body, encoding)).lstrip("\ufeff \t\r\n")
    # Judged by the body, not the Content-Type: some hosts serve JSON as text/html.
    if stripped.startswith("<"):
        raise ShareError("html_error_page", url)
    try:
        data = json.loads(stripped)
    except ValueError as exc:
        raise ShareError("invalid_json", f"{url}: {exc}") from exc
    except RecursionError:  # arrays nested 100,000 deep: no answer is
        raise ShareError("invalid_json", f"{url}: nested too deep") from None
    if isinstance(data, dict) and isinstance(data.get("data"), dict):
        data = data["data"]
    if not isinstance(data, dict) or not (data.get("title") or data.get("text") or data.get("content")):
        raise ShareError("not_found", url)
    body_html = _first_text(data, "text", "content")
    body_text = html_to_text(body_html) or None if body_html else None
    return {
        "source_title": _clean(data.get("title")),
        "source_published_at": _showtime(data.get("showtime")),
        "source_media": _clean(data.get("medianame")),
        # A body with no text (`<p></p>`) is no body: html and text go together.
        "source_body_html": body_html if body_text else None,
        "source_body_text": body_text,
    }


def _decode(body: bytes, encoding: str | None) -> str:
    """The declared encoding when the bytes fit it, else UTF-8, else GB18030."""
    candidates = [resolve_encoding(encoding) or encoding] if encoding else []
    for candidate in (*candidates, "utf-8", "gb18030"):
        try:
            return body.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", errors="replace")


def _first_text(data: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = _clean(data.get(key))
        if value:
            return value
    return None


def _clean(value: Any) -> str | None:
    # json.loads turns "\ud800" escapes into lone surrogates that SQLite cannot store.
    return parsable(value).strip() or None if isinstance(value, str) else None


def _showtime(value: Any) -> str | None:
    """`showtime` is Beijing local time without an offset."""
    if not isinstance(value, str):
        return None
    for fmt in _SHOWTIME_FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=BEIJING).isoformat()
        except ValueError:
            continue
    return None
