"""Persons and the user's corrections (the clustering job's side: ``store.clusters``).

Corrections are kept forever as ``FaceCorrection`` rows: "must" (this face is that person)
and "cannot" (this face is not that person; for a deleted person: leave the face out).
A named person's photos also carry a tag of kind "person" with its name, kept in step here
on every change (rename, merge, split, delete, clustering), so tag-based clients and the
persons view never disagree.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from recognize.errors import Conflict, NotFound
from recognize.store import naming
from recognize.store.accounts import Viewer
from recognize.store.models import Face, FaceCorrection, FacePerson, Person, Photo, PhotoTag, Tag

PERSON_TAG_SOURCE = "person"
IGNORED = "ignored"  # FacePerson.assigned_by: "this is not a face", in its owner's eyes


def listed(face_count: Any, hidden: bool = False) -> Any:
    """SQL: a person is listed when not hidden and it has faces, or is new (no faces and no
    corrections yet: just made, waiting for its first face). A person emptied by the user's
    corrections is not listed; ``hidden=True`` selects the hidden ones instead."""
    if hidden:
        return Person.hidden.is_(True)
    fresh = ~select(FaceCorrection.id).where(FaceCorrection.person_id == Person.id).exists()
    return and_(Person.hidden.is_(False), or_(func.coalesce(face_count, 0) > 0, fresh))


def owner_expr(viewer: Viewer) -> Any:
    """SQL: the person owner that names a face for this viewer (by the face's mount)."""
    whens = [(Photo.mount_id.in_(list(m)), o) for o, m in viewer.owners.items() if m]
    return case(*whens, else_=-1) if whens else literal(-1)


def viewer_place(viewer: Viewer) -> Any:
    """SQL (outer-join condition): the viewer's ``FacePerson`` row of a face."""
    return and_(FacePerson.face_id == Face.id, FacePerson.user_id == owner_expr(viewer))


def owner_of(session: Session, person_id: int) -> int:
    owner = session.scalar(select(Person.user_id).where(Person.id == person_id))
    if owner is None:
        raise NotFound(f"no person {person_id}")
    return owner


def _viewers_person(session: Session, viewer: Viewer, person_id: int) -> int:
    """The owner of a person the viewer may change (NotFound for anyone else's)."""
    owner = session.scalar(select(Person.user_id).where(
        Person.id == person_id, Person.deleted.is_(False),
        Person.user_id.in_(viewer.owner_ids)))
    if owner is None:
        raise NotFound(f"no person {person_id}")
    return owner


def _faces_owner(session: Session, viewer: Viewer, face_ids: Sequence[int]) -> int:
    """The one person owner that names these faces for the viewer (NotFound for a face
    outside the viewer's mounts; Conflict when they lie in mounts kept apart)."""
    rows: dict[int, int] = dict(session.execute(select(Face.id, owner_expr(viewer)).join(
        Photo, Photo.id == Face.photo_id).where(Face.id.in_(list(face_ids)))).all())
    missing = [f for f in face_ids if rows.get(f, -1) == -1]
    if missing:
        raise NotFound(f"no face {min(missing)}")
    owners = set(rows.values())
    if len(owners) > 1:
        raise Conflict("these faces lie in mounts whose persons are kept apart "
                       "(a mount that shares persons has persons of its own)")
    return owners.pop()


def _person_for_faces(session: Session, viewer: Viewer, face_ids: Sequence[int],
                      person_id: int) -> int:
    """Check that the viewer may put these faces into the person; return the owner. A person
    without faces or words yet (just created) moves to the owner of the faces' mount."""
    owner = _viewers_person(session, viewer, person_id)
    faces_owner = _faces_owner(session, viewer, face_ids)
    if faces_owner == owner:
        return owner
    used = session.scalar(select(FacePerson.face_id).where(FacePerson.person_id == person_id)
                          .limit(1)) is not None or session.scalar(
        select(FaceCorrection.id).where(FaceCorrection.person_id == person_id).limit(1)) is not None
    if used:
        raise Conflict("this person's faces lie in other mounts: the persons of a mount that "
                       "shares persons are its own (pick or create one of them)")
    name = session.scalar(select(Person.name).where(Person.id == person_id))
    if name is not None:
        _free_person_name(session, faces_owner, name, person_id)
    session.execute(update(Person).where(Person.id == person_id).values(user_id=faces_owner))
    sync_person_tags(session, owner)
    return faces_owner


def place(session: Session, owner: int, face_ids: Sequence[int], person_id: int | None,
          by: str | None) -> None:
    """Set the owner's placement of these faces (one row per face and owner)."""
    for start in range(0, len(face_ids), 500):
        chunk = list(face_ids[start:start + 500])
        session.execute(delete(FacePerson).where(FacePerson.user_id == owner,
                                                 FacePerson.face_id.in_(chunk)))
        session.add_all(FacePerson(face_id=f, user_id=owner, person_id=person_id, assigned_by=by)
                        for f in chunk)
        _drop_covers(session, owner, chunk, keep=person_id)
    session.flush()


def _drop_covers(session: Session, owner: int, face_ids: Sequence[int], keep: int | None) -> None:
    """A cover always belongs to its person: faces that left a person stop being its cover."""
    session.execute(update(Person).where(
        Person.user_id == owner, Person.cover_face_id.in_(list(face_ids)),
        Person.id.is_distinct_from(keep)).values(cover_face_id=None))


def faces_of_person(session: Session, person_id: int) -> list[int]:
    return list(session.scalars(select(FacePerson.face_id).where(FacePerson.person_id == person_id)
                                .order_by(FacePerson.face_id)))


def _correct(session: Session, face_ids: Sequence[int], person_id: int, kind: str) -> None:
    """Record ``kind`` for the faces and drop the opposite word about the same person."""
    other = "cannot" if kind == "must" else "must"
    session.execute(delete(FaceCorrection).where(
        FaceCorrection.face_id.in_(face_ids), FaceCorrection.person_id == person_id,
        FaceCorrection.kind.in_((kind, other)),
    ))
    session.add_all(FaceCorrection(face_id=f, person_id=person_id, kind=kind) for f in face_ids)


def assign_faces(
    session: Session, viewer: Viewer, face_ids: Sequence[int], person_id: int,
    from_person: int | None = None,
) -> None:
    """The viewer says: these faces are ``person_id`` (and, when moved, not ``from_person``).
    Only the viewer's own placements change; another owner's persons of the same faces are
    untouched. NotFound for faces or persons that are not the viewer's."""
    if not face_ids:
        return
    _person_for_faces(session, viewer, face_ids, person_id)
    if from_person is not None:
        _viewers_person(session, viewer, from_person)
    _assign(session, face_ids, person_id, from_person)


def _assign(session: Session, face_ids: Sequence[int], person_id: int,
            from_person: int | None = None) -> None:
    if not face_ids:
        return
    owner = owner_of(session, person_id)
    before = set(session.scalars(select(FacePerson.person_id).where(
        FacePerson.user_id == owner, FacePerson.face_id.in_(face_ids))))
    place(session, owner, face_ids, person_id, "user")
    if from_person is not None and from_person != person_id:
        _correct(session, face_ids, from_person, "cannot")
    _correct(session, face_ids, person_id, "must")
    _sync_persons(session, {person_id, *before} - {None})


def reject_faces(session: Session, viewer: Viewer, face_ids: Sequence[int],
                 person_id: int) -> None:
    """The viewer says: these faces are not ``person_id``. They become unassigned."""
    if not face_ids:
        return
    owner = _viewers_person(session, viewer, person_id)
    _faces_owner(session, viewer, face_ids)
    session.execute(update(FacePerson).where(
        FacePerson.face_id.in_(face_ids), FacePerson.person_id == person_id)
        .values(person_id=None, assigned_by="user"))
    _drop_covers(session, owner, face_ids, keep=None)
    _correct(session, face_ids, person_id, "cannot")
    _sync_persons(session, {person_id})


def corrections(session: Session, face_ids: Sequence[int]) -> list[tuple[int, int, str]]:
    rows = session.execute(
        select(FaceCorrection.face_id, FaceCorrection.person_id, FaceCorrection.kind)
        .where(FaceCorrection.face_id.in_(face_ids)).order_by(FaceCorrection.id)
    )
    return [(r[0], r[1], r[2]) for r in rows]


def _free_person_name(session: Session, user_id: int, name: str, keep: int | None) -> None:
    clash = session.execute(
        select(Person.id, Person.deleted).where(Person.user_id == user_id, Person.name == name)
    ).first()
    if clash is None or clash[0] == keep:
        return
    if not clash[1]:
        raise Conflict(f"a person named {name!r} exists already")
    session.execute(update(Person).where(Person.id == clash[0]).values(name=None))


def create_person(session: Session, user_id: int, name: str | None) -> int:
    """A new person of ``user_id`` (a user, or a shared mount's group)."""
    if name is not None:
        name = naming.person_name(name)
        _free_person_name(session, user_id, name, None)
    person = Person(user_id=user_id, name=name)
    session.add(person)
    session.flush()
    return person.id


def rename_person(session: Session, viewer: Viewer, person_id: int, name: str) -> None:
    owner = _viewers_person(session, viewer, person_id)
    name = naming.person_name(name)
    _free_person_name(session, owner, name, person_id)
    session.execute(update(Person).where(Person.id == person_id).values(name=name))
    sync_person_tags(session, owner)


def delete_person(session: Session, viewer: Viewer, person_id: int) -> None:
    """Mark the person deleted (remembered); its faces become unassigned and stay so: each
    gets a "cannot" word about the deleted person, which clustering reads as "left out"."""
    user_id = _viewers_person(session, viewer, person_id)
    session.execute(update(Person).where(Person.id == person_id).values(deleted=True))
    faces = faces_of_person(session, person_id)
    session.execute(update(FacePerson).where(FacePerson.person_id == person_id)
                    .values(person_id=None, assigned_by="user"))
    if faces:
        _correct(session, faces, person_id, "cannot")
    sync_person_tags(session, user_id)


def person_names(session: Session, person_ids: Sequence[int]) -> dict[int, tuple[int, str | None]]:
    rows = session.execute(select(Person.id, Person.user_id, Person.name)
                           .where(Person.id.in_(person_ids)))
    return {r[0]: (r[1], r[2]) for r in rows}


def merge_persons(session: Session, viewer: Viewer, keep: int, other: int) -> None:
    """Move every face of ``other`` into ``keep`` (as the user's word) and delete ``other``."""
    user_id = _viewers_person(session, viewer, keep)
    if keep == other or _viewers_person(session, viewer, other) != user_id:
        raise Conflict("only two different persons of the same mounts can be merged")
    _assign(session, faces_of_person(session, other), keep)
    session.execute(delete(FaceCorrection).where(
        FaceCorrection.person_id == other, FaceCorrection.kind == "must"))
    session.execute(update(Person).where(Person.id == other).values(deleted=True, name=None))
    sync_person_tags(session, user_id)


def split_faces(session: Session, viewer: Viewer, face_ids: Sequence[int], name: str | None) -> int:
    """Put these faces (all named by one of the viewer's person owners) into a new person
    of that owner (the user's word); return its id."""
    owner = _faces_owner(session, viewer, face_ids)
    before = dict(session.execute(select(FacePerson.face_id, FacePerson.person_id).where(
        FacePerson.user_id == owner, FacePerson.face_id.in_(face_ids))).all())
    person = create_person(session, owner, name)
    for old in {p for p in before.values() if p is not None}:
        _assign(session, [f for f, p in before.items() if p == old], person, from_person=old)
    _assign(session, [f for f in face_ids if before.get(f) is None], person)
    sync_person_tags(session, owner)
    return person


def _sync_persons(session: Session, person_ids: set[Any]) -> None:
    """Bring the person tags of these persons' owners in step (only these persons)."""
    owners: dict[int, set[int]] = {}
    for pid, uid in session.execute(select(Person.id, Person.user_id)
                                    .where(Person.id.in_(person_ids))).all():
        owners.setdefault(uid, set()).add(pid)
    for uid, pids in owners.items():
        sync_person_tags(session, uid, pids)


def sync_person_tags(session: Session, user_id: int,
                     person_ids: Collection[int] | None = None) -> None:
    """Make the owner's "person" tags exactly the named persons' photos (all persons, or
    only ``person_ids`` after a change that touched no name)."""
    named = {str(name): pid for name, pid in session.execute(select(Person.name, Person.id).where(
        Person.user_id == user_id, Person.deleted.is_(False), Person.name.is_not(None))).all()}
    existing = dict(session.execute(select(Tag.name, Tag.id).where(
        Tag.kind == "person", Tag.user_id == user_id)).all())
    if person_ids is not None:
        named = {n: p for n, p in named.items() if p in person_ids}
        stale_tags = [existing[n] for n in named if n in existing]
        session.execute(delete(PhotoTag).where(PhotoTag.tag_id.in_(stale_tags)))
    else:
        tags = select(Tag.id).where(Tag.kind == "person", Tag.user_id == user_id)
        session.execute(delete(PhotoTag).where(PhotoTag.tag_id.in_(tags)))
    for name in set(named) - set(existing):
        tag = Tag(name=name, kind="person", user_id=user_id)
        session.add(tag)
        session.flush()
        existing[name] = tag.id
    stale = [tid for n, tid in existing.items() if n not in named] if person_ids is None else []
    if stale:
        session.execute(delete(Tag).where(Tag.id.in_(stale)))
    for name, person_id in named.items():
        session.execute(insert(PhotoTag).from_select(
            ["photo_id", "tag_id", "confidence", "source"],
            select(Face.photo_id, func.max(existing[name]), func.max(Face.score),
                   func.max(PERSON_TAG_SOURCE))
            .join(FacePerson, FacePerson.face_id == Face.id)
            .where(FacePerson.person_id == person_id).group_by(Face.photo_id)))
