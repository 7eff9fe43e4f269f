"""Faces as the API and the web pages show them: in the viewer's eyes, with each person's cover."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recognize.store.accounts import Viewer
from recognize.store.models import Face, FacePerson, Person, Photo
from recognize.store.persons import IGNORED, viewer_place


@dataclass(frozen=True)
class FaceInfo:
    id: int
    photo_id: int
    box: tuple[float, float, float, float]  # x, y, w, h as fractions of the photo
    score: float
    person_id: int | None  # in the viewer's eyes
    assigned_by: str | None
    quality: str | None = None  # why it is kept out of clustering (None: fit)


def _face_info_query(viewer: Viewer) -> Any:
    return (select(Face.id, Face.photo_id, Face.x, Face.y, Face.w, Face.h, Face.score,
                   FacePerson.person_id, FacePerson.assigned_by, Face.quality)
            .join(Photo, Photo.id == Face.photo_id)
            .outerjoin(FacePerson, viewer_place(viewer))
            .where(Photo.mount_id.in_(viewer.mount_ids)))


def faces_info(
    session: Session, viewer: Viewer, *, face_ids: Sequence[int] | None = None,
    person_id: int | None = None, unassigned: bool = False, offset: int = 0,
    limit: int | None = None,
) -> tuple[int, list[FaceInfo]]:
    """Faces in the viewer's mounts (by id, of a person, or in no person): (total, page)."""
    query = _face_info_query(viewer)
    if face_ids is not None:
        query = query.where(Face.id.in_(list(face_ids)))
    if person_id is not None:
        query = query.where(FacePerson.person_id == person_id)
    if unassigned:
        query = query.where(FacePerson.person_id.is_(None),
                            FacePerson.assigned_by.is_distinct_from(IGNORED))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Face.id).offset(offset).limit(limit))
    return total, [FaceInfo(r[0], r[1], (r[2], r[3], r[4], r[5]), r[6], r[7], r[8], r[9])
                   for r in rows]


def covers(session: Session, viewer: Viewer, person_ids: Sequence[int]) -> dict[int, FaceInfo]:
    """Each person's cover face (chosen by clustering, if still the person's; else its
    best-scoring face)."""
    rows = session.execute(
        select(Person.id, Person.cover_face_id).where(Person.id.in_(list(person_ids)))).all()
    faces = session.execute(
        _face_info_query(viewer).where(FacePerson.person_id.in_(list(person_ids)))
        .order_by(FacePerson.person_id, Face.score.desc(), Face.id)).all()
    chosen: dict[int, FaceInfo] = {}
    cover_of = dict(rows)
    for r in faces:
        info = FaceInfo(r[0], r[1], (r[2], r[3], r[4], r[5]), r[6], r[7], r[8], r[9])
        pid = int(r[7])
        if pid not in chosen or cover_of.get(pid) == info.id:
            chosen[pid] = info
    return chosen
