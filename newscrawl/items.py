"""The one item model of newscrawl: an archived finews article.

Every field carries a description in its dataclass metadata; the README's schema table and
later dataset manifests are generated from these, so the description is the documentation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from itemadapter import ItemAdapter


def _doc(text: str, default: Any = None) -> Any:
    return field(default=default, metadata={"description": text})


@dataclass
class Article:
    """One finews post, as archived. Handled everywhere through itemadapter."""

    id: str | None = _doc(
        "The article's numeric id: the last path segment of the post URL "
        "(…/202204022332158234.html → 202204022332158234; a segment NW202204022332158234, its "
        "digits); the same digits as the share link's infoCode (NW…) or the Eastmoney article id."
    )
    url: str | None = _doc(
        "Canonical post URL on https://finews.withounder.com (the page's <link rel=canonical>)."
    )
    title: str | None = _doc("The post's title (its <h1>).")
    site_published_at: str | None = _doc(
        "The time the page shows (article:published_time), ISO 8601 with offset. Often 8 hours "
        "late: the generator wrote Beijing times without an offset, which Jekyll read as UTC."
    )
    published_at: str | None = _doc(
        "The best known publication time, ISO 8601 with offset: the share host's time when "
        "known, else the page's."
    )
    category: str | None = _doc(
        "Media slug as the generator wrote it (from the post's back-link, e.g. "
        "'21shijijingjibaodao  nancailicaitong'; else from the URL path)."
    )
    media: str | None = _doc("Media name: the post's tag without its trailing 新闻 (华夏时报新闻 → 华夏时报).")
    tags: list[str] = field(
        default_factory=list, metadata={"description": "Tags as the page shows them (JSON list)."}
    )
    digest: str | None = _doc("The blockquote lead of 东财滚动新闻 posts, else null.")
    body_html: str | None = _doc(
        "Article HTML only: no share autolink, no 返回… navigation, no digest blockquote "
        "(unless the digest is all the post has). Taken from the source when the post had only "
        "a digest or a title line and the source's text is longer."
    )
    body_text: str | None = _doc("Plain text of body_html, one paragraph per line.")
    source: str | None = _doc("X of the closing （文章来源：X） line when present, as the page has it.")
    share_url: str | None = _doc(
        "The share/original link: a NewsShare.html?infoCode=… page or an Eastmoney article URL."
    )
    share_id: str | None = _doc(
        "The id the share host knows the article by: the infoCode (NW…) or the Eastmoney id."
    )
    source_title: str | None = _doc("The title on the share host (its JSON answer's `title`).")
    source_published_at: str | None = _doc(
        "The share host's publication time (`showtime`, Beijing time), ISO 8601 with +08:00."
    )
    source_media: str | None = _doc("The media name on the share host (`medianame`).")
    source_body_html: str | None = _doc("The source's full text as HTML (the answer's `text`, or `content`).")
    source_body_text: str | None = _doc("Plain text of source_body_html, one paragraph per line.")
    provenance: dict[str, str] = field(
        default_factory=dict,
        metadata={"description": "Where each main field came from: {field: 'post' | 'feed' | 'repo' | 'share'} "
                                 "(JSON object; 'repo': the post's source in the site's repository)."},
    )
    content_hash: str | None = _doc(
        "SHA-1 of the normalized body text (NFKC, no white space): equal for one article under two ids."
    )
    cluster_id: str | None = _doc(
        "The cluster of copies of one text this article belongs to: the id of the cluster's first article. "
        "Exact copies and near-duplicates (syndicated copies, small edits) share it; other texts have their own."
    )
    duplicate_of: str | None = _doc(
        "For an exact copy (same content_hash under another id): the id archived first, else null."
    )
    story_id: str | None = _doc(
        "The event this article reports: articles written up about one event within about 36 hours (by its "
        "entities, figures and rare words, processing/stories.py) share it, whole clusters at a time; an "
        "article no other reports has its own id. Its row in `stories` names its representative."
    )
    fetched_at: str | None = _doc(
        "When the post page was fetched with this content, ISO 8601 UTC (an unchanged re-fetch keeps it)."
    )

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def descriptions(cls) -> dict[str, str]:
        return {f.name: f.metadata["description"] for f in fields(cls)}


# Fields stored as JSON text in SQLite.
JSON_FIELDS: tuple[str, ...] = ("tags", "provenance")
# Fields whose change makes a stored article "changed" (a revision). When it was fetched,
# where its fields came from and which story it was grouped with are not content.
NOT_CONTENT = frozenset({"fetched_at", "provenance", "cluster_id", "duplicate_of", "story_id"})
CONTENT_FIELDS: tuple[str, ...] = tuple(n for n in Article.field_names() if n not in NOT_CONTENT)


def item_fields(item: Any) -> dict[str, Any]:
    """The item's fields as a new dict whose values are shared, not copied.

    itemadapter's asdict() deep-copies and its items() walks the Mapping protocol field by
    field; on the pipelines' hot path either costs more than the work itself, so an Article
    is read directly. Any other item goes through itemadapter.
    """
    if type(item) is Article:
        return dict(vars(item))
    return dict(ItemAdapter(item).items())


def update_item(item: Any, changes: dict[str, Any]) -> None:
    """Set fields of an item (directly on an Article, through itemadapter otherwise)."""
    if type(item) is Article:
        vars(item).update(changes)
    else:
        ItemAdapter(item).update(changes)
