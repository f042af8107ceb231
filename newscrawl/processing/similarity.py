"""Duplicate detection, pure functions: content keys, shingles, MinHash bands, the same-story test.

Chinese has no spaces, so texts are compared as sets of character 3-grams. Candidates come
from MinHash locality-sensitive hashing and figure-clause keys (stored in the archive, so the
index is as old as the archive and costs no memory), and every candidate is verified on its
actual shingles. Two texts whose figures differ are different news — 北向资金
净流入超40亿元 and 超50亿元 an hour later are two updates — however similar the wording.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

SHINGLE = 3
BINS, BANDS, ROWS = 60, 10, 6  # LSH candidates from a Jaccard of ≈ 0.6 up (tested)
_NOISE = re.compile(r"[\s\u3000\u00a0]+")
_FIGURE = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
_CLAUSE = re.compile(r"[^,.;!?:，。；！？：、()（）\[\]【】“”\"']+")
_MIN_CLAUSE = 6
# Clause keys are for short texts (flashes), where a few added words move the 3-gram
# Jaccard most; in longer texts a stock clause would only bring false candidates.
_SHORT = 120
_MINHASH_CHARS = 1000
# The keys are stored in the archive: any change to how they are made (these constants,
# shingle size, bins, bands, rows) must bump SCHEME, and archives rebuild their index on opening.
SCHEME = 3
# Keys are 31-bit: SQLite stores them in 4 bytes, so the index (written at random places on
# every commit) is half the size of one of 64-bit keys. A chance collision only brings a
# candidate that the same-story test then rejects.
_KEY_SHIFT = 33
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)
_LOW32 = np.uint64(0xFFFFFFFF)
_EMPTY = np.uint64(1 << 32)
_ROTATION = np.uint64(0x9E3779B9)
_BAND_SALT = np.arange(1, BANDS + 1, dtype=np.uint64) * np.uint64(0xD6E8FEB86659FD93)
# A band key is ((salt·MIX + s0)·MIX + s1)·MIX … + s5 (mod 2^64); unrolled, one product.
_ROW_WEIGHTS = np.array([pow(int(_MIX), ROWS - 1 - r, 1 << 64) for r in range(ROWS)], dtype=np.uint64)
_BAND_BASE = _BAND_SALT * np.uint64(pow(int(_MIX), ROWS, 1 << 64))


@dataclass(frozen=True)
class DedupSettings:
    """The same-story test. Defaults tuned on the real sample (see bench/dedup_quality.py)."""

    threshold: float = 0.6  # Jaccard of 3-gram sets
    containment: float = 0.9  # or: the shorter text almost wholly inside the longer …
    min_length_ratio: float = 0.5  # … when it is at least half as long (a prefix added)
    min_chars: int = 8  # shorter texts are compared by their content key only


# Full-width ASCII (U+FF01–FF5E) folded to ASCII: what NFKC does to news text, far faster.
# A regex visits only the full-width characters (a few per text: ，：（）); str.translate
# would look up every character.
_FULL_WIDTH = re.compile("[\uff01-\uff5e]")


def _fold(match: re.Match[str]) -> str:
    return chr(ord(match.group()) - 0xFEE0)


@lru_cache(maxsize=1024)  # the dedup and store pipelines both normalize the item's text
def normalize(text: str | None) -> str:
    """Text as compared: full-width letters, digits and punctuation folded, no white space."""
    return _NOISE.sub("", _FULL_WIDTH.sub(_fold, text or ""))


def content_key(text: str | None) -> str | None:
    """A hash of the normalized text: equal for one article under two ids."""
    norm = normalize(text)
    return hashlib.sha1(norm.encode("utf-8")).hexdigest() if norm else None


def shingles(norm: str) -> set[str]:
    if len(norm) <= SHINGLE:
        return {norm} if norm else set()
    return {norm[i : i + SHINGLE] for i in range(len(norm) - SHINGLE + 1)}


def signature(norm: str) -> np.ndarray:
    """One-permutation MinHash of the text's 3-grams: BINS values, O(length) to compute.

    Each 3-gram is hashed once; its hash picks a bin and the bin keeps the smallest value
    (classic MinHash hashes every 3-gram BINS times, far slower on long articles). Empty bins
    of short texts borrow the next filled bin's value, shifted by the distance (rotation
    densification), so equal texts still agree everywhere.
    """
    # A long article's first part is enough to find its copies, and bounds the cost.
    # Integer arrays wrap on overflow silently: the hashing is modulo 2^64 by design.
    codes = np.frombuffer(norm[:_MINHASH_CHARS].encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    grams = (codes[:-2] * _MIX ^ codes[1:-1]) * _MIX ^ codes[2:] if len(codes) >= SHINGLE else codes
    hashed = grams * _MIX
    hashed ^= hashed >> np.uint64(29)
    hashed *= _MIX2
    values = np.full(BINS, _EMPTY, dtype=np.uint64)
    np.minimum.at(values, ((hashed >> np.uint64(32)) % np.uint64(BINS)).astype(np.intp), hashed & _LOW32)
    filled = np.flatnonzero(values < _EMPTY)
    if len(filled) < BINS:
        bins = np.arange(BINS)
        source = filled[np.searchsorted(filled, bins) % len(filled)]
        values = values[source] + ((source - bins) % BINS).astype(np.uint64) * _ROTATION
    return values


@lru_cache(maxsize=512)
def index_keys(norm: str) -> tuple[int, ...]:
    """The keys that find a text's near-duplicates: MinHash LSH bands and figure clauses.

    Bands catch texts sharing most of their 3-grams. In a short text, a clause with a figure
    in it (北向资金净流入超40亿元) is a key of its own: it catches a flash inside a copy that
    adds a few words, which bands on so few 3-grams would miss.
    Every key is salted with the text's figures: same_story never joins texts whose figures
    differ, so they need not meet as candidates (templated updates — 超40亿元, 超50亿元 —
    would otherwise all be each other's candidates, to be rejected one by one).
    """
    if not norm:
        return ()
    salt = "|".join(sorted(figures(norm)))
    band = (signature(norm).reshape(BANDS, ROWS) * _ROW_WEIGHTS).sum(axis=1, dtype=np.uint64) + _BAND_BASE
    keys: list[int] = ((band >> np.uint64(_KEY_SHIFT)) ^ np.uint64(_key(salt))).tolist()
    if len(norm) <= _SHORT:
        keys += [_key(f"{salt}|{c}") for c in _CLAUSE.findall(norm) if len(c) >= _MIN_CLAUSE and _FIGURE.search(c)]
    return tuple(keys)


def _key(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little") >> _KEY_SHIFT


def figures(norm: str) -> set[str]:
    return {f.replace(",", "") for f in _FIGURE.findall(norm)}


def similarity(a: set[str] | frozenset[str], b: set[str] | frozenset[str]) -> tuple[float, float]:
    """(Jaccard, containment of the smaller set in the larger)."""
    if not a or not b:
        return 0.0, 0.0
    common = len(a & b)
    return common / len(a | b), common / min(len(a), len(b))


DEFAULTS = DedupSettings()


@dataclass(frozen=True)
class Text:
    """A text prepared for comparison once: normalized, its 3-grams and its figures."""

    norm: str
    grams: frozenset[str]
    figures: frozenset[str]

    @classmethod
    def of(cls, norm: str) -> Text:
        return cls(norm, frozenset(shingles(norm)), frozenset(figures(norm)))


def same_story(a: str | Text, b: str | Text, settings: DedupSettings = DEFAULTS) -> float:
    """The similarity of two normalized texts if they tell the same story, else 0.

    Near-identical wording is not enough: both texts must carry the same figures, so a
    running update of a figure is never merged into its predecessor — and since equality
    is transitive, no cluster ever joins two texts whose figures differ.
    """
    a, b = (t if isinstance(t, Text) else Text.of(t) for t in (a, b))
    short, long = sorted((a, b), key=lambda t: len(t.norm))
    if len(short.norm) < settings.min_chars or short.figures != long.figures:
        return 0.0
    jaccard, containment = similarity(a.grams, b.grams)
    if jaccard >= settings.threshold:
        return jaccard
    if containment >= settings.containment and len(short.norm) >= settings.min_length_ratio * len(long.norm):
        return containment
    return 0.0
