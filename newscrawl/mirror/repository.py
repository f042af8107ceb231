"""The generated site's repository: each post's source, as the site's generator commits it.

Front matter (quoted title, the Beijing time with `+0800` or — for most posts — without an
offset, the category and tag as written), then the body in the generator's shapes: a `> `
digest, Eastmoney's widgets as raw HTML, text paragraphs (东财滚动新闻) or `<p>` paragraphs
(media posts), the `<…>` autolink to the original and the 返回 navigation as Markdown links.
Jekyll would build these into the generated site's pages; planted bad pages get the sources
that make them (an empty title, `date:  +0800`, no front matter at byte 0).
"""

from __future__ import annotations

import html
from pathlib import Path

from newscrawl.mirror.generator import GenArticle, GeneratedSite

_NAV = {
    "relative": "[返回{media}新闻](../{slug}/)\n[返回首页](../)",
    "bare": "[返回{media}新闻](//finews.withounder.com/{slug}/)",
    "bare_joined": "[返回{media}新闻](//finews.withounder.com/{slug}/)｜[返回首页](//finews.withounder.com/)",
    "category": "[返回{media}新闻](//finews.withounder.com/category/{slug}.html)｜[返回首页](//finews.withounder.com/)",
}
WIDGETS = ('<p style="display:none;height:1px;overflow:hidden;"><br /></p><!-- EM_StockImg_Start -->'
           '<p style="text-align:center;"><img src="https://webquoteklinepic.eastmoney.com/GetPic.aspx?'
           'nid=1.600519&amp;imageType=k" border="0" alt="K图 600519_0" /></p><!-- EM_StockImg_End -->')


def post_source(a: GenArticle) -> str:
    """The Markdown source of a generated post."""
    title = "" if a.planted == "missing_title" else a.title.replace('"', '\\"')
    when = f"{a.published:%Y-%m-%d %H:%M:%S}" + ("" if a.shifted else " +0800")
    date = " +0800" if a.planted == "missing_date" else when
    front = f'---\nlayout: post\ntitle: "{title}"\ndate: {date}\ncategories: {a.slug}\ntags: {a.media}新闻\n---\n'
    parts = []
    if a.digest:
        parts += [f"> {a.digest}", WIDGETS]
    if a.shape == "A":
        parts += [html.escape(p, quote=False) for p in a.paragraphs]
    else:
        parts += [f"<p>{html.escape(p, quote=False)}</p>" for p in a.paragraphs]
    if a.source:
        line = f'<p class="em_media">（文章来源：{a.source}）</p>'
        if a.shape == "A":
            parts.append(line)
        else:
            parts[-1] += line
    # An autolink for a web address; the page's planted unsafe links as the HTML they are.
    link = (f"<{a.share_url}>" if a.share_url.startswith(("http://", "https://"))
            else f'<p><a href="{html.escape(a.share_url)}">{html.escape(a.share_url, quote=False)}</a></p>')
    parts += [link, _NAV[a.nav].format(slug=a.slug, media=a.media)]
    body = "\n\n".join(parts) + "\n"
    # A source whose front matter is not at byte 0: Jekyll publishes it bare, without a layout.
    return ("\n" if a.planted == "no_layout" else "") + front + "\n" + body


def source_path(a: GenArticle, moved: bool) -> str:
    return f"{'old_post' if moved else '_posts'}/{a.published:%Y-%m-%d}-{a.id}.md"


def write_repository(site: GeneratedSite, root: Path, moved_share: float = 0.5) -> list[str]:
    """Write the site's sources under `root` (_posts/ and, for the older `moved_share` of the
    posts, old_post/); returns their paths. An article listed under a second category has one
    source: the alias is the site's doing, not the generator's."""
    articles = sorted((a for a in site.articles if not a.alias_of), key=lambda a: a.published)
    moved_count = int(len(articles) * moved_share)
    paths = []
    for n, article in enumerate(articles):
        path = source_path(article, moved=n < moved_count)
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(post_source(article), encoding="utf-8")
        paths.append(path)
    return paths
