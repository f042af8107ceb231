"""Planted events in the generated site: several write-ups of one event, and look-alikes.

An event is written up three times by consecutive plain articles (minutes apart): a company's
flash announcement, a fuller report of the deal, a market note on its shares. The three share
little wording (character 3-gram Jaccard under 0.15) but name the same company, stock code
and figure: one story. Beside each, a look-alike: the flash's template for another company
(another code, city and figure) — another event, however alike. And a pair of look-alikes
with one subject: the same broker's rating of two companies, minutes apart (one template, one
broker, two events).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from newscrawl.mirror.plants import _plain, _share_html

_EVENTS = [("星澜半导体", "688901", "合肥", "12.6亿元"), ("川禾新材料", "301877", "成都", "8.35亿元"),
           ("海岳智慧物流", "603559", "宁波", "21.4亿元"), ("北辰储能科技", "002988", "西安", "5.72亿元")]
_LOOKALIKES = [("云岭半导体", "688917", "苏州", "9.8亿元"), ("江汉新材料", "301845", "重庆", "6.15亿元"),
               ("闽台智慧物流", "603571", "厦门", "17.2亿元"), ("南岭储能科技", "002961", "兰州", "3.46亿元")]
_RATED = [(("国信证券", "华峰精密", "300986", "38.5元"), ("国信证券", "瑞丰电子", "300972", "26.8元")),
          (("中信建投", "东湖生物", "688356", "72元"), ("中信建投", "南湖医疗", "688362", "55元")),
          (("海通证券", "金桥重工", "601226", "11.2元"), ("海通证券", "银桥装备", "601238", "9.6元")),
          (("招商证券", "恒远食品", "603897", "45元"), ("招商证券", "恒达饮品", "603873", "31元"))]
_FIRST = 30  # plain articles before these are the dedup cases' and the revised ones


@dataclass(frozen=True)
class PlantedEvents:
    events: tuple[tuple[str, ...], ...]  # the ids of each event's write-ups
    lookalikes: tuple[tuple[str, str], ...]  # (an id of the event, the look-alike's id)
    rated: tuple[tuple[str, str], ...] = ()  # one broker's ratings of two companies: two events


def _flash(co: str, code: str, city: str, figure: str) -> tuple[str, list[str]]:
    return f"{co}：拟投资{figure}在{city}建设新工厂", [f"{co}({code})公告，公司拟投资{figure}在{city}建设新工厂，项目建设期两年。"]


def _report(co: str, code: str, city: str, figure: str) -> tuple[str, list[str]]:
    return f"{city}再添先进制造项目 {co}{figure}生产基地签约", [
        f"{city}市政府与{co}({code})签署投资协议，后者将在当地投资{figure}建设生产基地。",
        "根据协议，项目分两期建设，达产后预计带动上下游配套企业集聚。",
        "公司董事会秘书表示，此次投资是公司产能扩张计划的重要一步。"]


def _market(co: str, code: str, city: str, figure: str) -> tuple[str, list[str]]:
    return f"{co}盘中涨停 {figure}扩产计划获资金追捧", [
        f"{co}({code})今日盘中封住涨停。消息面上，公司公告拟投资{figure}扩大产能。",
        "分析人士认为，新产能释放将提升公司的市场份额。"]


def _rating(broker: str, co: str, code: str, price: str) -> tuple[str, list[str]]:
    return f"{broker}：维持{co}买入评级", [f"{broker}发布研究报告，维持{co}({code})买入评级，目标价{price}。",
                                         "报告认为，公司订单饱满，全年业绩有望保持增长。"]


def plant_events(articles: list[Any], count: int) -> PlantedEvents:
    """Rewrite plain articles in place into `count` events (at most 4) and their look-alikes."""
    plain = _plain(articles)[_FIRST:]
    events, lookalikes, rated = [], [], []
    for n, (event, lookalike, (one, other)) in enumerate(zip(_EVENTS[:count], _LOOKALIKES, _RATED, strict=False)):
        writers = plain[6 * n : 6 * n + 6]
        if len(writers) < 6:
            break
        texts = (_flash(*event), _report(*event), _market(*event), _flash(*lookalike), _rating(*one), _rating(*other))
        for article, (title, paragraphs) in zip(writers, texts, strict=True):
            article.title, article.paragraphs, article.digest, article.source = title, paragraphs, None, None
            article.share_html = _share_html(paragraphs)
        events.append(tuple(a.id for a in writers[:3]))
        lookalikes.append((writers[0].id, writers[3].id))
        rated.append((writers[4].id, writers[5].id))
    return PlantedEvents(tuple(events), tuple(lookalikes), tuple(rated))
