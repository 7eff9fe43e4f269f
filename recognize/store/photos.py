"""Photos: what the crawl finds, what the stages learn, and how interfaces list them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from recognize.store import tag_removals
from recognize.store.models import Photo, PhotoStage, PhotoTag, QueueItem, Tag, utcnow


@dataclass(frozen=True)
class KnownFile:
    id: int
    size: int
    mtime_ns: int
    fingerprint: str


@dataclass(frozen=True)
class FoundFile:
    path: str  # relative to the mount, '/' separated
    size: int
    mtime_ns: int
    fingerprint: str


def file_name(path: str) -> str:
    """The last part of a '/'-separated path: what folders show and lookups match."""
    return path.rsplit("/", 1)[-1][:255]


def known_files(session: Session, mount_id: int) -> dict[str, KnownFile]:
    rows = session.execute(
        select(Photo.path, Photo.id, Photo.size, Photo.mtime_ns, Photo.fingerprint).where(
            Photo.mount_id == mount_id
        )
    )
    return {r.path: KnownFile(r.id, r.size, r.mtime_ns, r.fingerprint) for r in rows}


def enqueue(session: Session, mount_id: int, photo_ids: Sequence[int], stages: Sequence[str]) -> None:
    """Queue ``stages`` for the photos (already-queued pairs are reset, not duplicated)."""
    if not photo_ids:
        return
    session.execute(
        delete(QueueItem).where(QueueItem.photo_id.in_(photo_ids), QueueItem.stage.in_(stages))
    )
    now = utcnow()
    session.add_all(
        QueueItem(photo_id=p, mount_id=mount_id, stage=s, not_before=now)
        for p in photo_ids
        for s in stages
    )


def add_files(
    session: Session, mount_id: int, files: Sequence[FoundFile], stages: Sequence[str]
) -> list[int]:
    photos = [
        Photo(
            mount_id=mount_id,
            path=f.path,
            name=file_name(f.path),
            size=f.size,
            mtime_ns=f.mtime_ns,
            fingerprint=f.fingerprint,
            status="queued",
        )
        for f in files
    ]
    session.add_all(photos)
    session.flush()
    ids = [p.id for p in photos]
    enqueue(session, mount_id, ids, stages)
    return ids


def update_changed(
    session: Session, mount_id: int, changes: Sequence[tuple[int, FoundFile]], stages: Sequence[str]
) -> None:
    """Content changed in place: new size/mtime, every stage runs again."""
    for photo_id, f in changes:
        session.execute(
            update(Photo)
            .where(Photo.id == photo_id)
            .values(size=f.size, mtime_ns=f.mtime_ns, fingerprint=f.fingerprint,
                    status="queued", error=None, attempts=0)
        )
    ids = [pid for pid, _ in changes]
    session.execute(delete(PhotoStage).where(PhotoStage.photo_id.in_(ids)))
    enqueue(session, mount_id, ids, stages)


def move(session: Session, photo_id: int, new: FoundFile) -> None:
    """Same content, new path: the row (and so its faces and tags) is kept."""
    session.execute(
        update(Photo)
        .where(Photo.id == photo_id)
        .values(path=new.path, name=file_name(new.path), mtime_ns=new.mtime_ns)
    )


def remove(session: Session, photo_ids: Sequence[int]) -> None:
    if photo_ids:
        session.execute(delete(Photo).where(Photo.id.in_(photo_ids)))


def enqueue_outdated(session: Session, mount_id: int, stage: str, version: str) -> int:
    """Queue ``stage`` for indexed photos that lack its current version; return how many."""
    done = select(PhotoStage.photo_id).where(
        PhotoStage.stage == stage, PhotoStage.version == version
    )
    queued = select(QueueItem.photo_id).where(QueueItem.stage == stage)
    ids = list(
        session.scalars(
            select(Photo.id).where(
                Photo.mount_id == mount_id,
                Photo.status.in_(("ok", "partial")),
                Photo.id.not_in(done),
                Photo.id.not_in(queued),
            )
        )
    )
    for start in range(0, len(ids), 500):
        enqueue(session, mount_id, ids[start : start + 500], [stage])
    return len(ids)


def mark_crawled(session: Session, mount_id: int) -> None:
    from recognize.store.models import Mount

    session.execute(update(Mount).where(Mount.id == mount_id).values(crawled_at=utcnow()))


# --- what the stages learn ------------------------------------------------------------------
def record_stage(session: Session, photo_id: int, stage: str, version: str) -> None:
    session.merge(PhotoStage(photo_id=photo_id, stage=stage, version=version, done_at=utcnow()))


def save_media(session: Session, photo_id: int, columns: dict[str, Any], error: str | None) -> None:
    """Store what the media stage read; ``error`` set means metadata only (pixels broken)."""
    values = {k: v for k, v in columns.items() if hasattr(Photo, k)}
    values.update(
        status="partial" if error else "ok", error=error, indexed_at=utcnow()
    )
    session.execute(update(Photo).where(Photo.id == photo_id).values(**values))


def set_tags(
    session: Session,
    photo_id: int,
    tags: Iterable[tuple[str, str, float]],
    source: str,
    synsets: dict[str, tuple[str | None, str | None]] | None = None,
) -> None:
    """Replace the photo's tags from ``source`` with ``(name, kind, confidence)`` triples, on
    the photo for everyone (``tag_removals``: a user who took one off still does not see it).

    ``synsets`` maps a tag name to its WordNet id and its parent tag's name (classifier tags).
    """
    session.execute(delete(PhotoTag).where(PhotoTag.photo_id == photo_id, PhotoTag.source == source,
                                           PhotoTag.user_id == tag_removals.EVERYONE))
    seen: set[int] = set()
    for name, kind, confidence in tags:
        synset, parent = (synsets or {}).get(name, (None, None))
        tag_id = tag_id_for(session, name, kind, synset=synset, parent=parent)
        if tag_id in seen:
            continue
        seen.add(tag_id)
        tag_removals.set_for_everyone(session, photo_id, tag_id, confidence, source)


def tag_id_for(
    session: Session,
    name: str,
    kind: str,
    user_id: int | None = None,
    *,
    synset: str | None = None,
    parent: str | None = None,
) -> int:
    owner = Tag.user_id.is_(None) if user_id is None else Tag.user_id == user_id
    found = session.scalar(select(Tag.id).where(Tag.name == name, Tag.kind == kind, owner))
    if found is not None:
        return found
    parent_id = tag_id_for(session, parent, kind, user_id) if parent and parent != name else None
    tag = Tag(name=name, kind=kind, user_id=user_id, synset=synset, parent_id=parent_id)
    session.add(tag)
    session.flush()
    return tag.id


# --- reading ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PhotoFilter:
    user_id: int  # the viewer (whose tags ``tag_ids`` are)
    mount_ids: Sequence[int] = ()
    taken_from: datetime | None = None
    taken_to: datetime | None = None
    camera: str | None = None
    country: str | None = None
    city: str | None = None
    status: str | None = None
    tag_ids: Sequence[int] = ()  # every one of these tags (the caller checks it may see them)
    person_id: int | None = None  # a face of this person (the caller checks it is theirs)
    place: str | None = None  # country, country code or city


def list_photos(
    session: Session, flt: PhotoFilter, *, offset: int = 0, limit: int = 100
) -> tuple[int, list[Photo]]:
    query = select(Photo).where(Photo.mount_id.in_(flt.mount_ids))
    if flt.taken_from:
        query = query.where(Photo.taken_at >= flt.taken_from)
    if flt.taken_to:
        query = query.where(Photo.taken_at < flt.taken_to)
    if flt.camera:
        query = query.where(func.lower(Photo.camera).contains(flt.camera.lower()))
    if flt.country:
        query = query.where(
            (func.lower(Photo.country) == flt.country.lower())
            | (func.lower(Photo.country_code) == flt.country.lower())
        )
    if flt.city:
        query = query.where(func.lower(Photo.city) == flt.city.lower())
    if flt.status:
        query = query.where(Photo.status == flt.status)
    query = _more_filters(session, query, flt)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Photo.taken_at.desc().nulls_last(), Photo.id).offset(offset).limit(limit)
    )
    return total, list(rows)


def get(session: Session, photo_id: int) -> Photo | None:
    return session.get(Photo, photo_id)


def _more_filters(session: Session, query: Any, flt: PhotoFilter) -> Any:
    from recognize.store.models import Face, FacePerson

    for tag_id in flt.tag_ids:
        query = query.where(Photo.id.in_(select(PhotoTag.photo_id).where(
            PhotoTag.tag_id == tag_id, tag_removals.seen_by(session, flt.user_id))))
    if flt.person_id is not None:
        query = query.where(Photo.id.in_(
            select(Face.photo_id).join(FacePerson, FacePerson.face_id == Face.id)
            .where(FacePerson.person_id == flt.person_id)))
    if flt.place:
        place = flt.place.lower()
        query = query.where((func.lower(Photo.country) == place)
                            | (func.lower(Photo.country_code) == place)
                            | (func.lower(Photo.city) == place))
    return query


def get_many(session: Session, photo_ids: Sequence[int]) -> dict[int, Photo]:
    """Photos by id in one query (missing ids are absent)."""
    if not photo_ids:
        return {}
    return {p.id: p for p in session.scalars(select(Photo).where(Photo.id.in_(list(photo_ids))))}
