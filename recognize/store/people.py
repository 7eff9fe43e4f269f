"""Persons as the WebDAV tree and the API list them: with face statistics, their photos,
the faces in no person, and the faces of a photo in the viewer's eyes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from recognize.store.accounts import Viewer
from recognize.store.models import Face, FacePerson, Person, Photo
from recognize.store.persons import IGNORED, listed, viewer_place
from recognize.store.rows import PHOTO_COLS, Group, PhotoRow, Stat, named, own, photo_rows, stat_cols, stat_of


def persons(session: Session, viewer: Viewer, person_id: int | None = None, *,
            hidden: bool = False) -> list[Group]:
    """The viewer's persons with face statistics: those listed (see
    :func:`recognize.store.persons.listed`), or only the hidden ones; one by id whatever
    its state (unless deleted)."""
    faces = (
        select(FacePerson.person_id.label("pid"), *stat_cols(Face.id))
        .join(Face, Face.id == FacePerson.face_id)
        .join(Photo, Photo.id == Face.photo_id)
        .where(own(viewer.mount_ids), FacePerson.user_id.in_(viewer.owner_ids),
               FacePerson.person_id.is_not(None))
        .group_by(FacePerson.person_id)
    )
    if person_id is not None:
        faces = faces.where(FacePerson.person_id == person_id)
    sub = faces.subquery()
    query = (
        select(Person.id, Person.name, *(sub.c[i] for i in range(1, 6)), Person.hidden)
        .outerjoin(sub, sub.c.pid == Person.id)
        .where(Person.user_id.in_(viewer.owner_ids), Person.deleted.is_(False))
        .order_by(Person.id)
    )
    if person_id is not None:
        query = query.where(Person.id == person_id)
    else:
        query = query.where(listed(sub.c[1], hidden))
    return [Group(r[0], r[1], stat_of(r, 2), kind="hidden" if r[7] else "")
            for r in session.execute(query)]


def person_list(session: Session, viewer: Viewer) -> list[Group]:
    """The viewer's persons without statistics: a cheap lookup by name."""
    rows = session.execute(select(Person.id, Person.name).where(
        Person.user_id.in_(viewer.owner_ids), Person.deleted.is_(False)).order_by(Person.id))
    return [Group(r[0], r[1], None) for r in rows]


def person_photos(
    session: Session, person_id: int, mount_ids: Sequence[int], names: Sequence[str] | None = None
) -> list[PhotoRow]:
    placed = select(Face.photo_id).join(FacePerson, FacePerson.face_id == Face.id).where(
        FacePerson.person_id == person_id)
    query = select(*PHOTO_COLS).where(own(mount_ids)).where(Photo.id.in_(placed))
    return photo_rows(session, named(query, names))


def _in_no_person(viewer: Viewer) -> Any:
    """SQL: the face is in none of the viewer's persons (and not marked "not a face")."""
    return ~select(FacePerson.face_id).where(
        viewer_place(viewer),
        or_(FacePerson.person_id.is_not(None), FacePerson.assigned_by == IGNORED)).exists()


def unassigned(session: Session, viewer: Viewer, stems: Sequence[str] | None = None
               ) -> list[PhotoRow]:
    """One row per face in no person, with the face's left-to-right position in its photo;
    with ``stems``, only photos named one of them, with or without an extension (a lookup by
    entry name)."""
    position = func.row_number().over(partition_by=Face.photo_id, order_by=(Face.x, Face.id))
    total = func.count().over(partition_by=Face.photo_id)
    ranked = (
        select(Face.id.label("fid"), Face.photo_id, _in_no_person(viewer).label("free"),
               position.label("pos"), total.label("n"), Face.x, Face.y, Face.w, Face.h,
               Face.landmarks)
        .join(Photo, Photo.id == Face.photo_id)
        .where(own(viewer.mount_ids), *_stems_are(stems))
        .subquery()
    )
    query = (
        select(*PHOTO_COLS, ranked.c.fid, ranked.c.pos, ranked.c.n, ranked.c.x, ranked.c.y,
               ranked.c.w, ranked.c.h, ranked.c.landmarks)
        .join(ranked, ranked.c.photo_id == Photo.id)
        .where(ranked.c.free)
        .order_by(Photo.id, ranked.c.pos)
    )
    return [PhotoRow(r[0], r[1], r[2], r[3], r[4], r[5], face_id=r[6],
                     face_pos=r[7] if r[8] > 1 else 0, face_box=(r[9], r[10], r[11], r[12]),
                     face_marks=r[13])
            for r in session.execute(query)]


def person_face_rows(session: Session, person_id: int, mount_ids: Sequence[int]
                     ) -> list[PhotoRow]:
    """One row per face of the person (``faces/<Person>/``), with its box for the crop."""
    query = (select(*PHOTO_COLS, Face.id, Face.x, Face.y, Face.w, Face.h, Face.landmarks)
             .join(Face, Face.photo_id == Photo.id)
             .join(FacePerson, FacePerson.face_id == Face.id)
             .where(own(mount_ids), FacePerson.person_id == person_id)
             .order_by(Face.id))
    return [PhotoRow(r[0], r[1], r[2], r[3], r[4], r[5], face_id=r[6],
                     face_box=(r[7], r[8], r[9], r[10]), face_marks=r[11])
            for r in session.execute(query)]


def _stems_are(stems: Sequence[str] | None) -> list[Any]:
    """``name == stem`` or ``stem.<ext>``: index ranges ('.' and '/' are neighbours, and no
    file name holds a '/')."""
    if stems is None:
        return []
    return [or_(*(or_(Photo.name == s, and_(Photo.name >= s + ".", Photo.name < s + "/"))
                  for s in stems))]


def unassigned_stat(session: Session, viewer: Viewer) -> Stat:
    row = session.execute(
        select(*stat_cols(Face.id)).join(Photo, Photo.id == Face.photo_id)
        .where(own(viewer.mount_ids), _in_no_person(viewer))
    ).one()
    return stat_of(row)


def add_face(
    session: Session, photo_id: int, box: tuple[float, float, float, float], score: float,
    *, model: str = "user", person_id: int | None = None, embedding: bytes | None = None,
    assigned_by: str | None = None,
) -> int:
    """A face on a photo; with ``person_id``, placed in that person for its owner."""
    x, y, w, h = box
    face = Face(photo_id=photo_id, x=x, y=y, w=w, h=h, score=score, model=model,
                embedding=embedding)
    session.add(face)
    session.flush()
    if person_id is not None:
        owner = session.scalar(select(Person.user_id).where(Person.id == person_id))
        session.add(FacePerson(face_id=face.id, user_id=owner, person_id=person_id,
                               assigned_by=assigned_by))
        session.flush()
    return face.id


def person_faces_in_photo(session: Session, person_id: int, photo_id: int) -> list[int]:
    return list(session.scalars(
        select(Face.id).join(FacePerson, FacePerson.face_id == Face.id)
        .where(FacePerson.person_id == person_id, Face.photo_id == photo_id).order_by(Face.id)
    ))


def faces_of(session: Session, photo_ids: Sequence[int], viewer: Viewer
             ) -> dict[int, list[dict[str, Any]]]:
    """The faces on these photos with the viewer's person of each (name or "Person N")."""
    out: dict[int, list[dict[str, Any]]] = {p: [] for p in photo_ids}
    rows = session.execute(
        select(Face.id, Face.photo_id, Face.x, Face.y, Face.w, Face.h, Face.score,
               FacePerson.person_id, Person.name)
        .join(Photo, Photo.id == Face.photo_id)
        .outerjoin(FacePerson, viewer_place(viewer))
        .outerjoin(Person, Person.id == FacePerson.person_id)
        .where(Face.photo_id.in_(photo_ids)).order_by(Face.photo_id, Face.x, Face.id)
    )
    for r in rows:
        out[r[1]].append({"id": r[0], "box": [r[2], r[3], r[4], r[5]], "score": r[6],
                          "person_id": r[7],
                          "person": None if r[7] is None else (r[8] or f"Person {r[7]}")})
    return out
