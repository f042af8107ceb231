"""The mirror's GitHub: a directory laid out as the site's repository, answered as GitHub does.

`api.github.com` answers the git trees API (`/repos/OWNER/NAME/git/trees/REF?recursive=1`,
and a subtree by its id) with the rate-limit headers, counting down from `limit` requests;
`raw.githubusercontent.com` answers `/OWNER/NAME/REF/PATH` with the file. Blob ids are git's
(the same as `git hash-object`), so what a backfill keeps matches a real clone's. A recursive
listing of the whole repository longer than `truncate_after` entries is cut short and marked
`truncated`, as GitHub does past 100,000 entries (a folder's listing is not).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, unquote

from newscrawl.mirror.http import JSON, MirrorResponse
from newscrawl.parsing.github import API_HOST, RAW_HOST, blob_sha

RESET_SECONDS = 3600


class RepoBackend:
    def __init__(self, root: str | Path, owner: str = "zning1994", name: str = "finews", limit: int = 5000,
                 truncate_after: int | None = None) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"no repository directory at {root}")
        self.owner, self.name = owner, name
        self.limit, self.remaining = limit, limit
        self.reset_at = int(time.time()) + RESET_SECONDS
        self.truncate_after = truncate_after
        self._lock = threading.Lock()

    def answer(self, host: str, path: str, query: str) -> MirrorResponse:
        if host == API_HOST:
            return self._api(unquote(path), parse_qs(query))
        if host == RAW_HOST:
            return self._raw(unquote(path))
        return MirrorResponse.html("not found", 404)

    # --- api.github.com --------------------------------------------------------------------
    def _api(self, path: str, query: dict[str, list[str]]) -> MirrorResponse:
        with self._lock:
            if self.remaining <= 0:
                return self._limited(MirrorResponse.json(
                    {"message": "API rate limit exceeded (the mirror's)", "documentation_url": "https://docs.github.com"},
                    403))
            self.remaining -= 1
        prefix = f"/repos/{self.owner}/{self.name}/git/trees/"
        if not path.startswith(prefix):
            return self._limited(MirrorResponse.json({"message": "Not Found"}, 404))
        ref = path[len(prefix):]
        recursive = bool(query.get("recursive"))
        folder = self._folder(ref)
        if folder is None:
            return self._limited(MirrorResponse.json({"message": "Not Found"}, 404))
        entries = self._entries(folder, recursive)
        whole = folder == self.root
        truncated = self.truncate_after is not None and recursive and whole and len(entries) > self.truncate_after
        if truncated:
            entries = entries[: self.truncate_after]
        body = {"sha": _tree_sha(folder), "url": f"https://{API_HOST}{path}", "tree": entries, "truncated": truncated}
        return self._limited(MirrorResponse(200, json.dumps(body).encode("utf-8"), JSON))

    def _folder(self, ref: str) -> Path | None:
        """The directory a tree id names: any branch name is the whole repository, a tree id
        (as listed) one of its folders."""
        if len(ref) != 40 or any(c not in "0123456789abcdef" for c in ref):
            return self.root
        for folder in [self.root, *(p for p in self.root.rglob("*") if p.is_dir())]:
            if _tree_sha(folder.relative_to(self.root)) == ref:
                return folder
        return None

    def _entries(self, folder: Path, recursive: bool) -> list[dict[str, object]]:
        children = sorted(folder.rglob("*") if recursive else folder.iterdir())
        entries: list[dict[str, object]] = []
        for child in children:
            if ".git" in child.relative_to(self.root).parts:
                continue
            relative = child.relative_to(folder).as_posix()
            if child.is_dir():
                entries.append({"path": relative, "mode": "040000", "type": "tree",
                                "sha": _tree_sha(child.relative_to(self.root))})
            else:
                data = child.read_bytes()
                entries.append({"path": relative, "mode": "100644", "type": "blob", "sha": blob_sha(data),
                                "size": len(data)})
        return entries

    def _limited(self, response: MirrorResponse) -> MirrorResponse:
        response.headers.update({"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(max(self.remaining, 0)),
                                 "X-RateLimit-Reset": str(self.reset_at), "X-RateLimit-Resource": "core"})
        return response

    # --- raw.githubusercontent.com ---------------------------------------------------------------
    def _raw(self, path: str) -> MirrorResponse:
        parts = path.lstrip("/").split("/", 3)
        if len(parts) < 4 or parts[0] != self.owner or parts[1] != self.name:
            return MirrorResponse(404, b"404: Not Found", "text/plain; charset=utf-8")
        file = (self.root / parts[3]).resolve()
        if not file.is_relative_to(self.root.resolve()) or not file.is_file():
            return MirrorResponse(404, b"404: Not Found", "text/plain; charset=utf-8")
        return MirrorResponse(200, file.read_bytes(), "text/plain; charset=utf-8")


def _tree_sha(relative: Path) -> str:
    """A stable id for a folder (the mirror does not hash trees as git does; nothing reads it)."""
    return hashlib.sha1(f"tree {relative.as_posix()}".encode()).hexdigest()  # noqa: S324
