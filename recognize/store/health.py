"""Can the store be written? A real write probe, and failures named in one readable line.

- :func:`check_data_dir`: write (and fsync) a small file in the data directory.
- :func:`write_probe`: commit a tiny write to a state row (waiting for the write lock only
  briefly: a store busy writing is a store that writes).
- :func:`check`: both, for ``/api/v1/health`` and for the worker's back-off.
- :func:`describe_failure`: an exception (OSError, SQLite/PostgreSQL errors, anywhere in its
  chain) as "cannot write …: no space left on device", or None when it is something else.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from recognize.errors import STORAGE_ERRNOS, StorageError, StoreError
from recognize.store.db import Store
from recognize.store.models import State

PROBE_KEY = "health.write_probe"
PROBE_BYTES = 4096
LOCK_WAIT_MS = 1500
MIN_FREE_BYTES = 64 * 1024  # below this a file system counts as full
_SQLITE_REASONS = (  # SQLite's words -> ours
    ("database or disk is full", "no space left on device"),
    ("readonly database", "read-only file system or database file"),
    ("unable to open database file", "cannot open the database file"),
    ("disk i/o error", "disk I/O error"),
)
_PG_CODES = {"53100": "no space left on device (PostgreSQL server)",  # disk_full
             "25006": "read-only transaction (PostgreSQL standby or read-only mode)",
             "53200": "out of memory (PostgreSQL server)"}


@dataclass(frozen=True)
class Health:
    ok: bool
    reason: str | None = None  # one line when not ok


def check(store: Store, data_dir: Path) -> Health:
    """Read, then write for real: the data directory, then a state row in the database."""
    try:
        with store.reading() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # report, do not raise: health must answer
        return Health(False, describe_failure(exc, data_dir) or _short(exc))
    reason = check_data_dir(data_dir) or write_probe(store, data_dir)
    return Health(reason is None, reason)


def check_data_dir(data_dir: Path) -> str | None:
    """None when ``data_dir`` can be written (created if missing); else why not."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".write-probe-", dir=data_dir)
        try:
            os.write(fd, b"\0" * PROBE_BYTES)
            os.fsync(fd)
        finally:
            os.close(fd)
            with suppress(OSError):
                os.unlink(name)
    except OSError as exc:
        return f"cannot write the data directory {data_dir}: {_os_reason(exc, data_dir)}"
    if _free_bytes(data_dir) < MIN_FREE_BYTES:
        return f"cannot write the data directory {data_dir}: no space left on device"
    return None


def require_data_dir(data_dir: Path) -> None:
    """Raise StorageError (one line) when the data directory cannot be written."""
    reason = check_data_dir(data_dir)
    if reason is not None:
        raise StorageError(reason)


def write_probe(store: Store, data_dir: Path | None = None) -> str | None:
    """Commit a tiny write to a state row; None when it worked, else why it did not."""
    now = datetime.now(UTC).isoformat()
    try:
        with store.engine.connect() as conn:
            dbapi = conn.connection.dbapi_connection
            if store.is_sqlite and dbapi is not None:  # wait for a writer only briefly
                dbapi.execute(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
            try:
                with conn.begin():
                    if not store.is_sqlite:
                        conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT_MS}ms'"))
                    done = conn.execute(update(State).where(State.key == PROBE_KEY)
                                        .values(value=now))
                    if not done.rowcount:
                        conn.execute(insert(State).values(key=PROBE_KEY, value=now))
            finally:
                if store.is_sqlite and dbapi is not None:  # as the pool handed it out
                    with suppress(Exception):
                        dbapi.execute("PRAGMA busy_timeout=60000")
    except IntegrityError:
        return None  # another probe inserted the row first: the store writes
    except Exception as exc:  # report, do not raise: health must answer
        if _is_busy(exc):
            return None  # another writer holds the lock: the store is writing
        return describe_failure(exc, data_dir) or f"cannot write the store: {_short(exc)}"
    return None


def describe_failure(exc: BaseException, data_dir: Path | None = None) -> str | None:
    """One line for a failure to write recognize's own data, else None (a bug, say)."""
    for err in _chain(exc):
        if isinstance(err, StorageError):
            return str(err)
        if isinstance(err, OSError) and err.errno in STORAGE_ERRNOS:
            where = f" {err.filename}" if err.filename else ""
            return f"cannot write{where}: {_os_reason(err, data_dir)}"
        if isinstance(err, DBAPIError) and err.orig is not None:
            code = getattr(err.orig, "sqlstate", None)
            if code in _PG_CODES:
                return f"cannot write the store: {_PG_CODES[code]}"
        if isinstance(err, sqlite3.Error) and not isinstance(err, sqlite3.IntegrityError):
            message = str(err).lower()
            for words, ours in _SQLITE_REASONS:
                if words in message:
                    return f"cannot write the store: {_fs_reason(data_dir) or ours}"
    return None


def describe_store_error(exc: StoreError, data_dir: Path | None = None) -> str:
    """A StoreError on one line: SQLAlchemy's text (the SQL, a help link) replaced by the
    cause in plain words when it is known."""
    first = (str(exc).splitlines() or [type(exc).__name__])[0]
    reason = describe_failure(exc.__cause__, data_dir) if exc.__cause__ is not None else None
    if reason is None:
        return first
    what = first.split(": (", 1)[0]  # "cannot migrate store sqlite:////x/recognize.db"
    return f"{what}: {reason.removeprefix('cannot write the store: ')}"


def _chain(exc: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        if isinstance(exc, DBAPIError) and isinstance(exc.orig, BaseException):
            seen.append(exc.orig)
        exc = exc.__cause__ or exc.__context__
    return seen


def _is_busy(exc: BaseException) -> bool:
    for err in _chain(exc):
        if isinstance(err, sqlite3.OperationalError) and "locked" in str(err).lower():
            return True
        if isinstance(err, DBAPIError) and getattr(err.orig, "sqlstate", None) == "55P03":
            return True  # PostgreSQL lock_not_available
    return False


def _os_reason(exc: OSError, data_dir: Path | None) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "no space left on device"
    if exc.errno == errno.EROFS:
        return "read-only file system"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return _fs_reason(data_dir) or (exc.strerror or str(exc)).lower()


def _fs_reason(path: Path | None) -> str | None:
    """What the file system holding ``path`` says about itself (read-only, full)."""
    while path is not None and not path.exists() and path != path.parent:
        path = path.parent
    if path is None:
        return None
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    if st.f_flag & os.ST_RDONLY:
        return "read-only file system"
    if st.f_bavail * st.f_frsize < MIN_FREE_BYTES:
        return "no space left on device"
    return None


def _free_bytes(path: Path) -> int:
    try:
        st = os.statvfs(path)
    except OSError:
        return MIN_FREE_BYTES
    return st.f_bavail * st.f_frsize


def _short(exc: BaseException) -> str:
    if isinstance(exc, SQLAlchemyError):
        inner = getattr(exc, "orig", None)
        return f"{type(exc).__name__}: {str(inner or exc).splitlines()[0]}"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")

