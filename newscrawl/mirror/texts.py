"""Invented Chinese financial news text for the generated mirror: distinct, figure-rich,
deterministic from a random.Random. No real article text is reused."""

from __future__ import annotations

import random

COMPANIES = (
    "贵州茅台 宁德时代 比亚迪 招商银行 中国平安 隆基绿能 中信证券 美的集团 海天味业 东方财富 "
    "工商银行 迈瑞医疗 药明康德 中芯国际 京东方A 紫金矿业 长江电力 恒瑞医药 格力电器 五粮液 "
    "伊利股份 三一重工 海康威视 片仔癀 牧原股份 中国中免 立讯精密 阳光电源 通威股份 万华化学"
).split()
SECTORS = "新能源 半导体 白酒 医药 银行 券商 光伏 军工 房地产 消费电子 汽车 煤炭 有色金属 人工智能 储能".split()
UPDOWN = ("上涨", "下跌")

_SENTENCES = (
    "{co}公告，公司前三季度实现营业收入{yi}亿元，同比增长{pct}%，净利润{yi2}亿元。",
    "{sec}板块今日{ud}{pct}%，{co}盘中{ud}超{pct2}%，成交额达{yi}亿元。",
    "北向资金今日净流入{yi}亿元，其中沪股通净流入{yi2}亿元，深股通净流入{yi3}亿元。",
    "{co}拟投资{yi}亿元建设{sec}项目，预计{year}年建成投产，达产后年产值约{yi2}亿元。",
    "截至{month}月{day}日，{co}累计回购股份{n}万股，占公司总股本的{pct2}%，成交总金额{yi}亿元。",
    "{co}在投资者互动平台表示，公司{sec}业务订单饱满，目前产能利用率超过{pct3}%。",
    "人民币兑美元中间价报6.{fx}，较前一交易日{ud}{bp}个基点。",
    "{co}股价收涨{pct}%，报{price}元，换手率{pct2}%，总市值{yi}亿元。",
    "据{co}披露，公司{month}月份{sec}产品销量为{n}台，同比增长{pct}%，环比增长{pct2}%。",
    "机构人士表示，{sec}行业的景气度有望延续，预计{year}年{co}等龙头公司净利润增速在{pct3}%左右。",
    "{co}发布公告称，公司控股股东计划在未来{m}个月内增持公司股份，金额不低于{yi}亿元。",
    "今日两市成交额{yi4}亿元，较上一交易日{ud}{yi}亿元，{sec}、{sec2}板块涨幅居前。",
    "{co}与{co2}签署战略合作协议，双方将在{sec}领域共同投资{yi}亿元，合作期限{m}年。",
    "{co}中标{n}万元{sec}项目，约占公司上年度经审计营业收入的{pct2}%。",
    "{month}月{day}日，{co}召开业绩说明会，公司表示{sec}业务毛利率已回升至{pct3}.{bp}%。",
    "{co}披露定增预案，拟募集资金不超过{yi}亿元，发行价格为{price}元/股。",
    "{co}第{q}大股东于{month}月{day}日减持{n}万股，减持均价{price}元，套现约{yi3}亿元。",
    "国家统计局数据显示，{month}月{sec}行业增加值同比增长{pct2}%，增速较上月加快{bp}个基点。",
    "{co}获{n}家机构调研，机构关注公司{sec}业务进展，公司预计{year}年相关收入达{yi2}亿元。",
    "融资余额较前一交易日增加{yi3}亿元，其中{co}获融资净买入{yi2}亿元，居两市首位。",
)
_TITLES = (
    "{co}：前三季度营收同比增长{pct}%",
    "{sec}板块{ud}{pct}% {co}领{ud1}",
    "北向资金净流入{yi}亿元",
    "{co}拟投资{yi}亿元布局{sec}",
    "{co}累计回购{n}万股",
    "{co}：{sec}业务产能利用率超{pct3}%",
    "{co}{month}月{sec}产品销量同比增长{pct}%",
    "{co}控股股东拟增持不低于{yi}亿元",
)


def _slots(rng: random.Random) -> dict[str, object]:
    ud = rng.choice(UPDOWN)
    return {
        "co": rng.choice(COMPANIES),
        "co2": rng.choice(COMPANIES),
        "sec": rng.choice(SECTORS),
        "sec2": rng.choice(SECTORS),
        "ud": ud,
        "ud1": ud[0],
        "pct": f"{rng.uniform(0.1, 60):.2f}",
        "pct2": f"{rng.uniform(0.1, 9.9):.2f}",
        "pct3": f"{rng.uniform(60, 99):.1f}",
        "yi": f"{rng.uniform(1, 900):.2f}",
        "yi2": f"{rng.uniform(1, 300):.2f}",
        "yi3": f"{rng.uniform(1, 100):.2f}",
        "yi4": rng.randint(6000, 14000),
        "n": rng.randint(100, 99999),
        "year": rng.randint(2022, 2026),
        "month": rng.randint(1, 12),
        "day": rng.randint(1, 28),
        "fx": rng.randint(3000, 9999),
        "bp": rng.randint(1, 300),
        "price": f"{rng.uniform(3, 2000):.2f}",
        "q": rng.choice("一二三四"),
        "m": rng.randint(3, 12),
    }


def title(rng: random.Random) -> str:
    return rng.choice(_TITLES).format(**_slots(rng))


def paragraph(rng: random.Random, sentences: int) -> str:
    return "".join(rng.choice(_SENTENCES).format(**_slots(rng)) for _ in range(sentences))
