"""Tags as the API shows them: every kind the user can see, with photo counts and parents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Subquery, func, or_, select
from sqlalchemy.orm import Session, aliased

from recognize.errors import NotFound
from recognize.store.accounts import Viewer
from recognize.store.models import Mount, Photo, PhotoTag, Tag

USER_KINDS = ("user",)  # kinds a user may create, rename and delete
ASSIGNABLE_KINDS = ("user", "classifier")  # kinds a user may put on or take off a photo


@dataclass(frozen=True)
class TagInfo:
    id: int
    name: str
    kind: str
    synset: str | None
    parent: str | None
    user_tag: bool  # the user's own (editable)
    photos: int


def visible(owner_ids: Sequence[int]) -> ColumnElement[bool]:
    """Shared tags and those of the viewer's person owners (the user, shared mounts' groups)."""
    return or_(Tag.user_id.is_(None), Tag.user_id.in_(list(owner_ids)))


def _counts(session: Session, mount_ids: Sequence[int]) -> Subquery:
    query = select(PhotoTag.tag_id.label("tid"), func.count().label("n"))
    every = set(session.scalars(select(Mount.id)))
    if not every <= set(mount_ids):  # some photos are not the user's: count through photos
        query = query.join(Photo, Photo.id == PhotoTag.photo_id).where(
            Photo.mount_id.in_(list(mount_ids)))
    return query.group_by(PhotoTag.tag_id).subquery()


def list_tags(
    session: Session, viewer: Viewer, mount_ids: Sequence[int], *, kind: str | None = None,
    prefix: str | None = None, tag_id: int | None = None, offset: int = 0, limit: int = 100,
) -> tuple[int, list[TagInfo]]:
    """Tags with photos in the user's mounts (and the user's own tags, even empty), most
    used first: ``(total, page)``."""
    counts = _counts(session, mount_ids)
    parent = aliased(Tag)
    n = func.coalesce(counts.c.n, 0)
    query = (
        select(Tag.id, Tag.name, Tag.kind, Tag.synset, parent.name, Tag.user_id, n)
        .outerjoin(counts, counts.c.tid == Tag.id)
        .outerjoin(parent, parent.id == Tag.parent_id)
        .where(visible(viewer.owner_ids), or_(n > 0, Tag.user_id == viewer.user_id))
    )
    if kind:
        query = query.where(Tag.kind == kind)
    if prefix:
        query = query.where(func.lower(Tag.name).startswith(prefix.lower(), autoescape=True))
    if tag_id is not None:
        query = query.where(Tag.id == tag_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(n.desc(), Tag.name, Tag.id).offset(offset).limit(limit))
    return total, [TagInfo(r[0], r[1], r[2], r[3], r[4], r[5] == viewer.user_id, int(r[6]))
                   for r in rows]


def get_tag(session: Session, owner_ids: Sequence[int], tag_id: int) -> Tag:
    tag = session.scalar(select(Tag).where(Tag.id == tag_id, visible(owner_ids)))
    if tag is None:
        raise NotFound(f"no tag {tag_id}")
    return tag


def put_tag(session: Session, photo_id: int, tag_id: int, source: str, confidence: float) -> None:
    session.merge(PhotoTag(photo_id=photo_id, tag_id=tag_id, confidence=confidence,
                           source=source))


def photo_tags(session: Session, photo_id: int, owner_ids: Sequence[int]
               ) -> list[dict[str, object]]:
    rows = session.execute(
        select(Tag.id, Tag.name, Tag.kind, PhotoTag.confidence, PhotoTag.source)
        .join(PhotoTag, PhotoTag.tag_id == Tag.id)
        .where(PhotoTag.photo_id == photo_id, visible(owner_ids))
        .order_by(PhotoTag.confidence.desc(), Tag.name))
    return [{"id": r[0], "name": r[1], "kind": r[2], "confidence": round(r[3], 4),
             "source": r[4]} for r in rows]
