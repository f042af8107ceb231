"""Planted events in the generated site: several write-ups of one event, and look-alikes.

An event is written up three times by consecutive plain articles (minutes apart): a company's
flash announcement, a fuller report of the deal, a market note on its shares. The three share
little wording (character 3-gram Jaccard under 0.15) but name the same company, stock code
and figure: one story. Beside each, a look-alike: the flash's template for another company
(another code, city and figure) — another event, however alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from newscrawl.mirror.plants import _plain, _share_html

_EVENTS = [("星澜半导体", "688901", "合肥", "12.6亿元"), ("川禾新材料", "301877", "成都", "8.35亿元"),
           ("海岳智慧物流", "603559", "宁波", "21.4亿元"), ("北辰储能科技", "002988", "西安", "5.72亿元")]
_LOOKALIKES = [("云岭半导体", "688917", "苏州", "9.8亿元"), ("江汉新材料", "301845", "重庆", "6.15亿元"),
               ("闽台智慧物流", "603571", "厦门", "17.2亿元"), ("南岭储能科技", "002961", "兰州", "3.46亿元")]
_FIRST = 30  # plain articles before these are the dedup cases' and the revised ones


@dataclass(frozen=True)
class PlantedEvents:
    events: tuple[tuple[str, ...], ...]  # the ids of each event's write-ups
    lookalikes: tuple[tuple[str, str], ...]  # (an id of the event, the look-alike's id)


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


def plant_events(articles: list[Any], count: int) -> PlantedEvents:
    """Rewrite plain articles in place into `count` events (at most 4) and their look-alikes."""
    plain = _plain(articles)[_FIRST:]
    events, lookalikes = [], []
    for n, (event, lookalike) in enumerate(zip(_EVENTS[:count], _LOOKALIKES, strict=False)):
        writers = plain[4 * n : 4 * n + 4]
        if len(writers) < 4:
            break
        for article, (title, paragraphs) in zip(writers, (_flash(*event), _report(*event), _market(*event),
                                                          _flash(*lookalike)), strict=True):
            article.title, article.paragraphs, article.digest, article.source = title, paragraphs, None, None
            article.share_html = _share_html(paragraphs)
        events.append(tuple(a.id for a in writers[:3]))
        lookalikes.append((writers[0].id, writers[3].id))
    return PlantedEvents(tuple(events), tuple(lookalikes))
