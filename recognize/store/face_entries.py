"""Faces as Recognize's Nextcloud endpoints show them: one entry per face with its photo
(``recognize/<user>/faces``), the detections on a photo, and each person's cover."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from recognize.store.accounts import Viewer
from recognize.store.models import Face, FacePerson, Person, Photo
from recognize.store.persons import viewer_place
from recognize.store.rows import PHOTO_COLS, PhotoRow, own


@dataclass(frozen=True)
class FaceEntry:
    """One face of a person (or unassigned) with its photo, for ``recognize/<user>/faces``."""

    photo: PhotoRow
    face_id: int
    person_id: int | None
    box: tuple[float, float, float, float]  # x, y, w, h as fractions of the photo


@dataclass(frozen=True)
class Detection:
    """A face on a photo as Recognize reports it (``nc:face-detections``)."""

    id: int
    photo_id: int
    box: tuple[float, float, float, float]
    person_id: int | None
    person_name: str | None


def _face_entries(session: Session, query: Any) -> list[FaceEntry]:
    return [_face_entry(r) for r in session.execute(query)]


def _face_entry(r: Any) -> FaceEntry:
    photo = PhotoRow(r[0], r[1], r[2], r[3], r[4], r[5], face_id=r[6])
    return FaceEntry(photo, r[6], r[7], (r[8], r[9], r[10], r[11]))


def _face_query(viewer: Viewer) -> Any:
    return (select(*PHOTO_COLS, Face.id, FacePerson.person_id, Face.x, Face.y, Face.w, Face.h)
            .join(Photo, Photo.id == Face.photo_id).outerjoin(FacePerson, viewer_place(viewer))
            .where(own(viewer.mount_ids)).order_by(Face.id))


def person_faces(session: Session, person_id: int, viewer: Viewer) -> list[FaceEntry]:
    return _face_entries(session, _face_query(viewer).where(FacePerson.person_id == person_id))


def unassigned_faces(session: Session, viewer: Viewer) -> list[FaceEntry]:
    return _face_entries(session, _face_query(viewer).where(FacePerson.person_id.is_(None)))


def face_entry(session: Session, face_id: int, viewer: Viewer) -> FaceEntry | None:
    found = _face_entries(session, _face_query(viewer).where(Face.id == face_id))
    return found[0] if found else None


def detections(session: Session, photo_ids: Sequence[int], viewer: Viewer
               ) -> dict[int, list[Detection]]:
    """All faces on these photos, one query, each with the viewer's person (never another
    user's)."""
    out: dict[int, list[Detection]] = {p: [] for p in photo_ids}
    rows = session.execute(
        select(Face.id, Face.photo_id, Face.x, Face.y, Face.w, Face.h, FacePerson.person_id,
               Person.name)
        .join(Photo, Photo.id == Face.photo_id)
        .outerjoin(FacePerson, viewer_place(viewer))
        .outerjoin(Person, Person.id == FacePerson.person_id)
        .where(Face.photo_id.in_(list(photo_ids)))
        .order_by(Face.photo_id, Face.id))
    for r in rows:
        out[r[1]].append(Detection(r[0], r[1], (r[2], r[3], r[4], r[5]), r[6], r[7]))
    return out


def preview_faces(session: Session, viewer: Viewer) -> dict[int, FaceEntry]:
    """Per person, the face to show as its cover: the one clustering chose, else Recognize's
    rule (the largest face with a margin of half its size on every side, else the largest);
    for all persons in one query."""
    inside = and_(Face.x - Face.w * 0.5 > 0, Face.y - Face.h * 0.5 > 0,
                  1 - (Face.x + Face.w) - Face.w * 0.5 > 0,
                  1 - (Face.y + Face.h) - Face.h * 0.5 > 0)
    rank = func.row_number().over(
        partition_by=FacePerson.person_id,
        order_by=(case((Face.id == Person.cover_face_id, 0), else_=1), case((inside, 0), else_=1),
                  Face.h.desc(), Face.w.desc(), Face.id))
    ranked = (select(*PHOTO_COLS, Face.id.label("fid"), FacePerson.person_id.label("pid"),
                     Face.x, Face.y, Face.w, Face.h, rank.label("rank"))
              .join(Photo, Photo.id == Face.photo_id)
              .join(FacePerson, FacePerson.face_id == Face.id)
              .join(Person, Person.id == FacePerson.person_id)
              .where(own(viewer.mount_ids), Person.user_id.in_(viewer.owner_ids),
                     FacePerson.user_id == Person.user_id, Person.deleted.is_(False))
              .subquery())
    rows = session.execute(select(*ranked.c[:12]).where(ranked.c.rank == 1))
    return {r[7]: _face_entry(r) for r in rows}
