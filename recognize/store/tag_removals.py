"""Tag corrections that stick: a tag recognize set (kind ``classifier`` or ``object``) that a
user took off a photo is remembered (a tombstone), and the tags and objects stages never put
it back.

A photo's tags are one set shared by every owner of its mount, so taking a classifier tag
off takes it off for every owner of a shared mount (and keeps it off for all of them); the
tombstone records who said so. Tagging the photo with it again (API, ``tags/`` in WebDAV,
Nextcloud system tags) lifts the user's tombstone.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from recognize.store.models import PhotoTag, Tag, TagRemoval

REMEMBERED_KINDS = ("classifier", "object")  # tags a stage would set again


def untag(session: Session, user_id: int, photo_id: int, tag_id: int) -> bool:
    """Take the tag off the photo; for a stage's tag remember that the user did.
    False when the photo did not have it (nothing remembered then)."""
    gone = session.execute(delete(PhotoTag).where(PhotoTag.photo_id == photo_id,
                                                  PhotoTag.tag_id == tag_id))
    if not cast(CursorResult[Any], gone).rowcount:
        return False
    kind = session.scalar(select(Tag.kind).where(Tag.id == tag_id))
    if kind in REMEMBERED_KINDS:
        session.merge(TagRemoval(photo_id=photo_id, tag_id=tag_id, user_id=user_id))
    return True


def tagged_again(session: Session, user_id: int, photo_id: int, tag_id: int) -> None:
    """The user put the tag on the photo by hand: their tombstone for it goes."""
    session.execute(delete(TagRemoval).where(TagRemoval.photo_id == photo_id,
                                             TagRemoval.tag_id == tag_id,
                                             TagRemoval.user_id == user_id))


def removed(session: Session, photo_id: int) -> set[int]:
    """Tags someone took off this photo: a stage must not set them again."""
    return set(session.scalars(select(TagRemoval.tag_id).where(TagRemoval.photo_id == photo_id)))
