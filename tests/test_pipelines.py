"""Validation and the basic clean: what is dropped, with which reason, and what is tidied."""

from __future__ import annotations

from itemadapter import ItemAdapter

from newscrawl.items import Article
from newscrawl.pipelines.clean import CleanArticlePipeline
from newscrawl.pipelines.validate import problem


def _article(**fields: object) -> Article:
    base = dict(id="202112082206672930", url="https://finews.withounder.com/emnews/2021/12/08/202112082206672930.html",
                title="离岸人民币升至新高", site_published_at="2021-12-08T18:46:18+08:00")
    return Article(**{**base, **fields})


def test_complete_article_passes() -> None:
    assert problem(ItemAdapter(_article())) is None


def test_reasons_name_the_first_missing_field() -> None:
    assert problem(ItemAdapter(_article(id=None))) == "missing_id"
    assert problem(ItemAdapter(_article(id="init"))) == "missing_id"
    assert problem(ItemAdapter(_article(title="  "))) == "missing_title"
    assert problem(ItemAdapter(_article(site_published_at=None))) == "missing_date"
    assert problem(ItemAdapter(_article(site_published_at="2021-13-40"))) == "bad_date"


def test_clean_normalizes_title_and_tags_and_empties() -> None:
    item = _article(title="  离岸人民币\u3000升至\n新高 ", tags=[" 东财滚动新闻 ", ""], digest="  ",
                    category="21shijijingjibaodao  nancailicaitong")
    CleanArticlePipeline().process_item(item)
    assert item.title == "离岸人民币 升至 新高"
    assert item.tags == ["东财滚动新闻"]
    assert item.digest is None
    assert item.category == "21shijijingjibaodao  nancailicaitong"


def test_ids_must_be_ascii_digits() -> None:
    assert problem(ItemAdapter(_article(id="２０２１１２０８２２０６６７２９３０"))) == "missing_id"


class _Stats(dict):
    def inc_value(self, key: str, count: int = 1) -> None:
        self[key] = self.get(key, 0) + count


def test_a_body_taken_from_a_share_answer_is_sanitized(tmp_path) -> None:
    from newscrawl.archive import Archive
    from newscrawl.pipelines.dedup import DedupArticlePipeline
    from newscrawl.pipelines.store import StoreArticlePipeline
    from newscrawl.processing.merge import merge_share

    archive, stats = Archive(tmp_path / "a.db"), _Stats()
    steps = (CleanArticlePipeline(), DedupArticlePipeline(archive, stats), StoreArticlePipeline(archive, stats))
    link = "http://choicewzp1.eastmoney.com/html_News/NewsShare.html?infoCode=NW202205262391900009"
    post = _article(id="202205262391900009", title="标题", body_html="<p>标题</p>", share_url=link)
    answer = {"source_title": "标题", "source_published_at": "2022-05-26T08:00:00+08:00", "source_media": "证券时报",
              "source_body_html": '<p onclick="steal()">一段很长的正文内容。</p><script>alert(1)</script>',
              "source_body_text": "一段很长的正文内容。"}
    share_only = Article(**merge_share({"id": post.id, "url": link, "share_url": link}, answer))
    for item in (post, share_only):
        for step in steps:
            item = step.process_item(item)
    row = archive.get(post.id)
    assert row["body_html"] == "<p>一段很长的正文内容。</p>" and row["body_text"] == "一段很长的正文内容。"
    assert stats["newscrawl/dedup/revised"] == 1


def test_a_copy_rewritten_into_other_news_leaves_its_cluster(tmp_path) -> None:
    from newscrawl.archive import Archive
    from newscrawl.pipelines.dedup import DedupArticlePipeline
    from newscrawl.pipelines.store import StoreArticlePipeline

    archive, stats = Archive(tmp_path / "a.db"), _Stats()
    steps = (CleanArticlePipeline(), DedupArticlePipeline(archive, stats), StoreArticlePipeline(archive, stats))
    text = "<p>在岸人民币兑美元升至2018年5月以来新高，现报6.3565。</p>"
    items = [_article(id="202112082206748961", url="https://finews.withounder.com/emnews/2021/12/08/202112082206748961.html", body_html=text),
             _article(id="202112082206749391", body_html=text),
             _article(id="202112082206749391", body_html="<p>华兰生物：目前公司流感疫苗覆盖全国2500多家疾控中心。</p>")]
    for item in items:
        for step in steps:
            item = step.process_item(item)
    rewritten = archive.get("202112082206749391")
    assert rewritten["duplicate_of"] is None and rewritten["cluster_id"] == "202112082206749391"
    assert {r["cluster_id"]: r["size"] for r in archive.clusters.rows} == {
        "202112082206748961": 1, "202112082206749391": 1}
    assert stats["newscrawl/dedup/same_content"] == 1 and stats["newscrawl/dedup/revised"] == 1
