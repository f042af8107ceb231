"""Reading a local checkout of the site's repository for the `history` spider: which files are
post sources (the walk the GitHub listing stands for), and reading them where they lie, built
into pages in worker processes a batch at a time while the crawl process stores.

A request per file would cost the crawl's machinery several times what reading and parsing a
source does, so a local backfill reads files directly; the spider still makes the articles.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import re
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from newscrawl.parsing.github import blob_sha, wanted
from newscrawl.parsing.source import read_source, read_sources

BATCH = 64  # sources a parsing worker is handed at a time
# One source read: (path, blob id, the fields it gave or None, "ok" or why none).
Read = tuple[str, str, dict[str, Any] | None, str]


def local_sources(root: Path, patterns: tuple[str, ...], since: str | None, until: str | None) -> Iterator[str]:
    """Post sources under a local checkout, as repository paths, in path order: the files the
    GitHub listing would give for the same patterns (folders or globs, anywhere in the tree)."""
    found: set[str] = set()
    for folder in _pattern_folders(patterns):
        base = root / folder
        if not base.is_dir():
            continue
        for file in base.rglob("*"):
            path = file.relative_to(root).as_posix()
            if not path.startswith(".git/") and file.is_file() and wanted(path, patterns, since, until):
                found.add(path)
    yield from sorted(found)


def _pattern_folders(patterns: tuple[str, ...]) -> list[str]:
    """The folders a walk must cover for these patterns: each one's part before its first glob
    character, up to a folder ("" for the whole checkout)."""
    folders = set()
    for pattern in patterns:
        head = re.split(r"[*?\[]", pattern.strip("/"), maxsplit=1)[0]
        folders.add(head if head == pattern.strip("/") else head.rpartition("/")[0])
    return [""] if "" in folders else sorted(folders)


class CheckoutReader:
    """Reads the sources at `paths` under `root` that `known(sha, path)` does not know, and
    builds them (parsing/source.py) in `workers` spawned processes (0: in this one).
    `unreadable(path, error)` hears of a file that could not be read."""

    def __init__(self, root: Path, workers: int, known: Callable[[str, str], bool],
                 unreadable: Callable[[str, OSError], None]) -> None:
        self.root, self.workers, self.known, self.unreadable = root, workers, known, unreadable

    async def read(self, paths: list[str], room: Callable[[], Awaitable[None]]) -> AsyncIterator[Read]:
        """Each source read, a batch at a time, awaiting `room()` before reading the next batch
        (the crawl's back-pressure): a batch per worker in flight, no more."""
        pool = self._pool() if len(paths) > BATCH else None
        loop = asyncio.get_running_loop()
        waiting: deque[tuple[list[tuple[str, str]], asyncio.Future[list[tuple[dict | None, str]]]]] = deque()
        try:
            for batch in self._unread(paths):
                await room()
                shas = [(path, sha) for _, path, sha in batch]
                if pool is None:
                    for raw, path, sha in batch:
                        yield (path, sha, *read_source(raw, path))
                    continue
                waiting.append((shas, loop.run_in_executor(pool, read_sources, [(raw, path) for raw, path, _ in batch])))
                while len(waiting) > self.workers:
                    shas, parsed = waiting.popleft()
                    for (path, sha), result in zip(shas, await parsed, strict=True):
                        yield (path, sha, *result)
            while waiting:
                shas, parsed = waiting.popleft()
                for (path, sha), result in zip(shas, await parsed, strict=True):
                    yield (path, sha, *result)
        finally:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)

    def _unread(self, paths: list[str]) -> Iterator[list[tuple[bytes, str, str]]]:
        """(bytes, path, blob id) of the sources not read before, in batches."""
        batch: list[tuple[bytes, str, str]] = []
        for path in paths:
            try:
                data = (self.root / path).read_bytes()
            except OSError as exc:
                self.unreadable(path, exc)
                continue
            sha = blob_sha(data)
            if not self.known(sha, path):
                batch.append((data, path, sha))
            if len(batch) >= BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    def _pool(self) -> ProcessPoolExecutor | None:
        if self.workers <= 0:
            return None
        # Spawned, not forked: a child of the running reactor must not inherit its state.
        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
