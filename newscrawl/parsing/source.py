"""Post sources of the site's repository → the same fields the site crawl reads, and the right time.

A source (`_posts/2021-12-08-202112082206672930.md`, or the same file later moved to
`old_post/`) is built the way Jekyll built the site from it: its front matter (YAML), the date
permalink, and the post layout around the body rendered from its Markdown (markdown.py). The
built page is then read by the very parser the site crawl uses (post.parse_post), so the URL,
category, media, tags, digest, source line, share link and body are the site crawl's by
construction. What the page gets wrong the source gets right: `published_at` is the front
matter's date read as Beijing time (the generator wrote Beijing wall-clock times; Jekyll read
those without an offset as UTC, which is why most pages show times 8 hours late).

Jekyll's rules followed here (Jekyll 4, `timezone: Asia/Shanghai`):
- a post's file name is `YYYY-MM-DD-SLUG.EXT`; other files in `_posts/` are not published;
- the front matter starts at byte 0 with `---`; a file without it is no post (Jekyll copies it
  as it is, without a layout);
- `date:` as YAML (Ruby's Psych) reads it: a full timestamp without an offset is UTC, one with
  an offset has it, a bare date, a shorter time or a quoted one is local (Beijing: Jekyll's
  Time.parse); no `date:` means the file name's date at local midnight;
- the URL is `/CATEGORIES/YYYY/MM/DD/SLUG.html` with the local date, the categories split on
  white space, lowercased and deduplicated (a category string holds several), and no
  categories at all giving `/YYYY/MM/DD/SLUG.html`; tags split the same way.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta, timezone
from pathlib import PurePosixPath
from typing import Any

import yaml
from w3lib.url import safe_url_string

from newscrawl.parsing import PageError
from newscrawl.parsing.markdown import render_markdown
from newscrawl.parsing.post import parse_post
from newscrawl.parsing.urls import SITE_ROOT

BEIJING = timezone(timedelta(hours=8))
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/_.,()~-]*")
_POST_FILE = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})-(?P<slug>.+)\.(?P<ext>md|markdown|mkd|html)$")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(?P<yaml>.*?\r?\n)?(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
# Psych's timestamp (what Ruby's YAML makes a Time of): a date, a full time, an optional offset.
_TIMESTAMP = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt]|\s+)(\d{1,2}):(\d\d):(\d\d)(?:\.\d*)?"
                        r"(?:\s*(Z|[-+]\d{1,2}:?(?:\d\d)?))?$")
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
# What Ruby's Time.parse reads besides: a date and hours:minutes, an optional offset.
_LOOSE_TIME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt]|\s+)(\d{1,2}):(\d\d)(?::(\d\d))?"
                         r"(?:\s*(Z|[-+]\d{1,2}:?(?:\d\d)?))?$")


class YamlTime(str):
    """An unquoted YAML timestamp: Psych makes a Time of it (so one without an offset is UTC),
    where a quoted one stays text that Jekyll's Time.parse reads as local time."""


class _FrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML as Jekyll's front matter (libyaml's parser when PyYAML has it), but with dates left
    as text (marked when YAML took them for a timestamp): their meaning depends on Ruby's
    rules (below), which differ from PyYAML's."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# Psych's own pattern for a timestamp, which takes offsets (+0800) that YAML 1.1's does not.
_FrontMatterLoader.add_implicit_resolver(
    "tag:yaml.org,2002:timestamp", re.compile(_TIMESTAMP.pattern + "|" + _DATE.pattern), list("0123456789"))
_FrontMatterLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: YamlTime(loader.construct_scalar(node)))


def post_file(path: str) -> re.Match[str] | None:
    """The date and slug in a post's file name (None: Jekyll does not publish the file)."""
    return _POST_FILE.match(PurePosixPath(path).name)


def front_matter(text: str, path: str) -> tuple[dict[str, Any], str]:
    """The front matter's fields and the body after it. PageError: no front matter at byte 0
    (`no_front_matter`), or YAML that is not a mapping (`bad_front_matter`)."""
    found = _FRONT_MATTER.match(text)
    if found is None:
        raise PageError("no_front_matter", path)
    try:
        data = yaml.load(found["yaml"] or "", Loader=_FrontMatterLoader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise PageError("bad_front_matter", f"{path}: {str(exc).splitlines()[0]}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PageError("bad_front_matter", f"{path}: not a mapping")
    return data, text[found.end():]


def jekyll_time(value: Any) -> tuple[datetime, datetime] | None:
    """(the time Jekyll gave the post, the time the generator meant) for a `date:` value;
    None when it is no date. The generator's times are Beijing wall-clock times."""
    text = str(value).strip() if value is not None else ""
    if m := _TIMESTAMP.match(text):
        wall = datetime(*map(int, m.groups()[:6]))
        if m[7]:
            aware = wall.replace(tzinfo=_offset(m[7])).astimezone(BEIJING)
            return aware, aware
        if isinstance(value, YamlTime):
            return wall.replace(tzinfo=timezone.utc), wall.replace(tzinfo=BEIJING)  # Psych: UTC
        local = wall.replace(tzinfo=BEIJING)  # quoted: Time.parse reads it as local time
        return local, local
    if m := _DATE.match(text):
        local = datetime(*map(int, m.groups())).replace(tzinfo=BEIJING)
        return local, local
    if m := _LOOSE_TIME.match(text):
        wall = datetime(*(int(g or 0) for g in m.groups()[:6]))
        aware = wall.replace(tzinfo=_offset(m[7]) if m[7] else BEIJING).astimezone(BEIJING)  # Time.parse: local
        return aware, aware
    return None


def _offset(text: str) -> timezone:
    if text == "Z":
        return timezone.utc
    digits = text[1:].replace(":", "")
    hours, minutes = (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def words(value: Any) -> list[str]:
    """Categories or tags as Jekyll reads them: a list, or a string split on white space."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [word for item in items if item is not None for word in str(item).split()]


def post_url(categories: list[str], local: datetime, slug: str) -> str:
    """The page's canonical URL: Jekyll's date permalink with the local (Beijing) date."""
    folders = list(dict.fromkeys(c.lower() for c in categories))
    path = "/".join([*folders, f"{local:%Y}", f"{local:%m}", f"{local:%d}", f"{slug}.html"])
    # Most paths need no escaping; w3lib's would cost more than the rest of the URL's making.
    return SITE_ROOT + path if _PLAIN_PATH.fullmatch(path) else safe_url_string(SITE_ROOT + path)


def build_page(title: str, shown: datetime, url: str, tags: list[str], content_html: str) -> str:
    """The post page as the site's layouts make it — what the post parser reads of it: the
    canonical link and published time (jekyll-seo-tag), the post layout inside the default
    one's <section> and before its footer, the title printed raw as the layout does."""
    tag_line = f'\n  <small>tags: <em>{"</em> - <em>".join(tags)}</em></small>\n' if tags else ""
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head><meta charset="UTF-8">'
        f'<link rel="canonical" href="{html.escape(url)}" />'
        f'<meta property="article:published_time" content="{shown.isoformat()}" /></head>\n<body>\n'
        "<section>\n"
        f"<small>(GMT+8, Asia/Shanghai, CST) {shown:%Y-%m-%d %H:%M:%S}</small>\n<h1>{title}</h1>\n\n"
        f"{content_html}\n{tag_line}\n</section>\n<footer><p>&copy; 2021</p></footer>\n</body>\n</html>\n"
    )


def parse_source(text: str, path: str) -> dict[str, Any]:
    """Article fields of a post source (its path in the repository, for the file name).

    PageError with a counted reason: `not_a_post` (no date in the file name: Jekyll does not
    publish it), `no_front_matter`, `bad_front_matter`. A missing title or date comes back as
    None, for the validation pipeline to count, as with a page.
    """
    name = post_file(path)
    if name is None:
        raise PageError("not_a_post", path)
    data, body = front_matter(text, path)
    named = datetime(int(name["y"]), int(name["m"]), int(name["d"]), tzinfo=BEIJING)
    raw_date = data.get("date")
    if raw_date is None or not str(raw_date).strip():
        times: tuple[datetime, datetime] | None = (named, named)  # Jekyll: the file name's date
    else:
        times = jekyll_time(raw_date)  # None: a date that is none, e.g. `date:  +0800`
    title = "" if data.get("title") is None else str(data["title"])
    tags = words(data.get("tags"))
    categories = words(data.get("categories")) + words(data.get("category"))
    content = render_markdown(body) if name["ext"] != "html" else body
    shown = times[0].astimezone(BEIJING) if times is not None else named
    url = post_url(categories, shown, name["slug"])
    fields = parse_post(build_page(title, shown, url, tags, content), url)
    fields["site_published_at"] = shown.isoformat() if times is not None else None
    fields["published_at"] = times[1].isoformat() if times is not None else None
    return fields


def read_source(data: bytes, path: str) -> tuple[dict[str, Any] | None, str]:
    """(fields, "ok") of a source's bytes, or (None, the reason it gives no article). Never
    raises: a parser bug is `parser_error` (and its traceback is the caller's to log)."""
    try:
        return parse_source(data.decode("utf-8"), path), "ok"
    except UnicodeDecodeError:
        return None, "not_utf8"
    except PageError as exc:
        return None, exc.reason
    except Exception:  # noqa: BLE001 (one source's bug is one source's loss)
        return None, "parser_error"


def read_sources(batch: list[tuple[bytes, str]]) -> list[tuple[dict[str, Any] | None, str]]:
    """read_source for a batch (what a parsing worker process is handed at a time)."""
    return [read_source(data, path) for data, path in batch]
