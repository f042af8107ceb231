"""Serve a saved static build of the site (e.g. ../shared/finews/site) and share answers.

Paths resolve as GitHub Pages resolves them: `/dir/` → `/dir/index.html`, `/page` →
`/page.html`, anything else → 404 with the site's own 404.html.
"""

from __future__ import annotations

from pathlib import Path

from newscrawl.mirror.http import JSON, MirrorResponse

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".css": "text/css; charset=utf-8",
    ".js": "application/javascript",
    ".json": JSON,
    ".txt": "text/plain; charset=utf-8",
}


class SnapshotBackend:
    def __init__(self, site_dir: str | Path, share_dir: str | Path | None = None) -> None:
        self.root = Path(site_dir).resolve()
        self.share_dir = Path(share_dir).resolve() if share_dir else None
        if not self.root.is_dir():
            raise FileNotFoundError(f"site directory not found: {site_dir}")

    def site_page(self, path: str) -> MirrorResponse:
        found = self._find(path)
        if found is None:
            not_found = self.root / "404.html"
            body = not_found.read_bytes() if not_found.is_file() else b"Not Found"
            return MirrorResponse(404, body)
        content_type = _TYPES.get(found.suffix, "application/octet-stream")
        return MirrorResponse(200, found.read_bytes(), content_type)

    def share_answer(self, share_id: str) -> MirrorResponse:
        if self.share_dir is not None and "/" not in share_id and not share_id.startswith("."):
            answer = self.share_dir / f"{share_id}.json"
            if answer.is_file():
                return MirrorResponse(200, answer.read_bytes(), JSON)
        return MirrorResponse.json({"error": "not found"}, status=404)

    def _find(self, path: str) -> Path | None:
        relative = path.lstrip("/")
        candidates = [relative + "index.html"] if relative.endswith("/") or not relative else [
            relative,
            relative + ".html",
            relative + "/index.html",
        ]
        for candidate in candidates:
            try:
                target = (self.root / candidate).resolve()
                if target.is_relative_to(self.root) and target.is_file():
                    return target
            except (OSError, ValueError):  # a name too long, a NUL byte: no such page
                continue
        return None
