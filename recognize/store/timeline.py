"""Photos by date and their metadata, for Nextcloud Photos' timeline (``SEARCH``) and tag
view (``REPORT``) in :mod:`recognize.dav.nextcloud_search`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, false, func, not_, or_, select, true
from sqlalchemy.orm import Session

from recognize.store.accounts import Viewer
from recognize.store.models import Photo, PhotoTag, Tag
from recognize.store.rows import PhotoRow
from recognize.store.system_tags import SystemTag
from recognize.store.tag_removals import seen_by


@dataclass(frozen=True)
class Scope:
    """A mount, or a folder of it (``prefix`` = ``a/b``; empty = the whole mount)."""

    mount_id: int
    prefix: str = ""


@dataclass(frozen=True)
class Meta:
    """What Photos shows of a photo besides the file: when, how large, where."""

    taken_at: datetime | None
    width: int | None
    height: int | None
    gps: tuple[float, float, float | None] | None
    city: str | None
    country: str | None


_COLS = (Photo.id, Photo.mount_id, Photo.path, Photo.size, Photo.mtime_ns, Photo.mime)


def _in(scopes: Sequence[Scope]) -> Any:
    return or_(*(and_(Photo.mount_id == s.mount_id,
                      Photo.path.startswith(s.prefix.rstrip("/") + "/", autoescape=True)
                      if s.prefix else true()) for s in scopes))


Condition = tuple  # ("and"|"or", [Condition]), ("not", Condition), (field, op, value)
FIELDS = {"mime": Photo.mime, "taken": Photo.taken_at, "name": Photo.name, "size": Photo.size,
          "mtime": Photo.mtime_ns}


def condition(cond: Condition) -> Any:
    """A ``where`` tree of plain tuples (built by the DAV SEARCH parser) as SQL. Fields:
    ``mime``, ``taken`` (datetime; a photo without a date uses its file time), ``name``,
    ``size``, ``mtime`` (ns); ops ``eq lt lte gt gte like``; ``("const", b)`` is true/false."""
    head = cond[0]
    if head in ("and", "or"):
        parts = [condition(c) for c in cond[1]]
        return (and_ if head == "and" else or_)(*parts) if parts else true()
    if head == "not":
        return not_(condition(cond[1]))
    if head == "const":
        return true() if cond[1] else false()
    field, op, value = cond
    column: Any = FIELDS[field]
    if field == "taken":  # Nextcloud's original date falls back to the file's time
        ns = _ns(value.replace(tzinfo=UTC).timestamp())
        mtime = Photo.mtime_ns >= ns if op in ("gt", "gte") else Photo.mtime_ns <= ns
        dated = _compare(column, op, value.replace(tzinfo=None))
        return or_(dated, and_(Photo.taken_at.is_(None), mtime)) if op != "eq" else dated
    return _compare(column, op, value)


def _ns(seconds: float) -> int:
    """Seconds as nanoseconds, kept inside a 64-bit integer (dates up to year 9999 are not)."""
    return max(min(int(seconds * 1e9), 2**62), -(2**62))


def _compare(column: Any, op: str, value: Any) -> Any:
    if op == "like":
        return column.like(value)
    return {"eq": column == value, "lt": column < value, "lte": column <= value,
            "gt": column > value, "gte": column >= value}[op]


def timeline(session: Session, scopes: Sequence[Scope], where: Condition, offset: int,
             limit: int, *, ascending: bool = False) -> list[PhotoRow]:
    """Photos under ``scopes`` matching ``where``, newest first by date taken, then those
    without a date by file time (Photos' order: original date, then last modified)."""
    if not scopes:
        return []
    query = select(*_COLS).where(_in(scopes), condition(where))
    if ascending:
        query = query.order_by(Photo.taken_at.asc().nulls_last(), Photo.mtime_ns, Photo.id)
    else:
        query = query.order_by(Photo.taken_at.desc().nulls_last(), Photo.mtime_ns.desc(),
                               Photo.id.desc())
    rows = session.execute(query.offset(offset).limit(limit))
    return [PhotoRow(*r) for r in rows]


def tagged(session: Session, user_id: int, scopes: Sequence[Scope],
           tag_ids: Sequence[int]) -> list[PhotoRow]:
    """Photos under ``scopes`` carrying every tag of ``tag_ids``, as the user sees them."""
    if not scopes or not tag_ids:
        return []
    query = select(*_COLS).where(_in(scopes))
    seen = seen_by(session, user_id)
    for tag_id in set(tag_ids):
        query = query.where(select(PhotoTag.photo_id).where(
            PhotoTag.photo_id == Photo.id, PhotoTag.tag_id == tag_id, seen).exists())
    return [PhotoRow(*r) for r in session.execute(query.order_by(Photo.path, Photo.id))]


def metadata(session: Session, photo_ids: Sequence[int]) -> dict[int, Meta]:
    rows = session.execute(select(
        Photo.id, Photo.taken_at, Photo.width, Photo.height, Photo.gps_lat, Photo.gps_lon,
        Photo.gps_alt, Photo.city, Photo.country).where(Photo.id.in_(list(photo_ids))))
    return {r[0]: Meta(r[1], r[2], r[3], (r[4], r[5], r[6]) if r[4] is not None and r[5] is not None
                       else None, r[7], r[8]) for r in rows}


@dataclass(frozen=True)
class TagInUse:
    tag: SystemTag
    files: int  # photos of the viewer carrying it
    reference: int  # one of them (the lowest id)


def tags_in_use(session: Session, viewer: Viewer, mime: str) -> list[TagInUse]:
    """The tags (that the viewer sees) on the viewer's photos whose type is ``mime`` (``image``
    = ``image/*``, ``image/png`` exactly, empty = any), with counts, in one query."""
    query = (select(Tag.id, Tag.name, Tag.kind, Tag.user_id, func.count(Photo.id),
                    func.min(Photo.id))
             .join(PhotoTag, PhotoTag.tag_id == Tag.id).join(Photo, Photo.id == PhotoTag.photo_id)
             .where(Photo.mount_id.in_(viewer.mount_ids),
                    or_(Tag.user_id.is_(None), Tag.user_id.in_(viewer.owner_ids)),
                    seen_by(session, viewer.user_id)))
    if mime:
        query = query.where(Photo.mime == mime if "/" in mime
                            else Photo.mime.startswith(mime + "/", autoescape=True))
    rows = session.execute(query.group_by(Tag.id, Tag.name, Tag.kind, Tag.user_id)
                           .order_by(Tag.id))
    return [TagInUse(SystemTag(r[0], r[1], r[2], r[3] is not None), r[4], r[5]) for r in rows]
