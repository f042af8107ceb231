"""What a reader of the archive sees: pure functions shared by the Datasette reading room
(integrations/datasette) and `scrapy show`.

- Times in Beijing time, readable ("2021-12-08 10:46"), whatever offset they were stored with.
- The body served is the stored, sanitized HTML passed through the sanitizer again (an archive
  written by an older newscrawl, or edited by hand, still serves nothing a browser would run).
- What changed between two versions of an article: its title, and its text paragraph by
  paragraph, with the changed characters marked inside a changed paragraph.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from newscrawl.processing.cleaning import sanitized
from newscrawl.processing.merge import BEIJING
from newscrawl.processing.timeline import parse_time

TIME_FORMAT = "%Y-%m-%d %H:%M"
_SPACES = re.compile(r"\s+")
# A changed paragraph longer than this is shown removed and added whole: a character diff
# of two long texts costs quadratic time and reads no better.
_CHARACTER_DIFF_LIMIT = 2000


def beijing(value: str | None) -> str | None:
    """An ISO time as Beijing time, to the minute; None for none, and the text itself when
    it is no ISO time."""
    if not value:
        return None
    when = parse_time(value)  # the archive's times without an offset are the site's, Beijing
    return when.astimezone(BEIJING).strftime(TIME_FORMAT) if when is not None else value


def shown_times(article: dict[str, Any]) -> tuple[str | None, str | None]:
    """(the publication time, the post page's own time when it is another minute) in Beijing time."""
    published, site = beijing(article.get("published_at")), beijing(article.get("site_published_at"))
    return published or site, site if published and site and site != published else None


def media_name(value: str | None) -> str | None:
    """A media name as a reader reads it: the generator's double spaces made one."""
    return _SPACES.sub(" ", value).strip() if value else value


def body_html(article: dict[str, Any]) -> str:
    """The article's body as HTML to serve: the body, else the source's, else its digest as a paragraph."""
    for name in ("body_html", "source_body_html"):
        if article.get(name):
            return sanitized(article[name])
    text = article.get("body_text") or article.get("digest") or ""
    return "".join(f"<p>{_escape(line)}</p>" for line in text.splitlines() if line.strip())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a comparison: "same", "removed", "added", or "changed" with its pieces
    (("same" | "removed" | "added", text), …)."""

    kind: str
    pieces: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Changes:
    """What changed from one version to the next."""

    title: tuple[str | None, str | None] | None  # (before, after) when the title changed
    paragraphs: tuple[Paragraph, ...]  # changed paragraphs, with "…" for each run of same ones

    @property
    def none(self) -> bool:
        return self.title is None and not any(p.kind != "same" for p in self.paragraphs)

    def summary(self) -> str:
        counts = {kind: sum(p.kind == kind for p in self.paragraphs) for kind in ("changed", "added", "removed")}
        parts = [f"{n} paragraph{'s' if n != 1 else ''} {kind}" for kind, n in counts.items() if n]
        if self.title is not None:
            parts.insert(0, "title changed")
        return ", ".join(parts) or "no change to the title or text (another field changed)"


def changes(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    """What changed from `before` to `after` (each with title and body_text)."""
    title = (before.get("title"), after.get("title")) if before.get("title") != after.get("title") else None
    old, new = _paragraphs(before.get("body_text")), _paragraphs(after.get("body_text"))
    out: list[Paragraph] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(Paragraph("same", (("same", "…"),)))
        elif op == "replace" and i2 - i1 == j2 - j1:
            out += [_changed(a, b) for a, b in zip(old[i1:i2], new[j1:j2])]
        else:
            out += [Paragraph("removed", (("removed", p),)) for p in old[i1:i2]]
            out += [Paragraph("added", (("added", p),)) for p in new[j1:j2]]
    return Changes(title, tuple(out))


def _paragraphs(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _changed(old: str, new: str) -> Paragraph:
    if len(old) + len(new) > _CHARACTER_DIFF_LIMIT:
        return Paragraph("changed", (("removed", old), ("added", new)))
    pieces: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("same", old[i1:i2]))
            continue
        if i2 > i1:
            pieces.append(("removed", old[i1:i2]))
        if j2 > j1:
            pieces.append(("added", new[j1:j2]))
    return Paragraph("changed", tuple(pieces))


def history(article: dict[str, Any], versions: list[dict[str, Any]]) -> list[tuple[dict[str, Any], Changes]]:
    """Each earlier version (oldest first) with what changed from it to the next one (the
    article as it is, after the last)."""
    following = [*versions[1:], article]
    return [(version, changes(version, after)) for version, after in zip(versions, following)]
