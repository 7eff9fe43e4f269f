"""What tags each user sees on a photo, and a user's hand corrections to them.

A stage's tags are on the photo for everyone who sees it (``photo_tags.user_id`` 0). A user
who takes one off leaves a tombstone (``tag_removals``): the tag is gone for that user only,
and stays gone when the stage runs again; the other owners of a shared mount keep it. A tag a
user puts on by hand is that user's alone (``photo_tags.user_id`` = the user), unless everyone
has it already, in which case the user's tombstone goes. Every read of a photo's tags filters
by :func:`seen_by`.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, delete, exists, select
from sqlalchemy.orm import Session

from recognize.store.models import PhotoTag, Tag, TagRemoval

EVERYONE = 0  # photo_tags.user_id of a tag every viewer of the photo has
REMEMBERED_KINDS = ("classifier", "object")  # tags a stage sets (a removal is remembered)


def seen_by(session: Session, user_id: int) -> ColumnElement[bool]:
    """The ``photo_tags`` rows the user sees: everyone's and the user's own, less those the
    user took off (the tombstone test is left out when the user took none off)."""
    mine = PhotoTag.user_id.in_((EVERYONE, user_id))
    if not session.scalar(select(exists().where(TagRemoval.user_id == user_id))):
        return mine
    off = (select(TagRemoval.photo_id)
           .where(TagRemoval.photo_id == PhotoTag.photo_id, TagRemoval.tag_id == PhotoTag.tag_id,
                  TagRemoval.user_id == user_id).exists())
    return and_(mine, ~off)


def has(session: Session, user_id: int, photo_id: int, tag_id: int) -> bool:
    """Whether the user sees the tag on the photo."""
    return bool(session.scalar(select(exists().where(
        PhotoTag.photo_id == photo_id, PhotoTag.tag_id == tag_id, seen_by(session, user_id)))))


def tag(session: Session, user_id: int, photo_id: int, tag_id: int, source: str = "user",
        confidence: float = 1.0) -> None:
    """The user puts the tag on the photo by hand: the user's tombstone for it goes, and
    unless everyone has it already, the user gets a tag of their own."""
    session.execute(delete(TagRemoval).where(TagRemoval.photo_id == photo_id,
                                             TagRemoval.tag_id == tag_id,
                                             TagRemoval.user_id == user_id))
    shared = session.scalar(select(exists().where(
        PhotoTag.photo_id == photo_id, PhotoTag.tag_id == tag_id, PhotoTag.user_id == EVERYONE)))
    if not shared:
        session.merge(PhotoTag(photo_id=photo_id, tag_id=tag_id, user_id=user_id,
                               confidence=confidence, source=source))


def untag(session: Session, user_id: int, photo_id: int, tag_id: int) -> bool:
    """Take the tag off the photo for this user: the user's own goes; everyone's stays for the
    others, with a tombstone for this user. False when the user did not see it on the photo."""
    if not has(session, user_id, photo_id, tag_id):
        return False
    gone = session.execute(delete(PhotoTag).where(
        PhotoTag.photo_id == photo_id, PhotoTag.tag_id == tag_id, PhotoTag.user_id == user_id))
    kind = session.scalar(select(Tag.kind).where(Tag.id == tag_id))
    if not cast(CursorResult[Any], gone).rowcount or kind in REMEMBERED_KINDS:
        session.merge(TagRemoval(photo_id=photo_id, tag_id=tag_id, user_id=user_id))
    return True


def set_for_everyone(session: Session, photo_id: int, tag_id: int, confidence: float,
                     source: str) -> None:
    """A stage's tag: on the photo for everyone (users' own copies of it are folded in; the
    users' tombstones still hide it from them)."""
    session.execute(delete(PhotoTag).where(PhotoTag.photo_id == photo_id,
                                           PhotoTag.tag_id == tag_id,
                                           PhotoTag.user_id != EVERYONE))
    session.merge(PhotoTag(photo_id=photo_id, tag_id=tag_id, user_id=EVERYONE,
                           confidence=confidence, source=source))
