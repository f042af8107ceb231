"""Publication times inferred from neighbours: for posts whose true time is unknown.

The site's pages show most posts 8 hours late (a front matter time without offset, read as
UTC; SITE.md), some on time (`+0800`), and nothing on a page tells which. The share host's
answer gives the true time, but a post may have none (an empty share link, a failed answer,
share following off). Post ids tell: an id is the publication date (Beijing) and a counter
the source assigns to every article in publication order (~100,000 an hour; neighbours are
within about an hour of each other). So, along the posts in counter order, each unknown time
is either its page's time or 8 hours earlier, on the id's date — and the choice that keeps
consecutive posts closest in time (known times fixed) is the right one. Choosing is a
two-state Viterbi over each chain of posts (a chain ends where the counter jumps by more
than MAX_GAP: hours with no post between).

Pure functions over plain values; the pipeline (pipelines/timeline.py) feeds them the archive's
rows in id order, a chain at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8))
SHIFT = timedelta(hours=8)
# ~10 hours of articles: further apart, two posts say nothing of each other's time.
MAX_GAP = 1_000_000
MAX_CHAIN = 2_000  # posts a chain is cut at (chains)


@dataclass(frozen=True, slots=True)
class Post:
    """A post in the timeline: `known` is its true time when the archive has one (share or
    repository); else `page` (the time its page shows) is one of two candidates."""

    id: str
    page: datetime | None
    known: datetime | None = None
    # As archived: its time and where that came from.
    published: str | None = None
    provenance: str | None = None

    @property
    def counter(self) -> int:
        return int(self.id[8:])

    def candidates(self) -> list[datetime]:
        """The times it can have: its known time, else its page time and 8 hours earlier —
        those on the id's date, when one is (both when neither is)."""
        if self.known is not None:
            return [self.known]
        assert self.page is not None
        both = [self.page, self.page - SHIFT]
        on_date = [t for t in both if t.astimezone(BEIJING).strftime("%Y%m%d") == self.id[:8]]
        return on_date or both


def timeline_id(article_id: str) -> bool:
    """Whether an id carries a date and a counter (18 digits: YYYYMMDD + 10)."""
    return len(article_id) == 18 and article_id.isdigit() and article_id[:2] in ("19", "20")


def chains(posts: Iterable[Post], most: int = MAX_CHAIN) -> Iterator[list[Post]]:
    """Posts in id order, cut where the counter jumps by more than MAX_GAP. A chain of `most`
    posts is cut too (choose() holds a chain's options: memory stays flat on a big site): at
    its next post with a known time, which ends one part and begins the next — a known time
    is the only state there, so the parts choose what the whole would — or, with none in
    another `most` posts, where it is."""
    chain: list[Post] = []
    for post in posts:
        if chain and abs(post.counter - chain[-1].counter) > MAX_GAP:
            yield chain
            chain = []
        elif len(chain) >= most and post.known is not None:
            yield [*chain, post]
            chain = []
        elif len(chain) >= 2 * most:
            yield chain
            chain = []
        chain.append(post)
    if chain:
        yield chain


def choose(chain: list[Post]) -> list[tuple[datetime, bool]]:
    """For each post of a chain: its time, and whether neighbours or its id's date decided it
    (an unknown time alone in its chain with two candidates keeps its page's time, undecided)."""
    options = [post.candidates() for post in chain]
    # cost[i][s]: the least sum of time gaps from the chain's start to post i taking option s.
    cost = [0.0] * len(options[0])
    back: list[list[int]] = []
    for previous, current in zip(options, options[1:], strict=False):
        step, new = [], []
        for time in current:
            gaps = [cost[k] + abs((time - before).total_seconds()) for k, before in enumerate(previous)]
            best = min(range(len(gaps)), key=gaps.__getitem__)  # ties: the first, the page's time
            step.append(best)
            new.append(gaps[best])
        back.append(step)
        cost = new
    state = min(range(len(cost)), key=cost.__getitem__)
    picked = [state]
    for step in reversed(back):
        state = step[state]
        picked.append(state)
    picked.reverse()
    alone = len(chain) == 1
    return [(opts[s], post.known is None and (len(opts) == 1 or not alone))
            for post, opts, s in zip(chain, options, picked, strict=True)]


def parse_time(value: str | None) -> datetime | None:
    """An archived ISO time (Beijing when it has no offset), None for none or no time."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=BEIJING)


def iso(when: datetime) -> str:
    """As the archive keeps publication times: Beijing, seconds, with the offset."""
    return when.astimezone(BEIJING).isoformat(timespec="seconds")
