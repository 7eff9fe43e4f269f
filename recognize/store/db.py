"""Opening the store: engine (SQLite WAL by default, PostgreSQL by URL), migrations, sessions."""

from __future__ import annotations

import ast
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from recognize.errors import StoreError
from recognize.log import get_logger

log = get_logger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")


class Store:
    """An engine plus a session factory; ``with store.session() as s:`` commits on success."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite: writers take the lock at BEGIN; readers get their own engine whose
        # transactions never write, so in WAL mode they neither wait for nor block writers
        self._reader = make_engine(url, reader=True) if self.is_sqlite else self.engine
        self._readers = sessionmaker(self._reader, expire_on_commit=False)
        self._watch: Any = None  # SQLite: one connection that only asks PRAGMA data_version
        self._watch_lock = threading.Lock()
        self._memo: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
        if migrate:
            upgrade(self.engine)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only (never commits): many run at once beside one writer."""
        session = self._readers()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def generation(self) -> int | None:
        """A number that changes whenever any connection (this process's writers, another
        worker's) has committed since the last call — SQLite's ``PRAGMA data_version`` on a
        connection of its own that never writes; a few microseconds. ``None`` where no such
        counter exists (PostgreSQL): callers must not reuse results across requests then."""
        if not self.is_sqlite or self.url.endswith(":memory:") or self.url == "sqlite://":
            return None
        with self._watch_lock:
            if self._watch is None:
                self._watch = self._reader.raw_connection()
            cursor = self._watch.cursor()
            try:
                cursor.execute("PRAGMA data_version")
                row = cursor.fetchone()
            finally:
                cursor.close()
        return int(row[0])

    def memo(self, key: Hashable, compute: Callable[[], Any], size: int = 64) -> Any:
        """``compute()``, reused while :meth:`generation` holds (nothing committed since) for
        the same ``key`` (which must name everything the result depends on: user, mounts,
        arguments); the ``size`` latest keys are kept. PostgreSQL: always computed."""
        generation = self.generation()
        if generation is None:
            return compute()
        with self._watch_lock:
            hit = self._memo.get(key)
        if hit is not None and hit[0] == generation:
            return hit[1]
        value = compute()  # read after the generation: a commit in between only misses later
        with self._watch_lock:
            self._memo[key] = (generation, value)
            self._memo.move_to_end(key)
            while len(self._memo) > size:
                self._memo.popitem(last=False)
        return value

    def close(self) -> None:
        with self._watch_lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
        self.engine.dispose()
        self._reader.dispose()


def make_engine(url: str, *, reader: bool = False) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 60, "check_same_thread": False}
    else:
        kwargs.update(pool_pre_ping=True, pool_size=8, max_overflow=8)
    try:
        engine = create_engine(url, **kwargs)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(f"cannot open store {redact(url)}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        # writers take the write lock at BEGIN (no lock-upgrade deadlocks); readers defer
        begin = "BEGIN" if reader else "BEGIN IMMEDIATE"
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.close()


def redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


MIGRATION_LOCK = 0x7265636F  # PostgreSQL advisory lock id: one node migrates at a time


_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*(.+?)\s*$", re.M)


def script_heads() -> frozenset[str] | None:
    """The head revisions of the migration scripts, read as text (no Alembic import, no
    module executed); ``None`` when a script does not say its revisions plainly."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION.findall(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            parent = ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        parents.update([parent] if isinstance(parent, str) else parent or ())
    return frozenset(revisions - parents) or None


def at_head(engine: Engine) -> bool:
    """The store is at the scripts' head already: nothing to migrate (a restart's usual case;
    Alembic costs ~0.5-1 s of start-up even when it has nothing to do)."""
    heads = script_heads()
    if heads is None:
        return False
    try:
        with engine.connect() as conn:
            current = frozenset(conn.execute(text("SELECT version_num FROM alembic_version"))
                                .scalars())
    except SQLAlchemyError:
        return False  # a new store: no version table yet
    return current == heads


def upgrade(engine: Engine) -> None:
    """Apply every Alembic migration (idempotent; run on start-up by every node)."""
    if at_head(engine):
        return
    from alembic import command

    try:
        if engine.dialect.name != "postgresql":
            command.upgrade(alembic_config(engine), "head")
            return
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK})
            conn.commit()
            try:
                cfg = alembic_config(engine)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK})
                conn.commit()
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate store {redact(str(engine.url))}: {exc}") from exc


def current_tables(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())
