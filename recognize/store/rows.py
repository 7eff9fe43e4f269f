"""Plain rows behind the WebDAV tree's listings, and the aggregates collection etags use.

Every listing is one query returning plain tuples (no ORM objects), so a folder of 10,000
photos costs one round trip. ``Stat`` aggregates (count, sum of ids, sum of mtimes, bytes)
are what collection etags are made of: cheap to compute and they change when members do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from recognize.store.models import Photo


@dataclass(frozen=True)
class Stat:
    count: int = 0
    id_sum: int = 0
    mtime_sum: int = 0  # milliseconds
    size: int = 0
    mtime_max: int = 0  # nanoseconds

    def key(self) -> str:
        return f"{self.count}-{self.id_sum}-{self.mtime_sum}-{self.size}"


@dataclass(frozen=True)
class PhotoRow:
    id: int
    mount_id: int
    path: str
    size: int
    mtime_ns: int
    mime: str | None
    face_id: int | None = None  # unassigned/: the face this entry stands for
    face_pos: int = 0  # 1-based left-to-right position; 0 when the photo has one face
    face_box: tuple[float, float, float, float] | None = None  # x, y, w, h (fractions)
    face_marks: Any = None  # its 5 landmarks (fractions), for the face crop

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Group:
    key: Any  # person id, tag id, country, year...
    name: str | None
    stat: Stat | None  # None: not computed (a name lookup)
    kind: str = ""


PHOTO_COLS = (Photo.id, Photo.mount_id, Photo.path, Photo.size, Photo.mtime_ns, Photo.mime)


def stat_cols(id_col: Any = Photo.id) -> tuple[Any, ...]:
    """The five aggregates of a :class:`Stat`, over the members counted by ``id_col``."""
    return (
        func.count(id_col),
        func.coalesce(func.sum(id_col), 0),
        func.coalesce(func.sum(Photo.mtime_ns // 1_000_000), 0),
        func.coalesce(func.sum(Photo.size), 0),
        func.coalesce(func.max(Photo.mtime_ns), 0),
    )


def stat_of(row: Any, offset: int = 0) -> Stat:
    """The :class:`Stat` in a result row from column ``offset`` on (see :func:`stat_cols`)."""
    return Stat(*(int(row[offset + i] or 0) for i in range(5)))


def named(query: Any, names: Sequence[str] | None) -> Any:
    """Keep photos whose file name is one of ``names`` (the indexed ``name`` column)."""
    if names is None:
        return query
    return query.where(Photo.name.in_(list(names)))


def photo_rows(session: Session, query: Any) -> list[PhotoRow]:
    """A query over :data:`PHOTO_COLS` as rows, by photo id."""
    return [PhotoRow(*r) for r in session.execute(query.order_by(Photo.id))]


def own(mount_ids: Sequence[int]) -> ColumnElement[bool]:
    """SQL: the photo lies in one of these mounts."""
    return Photo.mount_id.in_(list(mount_ids))


def photos_by_id(session: Session, ids: Sequence[int], names: Sequence[str] | None = None
                 ) -> list[PhotoRow]:
    return photo_rows(session, named(select(*PHOTO_COLS).where(Photo.id.in_(list(ids))), names))


def photo_by_content(
    session: Session, mount_ids: Sequence[int], size: int, fingerprint: str
) -> int | None:
    return session.scalar(select(Photo.id).where(
        own(mount_ids), Photo.size == size, Photo.fingerprint == fingerprint
    ).order_by(Photo.id).limit(1))


def photo_by_path(session: Session, mount_id: int, path: str) -> int | None:
    return session.scalar(select(Photo.id).where(Photo.mount_id == mount_id, Photo.path == path))


def own_photo(session: Session, photo_id: int, mount_ids: Sequence[int]) -> bool:
    return session.scalar(select(Photo.id).where(Photo.id == photo_id, own(mount_ids))) is not None
