"""The same-story test and its keys, on real-shaped texts (the sample's 北向资金 updates)."""

from __future__ import annotations

from newscrawl.processing.similarity import (
    DedupSettings,
    content_key,
    figures,
    index_keys,
    normalize,
    same_story,
)


def test_content_key_ignores_white_space_and_width() -> None:
    assert content_key("北向资金 净流入超４０亿元。") == content_key("北向资金净流入超40亿元。")
    assert content_key("") is None


def test_a_prefix_added_is_the_same_story() -> None:
    assert same_story(normalize("北向资金净流入超40亿元。"), normalize("数据显示，截至目前，北向资金净流入超40亿元。")) > 0


def test_a_figure_update_is_a_different_story() -> None:
    for later in ("北向资金净流入超50亿元。", "北向资金净流入达80亿元。", "北向资金净流入超40亿元，截至收盘超50亿元。"):
        assert same_story(normalize("北向资金净流入超40亿元。"), normalize(later)) == 0


def test_a_flash_inside_a_long_article_is_not_its_duplicate() -> None:
    flash = normalize("恒大汽车短线下挫，现跌超5%。")
    article = normalize("恒大汽车短线下挫，现跌超5%。" + "公司公告称，将继续推进恒驰5的量产交付，并积极改善现金流。" * 6)
    assert same_story(flash, article) == 0


def test_very_short_texts_only_match_exactly() -> None:
    assert same_story(normalize("涨停。"), normalize("涨停！")) == 0


def test_wording_alone_below_the_threshold_is_not_enough() -> None:
    a = normalize("宁德时代公告，公司前三季度实现营业收入120.5亿元，同比增长30.1%。")
    b = normalize("比亚迪公告，公司前三季度营收大幅增长，新能源汽车销量创新高。")
    assert same_story(a, b) == 0


def test_threshold_is_a_setting() -> None:
    a, b = normalize("中信证券发布公告称，公司控股股东计划增持。"), normalize("中信证券公告称，控股股东计划增持公司股份。")
    assert same_story(a, b, DedupSettings(threshold=0.1)) > 0
    assert same_story(a, b, DedupSettings(threshold=0.99, containment=1.0)) == 0


def test_figures_ignore_thousands_separators() -> None:
    assert figures(normalize("回购11,910,000美元，占比1.5%")) == {"11910000", "1.5"}


def test_index_keys_are_stable_and_shared_by_a_copy() -> None:
    a, b = normalize("北向资金净流入超40亿元。"), normalize("数据显示，截至目前，北向资金净流入超40亿元。")
    assert index_keys(a) == index_keys(a) and set(index_keys(a)) & set(index_keys(b))
    unrelated = normalize("宁德时代公告，公司前三季度实现营业收入120.5亿元，同比增长30.1%。")
    assert not set(index_keys(a)) & set(index_keys(unrelated))
