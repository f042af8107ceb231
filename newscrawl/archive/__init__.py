"""The archive: the only place that knows the SQLite layout.

- writer.Archive: the one writer of a crawl (articles, revisions, clusters, captures, runs,
  both full-text indexes and the near-duplicate keys), in grouped transactions;
- reader.ArchiveReader: every read, by name (articles, search, captures, runs, releases);
- schema (tables, migrations), guard (what a file must be to be read or written), fts and search (Chinese full-text search), nearindex (the
  near-duplicate key index), captures, runs and releases (their tables' SQL), queries
  (Datasette's canned queries).
"""

from newscrawl.archive.guard import ArchiveError, StorageError, storage_problem, write_problem
from newscrawl.archive.reader import ArchiveReader, integrity_problems, is_archive
from newscrawl.archive.writer import Archive, UpsertResult, unchanged, url_key

__all__ = ["Archive", "ArchiveError", "ArchiveReader", "StorageError", "UpsertResult", "integrity_problems", "is_archive",
           "storage_problem", "unchanged", "url_key", "write_problem"]
