"""Tags as Nextcloud's system-tag endpoints show them: every kind the viewer can see."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from recognize.store.accounts import Viewer
from recognize.store.models import Photo, PhotoTag, Tag
from recognize.store.rows import own
from recognize.store.tag_removals import seen_by
from recognize.store.tags import visible


@dataclass(frozen=True)
class SystemTag:
    id: int
    name: str
    kind: str
    own: bool  # the user's own tag (kind user or person), not a shared one


def _seen_tag(session: Session, viewer: Viewer) -> ColumnElement[bool]:
    """Tags the viewer may see as system tags: their own, or shared ones on their photos."""
    used = select(PhotoTag.tag_id).join(Photo, Photo.id == PhotoTag.photo_id).where(
        own(viewer.mount_ids), PhotoTag.tag_id == Tag.id,
        seen_by(session, viewer.user_id)).exists()
    return or_(Tag.user_id.in_(viewer.owner_ids), and_(Tag.user_id.is_(None), used))


def system_tags(session: Session, viewer: Viewer,
                tag_ids: Sequence[int] | None = None) -> list[SystemTag]:
    """Every tag the viewer can see (all kinds), in one query."""
    query = select(Tag.id, Tag.name, Tag.kind, Tag.user_id).where(_seen_tag(session, viewer))
    if tag_ids is not None:
        query = query.where(Tag.id.in_(list(tag_ids)))
    return [SystemTag(r[0], r[1], r[2], r[3] is not None)
            for r in session.execute(query.order_by(Tag.id))]


def photo_system_tags(session: Session, photo_id: int, viewer: Viewer) -> list[SystemTag]:
    """The tags on one photo that the viewer can see (shared ones and their own)."""
    rows = session.execute(
        select(Tag.id, Tag.name, Tag.kind, Tag.user_id).join(PhotoTag, PhotoTag.tag_id == Tag.id)
        .where(PhotoTag.photo_id == photo_id, visible(viewer.owner_ids),
               seen_by(session, viewer.user_id))
        .order_by(Tag.id))
    return [SystemTag(r[0], r[1], r[2], r[3] is not None) for r in rows]
