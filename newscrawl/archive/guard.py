"""What a file must be for newscrawl to read it or write it, and the one-line reasons when not.

A reader refuses anything but an archive of a schema it reads; a writer refuses another
program's SQLite file (tables of its own, or an `articles` table without an article's
columns) and an archive of a newer newscrawl. Either leaves the file as it found it.
"""

from __future__ import annotations

import errno
import functools
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, Protocol, TypeVar

from newscrawl.archive.schema import ARTICLES, CAPTURES, CLUSTERS, REVISIONS, RUNS, VERSION


class ArchiveError(Exception):
    """The file is no archive this newscrawl can use; the message says why and what to do."""


class StorageError(ArchiveError):
    """A write failed for want of storage (a full disk, a read-only file or filesystem): what
    was not committed is lost, and nothing more can be written. The message says which file and why."""


# What the operating system says when a file cannot grow or be written; SQLite's codes for the same.
_ERRNO_WORDS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file is as large as the filesystem or the process's file size limit allows",
    errno.EROFS: "the filesystem is read-only",
    errno.EACCES: "it is not writable by this user",
    errno.EPERM: "it is not writable by this user",
    errno.EIO: "the disk gave an I/O error",
}
_SQLITE_WORDS = {
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_READONLY: "it is read-only",
    sqlite3.SQLITE_CANTOPEN: "SQLite cannot create its -wal/-shm or journal files beside it (a read-only directory?)",
    sqlite3.SQLITE_PERM: "it is not writable by this user",
    sqlite3.SQLITE_IOERR: "a write failed (a full disk, a file size limit or an I/O error)",
}


def storage_problem(exc: BaseException, path: object) -> str | None:
    """The one-line reason of a write that failed for want of storage, or None for any other error."""
    if isinstance(exc, OSError) and exc.errno in _ERRNO_WORDS:
        return f"cannot write {exc.filename or path}: {_ERRNO_WORDS[exc.errno]} ({exc.strerror})"
    if isinstance(exc, sqlite3.Error) and (code := primary_code(exc)) in _SQLITE_WORDS:
        return f"cannot write the archive at {path}: {_SQLITE_WORDS[code]} ({exc})"
    return None


def write_problem(exc: BaseException, path: object) -> str | None:
    """storage_problem(), and for any other OSError of a write (a directory where the file
    should be, a path through a file) its one-line reason too: a write that cannot be done
    stops the crawl the same way. None for an error that is no write's (a bug: raised)."""
    problem = storage_problem(exc, path)
    if problem is None and isinstance(exc, OSError):
        problem = f"cannot write {exc.filename or path}: {exc.strerror or exc}"
    return problem


class Storage(Protocol):
    """What `writes` guards: the archive's writer."""

    failed: str | None
    path: Any

    def _fail(self, problem: str) -> None: ...


P = ParamSpec("P")
R = TypeVar("R")


def writes(method: Callable[P, R]) -> Callable[P, R]:
    """A write of the archive's: a failure for want of storage (a full disk, a read-only file)
    rolls back what was not committed, marks the archive failed (every later write raises
    StorageError at once, without trying), tells `on_failure`, and raises StorageError."""

    @functools.wraps(method)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        archive: Storage = args[0]  # type: ignore[assignment]
        if archive.failed is not None:
            raise StorageError(archive.failed)
        try:
            return method(*args, **kwargs)
        except (sqlite3.Error, OSError) as exc:
            problem = write_problem(exc, archive.path)
            if problem is None:
                raise
            archive._fail(problem)
            raise StorageError(problem) from None

    return guarded


# Readers need what version 4 has (both full-text indexes in today's format, `seq`, the
# captures' validators); later versions only add, so they read older archives from 4 on.
MIN_READABLE = 4
# Tables every archive since versioning has.
_CORE = (ARTICLES, REVISIONS, CLUSTERS, RUNS, CAPTURES)
# Columns every newscrawl `articles` table has had: another program's `articles` lacks them.
_ARTICLE_CORE = {"id", "url", "title", "body_text", "content_hash"}

Problem = Callable[[sqlite3.Connection, object], "str | None"]


def _layout(conn: sqlite3.Connection) -> tuple[int, set[str], bool]:
    """(user_version, table names, whether `articles` is newscrawl's)."""
    found = int(conn.execute("pragma user_version").fetchone()[0])
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    columns = {r[1] for r in conn.execute(f"pragma table_info([{ARTICLES}])")} if ARTICLES in tables else set()
    return found, tables, _ARTICLE_CORE <= columns


def readable_problem(conn: sqlite3.Connection, path: object) -> str | None:
    """Why a reader cannot read the database on `conn` (None: it can). Reads only."""
    found, tables, ours = _layout(conn)
    if not ours:
        return f"{path} is not a newscrawl archive (it has no newscrawl `{ARTICLES}` table)"
    if found > VERSION:
        return (f"{path} was made by a newer newscrawl (schema version {found}; this one reads up to {VERSION}): "
                "upgrade newscrawl")
    missing = [t for t in _CORE if t not in tables]
    if found < MIN_READABLE or missing:
        return (f"{path} has an older archive schema (version {found}; this newscrawl reads {MIN_READABLE} "
                f"to {VERSION}): upgrade it with `scrapy migrate --db {path}` (a crawl into it does too)")
    return None


def foreign_problem(conn: sqlite3.Connection, path: object) -> str | None:
    """Why a writer must not touch the database on `conn`: another program's tables, or a
    newer newscrawl's schema (None: it is empty or an archive this newscrawl can migrate)."""
    found, tables, ours = _layout(conn)
    if tables and not ours:
        return f"{path} is not a newscrawl archive (it has tables of another program's): not touched"
    if found > VERSION and ours:
        return (f"{path} was made by a newer newscrawl (schema version {found}; this one writes {VERSION}): "
                "upgrade newscrawl")
    return None


def refuse(conn: sqlite3.Connection, path: object, problem: Problem) -> None:
    """Close `conn` and raise ArchiveError if `problem` finds one, or if SQLite cannot read it."""
    try:
        found = problem(conn, path)
    except sqlite3.DatabaseError as exc:
        found = unreadable(path, exc)
    if found:
        conn.close()
        raise ArchiveError(found)


def primary_code(exc: sqlite3.Error) -> int | None:
    """SQLite's primary result code of an error (its extended codes carry it in the low byte)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if code is not None else None


def unreadable(path: object, exc: sqlite3.Error) -> str:
    """The reason SQLite gave, in words."""
    code = primary_code(exc)
    if code == sqlite3.SQLITE_NOTADB:
        return f"{path} is not an SQLite database ({exc})"
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        where = Path(str(path))
        if not os.access(where.parent, os.W_OK) or (where.exists() and not os.access(where, os.W_OK)):
            return (f"cannot write the archive at {path}: it is read-only, or its directory is (SQLite makes "
                    f"its -wal and -shm files beside it) ({exc})")
        return (f"cannot open {path}: {exc} (an archive in WAL mode needs its directory writable, for "
                "SQLite's -wal and -shm files)")
    return f"cannot read {path}: {exc}"
