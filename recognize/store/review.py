"""The corrections a face review screen offers: "not a face", hide a person, and merge
suggestions (accept = merge, reject = keep the pair apart for good).

Like every correction, each is one owner's word (see docs/persons.md): another owner of
the same faces is not affected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from recognize.errors import Conflict
from recognize.store.accounts import Viewer
from recognize.store.models import Face, FacePerson, Person, PersonsApart
from recognize.store.persons import (
    IGNORED,
    _correct,
    _faces_owner,
    _sync_persons,
    _viewers_person,
    faces_of_person,
    place,
)


# --- "not a face" -------------------------------------------------------------------------
def ignore_faces(session: Session, viewer: Viewer, face_ids: Sequence[int]) -> None:
    """These are not faces (a flower, a pattern): kept, never clustered, never listed."""
    owner = _faces_owner(session, viewer, face_ids)
    before = set(session.scalars(select(FacePerson.person_id).where(
        FacePerson.user_id == owner, FacePerson.face_id.in_(list(face_ids)))))
    place(session, owner, face_ids, None, IGNORED)
    _sync_persons(session, before - {None})


def unignore_faces(session: Session, viewer: Viewer, face_ids: Sequence[int]) -> None:
    """Undo "not a face": the faces are unassigned again and the next clustering sees them."""
    owner = _faces_owner(session, viewer, face_ids)
    session.execute(delete(FacePerson).where(
        FacePerson.user_id == owner, FacePerson.face_id.in_(list(face_ids)),
        FacePerson.assigned_by == IGNORED))


def ignored_faces(session: Session, viewer: Viewer) -> list[int]:
    return list(session.scalars(select(FacePerson.face_id).where(
        FacePerson.user_id.in_(viewer.owner_ids), FacePerson.assigned_by == IGNORED)
        .order_by(FacePerson.face_id)))


# --- hidden persons ------------------------------------------------------------------------
def set_hidden(session: Session, viewer: Viewer, person_id: int, hidden: bool) -> None:
    """A hidden person is not listed and never merged (its faces stay in it); undo possible."""
    _viewers_person(session, viewer, person_id)
    session.execute(update(Person).where(Person.id == person_id).values(hidden=hidden))


# --- merge suggestions -----------------------------------------------------------------------
@dataclass(frozen=True)
class Suggestion:
    person_id: int
    name: str | None
    faces: int
    distance: float  # mean distance between the two persons' faces


def _embeddings(session: Session, owner: int) -> dict[int, np.ndarray]:
    rows = session.execute(
        select(FacePerson.person_id, Face.embedding).join(Face, Face.id == FacePerson.face_id)
        .join(Person, Person.id == FacePerson.person_id)
        .where(FacePerson.user_id == owner, Person.deleted.is_(False),
               Face.embedding.is_not(None))).all()
    out: dict[int, list[bytes]] = {}
    for pid, blob in rows:
        if pid is not None and blob is not None:
            out.setdefault(pid, []).append(blob)
    return {p: np.frombuffer(b"".join(bs), dtype="<f4").reshape(-1, 128) for p, bs in out.items()}


def suggestions(session: Session, viewer: Viewer, person_id: int, max_distance: float,
                limit: int = 10) -> list[Suggestion]:
    """The owner's other persons most likely the same as ``person_id``: mean distance
    between their faces below ``max_distance``, best first. Hidden persons and pairs the
    user kept apart are never suggested."""
    owner = _viewers_person(session, viewer, person_id)
    vectors = _embeddings(session, owner)
    mine = vectors.get(person_id)
    if mine is None:
        return []
    apart = set(session.scalars(select(PersonsApart.other_id).where(
        PersonsApart.person_id == person_id)))
    persons = {r[0]: r[1] for r in session.execute(select(Person.id, Person.name).where(
        Person.user_id == owner, Person.deleted.is_(False), Person.hidden.is_(False)))}
    found = []
    for other, theirs in vectors.items():
        if other == person_id or other in apart or other not in persons:
            continue
        diff = mine[:, None, :] - theirs[None, :, :]
        distance = float(np.sqrt((diff * diff).sum(-1)).mean())
        if distance < max_distance:
            found.append(Suggestion(other, persons[other], len(theirs), round(distance, 4)))
    found.sort(key=lambda s: (s.distance, s.person_id))
    return found[:limit]


def keep_apart(session: Session, viewer: Viewer, person_id: int, other_id: int) -> None:
    """Reject a suggestion: the two are different people. Never suggested again, and no
    clustering puts a face of one into the other (a "cannot" word for each of their faces)."""
    owner = _viewers_person(session, viewer, person_id)
    if other_id == person_id or _viewers_person(session, viewer, other_id) != owner:
        raise Conflict("only two different persons of the same mounts can be kept apart")
    for a, b in ((person_id, other_id), (other_id, person_id)):
        session.merge(PersonsApart(person_id=a, other_id=b))
        faces = faces_of_person(session, a)
        if faces:
            _correct(session, faces, b, "cannot")
