"""Choose what the mirror serves: a generated site or a saved snapshot."""

from __future__ import annotations

from newscrawl.mirror.http import Backend
from newscrawl.mirror.snapshot import SnapshotBackend

MIN_ARTICLES, MAX_ARTICLES = 10, 100_000


def backend_from_options(
    site: str | None, share: str | None, articles: int, seed: int
) -> tuple[Backend, str]:
    if site:
        return SnapshotBackend(site, share), f"snapshot of {site}" + (f" with share answers from {share}" if share else "")
    if not MIN_ARTICLES <= articles <= MAX_ARTICLES:
        raise ValueError(f"--articles must be between {MIN_ARTICLES} and {MAX_ARTICLES}")
    from newscrawl.mirror.generator import GeneratedSite

    return GeneratedSite(articles=articles, seed=seed), f"generated site, {articles} articles, seed {seed}"
