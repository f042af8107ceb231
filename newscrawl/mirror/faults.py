"""Fault mode of the mirror (`scrapy mirror --faults RATE`): the failures a live site has.

At RATE, a request to the site or a share host gets one of: a 500, a 503 or a 429 (both
with Retry-After: 1), a timeout (no answer for `delay` seconds, then the connection closes),
a connection reset, or a truncated body (a Content-Length the body never reaches).
Deterministic: the n-th request for a URL faults (and how) by a hash of the seed, the URL
and n, so a run is reproducible and a retry is a fresh draw.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field

KINDS = ("500", "503", "429", "timeout", "reset", "truncated")


@dataclass
class Faults:
    rate: float = 0.0
    seed: int = 0
    delay: float = 5.0
    seen: Counter[str] = field(default_factory=Counter)

    def draw(self, host: str, path: str) -> str | None:
        """The fault for this request, or None to answer it normally."""
        if self.rate <= 0 or path == "/robots.txt":
            return None
        key = f"{host}{path}"
        n = self.seen[key]
        self.seen[key] += 1
        digest = hashlib.sha1(f"{self.seed}|{key}|{n}".encode()).digest()
        if int.from_bytes(digest[:4], "big") / 2**32 >= self.rate:
            return None
        return KINDS[digest[4] % len(KINDS)]
