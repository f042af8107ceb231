"""JSONL files that a kill never corrupts: whole groups of lines in one write() each.

A write() to a regular file completes before a signal, even SIGKILL, can end the process, so
a group of lines written by one os.write is in the file entirely or not at all. A file left
with a partial last line anyway (a power cut, an older writer) is repaired before the next
append by cutting that line. Gzip files get one gzip member per group (concatenated members
are one valid gzip stream). Lines are UTF-8, unescaped, fields in Article order.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

from newscrawl.items import Article

FIELD_ORDER = tuple(Article.field_names())


def line(record: dict[str, Any], fields: tuple[str, ...] = FIELD_ORDER) -> str:
    """One JSONL line of a record: its fields in a stable order, UTF-8 unescaped."""
    return json.dumps({name: record.get(name) for name in fields}, ensure_ascii=False) + "\n"


def partition_path(base: Path, fetched_at: str | None, daily: bool, compress: bool) -> Path:
    """`base`, or `<stem>-YYYY-MM-DD<suffix>` for the record's fetch day; `.gz` when compressed."""
    path = base
    if daily:
        path = base.with_name(f"{base.stem}-{(fetched_at or '0000-00-00')[:10]}{base.suffix}")
    return path.with_name(path.name + ".gz") if compress else path


def repair(path: Path) -> int:
    """Cut a partial last line off a plain JSONL file; returns the bytes removed."""
    if path.suffix == ".gz" or not path.exists() or path.stat().st_size == 0:
        return 0
    with path.open("rb+") as f:
        size = f.seek(0, os.SEEK_END)
        f.seek(max(0, size - 1))
        if f.read(1) == b"\n":
            return 0
        # Find the last newline, reading backwards in blocks.
        end = size
        while end > 0:
            start = max(0, end - 65536)
            f.seek(start)
            at = f.read(end - start).rfind(b"\n")
            if at >= 0:
                keep = start + at + 1
                break
            end = start
        else:
            keep = 0
        f.truncate(keep)
        return size - keep


def size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def cut_to(path: Path, size: int, at_line: bool = False) -> bool:
    """Truncate `path` to `size` bytes (with `at_line`, only if that is where a line ends, so a
    file someone replaced is not cut mid-line); whether it was cut."""
    if size_of(path) <= size:
        return False
    with path.open("rb+") as f:
        if at_line and size and path.suffix != ".gz":
            f.seek(size - 1)
            if f.read(1) != b"\n":
                return False
        f.truncate(size)
    return True


def append(path: Path, lines: list[str]) -> None:
    """Append the lines in one write() (one gzip member for a .gz path)."""
    data = "".join(lines).encode("utf-8")
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=6)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:  # a single write() takes it all, but for gigabytes
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
