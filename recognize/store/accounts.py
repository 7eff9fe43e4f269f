"""Users and mounts: rows kept in step with the config at start-up."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from recognize.store.models import Mount, User


@dataclass(frozen=True)
class MountRef:
    id: int
    name: str
    location: str


def sync(
    session: Session, users: Iterable[tuple[str, bool]], mounts: Iterable[tuple[str, str, list[str]]]
) -> dict[str, MountRef]:
    """Create or update users ``(name, admin)`` and mounts ``(name, location, owners)``.

    Rows of users and mounts no longer configured are kept (their photos, persons and
    corrections survive a config slip); they are simply not served or crawled.
    """
    by_name = {u.name: u for u in session.scalars(select(User))}
    for name, admin in users:
        user = by_name.get(name)
        if user is None:
            user = by_name[name] = User(name=name, admin=admin)
            session.add(user)
        user.admin = admin
    session.flush()
    existing = {m.name: m for m in session.scalars(select(Mount))}
    refs: dict[str, MountRef] = {}
    for name, location, owners in mounts:
        mount = existing.get(name)
        if mount is None:
            mount = Mount(name=name, location=location)
            session.add(mount)
        mount.location = location
        mount.owners = [by_name[o] for o in owners if o in by_name]
        session.flush()
        refs[name] = MountRef(mount.id, name, location)
    return refs


def mounts_of(session: Session, user: str) -> list[MountRef]:
    rows = session.scalars(select(Mount).join(Mount.owners).where(User.name == user))
    return [MountRef(m.id, m.name, m.location) for m in rows]


def user_id(session: Session, name: str) -> int | None:
    return session.scalar(select(User.id).where(User.name == name))


def owners_of(session: Session, mount_id: int) -> list[str]:
    mount = session.get(Mount, mount_id)
    return [u.name for u in mount.owners] if mount is not None else []
