"""What the clustering job reads (a person owner's faces, its corrections) and writes (its
persons, their covers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import and_, delete, select, update
from sqlalchemy.orm import Session

from recognize.store.models import Face, FaceCorrection, FacePerson, Person, Photo
from recognize.store.persons import IGNORED, create_person, place, sync_person_tags


@dataclass
class UserFaces:
    face_ids: list[int]
    photo_ids: list[int]  # the photo of each face (two faces of one photo are two persons)
    embeddings: np.ndarray  # (n, 128) float32
    current: dict[int, int]  # face -> person (faces in a person now)
    named: set[int]  # persons with a name, or hidden: never merged away
    corrections: list[tuple[int, int, str]]  # (face, person, kind)
    deleted: set[int]  # deleted persons


def user_faces(session: Session, user_id: int, mount_ids: Sequence[int]) -> UserFaces:
    """The faces the owner's clustering may use: in its mounts, good enough to cluster (the
    faces stage kept only faces above ``faces.min_score`` and gave the others of them that
    are too small, blurred or turned a quality reason)."""
    mine = FacePerson.user_id == user_id
    rows = session.execute(
        select(Face.id, Face.photo_id, Face.embedding, FacePerson.person_id)
        .join(Photo, Photo.id == Face.photo_id)
        .outerjoin(FacePerson, and_(FacePerson.face_id == Face.id, mine))
        .where(
            Photo.mount_id.in_(mount_ids),
            FacePerson.assigned_by.is_distinct_from(IGNORED),
            Face.quality.is_(None),  # poor faces are kept, never clustered
            Face.embedding.is_not(None),
        )
        .order_by(Face.id)
    ).all()
    persons = session.execute(select(Person.id, Person.name.is_not(None) | Person.hidden,
                                     Person.deleted).where(Person.user_id == user_id)).all()
    owned = {p for p, _, _ in persons}
    embeddings = (np.frombuffer(b"".join(r[2] or b"" for r in rows), dtype="<f4").reshape(-1, 128)
                  if rows else np.zeros((0, 128), np.float32))
    corrections = [(f, p, k) for f, p, k in session.execute(
        select(FaceCorrection.face_id, FaceCorrection.person_id, FaceCorrection.kind)
        .where(FaceCorrection.person_id.in_(owned))).all()]
    return UserFaces(
        face_ids=[r[0] for r in rows], photo_ids=[r[1] for r in rows],
        embeddings=embeddings.astype(np.float32),
        current={r[0]: r[3] for r in rows if r[3] in owned},
        named={p for p, kept, deleted in persons if kept and not deleted},  # named or hidden
        corrections=corrections,
        deleted={p for p, _, deleted in persons if deleted},
    )


def apply_persons(session: Session, user_id: int, face_ids: Sequence[int],
                  result: Mapping[Any, object]) -> tuple[int, int]:
    """Write the owner's clustering result: ``face -> person id | ("new", label)``; faces of
    ``face_ids`` absent from it become unassigned unless the user placed them.
    Returns (persons created, faces whose person changed)."""
    created: dict[object, int] = {}
    placed = session.execute(select(FacePerson.face_id, FacePerson.person_id,
                                    FacePerson.assigned_by)
                             .where(FacePerson.user_id == user_id)).all()
    wanted = set(face_ids)
    before = {f: p for f, p, _ in placed if f in wanted}
    by_user = {f for f, _, by in placed if by in ("user", IGNORED) and f in wanted}
    changes: dict[int | None, list[int]] = {}
    for face in face_ids:
        target = result.get(face)
        if face in by_user:
            continue  # the user's placement (or removal) stands
        if isinstance(target, tuple):
            if target not in created:
                created[target] = create_person(session, user_id, None)
            person: int | None = created[target]
        else:
            person = target if isinstance(target, int) else None
        if before.get(face) != person:
            changes.setdefault(person, []).append(face)
    # faces clustering may no longer use (poor, below a threshold, outside the owner's mounts)
    # leave the persons clustering put them in; the user's own placements stand
    stale = [f for f, p, by in placed if f not in wanted and p is not None
             and by not in ("user", IGNORED)]
    if stale:
        changes.setdefault(None, []).extend(stale)
    for person, faces in changes.items():
        if person is None:
            for start in range(0, len(faces), 500):
                session.execute(delete(FacePerson).where(
                    FacePerson.user_id == user_id, FacePerson.face_id.in_(faces[start:start + 500])))
        else:
            place(session, user_id, faces, person, "cluster")
    _drop_empty_unnamed(session, user_id)
    sync_person_tags(session, user_id)
    return len(created), sum(len(f) for f in changes.values())


def _drop_empty_unnamed(session: Session, user_id: int) -> None:
    """Unnamed persons left without faces (and without the user's words) disappear."""
    with_faces = select(FacePerson.person_id).where(FacePerson.person_id.is_not(None)).distinct()
    with_words = select(FaceCorrection.person_id).distinct()
    session.execute(delete(Person).where(
        Person.user_id == user_id, Person.name.is_(None), Person.deleted.is_(False),
        Person.id.not_in(with_faces), Person.id.not_in(with_words)))


def face_boxes(session: Session, user_id: int) -> dict[int, list[tuple[int, float, float, float,
                                                                       float, float, int, int]]]:
    """Per person of the owner: (face, x, y, w, h, score, photo width, photo height), box as
    fractions."""
    out: dict[int, list[tuple[int, float, float, float, float, float, int, int]]] = {}
    rows = session.execute(
        select(FacePerson.person_id, Face.id, Face.x, Face.y, Face.w, Face.h, Face.score,
               Photo.width, Photo.height)
        .join(Face, Face.id == FacePerson.face_id).join(Photo, Photo.id == Face.photo_id)
        .join(Person, Person.id == FacePerson.person_id)
        .where(FacePerson.user_id == user_id, Person.deleted.is_(False))
    ).all()
    for person, face, x, y, w, h, score, width, height in rows:
        if person is not None:
            out.setdefault(person, []).append((face, x, y, w, h, score, width or 0, height or 0))
    return out


def set_covers(session: Session, covers: dict[int, int]) -> None:
    for person, face in covers.items():
        session.execute(update(Person).where(Person.id == person).values(cover_face_id=face))


