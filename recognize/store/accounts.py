"""Users and mounts: rows kept in step with the config at start-up."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from recognize.store.models import Mount, MountOwner, User

GROUP_PREFIX = "@"  # users named "@<mount>" own the persons of a mount that shares them


@dataclass(frozen=True)
class MountRef:
    id: int
    name: str
    location: str


def group_name(mount: str) -> str:
    """The person owner of a mount whose owners share one set of persons."""
    return f"{GROUP_PREFIX}{mount}"


def sync(
    session: Session, users: Iterable[tuple[str, bool]], mounts: Iterable[tuple[str, str, list[str]]],
    shared_persons: Collection[str] = (),
) -> dict[str, MountRef]:
    """Create or update users ``(name, admin)`` and mounts ``(name, location, owners)``;
    the mounts named in ``shared_persons`` get a group (a user row named ``@<mount>``) that
    owns their persons, so every owner sees one set of names.

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
        mount.persons_user_id = _group(session, by_name, name).id if name in shared_persons else None
        session.flush()
        refs[name] = MountRef(mount.id, name, location)
    return refs


def _group(session: Session, by_name: dict[str, User], mount: str) -> User:
    name = group_name(mount)
    group = by_name.get(name)
    if group is None:
        group = by_name[name] = User(name=name, admin=False)
        session.add(group)
        session.flush()
    return group


def mounts_of(session: Session, user: str) -> list[MountRef]:
    rows = session.scalars(select(Mount).join(Mount.owners).where(User.name == user))
    return [MountRef(m.id, m.name, m.location) for m in rows]


def served_mounts(session: Session, user: str,
                  configured: Mapping[str, Collection[str]]) -> list[MountRef]:
    """The user's mounts still configured with the user among their owners (``configured``:
    mount name -> owners, from the config): a mount taken out keeps its rows, unserved."""
    return [m for m in mounts_of(session, user) if user in configured.get(m.name, ())]


def user_id(session: Session, name: str) -> int | None:
    return session.scalar(select(User.id).where(User.name == name))


def owners_of(session: Session, mount_id: int) -> list[str]:
    mount = session.get(Mount, mount_id)
    return [u.name for u in mount.owners] if mount is not None else []


# --- who owns the persons of which faces ----------------------------------------------------
def person_owners(session: Session, user_id: int) -> dict[int, list[int]]:
    """For a user: each person owner whose persons they see, with the mounts it covers.

    The user's own persons cover their mounts that do not share persons; each mount that
    shares persons adds its group. One user never sees another user's own persons.
    """
    out: dict[int, list[int]] = {user_id: []}
    rows = session.execute(select(Mount.id, Mount.persons_user_id).join(
        MountOwner, MountOwner.mount_id == Mount.id).where(MountOwner.user_id == user_id)
        .order_by(Mount.id))
    for mount_id, group in rows:
        out.setdefault(group if group is not None else user_id, []).append(mount_id)
    return out


def owner_mounts(session: Session, owner_id: int) -> list[int]:
    """The mounts whose faces a person owner (a user or a group) clusters."""
    grouped = list(session.scalars(select(Mount.id).where(Mount.persons_user_id == owner_id)))
    if grouped:
        return grouped
    return list(session.scalars(select(Mount.id).join(MountOwner, MountOwner.mount_id == Mount.id)
                                .where(MountOwner.user_id == owner_id,
                                       Mount.persons_user_id.is_(None)).order_by(Mount.id)))


def person_owner_names(session: Session, mount_ids: Sequence[int] | None = None) -> list[str]:
    """The person owners with faces in these mounts (every mount when None): whom to
    cluster after those mounts changed."""
    query = select(Mount.id, Mount.persons_user_id)
    if mount_ids is not None:
        query = query.where(Mount.id.in_(list(mount_ids)))
    names: set[str] = set()
    for mount_id, group in session.execute(query).all():
        if group is not None:
            name = session.scalar(select(User.name).where(User.id == group))
            names.update([name] if name else [])
        else:
            names.update(owners_of(session, mount_id))
    return sorted(names)


@dataclass(frozen=True)
class Viewer:
    """Whose persons and tags a request sees: the user, and per person owner (the user, or
    the group of a mount that shares persons) the mounts whose faces it names."""

    user_id: int
    owners: dict[int, tuple[int, ...]]  # person owner -> mounts

    @property
    def owner_ids(self) -> list[int]:
        return sorted(self.owners)

    @property
    def mount_ids(self) -> list[int]:
        return sorted(m for mounts in self.owners.values() for m in mounts)

    def owner_of_mount(self, mount_id: int) -> int | None:
        return next((o for o, mounts in self.owners.items() if mount_id in mounts), None)


def viewer(session: Session, user_id: int, served: Collection[int] | None = None) -> Viewer:
    """The user's view, limited to the ``served`` mounts (those still configured)."""
    owners = {o: tuple(m for m in mounts if served is None or m in served)
              for o, mounts in person_owners(session, user_id).items()}
    owners[user_id] = owners.get(user_id, ())
    return Viewer(user_id, owners)
