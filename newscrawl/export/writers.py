"""Release files: records written to numbered shards of one format, hashed as they are written.

JSONL lines come ready-made from SQLite; CSV rows and Parquet tables are built from the
records (lists and objects as JSON text, every Parquet column a string so shards agree).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class _Shard:
    name: str
    format: str
    records: int = 0
    bytes: int = 0
    sha256: Any = field(default_factory=hashlib.sha256)


class ShardWriter:
    """Writes records to numbered shards of one format, hashing what it writes."""

    def __init__(self, out: Path, fmt: str, fields: tuple[str, ...], shard_size: int) -> None:
        self.out, self.format, self.fields, self.shard_size = out, fmt, fields, shard_size
        self.shards: list[_Shard] = []
        self._file: Any = None
        self._rows: list[dict[str, Any]] = []  # parquet: one shard's rows, written at its end
        self._pending: list[str] = []  # jsonl: lines not written yet
        self._text = io.StringIO()  # csv: rows not written yet
        self._csv = csv.writer(self._text)

    def write(self, json_line: str, record: dict[str, Any] | None) -> None:
        """One record: its JSON line (made by SQLite) and, for CSV/Parquet, its fields."""
        if not self.shards or (self.shard_size and self.shards[-1].records >= self.shard_size):
            self._next_shard()
        self.shards[-1].records += 1
        if self.format == "jsonl":
            self._pending.append(json_line)
            self._pending.append("\n")
            if len(self._pending) >= 2000:
                self._flush()
        elif self.format == "parquet":
            assert record is not None
            self._rows.append({k: _flat(record.get(k)) for k in self.fields})
        else:
            assert record is not None
            self._csv.writerow([csv_cell(_flat(record.get(k))) for k in self.fields])
            if self._text.tell() >= 1 << 20:
                self._flush()

    def _flush(self) -> None:
        """Hash and write what is pending, a chunk at a time."""
        if self.format == "jsonl":
            text, self._pending = "".join(self._pending), []
        else:
            text = self._text.getvalue()
            self._text.seek(0)
            self._text.truncate()
        self._put(text.encode("utf-8"))

    def _put(self, data: bytes) -> None:
        shard = self.shards[-1]
        shard.sha256.update(data)
        shard.bytes += len(data)
        self._file.write(data)

    def _next_shard(self) -> None:
        self._close_shard()
        n = len(self.shards) + 1
        name = f"articles-{n:05d}.{self.format}" if self.shard_size else f"articles.{self.format}"
        self.shards.append(_Shard(name, self.format))
        if self.format != "parquet":
            self._file = (self.out / name).open("wb")
            if self.format == "csv":
                self._csv.writerow(self.fields)

    def _close_shard(self) -> None:
        if self._file is not None:
            self._flush()
            self._file.close()
            self._file = None
        if self.format == "parquet" and self.shards and not self.shards[-1].bytes:
            import pyarrow as pa
            import pyarrow.parquet as pq

            # Every column a string (lists/objects as JSON): shards agree whatever their values.
            schema = pa.schema([(name, pa.string()) for name in self.fields])
            path = self.out / self.shards[-1].name
            pq.write_table(pa.Table.from_pylist(self._rows, schema=schema), path)
            self._rows = []
            data = path.read_bytes()
            self.shards[-1].sha256.update(data)
            self.shards[-1].bytes = len(data)

    def close(self) -> list[dict[str, Any]]:
        if not self.shards:
            self._next_shard()  # an empty release still has its (empty) file
        self._close_shard()
        return [{"name": s.name, "format": s.format, "records": s.records, "bytes": s.bytes,
                 "sha256": s.sha256.hexdigest()} for s in self.shards]


# A spreadsheet runs a cell that begins with one of these as a formula (=HYPERLINK(…) leaks,
# =cmd|… runs); OWASP's advice is a leading apostrophe, which shows the text as it is.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell no spreadsheet runs: text that would start a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _flat(value: Any) -> Any:
    """A CSV/Parquet cell: lists and objects as JSON text."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value
