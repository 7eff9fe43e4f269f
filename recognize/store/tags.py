"""Tags: what a user sees (the API's list with counts and parents, the ``tags/`` folders),
the user's own tags. Which tags a user sees on a photo, and putting them on and taking them
off by hand, is ``tag_removals``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from recognize.errors import Conflict, NotFound
from recognize.store import naming
from recognize.store.accounts import Viewer
from recognize.store.models import Mount, Photo, PhotoTag, Tag
from recognize.store.rows import PHOTO_COLS, Group, PhotoRow, named, own, photo_rows, stat_cols, stat_of
from recognize.store.tag_removals import seen_by

USER_KINDS = ("user",)  # kinds a user may create, rename and delete
ASSIGNABLE_KINDS = ("user", "classifier", "object")  # kinds a user may put on or take off a photo
# tags/ leaves them out: they have folders of their own, or (text) are words read in photos,
# found by search only
HIDDEN_TAG_KINDS = ("place", "date", "person", "text")


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


def _in_folders(user_id: int) -> ColumnElement[bool]:
    """Tags ``tags/`` shows the user: shared ones and its own, of kinds without folders."""
    return and_(visible([user_id]), Tag.kind.not_in(HIDDEN_TAG_KINDS))


def _counts(session: Session, user_id: int, mount_ids: Sequence[int]) -> Subquery:
    query = select(PhotoTag.tag_id.label("tid"), func.count().label("n")).where(
        seen_by(session, user_id))
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
    counts = _counts(session, viewer.user_id, mount_ids)
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
    # the total beside each row (one pass over the counts); past the end: counted alone
    rows = session.execute(query.add_columns(func.count().over())
                           .order_by(n.desc(), Tag.name, Tag.id).offset(offset).limit(limit)).all()
    if rows:
        total = int(rows[0][7])
    else:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0 \
            if offset else 0
    return total, [TagInfo(r[0], r[1], r[2], r[3], r[4], r[5] == viewer.user_id, int(r[6]))
                   for r in rows]


def get_tag(session: Session, owner_ids: Sequence[int], tag_id: int) -> Tag:
    tag = session.scalar(select(Tag).where(Tag.id == tag_id, visible(owner_ids)))
    if tag is None:
        raise NotFound(f"no tag {tag_id}")
    return tag


def tags_of(session: Session, photo_ids: Sequence[int], viewer: Viewer
            ) -> dict[int, list[dict[str, Any]]]:
    """The tags on these photos that the viewer sees (see :func:`visible`), most confident
    first: ``{photo: [{name, kind, confidence}]}``."""
    out: dict[int, list[dict[str, Any]]] = {p: [] for p in photo_ids}
    rows = session.execute(
        select(PhotoTag.photo_id, Tag.name, Tag.kind, PhotoTag.confidence)
        .join(Tag, Tag.id == PhotoTag.tag_id)
        .where(PhotoTag.photo_id.in_(list(photo_ids)), visible(viewer.owner_ids),
               seen_by(session, viewer.user_id))
        .order_by(PhotoTag.photo_id, PhotoTag.confidence.desc())
    )
    for r in rows:
        out[r[0]].append({"name": r[1], "kind": r[2], "confidence": round(r[3], 4)})
    return out


def photo_tags(session: Session, photo_id: int, viewer: Viewer) -> list[dict[str, object]]:
    rows = session.execute(
        select(Tag.id, Tag.name, Tag.kind, PhotoTag.confidence, PhotoTag.source)
        .join(PhotoTag, PhotoTag.tag_id == Tag.id)
        .where(PhotoTag.photo_id == photo_id, visible(viewer.owner_ids),
               seen_by(session, viewer.user_id))
        .order_by(PhotoTag.confidence.desc(), Tag.name))
    return [{"id": r[0], "name": r[1], "kind": r[2], "confidence": round(r[3], 4),
             "source": r[4]} for r in rows]


# --- the tags/ folders -------------------------------------------------------------------
def tags(
    session: Session, user_id: int, mount_ids: Sequence[int], tag_id: int | None = None
) -> list[Group]:
    """Tags with photos of the user, plus the user's own (possibly empty) tags."""
    counts = (
        select(PhotoTag.tag_id.label("tid"), *stat_cols())
        .join(Photo, Photo.id == PhotoTag.photo_id)
        .where(own(mount_ids), seen_by(session, user_id))
        .group_by(PhotoTag.tag_id).subquery()
    )
    query = (
        select(Tag.id, Tag.name, Tag.kind, *(counts.c[i] for i in range(1, 6)))
        .outerjoin(counts, counts.c.tid == Tag.id)
        .where(_in_folders(user_id), or_(counts.c.tid.is_not(None), Tag.user_id == user_id))
        .order_by(Tag.id)
    )
    if tag_id is not None:
        query = query.where(Tag.id == tag_id)
    return [Group(r[0], r[1], stat_of(r, 3), kind=r[2]) for r in session.execute(query)]


def tag_list(session: Session, user_id: int, mount_ids: Sequence[int]) -> list[Group]:
    """Like :func:`tags` without statistics (a cheap lookup by name)."""
    used = select(PhotoTag.tag_id).join(Photo, Photo.id == PhotoTag.photo_id).where(
        own(mount_ids), PhotoTag.tag_id == Tag.id, seen_by(session, user_id)).exists()
    rows = session.execute(select(Tag.id, Tag.name, Tag.kind).where(
        _in_folders(user_id), or_(used, Tag.user_id == user_id)).order_by(Tag.id))
    return [Group(r[0], r[1], None, kind=r[2]) for r in rows]


def tag_photos(
    session: Session, user_id: int, tag_id: int, mount_ids: Sequence[int],
    names: Sequence[str] | None = None,
) -> list[PhotoRow]:
    query = (select(*PHOTO_COLS).join(PhotoTag, PhotoTag.photo_id == Photo.id)
             .where(own(mount_ids), PhotoTag.tag_id == tag_id, seen_by(session, user_id)))
    return photo_rows(session, named(query, names))


# --- the user's own tags -----------------------------------------------------------------
def _refuse_taken(session: Session, user_id: int, name: str) -> None:
    if session.scalar(select(Tag.id).where(Tag.name == name, _in_folders(user_id))):
        raise Conflict(f"a tag named {name!r} exists already")


def create_user_tag(session: Session, user_id: int, name: str) -> int:
    name = naming.tag_name(name)
    _refuse_taken(session, user_id, name)
    tag = Tag(name=name, kind="user", user_id=user_id)
    session.add(tag)
    session.flush()
    return tag.id


def rename_user_tag(session: Session, user_id: int, tag_id: int, name: str) -> None:
    name = naming.tag_name(name)
    _refuse_taken(session, user_id, name)
    session.execute(update(Tag).where(Tag.id == tag_id, Tag.user_id == user_id).values(name=name))


def delete_user_tag(session: Session, user_id: int, tag_id: int) -> None:
    session.execute(delete(Tag).where(Tag.id == tag_id, Tag.user_id == user_id))
