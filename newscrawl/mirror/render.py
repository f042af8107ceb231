"""Render pages the way the real site's Jekyll build does (layouts in SITE.md).

The quirks are the real ones: og:description holds the raw, unescaped post HTML; the <h1>
holds the raw title; post URLs split categories with spaces into lowercased segments.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from datetime import datetime

SITE = "https://finews.withounder.com"
_EMPTY_LINE = "\n  \n"


def _head(title: str, og_description: str, path: str, seo: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="X-UA-Compatible" content="IE=edge">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta content="ZNing" name="author" />
    <meta property="og:type" content="website" />
    <meta property="og:title" content="{title}">
    <meta property="og:description" content="{og_description}">
    <meta property="og:image" content="https://withounder.com/images/newzningnetcircle.png">
    <meta property="og:url" content="https://finews.zning.me{path}">
    <meta name="theme-color" content="#1976D2">
    <link rel="shortcut icon" href="https://withounder.com/images/favicon.ico">

<!-- Begin Jekyll SEO tag v2.8.0 -->
{seo}
<!-- End Jekyll SEO tag -->

    <link rel="stylesheet" href="/assets/css/style.css?v=">
    <script type="text/JavaScript">
      function AutoRefresh( t ) {{
       setTimeout("location.reload(true);", t);
      }}
    </script>
  </head>
  <body onload="JavaScript:AutoRefresh(60000);">
    <div class="wrapper">
      <header>
        <h1><a href="{SITE}/">金融消息</a></h1>

        <p></p>

      </header>
      <section>

      """


_FOOT = """
      </section>
      <footer>
        <p>&copy; 2021</p>
      </footer>
    </div>
    <script src="/assets/js/scale.fix.js"></script>
  </body>
</html>
"""


def _seo(title: str, path: str, description: str = "", published: datetime | None = None) -> str:
    url = SITE + path
    t = html.escape(title)
    lines = [f"<title>{t} | 金融消息</title>", '<meta name="generator" content="Jekyll v4.3.1" />',
             f'<meta property="og:title" content="{t}" />', '<meta name="author" content="ZNing" />',
             '<meta property="og:locale" content="zh_CN" />']
    if description:
        d = html.escape(description)
        lines += [f'<meta name="description" content="{d}" />', f'<meta property="og:description" content="{d}" />']
    lines += [f'<link rel="canonical" href="{url}" />', f'<meta property="og:url" content="{url}" />',
              '<meta property="og:site_name" content="金融消息" />',
              f'<meta property="og:type" content="{"article" if published else "website"}" />']
    ld: dict[str, object] = {"@context": "https://schema.org", "@type": "BlogPosting" if published else "WebPage",
                             "author": {"@type": "Person", "name": "ZNing"}}
    if published:
        stamp = published.isoformat()
        lines.append(f'<meta property="article:published_time" content="{stamp}" />')
        ld.update(dateModified=stamp, datePublished=stamp, description=description)
    ld.update(headline=title, url=url)
    lines += ['<meta name="twitter:card" content="summary" />', f'<meta property="twitter:title" content="{t}" />',
              '<script type="application/ld+json">', json.dumps(ld, ensure_ascii=False) + "</script>"]
    return "\n".join(lines)


def post_page(title: str, path: str, shown: datetime | None, content: str, tags: list[str], summary: str) -> str:
    """A post in the `post` layout inside the `default` layout."""
    date_line = shown.strftime("%Y-%m-%d %H:%M:%S") if shown else ""
    tag_line = f"  <small>tags: <em>{'</em> - <em>'.join(tags)}</em></small>\n" if tags else ""
    body = (f"<small>(GMT+8, Asia/Shanghai, CST) {date_line}</small>\n<h1>{title}</h1>\n\n{content}\n\n\n\n"
            f"{tag_line}\n\n")
    return _head(title, content, path, _seo(title, path, summary, shown)) + body + _FOOT


def bare_page(markdown_text: str) -> str:
    """A post whose front matter is not at byte 0: Jekyll publishes it without layout."""
    paragraphs = [p for p in markdown_text.split("\n\n") if p.strip()]
    return "\n<hr />\n" + "\n\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs) + "\n"


def listing_links(posts: Iterable[tuple[str, str]]) -> str:
    return "".join(f'{_EMPTY_LINE}    <li><a href="{path}">{title}</a></li>' for path, title in posts)


def category_page(slug: str, page_title: str, tag: str | None, posts: list[tuple[str, str]]) -> str:
    path = f"/category/{slug}.html"
    heading = f'\n<h2 id="{tag}">{tag}</h2>\n' if posts and tag is not None else ""
    body = f"\n{heading}\n<ul>{listing_links(posts)}\n</ul>\n"
    return _head(page_title, "", path, _seo(page_title, path)) + body + _FOOT


def home_page(sections: list[tuple[str, list[tuple[str, str]]]]) -> str:
    parts = [f'\n<h2 id="{tag}">{tag}</h2>\n<ul>{listing_links(posts)}\n  </ul>\n<hr />\n' for tag, posts in sections]
    return _head("首页", "", "/", _seo("首页", "/")) + "".join(parts) + _FOOT


def feed(entries: list[tuple[str, str, datetime, str, list[str]]], updated: datetime) -> str:
    """jekyll-feed's Atom: (path, title, shown time, content, terms) of the newest posts."""
    out = [f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">'
           f'<generator uri="https://jekyllrb.com/" version="4.3.1">Jekyll</generator>'
           f'<link href="{SITE}/feed.xml" rel="self" type="application/atom+xml" />'
           f'<link href="{SITE}/" rel="alternate" type="text/html" hreflang="zh-CN" />'
           f"<updated>{updated.isoformat()}</updated><id>{SITE}/feed.xml</id>"
           f'<title type="html">金融消息</title><author><name>ZNing</name></author>']
    for path, title, shown, content, terms in entries:
        t = html.escape(title)
        cats = "".join(f'<category term="{html.escape(term)}" />' for term in terms)
        out.append(f'<entry><title type="html">{t}</title><link href="{SITE}{path}" rel="alternate" '
                   f'type="text/html" title="{t}" /><published>{shown.isoformat()}</published>'
                   f"<updated>{shown.isoformat()}</updated><id>{SITE}{path.removesuffix('.html')}</id>"
                   f'<content type="html" xml:base="{SITE}{path}"><![CDATA[{content}]]></content>'
                   f"<author><name>ZNing</name></author>{cats}</entry>")
    return "".join(out) + "</feed>"


def not_found_page() -> str:
    body = ('<h2 id="404-找不到页面-page-not-found">404 找不到页面 Page Not Found</h2>\n\n'
            "<p>此页面不存在，您可能访问了过期的消息或者输入错误的网址。</p>\n\n"
            "<p>本站消息时效性为三天，三天前的消息已归档</p>\n")
    return _head("404", "", "/404.html", _seo("404", "/404.html")) + body + _FOOT
