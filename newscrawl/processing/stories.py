"""Stories, pure functions: which articles are write-ups of one event.

Near-duplicate detection (similarity.py) finds copies: the same text twice, syndicated, lightly
edited. Most real duplication is different: one event written up several times — a flash,
then a fuller story; two desks' midday reviews; a rating action reported twice — with little
text in common (character 3-gram Jaccard 0.0–0.36). What such write-ups share is what the event
is made of: its entities (stock codes, Latin names, quoted names, the title's subject), its
figures, and the rare words of the title and the lead. So an article is described by those
(`features`), each weighted by its rarity in the archive (IDF), and two articles within
WINDOW of each other are one event when the weighted overlap of their features is high and
nothing says they are different (`same_event`). Precision matters more than recall:

- two dates named in the texts that differ (12月7日 and 12月8日) are two events;
- two title subjects that differ (瑞银： and 瑞信：) are two events, and so are two alike titles
  that begin with different names (恒大汽车短线下挫, 融创中国短线下挫: two movers), that each name
  a thing of their own in one template (维持腾讯控股买入评级 / 维持美团买入评级), or that label
  their subject with different numbers (2年期 / 5年期国债: two auctions);
- on different days, figures each has and the other lacks (the daily auction's results) make
  two events;
- on one day, titles that differ only in their figures (北向资金净流入超30亿 / 超40亿 / 达80亿)
  are one developing story: its articles stay distinct (different clusters), its story is one;
- write-ups in other words that name the same rare entity and the same rare figure (a flash,
  then the fuller story) are one event even when their wording overlaps little.
"""

from __future__ import annotations

import math
import re
import zlib
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from sys import intern

from newscrawl.processing.merge import BEIJING
from newscrawl.processing.similarity import normalize
from newscrawl.processing.timeline import parse_time

WINDOW = timedelta(hours=36)  # NEWSCRAWL_STORY_WINDOW_HOURS
LEAD_CHARS = 160
RARE_ENTITY, RARE_FIGURE = 50, 5  # archived articles with it, at most, for it to tell an event
# Alike titles that each have a word of two letters or more the other lacks (3 bigrams in a row:
# the word and its two joins) name two things: 2 new letters, not one (a rewording's 今日, 拟).
OBJECT_GRAMS = 3
# ... when they are one template: alike enough that what differs is a slot, not a rewording (two
# write-ups of one event sharing its company's name have ~0.2, one broker's two ratings ~0.4).
TEMPLATE_TITLES = 0.35
ALIKE_TITLES = 0.2  # Jaccard of two titles' bigrams from which their first names must agree
THRESHOLD = 0.3  # weighted Jaccard of the features (tuned on the real sample: bench/story_quality.py)
SCHEME = 2  # bump when the features or their keys change: archives re-place their stories
INDEXED_GRAMS = 8  # the rarest title/lead bigrams an article is found by (beside entities and figures)
_ENTITY_WEIGHT, _FIGURE_WEIGHT = 2.0, 1.5

_UNIT = r"(?:万亿|亿|万|千)?(?:美元|港元|欧元|日元|元|股|吨|辆|户|家|点|倍|个基点|%)?"
# A figure: a number with a unit, a decimal one, or one of 3+ digits (not a day of the month).
_FIGURE = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?" + _UNIT)
_TELLING = re.compile(r"\d{3,}|\d\.\d|\D$")
_AMOUNT = r"(?:(?:万亿|亿|万|千)(?:美元|港元|欧元|日元|元|股|吨|辆|户|家)?|美元|港元|欧元|日元|元|点|倍|个基点|%)"
# A magnitude (an amount with its unit, or a decimal) with the words that qualify it: masked as
# a whole in a title's shape. A bare number is no magnitude but a label (2年期, 6个月): kept.
_QUALIFIED = re.compile(r"(?:超过|超|达到|达|逾|近|约|突破|至)?(?:\d+(?:,\d{3})*(?:\.\d+)?" + _AMOUNT
                        + r"|\d+\.\d+)")
# A number labelling what a title is about (2年期 国债, 6个月 存单, 3号 线): the number and what it counts.
_LABEL = re.compile(r"(?<![\d.])(\d{1,3})([^\W\d_])")
_CODE = re.compile(r"(?<![\d.])(?:\d{6}(?:\.(?:SZ|SH|BJ))?|\d{4,5}\.HK|[A-Z]{1,5}\.(?:N|O|US))(?![\d])")
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9]+")
_QUOTED = re.compile(r"[《“\"]([^》”\"]{2,20})[》”\"]")
_DATE = re.compile(r"(\d{1,2})月(\d{1,2})日")
_SUBJECT = re.compile(r"^([^：:｜|，。！？,.!? ]{2,12})[：:]")
_RUN = re.compile(r"[^\W\d_]+")  # letters only: figures are features of their own
# Words that begin a title and are no subject: a column's name, not the event's actor.
_NOT_SUBJECTS = frozenset({"午间公告", "晚间公告", "早间公告", "公告", "快讯", "新能源日报", "免费研报精选", "研报"})


@dataclass(frozen=True, eq=False)  # (its array: features are told apart by identity)
class Features:
    """What an article is made of, for telling whether two write-ups are one event. Its
    bigrams, entities and figures are held as the numbers of their keys (key_number: what the
    story index counts and finds them by), the bigrams (some 70) as a packed array: compact
    (5–7 KiB an article, mostly the title's bigrams), so a window's candidates fit the story
    index's cache. (Numbers are 31-bit: two keys in a few million share one.)"""

    grams: array[int]  # letter bigrams of the title and the lead (distinct, unsigned 32-bit)
    entities: frozenset[int]  # stock codes, Latin names, quoted names, the title's subject
    figures: frozenset[int]  # numbers with their units
    subject: str | None  # the title's subject (before its first "：")
    dates: frozenset[tuple[int, int]]  # the (month, day)s the texts name
    shape: str  # the title with its figures (and their qualifiers) masked
    title: str  # normalized
    lead_name: str  # the title's first name: its first run of letters, at most 4 of them
    title_grams: frozenset[str]
    title_runs: tuple[str, ...]  # the title's runs of letters, in order
    labels: frozenset[str]  # the title's bare numbers with what they count (2年, 6个): no magnitudes
    when: datetime | None  # published, in Beijing time

    @property
    def day(self) -> int | None:
        """The Beijing day (days since 1970-01-01), the story index's time bucket."""
        return None if self.when is None else self.when.toordinal() - 719163

    def keys(self) -> frozenset[int]:
        """Every feature's key number: what the story index counts."""
        return self.entities.union(self.grams, self.figures)


def features(title: str | None, body_text: str | None, published_at: str | None) -> Features:
    title = normalize(title or "")
    # Normalizing drops white space only: twice the lead's length is always enough of the body.
    lead = normalize((body_text or "")[: 2 * LEAD_CHARS])[:LEAD_CHARS]
    text = f"{title}。{lead}"
    subject_match = _SUBJECT.match(title)
    subject = subject_match.group(1) if subject_match and subject_match.group(1) not in _NOT_SUBJECTS else None
    entities = {c for c in _CODE.findall(text)} | {w.lower() for w in _LATIN.findall(text) if len(w) >= 2}
    entities |= {q for q in _QUOTED.findall(text)}
    if subject:
        entities.add(subject)
    grams = {run[i : i + 2] for run in _RUN.findall(_FIGURE.sub(" ", text)) for i in range(len(run) - 1)}
    title_runs = _RUN.findall(_FIGURE.sub(" ", title))
    unmasked = _DATE.sub(" ", _QUALIFIED.sub(" ", title))
    figures = {f for f in _FIGURE.findall(text) if not _is_year(f) and _TELLING.search(f)}
    return Features(
        grams=array("I", set(_numbers(_GRAM, grams))),
        entities=frozenset(_numbers(_ENTITY, entities)),
        figures=frozenset(_numbers(_FIGURE_KEY, figures)),
        subject=subject,
        dates=frozenset((int(m), int(d)) for m, d in _DATE.findall(text) if 1 <= int(m) <= 12 and 1 <= int(d) <= 31),
        shape=_QUALIFIED.sub("#", title),
        title=title,
        lead_name=title_runs[0][:4] if title_runs else "",
        # (interned: the vocabulary of bigrams is shared by every cached article, not copied into each)
        title_grams=frozenset(intern(run[i : i + 2]) for run in title_runs for i in range(len(run) - 1)),
        title_runs=tuple(title_runs),
        labels=frozenset(n + what for n, what in _LABEL.findall(unmasked)),
        when=_beijing(published_at),
    )


def _is_year(figure: str) -> bool:
    return len(figure) == 4 and figure.isdigit() and 1990 <= int(figure) <= 2100


def _beijing(value: str | None) -> datetime | None:
    when = parse_time(value)
    return when.astimezone(BEIJING) if when is not None else None


def key_number(key: str) -> int:
    """A feature key ("g:" bigram, "e:" entity, "f:" figure) as the 31-bit number the archive's
    story index stores."""
    return zlib.crc32(key.encode("utf-8")) >> 1


# The crc32 of each kind's prefix: a key's number continues it (crc32 of "g:" + bigram, unbuilt).
_GRAM, _ENTITY, _FIGURE_KEY = (zlib.crc32(prefix) for prefix in (b"g:", b"e:", b"f:"))


def _numbers(prefix: int, values: Iterable[str]) -> Iterator[int]:
    crc32 = zlib.crc32
    return (crc32(v.encode("utf-8"), prefix) >> 1 for v in values)


def idf(count: int, total: int) -> float:
    """A feature's weight from how many archived articles have it."""
    return math.log(1.0 + (total + 1) / (count + 1))


def index_keys(f: Features, counts: Mapping[int, int]) -> list[int]:
    """The keys an article is found by: its entities and figures, and its rarest bigrams."""
    grams = sorted(f.grams, key=lambda n: (counts.get(n, 0), n))
    return [*f.entities, *(f.figures - f.entities), *grams[:INDEXED_GRAMS]]


def weighed(f: Features, counts: Mapping[int, int], total: int) -> dict[int, float]:
    """Each feature's weight: its base weight times its rarity (features share few counts:
    each count's rarity is worked out once)."""
    rarity: dict[int, float] = {}
    out = {}
    get = counts.get
    for numbers, weight in ((f.grams, 1.0), (f.figures, _FIGURE_WEIGHT), (f.entities, _ENTITY_WEIGHT)):
        for number in numbers:
            count = get(number, 0)
            if (r := rarity.get(count)) is None:
                r = rarity[count] = idf(count, total)
            out[number] = weight * r
    return out


def score(a: Features, b: Features, counts: Mapping[int, int], total: int,
          weights: tuple[Mapping[int, float], Mapping[int, float]] | None = None) -> float:
    """The weighted Jaccard of two articles' features (each weighted by its rarity). A key
    weighs the same in both, so the union is the two sums less the shared part; `weights`
    (from weighed) saves weighing an article again for each other one."""
    wa, wb = weights or (weighed(a, counts, total), weighed(b, counts, total))
    shared = sum(wa[k] for k in wa.keys() & wb.keys())
    union = sum(wa.values()) + sum(wb.values()) - shared
    return shared / union if union else 0.0


def conflict(a: Features, b: Features, window: timedelta = WINDOW) -> str | None:
    """Why two articles cannot be one event, or None."""
    if a.when is None or b.when is None or abs(a.when - b.when) > window:
        return "time"
    if a.dates and b.dates and not a.dates & b.dates:
        return "dates"
    if a.subject and b.subject and a.subject not in b.subject and b.subject not in a.subject:
        return "subject"
    if a.day != b.day and a.figures - b.figures and b.figures - a.figures:
        return "figures"
    if _alike(a.title_grams, b.title_grams):
        if a.lead_name not in b.title and b.lead_name not in a.title:
            return "names"
        if a.labels - b.labels and b.labels - a.labels:  # 2年期 and 5年期: two auctions
            return "labels"
        if (_jaccard(a.title_grams, b.title_grams) >= TEMPLATE_TITLES and _unshared(a.title_runs, b.title_grams)
                >= OBJECT_GRAMS and _unshared(b.title_runs, a.title_grams) >= OBJECT_GRAMS):
            return "objects"  # 维持腾讯控股买入评级, 维持美团买入评级: one template, two companies
    return None


def _unshared(runs: tuple[str, ...], other: frozenset[str]) -> int:
    """The most consecutive bigrams of `runs` that `other` lacks: a word of its own, in place."""
    longest = 0
    for run in runs:
        streak = 0
        for i in range(len(run) - 1):
            streak = streak + 1 if run[i : i + 2] not in other else 0
            longest = max(longest, streak)
    return longest


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _alike(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two titles are alike in wording (a look-alike is told apart by its names)."""
    return _jaccard(a, b) >= ALIKE_TITLES


def running_update(a: Features, b: Features) -> bool:
    """The same title but for its figures, on one day: updates of one developing story."""
    return a.day == b.day and a.shape == b.shape and "#" in a.shape and len(a.shape) >= 6


def rare(count: int, total: int, at_most: int) -> bool:
    """Whether a feature `count` of `total` archived articles have is rare: at most `at_most`
    of them, and at most 5 % of them but for an event's few write-ups (a small archive's 50
    articles are no rare few)."""
    return count <= min(at_most, max(5, total // 20))


def shared_evidence(a: Features, b: Features, counts: Mapping[int, int], total: int) -> bool:
    """A rare entity (a stock code, a name) and a rare figure both articles have: write-ups of
    one event in other words (a flash and the fuller story) still name its actor and its figure."""
    entities = [e for e in a.entities & b.entities if rare(counts.get(e, 0), total, RARE_ENTITY)]
    figures = [f for f in a.figures & b.figures if rare(counts.get(f, 0), total, RARE_FIGURE)]
    return bool(entities and figures)


def same_event(a: Features, b: Features, counts: Mapping[int, int], total: int,
               threshold: float = THRESHOLD, window: timedelta = WINDOW,
               weights: tuple[Mapping[int, float], Mapping[int, float]] | None = None) -> float:
    """How surely two articles are one event: 0 when they are not, else a score ≥ threshold."""
    if conflict(a, b, window) is not None:
        return 0.0
    if running_update(a, b):
        return 1.0
    value = score(a, b, counts, total, weights)
    if value >= threshold:
        return value
    return max(threshold, value) if shared_evidence(a, b, counts, total) else 0.0
