"""The site's repository on GitHub: its tree listing, which files are post sources, rate limits.

Pure functions over what GitHub answers: the git trees API
(`https://api.github.com/repos/OWNER/NAME/git/trees/REF?recursive=1`), the raw file host
(`https://raw.githubusercontent.com/OWNER/NAME/REF/PATH`), and the rate-limit headers of the API.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from newscrawl.parsing import PageError

API_HOST, RAW_HOST = "api.github.com", "raw.githubusercontent.com"
GITHUB_HOSTS = (API_HOST, RAW_HOST)
DEFAULT_REPO = "github:zning1994/finews"
# Where the site's generator keeps its posts: the live ones, and those moved out after three days.
POST_FOLDERS = ("_posts", "old_post")
_REPO = re.compile(r"^github:(?P<owner>[A-Za-z0-9-]+)/(?P<name>[A-Za-z0-9._-]+)(?:@(?P<ref>[^\s]+))?$")
_FILE_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})-")


@dataclass(frozen=True)
class Repo:
    owner: str
    name: str
    ref: str = "HEAD"

    def tree_url(self, tree: str | None = None, recursive: bool = True) -> str:
        """The trees API for the whole ref (or one tree by its sha)."""
        url = f"https://{API_HOST}/repos/{self.owner}/{self.name}/git/trees/{quote(tree or self.ref, safe='')}"
        return url + ("?recursive=1" if recursive else "")

    def raw_url(self, path: str) -> str:
        return f"https://{RAW_HOST}/{self.owner}/{self.name}/{quote(self.ref, safe='')}/{quote(path)}"


def parse_repo(value: str) -> Repo:
    """`github:OWNER/NAME[@REF]` (ValueError otherwise)."""
    m = _REPO.match(value.strip())
    if m is None:
        raise ValueError(f"{value!r} is not github:OWNER/NAME[@REF]")
    return Repo(m["owner"], m["name"], m["ref"] or "HEAD")


@dataclass(frozen=True)
class TreeEntry:
    path: str
    sha: str  # the git blob id: the same content has the same id at any path
    type: str = "blob"


@dataclass(frozen=True)
class Tree:
    entries: list[TreeEntry]
    truncated: bool


def parse_tree(body: bytes, url: str) -> Tree:
    """A trees API answer. PageError `invalid_json` / `not_a_tree` when it is none."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PageError("invalid_json", f"{url}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("tree"), list):
        raise PageError("not_a_tree", url)
    entries = []
    for item in data["tree"]:
        if isinstance(item, dict) and isinstance(item.get("path"), str) and isinstance(item.get("sha"), str):
            entries.append(TreeEntry(item["path"], item["sha"], str(item.get("type") or "blob")))
    return Tree(entries, bool(data.get("truncated")))


def wanted(path: str, patterns: tuple[str, ...] = POST_FOLDERS, since: str | None = None,
           until: str | None = None) -> bool:
    """Whether a repository path is a post source to read: under one of `patterns` (folders,
    or globs such as `old_post/2022-01-*`), and dated (by its file name) within since/until."""
    posix = PurePosixPath(path)
    if posix.suffix not in (".md", ".markdown", ".mkd", ".html"):
        return False
    if not any(_matches(path, pattern) for pattern in patterns):
        return False
    m = _FILE_DATE.match(posix.name)
    day = m[1] if m else None
    if since and (day is None or day < since[:10]):
        return False
    return not (until and (day is None or day > until[:10]))


def _matches(path: str, pattern: str) -> bool:
    pattern = pattern.strip().strip("/")
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatchcase(path, pattern)
    return path == pattern or path.startswith(pattern + "/")


def blob_sha(data: bytes) -> str:
    """The git blob id of a file's bytes (what the trees API lists): the same for a file in a
    local checkout and on GitHub."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 (git's id, not security)


@dataclass(frozen=True)
class RateLimit:
    remaining: int | None
    reset_at: datetime | None

    @property
    def exhausted(self) -> bool:
        return self.remaining == 0


def rate_limit(headers: Any) -> RateLimit:
    """GitHub's X-RateLimit-Remaining / X-RateLimit-Reset (epoch seconds) from response headers
    (any mapping whose .get gives bytes or str)."""

    def header(name: str) -> str | None:
        value = headers.get(name)
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        return value.strip() if value else None

    remaining, reset = header("X-RateLimit-Remaining"), header("X-RateLimit-Reset")
    return RateLimit(int(remaining) if remaining and remaining.isdigit() else None,
                     datetime.fromtimestamp(int(reset), UTC) if reset and reset.isdigit() else None)
