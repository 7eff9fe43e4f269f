"""Near-duplicate groups: the codes the duplicates job reads, the groups it writes, and the
groups the DAV tree and the API read back (per user, over the mounts the user owns)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from recognize.store.models import DuplicateMember, MountOwner, Photo


def user_ids(session: Session, mount_ids: Sequence[int] | None = None) -> list[int]:
    """Users owning any of these mounts (every user owning a mount when None)."""
    query = select(MountOwner.user_id).distinct()
    if mount_ids is not None:
        query = query.where(MountOwner.mount_id.in_(list(mount_ids)))
    return sorted(session.scalars(query))


def codes(session: Session, user_id: int) -> list[tuple[int, str]]:
    """``(photo id, near code)`` of every hashed photo in the user's mounts, by id."""
    mounts = select(MountOwner.mount_id).where(MountOwner.user_id == user_id)
    rows = session.execute(select(Photo.id, Photo.near_code)
                           .where(Photo.mount_id.in_(mounts), Photo.near_code.is_not(None))
                           .order_by(Photo.id))
    return [(r[0], r[1] or "") for r in rows]


def replace_groups(session: Session, user_id: int, groups: Sequence[Sequence[int]]) -> None:
    """The user's groups become ``groups`` (each named by its smallest photo id)."""
    session.execute(delete(DuplicateMember).where(DuplicateMember.user_id == user_id))
    rows = [{"user_id": user_id, "photo_id": pid, "group_id": min(group)}
            for group in groups for pid in group]
    if rows:
        session.execute(insert(DuplicateMember), rows)


def counts(session: Session, user_id: int) -> tuple[int, int]:
    """(groups, photos in them) as the user's last run stored them."""
    row = session.execute(select(func.count(func.distinct(DuplicateMember.group_id)),
                                 func.count()).where(DuplicateMember.user_id == user_id)).one()
    return int(row[0]), int(row[1])


def groups(session: Session, user_id: int, mount_ids: Sequence[int]) -> list[list[int]]:
    """The user's groups as found by the last duplicates run, limited to photos still in
    ``mount_ids``; groups left with one photo are dropped. Sorted by first id."""
    rows = session.execute(
        select(DuplicateMember.group_id, DuplicateMember.photo_id)
        .join(Photo, Photo.id == DuplicateMember.photo_id)
        .where(DuplicateMember.user_id == user_id, Photo.mount_id.in_(list(mount_ids)))
        .order_by(DuplicateMember.group_id, DuplicateMember.photo_id))
    found: dict[int, list[int]] = {}
    for group_id, photo_id in rows:
        found.setdefault(group_id, []).append(photo_id)
    return sorted((g for g in found.values() if len(g) > 1), key=lambda g: g[0])

