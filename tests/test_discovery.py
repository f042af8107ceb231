"""Where category pages are learned: posts' back-links and URL folders, and listing links."""

from __future__ import annotations

from pathlib import Path

from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.http import MirrorResponse
from newscrawl.mirror.runner import crawl_through_mirror
from newscrawl.parsing.listing import listing_links
from newscrawl.parsing.urls import SITE_ROOT

SITE = SITE_ROOT.rstrip("/")


def test_a_listing_s_category_links_are_found_but_not_its_own(page) -> None:
    html = page("category_huaxiashibao.html").replace(
        "</section>", '</section><nav><a href="/category/Wind.html">Wind</a><a href="../category/emnews.html">东财</a></nav>')
    found = listing_links(html, f"{SITE}/category/huaxiashibao.html")
    assert found.categories == [f"{SITE}/category/Wind.html", f"{SITE}/category/emnews.html"]
    assert found.posts and all("/category/" not in p for p in found.posts)


class HiddenCategory:
    """The generated site, and a category no post's back-link names, linked only from the home
    page's navigation: its page lists posts found nowhere else."""

    def __init__(self, site: GeneratedSite, count: int = 6) -> None:
        self.site = site
        donors = [a for a in site.articles if not (a.planted or a.alias_of or a.share_case or a.gbk) and a.shape == "B"]
        self.posts: dict[str, bytes] = {}
        for n, donor in enumerate(donors[:count]):
            new_id = f"{donor.id[:8]}{int(donor.id[8:]) + 50 + n:010d}"
            body = site.site_page(donor.path).body.decode("utf-8").replace(donor.id, new_id)
            self.posts[f"/yincang/{donor.shown:%Y/%m/%d}/{new_id}.html"] = body.encode("utf-8")

    @property
    def hidden_ids(self) -> set[str]:
        return {path.rsplit("/", 1)[-1].removesuffix(".html") for path in self.posts}

    def site_page(self, path: str) -> MirrorResponse:
        if path == "/category/yincang.html":
            items = "".join(f'<li><a href="{p}">隐藏{n}</a></li>' for n, p in enumerate(self.posts))
            return MirrorResponse.html(f"<html><body><section><ul>{items}</ul></section></body></html>")
        if path in self.posts:
            return MirrorResponse.html(self.posts[path].decode("utf-8"))
        answer = self.site.site_page(path)
        if path in ("/", "/index.html"):
            # The same page behind a query and a fragment: asked once, as its own URL.
            links = "".join(f'<a href="/category/yincang.html{tail}">隐藏新闻</a>' for tail in ("", "?p=2", "?p=3", "#top"))
            nav = f'<nav>{links}</nav></body>'
            return MirrorResponse.html(answer.body.decode("utf-8").replace("</body>", nav, 1))
        return answer

    def share_answer(self, share_id: str) -> MirrorResponse:
        return self.site.share_answer(share_id)


def test_a_category_linked_only_from_a_listing_is_crawled(serve, tmp_path: Path) -> None:
    from newscrawl.archive import ArchiveReader

    backend = HiddenCategory(GeneratedSite(articles=60, seed=31))
    proxy = serve(backend)
    result = crawl_through_mirror(proxy.url, tmp_path)
    assert result.returncode == 0, result.log[-2000:]
    reader = ArchiveReader.open(tmp_path / "newscrawl.db")
    archived = {r["id"] for r in reader.articles.rows_where(select="id")}
    reader.close()
    assert backend.hidden_ids <= archived
    # Each category page once, however many posts and listings name it.
    targets = [r.target for r in proxy.requests if "/category/" in r.target]
    assert len(targets) == len(set(targets))
    assert [t for t in targets if "yincang" in t] == ["/category/yincang.html"]


def test_category_pages_a_url_folder_guesses_wrong_are_not_failures(serve, tmp_path: Path) -> None:
    """Jekyll lowercases the folders (`/wind/…` for the category `Wind`): the guessed
    /category/wind.html 404s, counted apart from the crawl's failures."""
    site = GeneratedSite(articles=60, seed=31)
    proxy = serve(site)
    result = crawl_through_mirror(proxy.url, tmp_path)
    assert result.returncode == 0
    stats = result.stats
    missing = stats.get("newscrawl/finews/guessed_category_missing", 0)
    assert missing >= 1
    assert "newscrawl/finews/fetch_error/http_404" not in stats, [
        r.target for r in proxy.requests if r.status == 404]
