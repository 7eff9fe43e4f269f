"""Persons and the user's corrections; what the clustering job reads and writes.

Corrections are kept forever as ``FaceCorrection`` rows: "must" (this face is that person)
and "cannot" (this face is not that person; for a deleted person: leave the face out).
A named person's photos also carry a tag of kind "person" with its name, kept in step here
on every change (rename, merge, split, delete, clustering), so tag-based clients and the
persons view never disagree.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from recognize.errors import Conflict, NotFound
from recognize.store.models import Face, FaceCorrection, Person, Photo, PhotoTag, Tag

PERSON_TAG_SOURCE = "person"


def _correct(session: Session, face_ids: Sequence[int], person_id: int, kind: str) -> None:
    """Record ``kind`` for the faces and drop the opposite word about the same person."""
    other = "cannot" if kind == "must" else "must"
    session.execute(delete(FaceCorrection).where(
        FaceCorrection.face_id.in_(face_ids), FaceCorrection.person_id == person_id,
        FaceCorrection.kind.in_((kind, other)),
    ))
    session.add_all(FaceCorrection(face_id=f, person_id=person_id, kind=kind) for f in face_ids)


def assign_faces(
    session: Session, face_ids: Sequence[int], person_id: int, from_person: int | None = None
) -> None:
    """The user says: these faces are ``person_id`` (and, when moved, not ``from_person``)."""
    if not face_ids:
        return
    before = set(session.scalars(select(Face.person_id).where(Face.id.in_(face_ids))))
    session.execute(update(Face).where(Face.id.in_(face_ids))
                    .values(person_id=person_id, assigned_by="user"))
    if from_person is not None and from_person != person_id:
        _correct(session, face_ids, from_person, "cannot")
    _correct(session, face_ids, person_id, "must")
    _sync_persons(session, {person_id, *before} - {None})


def reject_faces(session: Session, face_ids: Sequence[int], person_id: int) -> None:
    """The user says: these faces are not ``person_id``. They become unassigned."""
    if not face_ids:
        return
    session.execute(update(Face).where(Face.id.in_(face_ids), Face.person_id == person_id)
                    .values(person_id=None, assigned_by="user"))
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
    if name is not None:
        _free_person_name(session, user_id, name, None)
    person = Person(user_id=user_id, name=name)
    session.add(person)
    session.flush()
    return person.id


def rename_person(session: Session, user_id: int, person_id: int, name: str) -> None:
    _free_person_name(session, user_id, name, person_id)
    done = session.execute(update(Person).where(
        Person.id == person_id, Person.user_id == user_id, Person.deleted.is_(False)
    ).values(name=name))
    if not getattr(done, "rowcount", 1):
        raise NotFound(f"no person {person_id}")
    sync_person_tags(session, user_id)


def delete_person(session: Session, user_id: int, person_id: int) -> None:
    """Mark the person deleted (remembered); its faces become unassigned and stay so: each
    gets a "cannot" word about the deleted person, which clustering reads as "left out"."""
    done = session.execute(update(Person).where(Person.id == person_id, Person.user_id == user_id)
                           .values(deleted=True))
    if not getattr(done, "rowcount", 1):
        raise NotFound(f"no person {person_id}")
    faces = list(session.scalars(select(Face.id).where(Face.person_id == person_id)))
    session.execute(update(Face).where(Face.person_id == person_id)
                    .values(person_id=None, assigned_by="user"))
    if faces:
        _correct(session, faces, person_id, "cannot")
    sync_person_tags(session, user_id)


def person_names(session: Session, person_ids: Sequence[int]) -> dict[int, tuple[int, str | None]]:
    rows = session.execute(select(Person.id, Person.user_id, Person.name)
                           .where(Person.id.in_(person_ids)))
    return {r[0]: (r[1], r[2]) for r in rows}




def merge_persons(session: Session, user_id: int, keep: int, other: int) -> None:
    """Move every face of ``other`` into ``keep`` (as the user's word) and delete ``other``."""
    owned = set(session.scalars(select(Person.id).where(
        Person.user_id == user_id, Person.id.in_((keep, other)), Person.deleted.is_(False))))
    if owned != {keep, other} or keep == other:
        raise NotFound("both persons must exist, differ, and be yours")
    faces = list(session.scalars(select(Face.id).where(Face.person_id == other)))
    assign_faces(session, faces, keep)
    session.execute(delete(FaceCorrection).where(
        FaceCorrection.person_id == other, FaceCorrection.kind == "must"))
    session.execute(update(Person).where(Person.id == other).values(deleted=True, name=None))
    sync_person_tags(session, user_id)


def split_faces(session: Session, user_id: int, face_ids: Sequence[int], name: str | None) -> int:
    """Put these faces into a new person (the user's word); return its id."""
    owners = set(session.scalars(
        select(Person.user_id).join(Face, Face.person_id == Person.id).where(Face.id.in_(face_ids))))
    if owners - {user_id}:
        raise NotFound("some faces belong to another user's persons")
    before = dict(session.execute(select(Face.id, Face.person_id).where(Face.id.in_(face_ids))).all())
    person = create_person(session, user_id, name)
    for old in {p for p in before.values() if p is not None}:
        assign_faces(session, [f for f, p in before.items() if p == old], person, from_person=old)
    assign_faces(session, [f for f, p in before.items() if p is None], person)
    sync_person_tags(session, user_id)
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
    """Make the user's "person" tags exactly the named persons' photos (all persons, or
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
            .where(Face.person_id == person_id).group_by(Face.photo_id)))


# --- what the clustering job reads and writes ----------------------------------------------
@dataclass
class UserFaces:
    face_ids: list[int]
    embeddings: np.ndarray  # (n, 128) float32
    current: dict[int, int]  # face -> person (faces in a person now)
    named: set[int]  # persons with a name
    corrections: list[tuple[int, int, str]]  # (face, person, kind)
    deleted: set[int]  # deleted persons


def user_faces(session: Session, user_id: int, mount_ids: Sequence[int], *,
               min_score: float, min_size_px: float) -> UserFaces:
    """The faces clustering may use: in the user's mounts, good enough to cluster."""
    rows = session.execute(
        select(Face.id, Face.embedding, Face.person_id)
        .join(Photo, Photo.id == Face.photo_id)
        .where(
            Photo.mount_id.in_(mount_ids),
            Face.embedding.is_not(None),
            Face.score >= min_score,
            Face.w * func.coalesce(Photo.width, 0) >= min_size_px,
            Face.h * func.coalesce(Photo.height, 0) >= min_size_px,
        )
        .order_by(Face.id)
    ).all()
    persons = session.execute(select(Person.id, Person.name, Person.deleted)
                              .where(Person.user_id == user_id)).all()
    mine = {p for p, _, _ in persons}
    ids = [r[0] for r in rows]
    embeddings = (np.frombuffer(b"".join(r[1] or b"" for r in rows), dtype="<f4").reshape(-1, 128)
                  if rows else np.zeros((0, 128), np.float32))
    corrections = [(f, p, k) for f, p, k in session.execute(
        select(FaceCorrection.face_id, FaceCorrection.person_id, FaceCorrection.kind)
        .where(FaceCorrection.person_id.in_(mine))).all()]
    return UserFaces(
        face_ids=ids, embeddings=embeddings.astype(np.float32),
        current={r[0]: r[2] for r in rows if r[2] in mine},
        named={p for p, name, deleted in persons if name and not deleted},
        corrections=corrections,
        deleted={p for p, _, deleted in persons if deleted},
    )


def apply_persons(session: Session, user_id: int, face_ids: Sequence[int],
                  result: Mapping[Any, object]) -> tuple[int, int]:
    """Write a clustering result: ``face -> person id | ("new", label)``; faces of
    ``face_ids`` absent from it become unassigned unless the user placed them.
    Returns (persons created, faces whose person changed)."""
    created: dict[object, int] = {}
    before = dict(session.execute(
        select(Face.id, Face.person_id).where(Face.id.in_(face_ids))).all())
    by_user = set(session.scalars(
        select(Face.id).where(Face.id.in_(face_ids), Face.assigned_by == "user")))
    changes: dict[int | None, list[int]] = {}
    for face in face_ids:
        target = result.get(face)
        if isinstance(target, tuple):
            if target not in created:
                created[target] = create_person(session, user_id, None)
            person: int | None = created[target]
        else:
            person = target if isinstance(target, int) else None
        if person is None and face in by_user:
            continue  # the user's placement (or removal) stands
        if before.get(face) != person:
            changes.setdefault(person, []).append(face)
    for person, faces in changes.items():
        for start in range(0, len(faces), 500):
            chunk = faces[start:start + 500]
            session.execute(update(Face).where(Face.id.in_(chunk), Face.assigned_by.is_distinct_from("user"))
                            .values(person_id=person, assigned_by="cluster" if person else None))
    _drop_empty_unnamed(session, user_id)
    sync_person_tags(session, user_id)
    return len(created), sum(len(f) for f in changes.values())


def _drop_empty_unnamed(session: Session, user_id: int) -> None:
    """Unnamed persons left without faces (and without the user's words) disappear."""
    with_faces = select(Face.person_id).where(Face.person_id.is_not(None)).distinct()
    with_words = select(FaceCorrection.person_id).distinct()
    session.execute(delete(Person).where(
        Person.user_id == user_id, Person.name.is_(None), Person.deleted.is_(False),
        Person.id.not_in(with_faces), Person.id.not_in(with_words)))


def face_boxes(session: Session, user_id: int) -> dict[int, list[tuple[int, float, float, float,
                                                                       float, float, int, int]]]:
    """Per person: (face, x, y, w, h, score, photo width, photo height), box as fractions."""
    out: dict[int, list[tuple[int, float, float, float, float, float, int, int]]] = {}
    rows = session.execute(
        select(Face.person_id, Face.id, Face.x, Face.y, Face.w, Face.h, Face.score,
               Photo.width, Photo.height)
        .join(Photo, Photo.id == Face.photo_id).join(Person, Person.id == Face.person_id)
        .where(Person.user_id == user_id, Person.deleted.is_(False))
    ).all()
    for person, face, x, y, w, h, score, width, height in rows:
        if person is not None:
            out.setdefault(person, []).append((face, x, y, w, h, score, width or 0, height or 0))
    return out


def set_covers(session: Session, covers: dict[int, int]) -> None:
    for person, face in covers.items():
        session.execute(update(Person).where(Person.id == person).values(cover_face_id=face))


# --- what the API shows -------------------------------------------------------------------
@dataclass(frozen=True)
class FaceInfo:
    id: int
    photo_id: int
    box: tuple[float, float, float, float]  # x, y, w, h as fractions of the photo
    score: float
    person_id: int | None
    assigned_by: str | None


def faces_info(
    session: Session, mount_ids: Sequence[int], *, face_ids: Sequence[int] | None = None,
    person_id: int | None = None, unassigned: bool = False, offset: int = 0,
    limit: int | None = None,
) -> tuple[int, list[FaceInfo]]:
    """Faces in the user's mounts (by id, of a person, or in no person): (total, page)."""
    query = (select(Face.id, Face.photo_id, Face.x, Face.y, Face.w, Face.h, Face.score,
                    Face.person_id, Face.assigned_by)
             .join(Photo, Photo.id == Face.photo_id).where(Photo.mount_id.in_(list(mount_ids))))
    if face_ids is not None:
        query = query.where(Face.id.in_(list(face_ids)))
    if person_id is not None:
        query = query.where(Face.person_id == person_id)
    if unassigned:
        query = query.where(Face.person_id.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Face.id).offset(offset).limit(limit))
    return total, [FaceInfo(r[0], r[1], (r[2], r[3], r[4], r[5]), r[6], r[7], r[8])
                   for r in rows]


def covers(session: Session, person_ids: Sequence[int]) -> dict[int, FaceInfo]:
    """Each person's cover face (chosen by clustering; else its best-scoring face)."""
    rows = session.execute(
        select(Person.id, Person.cover_face_id).where(Person.id.in_(list(person_ids)))).all()
    chosen = {pid: fid for pid, fid in rows if fid is not None}
    missing = [pid for pid, fid in rows if fid is None]
    if missing:
        best = session.execute(
            select(Face.person_id, Face.id).where(Face.person_id.in_(missing))
            .order_by(Face.person_id, Face.score.desc(), Face.id)).all()
        for pid, fid in best:
            if pid is not None:
                chosen.setdefault(pid, fid)
    faces = session.execute(
        select(Face.id, Face.photo_id, Face.x, Face.y, Face.w, Face.h, Face.score,
               Face.person_id, Face.assigned_by).where(Face.id.in_(list(chosen.values())))).all()
    by_id = {r[0]: FaceInfo(r[0], r[1], (r[2], r[3], r[4], r[5]), r[6], r[7], r[8])
             for r in faces}
    return {pid: by_id[fid] for pid, fid in chosen.items() if fid in by_id}
