"""What the mirror's backends answer with, and the share host's page shell."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"

# NewsShare.html is the same script shell for every article; the browser then fetches
# /NewsData/GetNewsText.do?id=<infoCode>. The crawler goes to the JSON directly.
SHARE_SHELL = (
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>资讯分享</title></head><body>"
    "<div id=\"content\"></div><script>var code = new URLSearchParams(location.search)"
    ".get('infoCode'); fetch('/NewsData/GetNewsText.do?id=' + code)"
    ".then(r => r.json()).then(d => { document.getElementById('content').innerHTML = d.text; });"
    "</script></body></html>"
)


@dataclass
class MirrorResponse:
    status: int
    body: bytes
    content_type: str = HTML
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait before answering: how a mirror plants a timeout.
    delay: float = 0.0

    @classmethod
    def html(cls, text: str, status: int = 200) -> MirrorResponse:
        return cls(status, text.encode("utf-8"))

    @classmethod
    def json(cls, data: Any, status: int = 200) -> MirrorResponse:
        return cls(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), JSON)


class Backend(Protocol):
    """What a mirror serves: the site's pages by path, and share answers by id."""

    def site_page(self, path: str) -> MirrorResponse: ...

    def share_answer(self, share_id: str) -> MirrorResponse: ...
