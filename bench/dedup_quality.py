"""Precision and recall of the same-story test on the real sample, across thresholds.

    python bench/dedup_quality.py [--shared ../shared/finews]

Texts: every post of the sample as archived (parsed and cleaned body text; the page without
layout by its paragraphs). Labels:
- positive: the `exact` and `near` groups of duplicates.json;
- negative: every other pair, including its `same-event` pair (two write-ups of one event,
  which text similarity is not meant to catch), and the figure updates its note names
  (北向资金净流入达30亿元 / 超40亿元 / 超50亿元 / 达80亿元), written out as the site's flashes;
- labelled by reading: the 12 most similar other pairs of the sample (onshore vs offshore
  yuan at different rates, the morning yuan report, the FF events) are all different news.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import lxml.html

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newscrawl.parsing import PageError  # noqa: E402
from newscrawl.parsing.post import parse_post  # noqa: E402
from newscrawl.processing.cleaning import clean_body  # noqa: E402
from newscrawl.processing.similarity import DedupSettings, normalize, same_story  # noqa: E402

# The 超40亿元 flash is in the sample itself (202112082206757673).
FIGURE_UPDATES = ["北向资金净流入达30亿元。", "北向资金净流入超50亿元。", "北向资金净流入达80亿元。"]


def sample_texts(shared: Path) -> dict[str, str]:
    texts = {}
    for page in (shared / "site").rglob("*.html"):
        rel = "/" + page.relative_to(shared / "site").as_posix()
        if rel.startswith("/category/") or rel in ("/index.html", "/404.html"):
            continue
        html = page.read_text(encoding="utf-8")
        try:
            fields = parse_post(html, "https://finews.withounder.com" + rel)
        except PageError:  # the page published without layout: its article paragraph
            paragraphs = lxml.html.document_fromstring(html).xpath("//p")
            texts[page.stem] = normalize(paragraphs[1].text_content())
            continue
        if fields["id"]:
            texts[fields["id"]] = normalize(clean_body(fields["body_html"], fields["url"])[1])
    for n, text in enumerate(FIGURE_UPDATES):
        texts[f"northbound-{n}"] = normalize(text)
    return texts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "finews")
    args = parser.parse_args()
    texts = sample_texts(args.shared)
    groups = json.loads((args.shared / "duplicates.json").read_text(encoding="utf-8"))["groups"]
    positives = {frozenset(p) for g in groups if g["kind"] in ("exact", "near") for p in itertools.combinations(g["ids"], 2)}
    pairs = [frozenset(p) for p in itertools.combinations(sorted(texts), 2)]
    print(f"{len(texts)} texts, {len(pairs)} pairs: {len(positives)} positive, {len(pairs) - len(positives)} negative")
    print(f"{'threshold':>9} {'contain':>7} {'TP':>3} {'FP':>3} {'FN':>3} {'precision':>9} {'recall':>6}")
    default = DedupSettings()
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        for containment in (0.8, 0.9, 1.01):
            settings = DedupSettings(threshold=threshold, containment=containment)
            found = {p for p in pairs if same_story(*(texts[i] for i in sorted(p)), settings) > 0}
            tp, fp, fn = len(found & positives), len(found - positives), len(positives - found)
            mark = "  <- default" if (threshold, containment) == (default.threshold, default.containment) else ""
            print(f"{threshold:>9.1f} {min(containment, 1):>7.2f} {tp:>3} {fp:>3} {fn:>3} "
                  f"{tp / max(tp + fp, 1):>9.2f} {tp / len(positives):>6.2f}{mark}")


if __name__ == "__main__":
    main()
