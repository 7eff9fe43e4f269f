"""Who is asking: the authenticated user, the mounts they own, and the shared backend."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from wsgidav.dav_error import HTTP_BAD_REQUEST, HTTP_CONFLICT, DAVError

from recognize.config import Settings
from recognize.errors import BadName, Conflict
from recognize.store import Store, accounts
from recognize.store.accounts import Viewer

CTX_KEY = "recognize.dav.context"
GENERATION_KEY = "recognize.dav.generation"
MOUNT_CACHE_SECONDS = 5.0
MEMO_ENTRIES = 4096  # resolutions kept across requests (all users); past it, start afresh
READ_METHODS = frozenset({"GET", "HEAD", "PROPFIND", "OPTIONS"})
T = TypeVar("T")


@dataclass(frozen=True)
class MountInfo:
    id: int
    name: str
    root: Path
    writable: bool
    follow_symlinks: bool
    remote: bool = False


@dataclass
class Backend:
    """Long-lived things shared by every request: the store, the settings, small caches."""

    settings: Settings
    store: Store
    cache: dict[Any, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _free: tuple[float, int] = (0.0, 0)

    @property
    def data_dir(self) -> Path:
        return Path(self.settings.store.data_dir)

    def free_bytes(self) -> int:
        """Free space of the data directory (cached for 10 s): quota for virtual folders."""
        now = time.monotonic()
        if now - self._free[0] > 10:
            try:
                self._free = (now, shutil.disk_usage(self.data_dir).free)
            except OSError:
                self._free = (now, 0)
        return self._free[1]

    def cached_mounts(self, user: str) -> tuple[int | None, list[MountInfo], Viewer | None]:
        """Users and mounts change only with the config: cache them for a few seconds."""
        key = ("mounts", user)
        now = time.monotonic()
        with self.lock:
            hit = self.cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        with self.store.reading() as session:
            found = self.user_mounts(session, user)
        with self.lock:
            self.cache[key] = (now + MOUNT_CACHE_SECONDS, found)
        return found

    def memo(self, environ: dict[str, Any], key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, reused while the store has seen no commit (see
        :meth:`recognize.store.Store.generation`): a reading request's resolution (the
        persons list, a person's photos) costs one query the first time and none after,
        and any change (a rename, a move, a worker's batch) is seen on the next request.
        Writing requests, and stores without a generation, always compute."""
        generation = self._generation(environ)
        if generation is None:
            return compute()
        with self.lock:
            hit = self.cache.get(("memo", key))
        if hit is not None and hit[0] == generation:
            return hit[1]
        value = compute()
        with self.lock:
            if len(self.cache) > MEMO_ENTRIES:
                self.cache.clear()
            self.cache[("memo", key)] = (generation, value)
        return value

    def peek(self, environ: dict[str, Any], key: Hashable) -> Any:
        """What :meth:`memo` holds for ``key`` at the store's current generation, else None."""
        generation = self._generation(environ)
        with self.lock:
            hit = self.cache.get(("memo", key))
        return hit[1] if generation is not None and hit is not None and hit[0] == generation \
            else None

    def _generation(self, environ: dict[str, Any]) -> int | None:
        """The store's generation, read once per request (one consistent view); None for
        writing requests: they never reuse."""
        if environ.get("REQUEST_METHOD") not in READ_METHODS:
            return None
        if GENERATION_KEY not in environ:
            environ[GENERATION_KEY] = self.store.generation()
        generation: int | None = environ[GENERATION_KEY]
        return generation

    def user_mounts(self, session: Session, user: str
                    ) -> tuple[int | None, list[MountInfo], Viewer | None]:
        configured = {m.name: m for m in self.settings.mounts}
        uid = accounts.user_id(session, user)
        mounts = []
        served = accounts.served_mounts(session, user, self.settings.mount_owners())
        for ref in served if uid is not None else []:
            cfg = configured[ref.name]
            remote = cfg.path.startswith(("http://", "https://"))
            mounts.append(MountInfo(ref.id, ref.name, Path(cfg.path), cfg.writable and not remote,
                                    cfg.follow_symlinks, remote))
        seen = None if uid is None else accounts.viewer(session, uid, {m.id for m in mounts})
        return uid, mounts, seen


NOBODY = Viewer(0, {0: ()})  # an unknown user's view: no mounts, no persons, no own tags


@dataclass(frozen=True, eq=False)
class UserContext:
    """One request's view: only this user's mounts and persons are ever queried.

    ``viewer`` is the user's (``store.accounts.Viewer``: its id and person owners) once the
    user is authenticated and known; :data:`NOBODY` otherwise, so ``user_id`` is always an
    int (0 for nobody, whose requests reach no resource below the root)."""

    backend: Backend
    user: str
    environ: dict[str, Any]
    viewer: Viewer = NOBODY
    mounts: dict[int, MountInfo] = field(default_factory=dict)
    known: bool = False  # an authenticated user the store knows

    @classmethod
    def of(cls, backend: Backend, user: str, environ: dict[str, Any]) -> UserContext:
        if not user:
            return cls(backend, user, environ)
        uid, mounts, seen = backend.cached_mounts(user)
        if uid is None or seen is None:
            return cls(backend, user, environ)
        return cls(backend, user, environ, seen, {m.id: m for m in mounts}, known=True)

    @property
    def user_id(self) -> int:
        return self.viewer.user_id

    @property
    def mount_ids(self) -> list[int]:
        return list(self.mounts)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A writing session (commits on success)."""
        with self.backend.store.session() as session:
            yield session

    @contextmanager
    def change(self) -> Iterator[Session]:
        """A writing session for a change the user names (a new or renamed person or tag):
        a name the store refuses is a 400, a clash with another one a 409."""
        try:
            with self.session() as session:
                yield session
        except BadName as bad:
            raise DAVError(HTTP_BAD_REQUEST, str(bad)) from None
        except Conflict as exc:
            raise DAVError(HTTP_CONFLICT, str(exc)) from None

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session: listings and properties never wait for writers."""
        with self.backend.store.reading() as session:
            yield session

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """:meth:`Backend.memo` keyed on this user and their mounts as well."""
        return self.backend.memo(self.environ, (self.user, tuple(self.mounts), key), compute)

    def peek(self, key: Hashable) -> Any:
        return self.backend.peek(self.environ, (self.user, tuple(self.mounts), key))

    def read(self, key: Hashable, query: Callable[[Session], T]) -> T:
        """``query`` in a reading session, memoised under ``key`` (see :meth:`memo`);
        ``key`` None: queried every time."""
        def compute() -> T:
            with self.reading() as session:
                return query(session)
        return compute() if key is None else self.memo(key, compute)

    def mount_by_name(self, name: str) -> MountInfo | None:
        return next((m for m in self.mounts.values() if m.name == name), None)


def context(backend: Backend, environ: dict[str, Any]) -> UserContext:
    ctx = environ.get(CTX_KEY)
    if ctx is None:
        ctx = environ[CTX_KEY] = UserContext.of(
            backend, environ.get("wsgidav.auth.user_name") or "", environ
        )
    return ctx
