"""Dataset releases: the archive exported to JSONL/CSV/Parquet files with a manifest.

One read transaction (a consistent snapshot, even while a crawl writes) streams the
selected rows into shards; the manifest records the tool version, the schema with field
descriptions, the filters, the crawl window, counts per media/category/day, what
deduplication skipped, and each file's sha256 and record count. `verify()` checks a release
against its manifest. A delta release (`since_release`) holds the articles written after
the given release was cut (the archive's write counter `seq`, recorded in its manifest).

Cluster deduplication keeps one representative per cluster (copies of one text): the
earliest published article of the cluster among the selected ones (ties: the smallest id;
undated articles last). Story deduplication keeps one per story (one event): the fullest
write-up among the selected ones (the longest text, then the earliest). The archive's
releases.py selects the rows.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawl import __version__
from newscrawl.archive import ArchiveError, ArchiveReader
from newscrawl.archive.releases import Selection
from newscrawl.archive.search import check_bound
from newscrawl.export.writers import ShardWriter
from newscrawl.items import Article

MANIFEST = "manifest.json"
FORMATS = ("jsonl", "csv", "parquet")
DEDUP_MODES = ("none", "exact", "cluster", "story")
TIME_FIELDS = {"published": "published_at", "fetched": "fetched_at"}


class ExportError(Exception):
    """A release cannot be made or checked; the message says why."""


@dataclass
class Filters:
    since: str | None = None
    until: str | None = None
    time: str = "published"  # which time since/until compare with: published or fetched
    category: str | None = None
    media: str | None = None
    query: str | None = None
    dedup: str = "none"
    since_release: str | None = None
    since_seq: int | None = field(default=None, repr=False)

    def check(self) -> None:
        if self.dedup not in DEDUP_MODES:
            raise ExportError(f"--dedup must be one of {', '.join(DEDUP_MODES)}, not {self.dedup!r}")
        if self.time not in TIME_FIELDS:
            raise ExportError(f"--time must be published or fetched, not {self.time!r}")
        for name in ("since", "until"):
            try:
                check_bound(name, getattr(self, name))
            except ValueError as exc:
                raise ExportError(str(exc)) from None

    def selection(self, ids: tuple[str, ...] | None = None) -> Selection:
        """The archive's selection for these filters (`ids`: the --query hits)."""
        return Selection(self.since, self.until, TIME_FIELDS[self.time], self.category, self.media, ids,
                         self.dedup, self.since_seq)


def export(
    archive_path: Path,
    out: Path,
    filters: Filters,
    formats: tuple[str, ...] = ("jsonl",),
    fields: tuple[str, ...] | None = None,
    shard_size: int = 0,
    progress: Callable[[int, int, float], None] | None = None,
) -> dict[str, Any]:
    """Write a release of the archive into `out`; returns its manifest."""
    filters.check()
    fields = fields or tuple(Article.field_names())
    unknown = [f for f in fields if f not in Article.field_names()]
    if unknown:
        raise ExportError(f"unknown --fields {', '.join(unknown)}; fields are: {', '.join(Article.field_names())}")
    for fmt in formats:
        if fmt not in FORMATS:
            raise ExportError(f"--format must be among {', '.join(FORMATS)}, not {fmt!r}")
    if "parquet" in formats:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ExportError("--format parquet needs pyarrow (pip install pyarrow)") from None
    if filters.since_release:
        filters.since_seq = read_manifest(Path(filters.since_release))["archive"]["seq"]
    try:
        archive = ArchiveReader.open(archive_path)
    except ArchiveError as exc:
        raise ExportError(str(exc)) from None
    try:
        _writable(out)
        with archive.snapshot():  # one snapshot for the rows, the counts and the manifest
            ids = tuple(h.id for h in archive.search(filters.query, limit=None)) if filters.query else None
            rows = archive.release_rows(filters.selection(ids), fields, with_fields=bool(set(formats) - {"jsonl"}))
            writers = [ShardWriter(out, fmt, fields, shard_size) for fmt in formats]
            counts = {"media": Counter(), "category": Counter(), "day": Counter()}
            window = _Window()
            started, written = time.monotonic(), 0
            at = {name: rows.at(name) for name in ("_line", "_media", "_category", "_published_at", "_fetched_at")}
            needs_record = any(w.format != "jsonl" for w in writers)
            for row in rows.cursor:
                record = rows.record(row) if needs_record else None
                for writer in writers:
                    writer.write(row[at["_line"]], record)
                counts["media"][row[at["_media"]] or ""] += 1
                counts["category"][row[at["_category"]] or ""] += 1
                counts["day"][(row[at["_published_at"]] or "")[:10]] += 1
                window.add(row[at["_published_at"]], row[at["_fetched_at"]])
                written += 1
                if progress is not None and written % 1000 == 0:
                    progress(written, rows.total, time.monotonic() - started)
            files = [f for writer in writers for f in writer.close()]
            runs, first_run, last_run = archive.run_window()
            manifest = {
                "tool": {"name": "newscrawl", "version": __version__},
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "archive": {"path": str(archive_path), "schema_version": archive.schema_version(),
                            "seq": archive.write_counter()},
                "filters": {k: v for k, v in asdict(filters).items() if k != "since_seq"} | {"since_seq": filters.since_seq},
                "schema": {"fields": [{"name": f, "description": Article.descriptions()[f]} for f in fields]},
                "crawl_window": {**window.as_dict(), "runs": runs, "first_run_started_at": first_run,
                                 "last_run_finished_at": last_run},
                "counts": {"records": written, "per_media": dict(sorted(counts["media"].items())),
                           "per_category": dict(sorted(counts["category"].items())),
                           "per_day": dict(sorted(counts["day"].items()))},
                "dedup": {"mode": filters.dedup, "selected": rows.selected, "exported": written,
                          "skipped": rows.selected - written},
                "files": files,
            }
    finally:
        archive.close()
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if progress is not None:
        progress(written, rows.total, time.monotonic() - started)
    return manifest


@dataclass
class _Window:
    first_published_at: str | None = None
    last_published_at: str | None = None
    first_fetched_at: str | None = None
    last_fetched_at: str | None = None

    def add(self, published_at: str | None, fetched_at: str | None) -> None:
        for kind, value in (("published", published_at), ("fetched", fetched_at)):
            if value:
                first, last = f"first_{kind}_at", f"last_{kind}_at"
                if getattr(self, first) is None or value < getattr(self, first):
                    setattr(self, first, value)
                if getattr(self, last) is None or value > getattr(self, last):
                    setattr(self, last, value)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".newscrawl-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ExportError(f"cannot write to {out}: {exc.strerror or exc}") from None


def read_manifest(release: Path) -> dict[str, Any]:
    path = release / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportError(f"no {MANIFEST} in {release}: not a newscrawl release") from None
    except json.JSONDecodeError as exc:
        raise ExportError(f"{path} is not valid JSON: {exc}") from None


def verify(release: Path) -> list[str]:
    """Mismatches between a release's files and its manifest (empty: the release is intact)."""
    manifest = read_manifest(release)
    problems = []
    listed = {f["name"] for f in manifest["files"]}
    for entry in manifest["files"]:
        path = release / entry["name"]
        if not path.exists():
            problems.append(f"{entry['name']}: missing")
            continue
        digest, size = hashlib.sha256(), 0
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        if digest.hexdigest() != entry["sha256"]:
            problems.append(f"{entry['name']}: sha256 {digest.hexdigest()} != manifest {entry['sha256']}")
        if size != entry["bytes"]:
            problems.append(f"{entry['name']}: {size} bytes != manifest {entry['bytes']}")
        if entry["format"] == "jsonl" and digest.hexdigest() == entry["sha256"]:
            with path.open("rb") as f:
                lines = sum(1 for _ in f)
            if lines != entry["records"]:
                problems.append(f"{entry['name']}: {lines} records != manifest {entry['records']}")
    for path in sorted(release.iterdir()):
        if path.name not in listed and path.name != MANIFEST:
            problems.append(f"{path.name}: not in the manifest")
    return problems
