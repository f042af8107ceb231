"""A generated finews site, deterministic from a seed: 10 to 100,000 articles.

Same URLs and HTML shapes as the real Jekyll build (render.py), the three content shapes,
the real quirks (8-hour-late dates, a page in GBK, split categories missing from their own category page,
raw og:description, 404ing back-links, entities, U+3000 indentation), share answers for
every article, and planted bad pages that a correct crawl drops with a counted reason.
`expected()` gives the fields a correct crawl archives for every valid article.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cached_property, lru_cache
from typing import Any

from newscrawl.mirror import render
from newscrawl.mirror.events import plant_events
from newscrawl.mirror.http import MirrorResponse
from newscrawl.mirror.plants import plant_duplicates, revise
from newscrawl.mirror.shareanswers import SHARE_CASES, UNSAFE_LINKS, expected_share_fields, share_response
from newscrawl.mirror.texts import paragraph
from newscrawl.mirror.texts import title as make_title

BEIJING = timezone(timedelta(hours=8))
# The newest generated post; fixed so that a seed always gives the same site.
NEWEST = datetime(2022, 5, 26, 12, 0, 0, tzinfo=BEIJING)
RETENTION = timedelta(days=3)
EMNEWS = ("东财滚动", "emnews")
# (media name, category slug as the generator writes it). Slugs with spaces, capitals and
# parentheses are the real ones' shapes (SITE.md).
MEDIA = (
    ("华夏时报", "huaxiashibao"), ("21世纪经济报道", "21shijijingjibaodao"), ("上海证券报", "shanghaizhengquanbao"),
    ("中国证券报", "zhongguozhengquanbao"), ("证券时报", "zhengquanshibao"), ("第一财经", "diyicaijing"),
    ("每日经济新闻", "meirijingjixinwen"), ("经济观察报", "jingjiguanchabao"), ("中国基金报", "zhongguojijinbao"),
    ("36氪", "36ke"), ("Wind", "Wind"), ("21世纪经济报道  南财理财通", "21shijijingjibaodao  nancailicaitong"),
    ("21世纪经济报道 21财经APP", "21shijijingjibaodao 21caijingAPP"),
    ("安信国际证券(香港)", "anxinguojizhengquan(xianggang)"), ("Career In 投行PEVC", "Career In touxingPEVC"),
    ("证券日报", "zhengquanribao"), ("界面", "jiemian"), ("财联社", "cailianshe"),
)
EASTMONEY_HOSTS = ("finance", "stock", "hk", "futures", "mss")
# Planted pages a correct crawl drops, with the reason it counts them under.
# The site has a category page for each media slug, none for the words of a split slug;
# a split slug none of whose words has a page is reachable only from the home page (5 newest
# per tag) and the feed, as on the real site, so the generator keeps such media to 5 posts.
PAGED = frozenset(slug for _, slug in (*MEDIA, EMNEWS))
HOME_ONLY_LIMIT = 5
PLANTED = {"missing_title": "missing_title", "missing_date": "missing_date", "no_layout": "no_layout",
           "truncated": "no_layout"}


@dataclass
class GenArticle:
    id: str
    published: datetime  # the real (Beijing) time
    shifted: bool  # front matter without offset: the page shows it 8 hours late
    media: str
    slug: str
    shape: str  # "A" 东财滚动新闻, "B" media full text, "C" digest-only media post
    title: str
    digest: str | None
    paragraphs: list[str]
    source: str | None
    share_url: str
    share_id: str
    nav: str
    planted: str | None = None
    share_html: str = ""  # the body the share host answers with
    share_case: str | None = None  # a planted share answer (shareanswers.SHARE_CASES)
    gbk: bool = False
    alias_of: str | None = None  # the same article published under a second category

    @property
    def shown(self) -> datetime:
        return self.published + timedelta(hours=8) if self.shifted else self.published

    @property
    def tags(self) -> list[str]:
        return f"{self.media}新闻".split()

    @property
    def path(self) -> str:
        cats = "".join(f"/{c.lower()}" for c in self.slug.split()) if self.planted != "no_layout" else ""
        return f"{cats}/{self.shown:%Y/%m/%d}/{self.id}.html"


class GeneratedSite:
    """The generated site as a mirror backend (site pages by path, share answers by id)."""

    def __init__(self, articles: int = 300, seed: int = 1, revised: int = 0, added: int = 0, events: int = 0) -> None:
        self.seed = seed
        rng = random.Random(seed)
        self._home_only_posts = 0
        step = timedelta(seconds=max(1, int(RETENTION.total_seconds()) // articles))
        self.articles = [self._article(rng, i, articles, NEWEST - step * i) for i in range(articles)]
        planted_rng = random.Random(seed + 1)
        for n, kind in enumerate(PLANTED):
            self.articles.append(self._article(planted_rng, articles + n, articles + len(PLANTED),
                                               NEWEST - step * (n * 7 + 3), planted=kind))
        self.dedup_cases, aliases = plant_duplicates(self.articles, MEDIA)
        self.revised_ids = revise(self.articles, revised)
        self.events = plant_events(self.articles, events)  # several write-ups of one event, and look-alikes
        # A later edition: `added` articles published after all others, the rest unchanged.
        added_rng, first = random.Random(seed + 2), articles + len(PLANTED)
        self.added_ids = []
        for k in range(added):
            article = self._article(added_rng, -(first + k + 1), articles, NEWEST + step * (k + 1))
            self.articles.append(article)
            self.added_ids.append(article.id)
        self.by_share_id = {a.share_id: a for a in self.articles}
        self.articles += aliases
        self.by_path = {a.path: a for a in self.articles}
        # Per-instance caches: rendering is the mirror's hot path in benchmarks.
        self._post_bytes = lru_cache(maxsize=4096)(self._render_post)
        self._category = lru_cache(maxsize=256)(self._render_category)

    # --- the data ------------------------------------------------------------------------
    def _article(self, rng: random.Random, i: int, n: int, published: datetime, planted: str | None = None) -> GenArticle:
        seq = 2_200_000_000 + (n - i) * 97 + rng.randrange(97)
        article_id = f"{published:%Y%m%d}{seq:010d}"
        roll = rng.random()
        # Planted pages go to 东财滚动新闻, whose category page every crawl learns of.
        shape = "A" if roll < 0.5 or planted else ("B" if roll < 0.85 else "C")
        media, slug = EMNEWS if shape == "A" else rng.choice(MEDIA)
        while _home_only(slug) and self._home_only_posts >= HOME_ONLY_LIMIT:
            media, slug = rng.choice(MEDIA)
        self._home_only_posts += _home_only(slug)
        title = make_title(rng)
        if rng.random() < 0.05:
            title = title.replace("：", "&", 1) if "：" in title else title + " A&H"
        full = [paragraph(rng, rng.randint(2, 3)) for _ in range(rng.randint(2, 6))]
        digest, paragraphs, source = None, full, None
        if shape == "A":
            if rng.random() < 0.3:
                digest, paragraphs = full[0], full[1:]
            else:
                paragraphs = full[:1]
            code = rng.choice((f"news/{rng.choice((1344, 1345, 1354, 1405, 11060))},", "a/"))
            share_url, share_id = f"http://{rng.choice(EASTMONEY_HOSTS)}.eastmoney.com/{code}{article_id}.html", article_id
            nav = rng.choice(("relative", "bare", "bare_joined"))
        else:
            host = "finews.zning.xyz" if shape == "B" else "choicewzp1.eastmoney.com"
            share_id = f"NW{article_id}"
            share_url, nav = f"http://{host}/html_News/NewsShare.html?infoCode={share_id}", "category"
            if shape == "C":  # a short title line + the digest; the full text is on the share host
                paragraphs = [title, full[0][: rng.randint(20, 60)]]
        if shape != "C" and rng.random() < 0.6:
            source = media if shape == "B" else rng.choice(MEDIA)[0]
        if shape == "B" and rng.random() < 0.3:
            paragraphs = ["\u3000\u3000" + p for p in paragraphs]
        if shape != "C" and rng.random() < 0.1:
            paragraphs = paragraphs + ["《<基加利修正案>》生效后，A&H股相关公司“双碳”布局加快。"]
        # The share host has the post's own text (东财 posts, with the digest as raw Markdown,
        # as the real one answers), the media post's paragraphs, or a digest-only post's full text.
        share_paragraphs = full if shape == "C" else paragraphs
        share_lead = f"> {digest}\n\n" if digest else ""
        # A planted bad page's share answer is missing too, so nothing recovers its title or date.
        share_case = "missing" if planted else SHARE_CASES.get(i)
        if share_case in UNSAFE_LINKS:
            share_url = UNSAFE_LINKS[share_case].format(id=article_id)
        return GenArticle(article_id, published, rng.random() < 0.7, media, slug, shape, title, digest,
                          paragraphs, source, share_url, share_id, nav, planted,
                          share_lead + "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in share_paragraphs),
                          share_case, gbk=i % 50 == 17)

    @cached_property
    def live(self) -> list[GenArticle]:
        """Published posts, newest first by the time the site shows."""
        return sorted(self.articles, key=lambda a: a.shown, reverse=True)

    def expected(self) -> list[dict[str, Any]]:
        """What a correct crawl archives: every article that is not a planted bad page."""
        out = []
        for a in self.articles:
            if a.planted or a.alias_of:
                continue
            body = [_text(p) for p in a.paragraphs]  # the 文章来源 line is the source field
            record = {
                "id": a.id, "url": render.SITE + a.path, "title": a.title,
                # Without a share answer too: the time is inferred from the post's neighbours.
                "site_published_at": a.shown.isoformat(), "published_at": a.published.isoformat(),
                "category": a.slug, "media": a.media, "tags": a.tags,
                "digest": _text(a.digest) if a.digest else None, "source": a.source,
                "share_url": a.share_url, "share_id": a.share_id, "body_text": "\n".join(body),
            }
            out.append(record | expected_share_fields(a, record["body_text"]))
        return out

    def planted_drops(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for reason in PLANTED.values():
            counts[reason] = counts.get(reason, 0) + 1
        return counts

    # --- the backend ---------------------------------------------------------------------
    def site_page(self, path: str) -> MirrorResponse:
        if path in ("/", "/index.html"):
            return MirrorResponse.html(self._home())
        if path == "/feed.xml":
            return MirrorResponse(200, self._feed().encode("utf-8"), "application/xml")
        if path.startswith("/category/") and path.endswith(".html"):
            return self._category(path[len("/category/"):-len(".html")])
        article = self.by_path.get(path)
        if article is None:
            return MirrorResponse.html(render.not_found_page(), 404)
        if article.gbk:
            # A page in a legacy Chinese encoding, declared in the HTTP header: decoded right,
            # it must archive exactly like its UTF-8 siblings.
            return MirrorResponse(200, self._post_bytes(article.path), "text/html; charset=gbk")
        return MirrorResponse(200, self._post_bytes(article.path))

    def share_answer(self, share_id: str) -> MirrorResponse:
        article = self.by_share_id.get(share_id)
        return share_response(article) if article else MirrorResponse.json({"error": "not found"}, 404)

    # --- pages ---------------------------------------------------------------------------
    def _content(self, a: GenArticle) -> str:
        parts = []
        if a.digest:
            parts.append(f"<blockquote>\n  <p>{html.escape(a.digest, quote=False)}</p>\n</blockquote>")
            parts.append('<p style="display:none;height:1px;overflow:hidden;"><br /></p>\n<!-- EM_StockImg_Start -->\n'
                         '<p style="text-align:center;"><img src="https://webquoteklinepic.eastmoney.com/GetPic.aspx?'
                         'nid=1.600519&amp;imageType=k" border="0" alt="K图 600519_0" /></p>\n<!-- EM_StockImg_End -->')
        parts += [f"<p>{html.escape(p, quote=False)}</p>" for p in a.paragraphs]
        if a.source:
            parts[-1] += f'<p class="em_media">（文章来源：{a.source}）</p>'
        parts.append(f'<p><a href="{html.escape(a.share_url)}">{html.escape(a.share_url, quote=False)}</a></p>')
        parts.append(_NAV[a.nav].format(slug=a.slug, media=a.media))
        return "\n\n".join(parts)

    def _render_post(self, path: str) -> bytes:
        a = self.by_path[path]
        content = self._content(a)
        if a.planted == "no_layout":
            return render.bare_page(f"---\nlayout: post\ntitle: \"{a.title}\"\n---\n\n" + "\n\n".join(a.paragraphs)).encode()
        title = "" if a.planted == "missing_title" else a.title
        shown = None if a.planted == "missing_date" else a.shown
        page = render.post_page(title, a.path, shown, content, a.tags, _text(a.paragraphs[0]))
        if a.planted == "missing_date":
            page = page.replace("<small>(GMT+8, Asia/Shanghai, CST) </small>", "<small></small>")
        data = page.replace('<meta charset="UTF-8">', '<meta charset="gbk">').encode("gb18030") if a.gbk else page.encode()
        return data[: len(data) // 3] if a.planted == "truncated" else data

    def _home(self) -> str:
        sections: dict[str, list[tuple[str, str]]] = {}
        for a in self.live:
            if a.planted == "no_layout":
                continue
            for tag in a.tags:
                if len(sections.setdefault(tag, [])) < 5:
                    sections[tag].append((a.path, a.title))
        return render.home_page(list(sections.items()))

    def _feed(self) -> str:
        newest = [a for a in self.live if not a.planted][:10]
        # jekyll-feed writes a term per category and per tag, both as Jekyll split them.
        entries = [(a.path, a.title, a.shown, self._content(a), [*a.slug.split(), *a.tags]) for a in newest]
        return render.feed(entries, NEWEST)

    def _render_category(self, slug: str) -> MirrorResponse:
        names = {s: m for m, s in (*MEDIA, EMNEWS)}
        # Jekyll split categories with spaces, so their own page lists nothing and the page of
        # each word that is itself a media slug lists them. Planted pages are listed on their
        # category page so that a crawl meets them.
        if slug not in PAGED:
            return MirrorResponse.html(render.not_found_page(), 404)
        posts = [(a.path, a.title) for a in self.live if " " not in slug and slug in a.slug.split()]
        return MirrorResponse.html(render.category_page(slug, f"{names[slug]}新闻", f"{names[slug]}新闻", posts))


def _home_only(slug: str) -> bool:
    return " " in slug and not any(word in PAGED for word in slug.split())


_NAV = {
    "relative": '<p><a href="../{slug}/">返回{media}新闻</a>\n<a href="../">返回首页</a></p>',
    "bare": '<p><a href="//finews.withounder.com/{slug}/">返回{media}新闻</a></p>',
    "bare_joined": '<p><a href="//finews.withounder.com/{slug}/">返回{media}新闻</a>｜<a href="//finews.withounder.com/">返回首页</a></p>',
    "category": '<p><a href="//finews.withounder.com/category/{slug}.html">返回{media}新闻</a>｜<a href="//finews.withounder.com/">返回首页</a></p>',
}


def _text(value: str) -> str:
    return " ".join(value.replace("\u3000", " ").split())
