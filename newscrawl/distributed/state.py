"""What workers need from the archive, published to Redis by the archiver.

An incremental run asks the archive: is this post archived (and from the site)? did a
finished run read this page and drop it? which categories are archived? what are a listing's
validators (and its body, for a 304)? which repository sources were read? which share answers
are due again? A worker has no archive, so the archiver publishes those answers (`publish`)
when it starts and after each run it archives, and workers read them (`RedisState`, which
answers the same questions the archive does, for crawling/incremental.py).

Each part is built under a temporary key and renamed into place, so a worker never reads a
half-published state.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import redis

from newscrawl.archive import ArchiveReader
from newscrawl.archive.captures import Capture
from newscrawl.crawling.share_retries import Backoff
from newscrawl.distributed import Keys, send
from newscrawl.parsing.urls import PageKind, article_id_from_url, is_site_url

logger = logging.getLogger(__name__)
LISTING_KINDS = (PageKind.HOME.value, PageKind.FEED.value, PageKind.CATEGORY.value)
PARTS = ("posts", "dropped", "categories", "listings", "validators", "sources", "shares")


def publish(reader: ArchiveReader, client: redis.Redis, keys: Keys, backoff: Backoff = Backoff(),
            batch: int = 5000) -> dict[str, int]:
    """Publish the archive's state; how many entries each part has."""
    counts: dict[str, int] = {}
    staging = {part: keys.state(f"{part}:staging") for part in PARTS}
    client.delete(*staging.values())

    def fill(part: str, entries: Iterator[Any], hashed: bool) -> None:
        pipe, n = client.pipeline(transaction=False), 0
        for entry in entries:
            if hashed:
                pipe.hset(staging[part], entry[0], entry[1])
            else:
                pipe.sadd(staging[part], entry)
            n += 1
            if n % batch == 0:
                send(pipe)
        send(pipe)
        counts[part] = n

    site_ids: set[str] = set()

    def posts() -> Iterator[tuple[str, str]]:
        for chunk in reader.archived_posts():
            for article_id, url, published in chunk:
                if is_site_url(url or ""):
                    site_ids.add(article_id)
                yield article_id, json.dumps([url, published])

    fill("posts", posts(), True)
    # Pages a finished run read and got no article from (broken posts): a worker skips them.
    dropped = (url for url in reader.captured_urls(PageKind.POST.value)
               if article_id_from_url(url) not in site_ids and reader.read_by_finished_run(url))
    fill("dropped", dropped, False)
    site_ids.clear()
    fill("categories", iter(reader.categories()), False)
    # The validators apart too: every conditional request asks for them, only a 304 needs the body.
    validators: list[tuple[str, str]] = []

    def listings() -> Iterator[tuple[str, bytes]]:
        for kind in LISTING_KINDS:
            for url in reader.captured_urls(kind):
                if (capture := reader.last_capture(url)) is not None:
                    validators.append((url, json.dumps([capture.etag, capture.last_modified])))
                    yield url, encode_capture(capture)

    fill("listings", listings(), True)
    fill("validators", iter(validators), True)
    fill("sources", iter(reader.archived_sources()), False)
    now = datetime.now(UTC)
    due = [i for i, attempts, last in reader.missing_shares() if backoff.due(attempts, last, now)]
    fill("shares", ((r["id"], json.dumps(r, ensure_ascii=False)) for r in reader.records(due)), True)
    pipe = client.pipeline()
    for part in PARTS:
        target = keys.state(part)
        if counts[part]:
            pipe.rename(staging[part], target)
        else:
            pipe.delete(target)
    pipe.set(keys.state("published_at"), now.isoformat(timespec="seconds"))
    send(pipe)
    return counts


def encode_capture(capture: Capture) -> bytes:
    return json.dumps({"url": capture.url, "fetched_at": capture.fetched_at, "status": capture.status,
                       "content_type": capture.content_type, "etag": capture.etag,
                       "last_modified": capture.last_modified,
                       "zbody": base64.b64encode(capture.zbody).decode()}).encode()


def decode_capture(data: bytes) -> Capture:
    fields = json.loads(data)
    return Capture(zbody=base64.b64decode(fields.pop("zbody")), **fields)


class RedisState:
    """The archive's answers for a worker's incremental run, read from Redis."""

    failed = None  # nothing of a worker's is written here

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self.published_at = client.get(keys.state("published_at"))

    def archived_post(self, article_id: str) -> tuple[str | None, str | None] | None:
        found = self.client.hget(self.keys.state("posts"), article_id)
        if found is None:
            return None
        url, published = json.loads(found)
        return url, published

    def read_by_finished_run(self, url: str) -> bool:
        return bool(self.client.sismember(self.keys.state("dropped"), url))

    def categories(self) -> list[str]:
        return sorted(c.decode() for c in self.client.smembers(self.keys.state("categories")))

    def last_capture(self, url: str) -> Capture | None:
        found = self.client.hget(self.keys.state("listings"), url)
        return decode_capture(found) if found is not None else None

    def capture_validators(self, url: str) -> tuple[str | None, str | None] | None:
        found = self.client.hget(self.keys.state("validators"), url)
        if found is None:
            return None
        etag, last_modified = json.loads(found)
        return etag, last_modified

    def archived_source(self, sha: str) -> bool:
        return bool(self.client.sismember(self.keys.state("sources"), sha))

    def due_shares(self, skip: set[str] | None) -> Iterator[dict[str, Any]]:
        """The archived articles whose share answer is due again (as the archiver judged it)."""
        if skip is None:
            return
        for article_id, record in self.client.hscan_iter(self.keys.state("shares"), count=500):
            if article_id.decode() not in skip:
                yield json.loads(record)
