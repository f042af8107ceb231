"""Benchmark: how well stories (processing/stories.py) tell one event from another on real posts.

    python bench/story_quality.py [--small 10000] [--large 100000] [--batch 2000] [--no-cost]

Crawls the real sample (../shared/finews) through the mirror into a temporary archive, adds
the FF post Jekyll published without its front matter (read from its source), and judges the
pairs labelled in bench/story_labels.json by reading them: one event or different events.
Beside them, from the sample's own wording: the running-update series the site carried on
2021-12-08 (北向资金净流入达30亿元 / 超40亿元 / 超50亿元 / 达80亿元: one story) and look-alikes
(a Hong Kong mover of another company; the same auction line on the next day: different
events). Feature rarity is counted over these articles, as the archive would count it.

Prints each labelled pair's score and verdict, precision and recall over the pairs, and the
unlabelled pairs that would be joined (to read). Then the cost of placing an article in its
story (StoryPipeline's placement and the story index's writes in the store) for the next
`--batch` generated articles at `--small` and at `--large` archived (PER_DAY of them a day, as an
archive grows), and their ratio (goal ≤ 1.5). Figures, not assertions.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import re
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pipeline_bench import Stats, items, run, spread  # noqa: E402
from newscrawl import settings  # noqa: E402
from newscrawl.archive import Archive  # noqa: E402
from newscrawl.mirror.generator import GeneratedSite  # noqa: E402
from newscrawl.mirror.proxy import MirrorProxy  # noqa: E402
from newscrawl.mirror.runner import crawl_through_mirror  # noqa: E402
from newscrawl.mirror.snapshot import SnapshotBackend  # noqa: E402
from newscrawl.pipelines.clean import CleanArticlePipeline  # noqa: E402
from newscrawl.pipelines.dedup import DedupArticlePipeline  # noqa: E402
from newscrawl.pipelines.store import StoreArticlePipeline  # noqa: E402
from newscrawl.pipelines.stories import StoryPipeline  # noqa: E402
from newscrawl.processing import stories  # noqa: E402

SHARED = ROOT.parent / "shared" / "finews"
BARE = "2021-12-08-202112082206703990.md"
Record = tuple[str, str, str, str]  # id, title, body_text, published_at

# Made from the sample's wording: (id, title, body, time, label group).
SERIES = [("series-30", "北向资金净流入达30亿元", "北向资金净流入达30亿元。", "2021-12-08T10:20:00+08:00"),
          ("series-40", "北向资金净流入超40亿元", "北向资金净流入超40亿元。", "2021-12-08T10:47:00+08:00"),
          ("series-50", "北向资金净流入超50亿元", "北向资金净流入超50亿元。", "2021-12-08T11:30:00+08:00"),
          ("series-80", "北向资金净流入达80亿元", "北向资金净流入达80亿元。", "2021-12-08T14:50:00+08:00")]
LOOKALIKES = [
    (("mover-a", "恒大汽车短线下挫", "恒大汽车短线下挫，现跌超5%。", "2021-12-08T12:00:00+08:00"),
     ("mover-b", "融创中国短线下挫", "融创中国短线下挫，现跌超5%。", "2021-12-08T13:10:00+08:00")),
    (("auction-a", "财政部：2年期国债中标利率为2.35%", "财政部今日招标的2年期国债中标利率为2.35%，投标倍数2.61。",
      "2021-12-08T11:05:00+08:00"),
     ("auction-b", "财政部：2年期国债中标利率为2.41%", "财政部今日招标的2年期国债中标利率为2.41%，投标倍数2.87。",
      "2021-12-09T11:04:00+08:00")),
]


def sample_records(out: Path) -> dict[str, Record]:
    proxy = MirrorProxy(SnapshotBackend(SHARED / "site", SHARED / "share"))
    proxy.start_in_thread()
    try:
        crawl_through_mirror(proxy.url, out, settings={"NEWSCRAWL_JSONL": ""})
    finally:
        proxy.stop()
    with sqlite3.connect(out / "newscrawl.db") as conn:
        records = {r[0]: r for r in conn.execute("select id, title, body_text, published_at from articles")}
    source = (SHARED / "src" / "_posts" / BARE).read_text(encoding="utf-8")
    title = re.search(r'^title: "(.*)"$', source, re.M)
    date = re.search(r"^date: (\S+ \S+)$", source, re.M)
    body = source.split("---", 2)[2].strip().split("\n\n<http")[0]
    bare_id = BARE[11:-3]
    records[bare_id] = (bare_id, title.group(1) if title else "", body,
                        f"{date.group(1).replace(' ', 'T')}+08:00" if date else "")
    return records


PER_DAY = 2_000


class Timed:
    """Seconds spent in a method, wrapped in place."""

    def __init__(self, owner: object, name: str) -> None:
        self.seconds, method = 0.0, getattr(owner, name)

        def timed(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
        setattr(owner, name, timed)


def cost(small: int, large: int, batch: int) -> None:
    print(f"\ngenerating {large + 2 * batch:,} articles, {PER_DAY:,} a day …", flush=True)
    all_items = items(GeneratedSite(large + 2 * batch, seed=11))
    spread(all_items, PER_DAY)  # an archive grows by days: a story's window holds a few days' worth
    gc.collect()
    gc.freeze()  # the bench holds every item; a crawl does not
    with tempfile.TemporaryDirectory() as work:
        archive, counts = Archive(Path(work) / "bench.db", commit_every=settings.NEWSCRAWL_COMMIT_EVERY), Stats()
        story = StoryPipeline(archive, counts)
        pipelines = [CleanArticlePipeline(), DedupArticlePipeline(archive, counts), story,
                     StoreArticlePipeline(archive, counts)]
        placing, indexing = Timed(story, "process_item"), Timed(archive.stories, "saved")
        flushing = Timed(archive.stories.tally, "flush")  # the counts' changes, written at each commit
        figures = []
        for start, end in ((0, small), (small, small + batch), (small + batch, large), (large, large + batch)):
            placing.seconds = indexing.seconds = flushing.seconds = 0.0
            run(pipelines, all_items[start:end], archive)
            figures.append((end - start, placing.seconds, indexing.seconds + flushing.seconds))
        (_, _, _), (n1, p1, i1), _, (n2, p2, i2) = figures
        for at, n, placed, indexed in ((small, n1, p1, i1), (large, n2, p2, i2)):
            print(f"next {n:,} at {at:>7,} archived: {(placed + indexed) / n * 1e6:6.0f} µs/article "
                  f"(placing {placed / n * 1e6:.0f}, indexing {indexed / n * 1e6:.0f})")
        print(f"per-article cost ratio {large:,} / {small:,}: {((p2 + i2) / n2) / ((p1 + i1) / n1):.2f}")
        print("placed:", {k.split('/')[-1]: v for k, v in sorted(counts.items()) if '/story/' in k})
        archive.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--no-cost", action="store_true", help="the labelled pairs only")
    args = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"{SHARED} is not here")
    labels = json.loads((Path(__file__).with_name("story_labels.json")).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        records = sample_records(Path(tmp))
    records |= {r[0]: r for r in SERIES}
    records |= {r[0]: r for pair in LOOKALIKES for r in pair}
    same = [(a, b, why) for a, b, why in labels["same"]]
    same += [(a[0], b[0], "running update") for a, b in itertools.combinations(SERIES, 2)]
    different = [(a, b, why) for a, b, why in labels["different"]]
    different += [(a[0], b[0], "look-alike") for a, b in LOOKALIKES]
    features = {i: stories.features(t, body, when) for i, t, body, when in records.values()}
    counts = Counter(k for f in features.values() for k in f.keys())
    total = len(features)

    def judged(a: str, b: str) -> float:
        return stories.same_event(features[a], features[b], counts, total)

    print(f"{total} articles; threshold {stories.THRESHOLD}, window {stories.WINDOW}")
    true_positive = false_negative = false_positive = 0
    for kind, pairs in (("same", same), ("different", different)):
        print(f"\n{kind}:")
        for a, b, why in pairs:
            verdict = judged(a, b)
            raw = stories.score(features[a], features[b], counts, total)
            why_not = stories.conflict(features[a], features[b])
            ok = (verdict > 0) == (kind == "same")
            true_positive += kind == "same" and verdict > 0
            false_negative += kind == "same" and verdict == 0
            false_positive += kind == "different" and verdict > 0
            print(f"  {'ok ' if ok else 'BAD'} {verdict:.2f} (score {raw:.2f}{', ' + why_not if why_not else ''}) "
                  f"{records[a][1][:24]} | {records[b][1][:24]}  — {why}")
    precision = true_positive / (true_positive + false_positive) if true_positive + false_positive else 1.0
    recall = true_positive / (true_positive + false_negative) if true_positive + false_negative else 1.0
    print(f"\nprecision {precision:.2f} ({true_positive} of {true_positive + false_positive} joined pairs are one event), "
          f"recall {recall:.2f} ({true_positive} of {true_positive + false_negative} same-event pairs joined)")
    labelled = {frozenset(p[:2]) for p in same + different}
    joined = [(judged(a, b), a, b) for a, b in itertools.combinations(sorted(records), 2)
              if frozenset((a, b)) not in labelled and judged(a, b) > 0]
    print(f"unlabelled pairs joined: {len(joined)}")
    for verdict, a, b in sorted(joined, reverse=True)[:20]:
        print(f"  {verdict:.2f} {records[a][1][:30]} | {records[b][1][:30]}")
    if not args.no_cost:
        cost(args.small, args.large, args.batch)


if __name__ == "__main__":
    main()
