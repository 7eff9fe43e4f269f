"""Faces of a photo: saved by the faces stage so that re-running it keeps identities.

A re-run (e.g. a new model version) matches the new faces to the photo's existing ones by
box overlap; a matched face keeps its row, and so its person and the user's corrections.
Boxes and landmarks are stored as fractions of the oriented photo's width and height.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from recognize.store.models import Face

SAME_FACE_IOU = 0.5


@dataclass(frozen=True)
class FaceRow:
    x: float  # left, as a fraction of the photo's width
    y: float
    w: float
    h: float
    score: float
    landmarks: list[list[float]]
    embedding: bytes  # float32 little-endian
    model: str
    quality: str | None = None  # why the face is kept out of persons (None: fit)


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(ax2, bx2) - max(a[0], b[0]))
    ih = max(0.0, min(ay2, by2) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def replace_faces(session: Session, photo_id: int, faces: Sequence[FaceRow]) -> list[int]:
    """Make the photo's faces exactly ``faces``; return their ids in the same order."""
    old = list(session.scalars(select(Face).where(Face.photo_id == photo_id)))
    ids: list[int] = []
    taken: set[int] = set()
    for new in faces:
        box = (new.x, new.y, new.w, new.h)
        best = max(
            (f for f in old if f.id not in taken),
            key=lambda f: iou(box, (f.x, f.y, f.w, f.h)),
            default=None,
        )
        if best is not None and iou(box, (best.x, best.y, best.w, best.h)) >= SAME_FACE_IOU:
            taken.add(best.id)
            row = best
        else:
            row = Face(photo_id=photo_id)
            session.add(row)
        row.x, row.y, row.w, row.h = box
        row.score, row.landmarks, row.embedding, row.model, row.quality = (
            new.score, new.landmarks, new.embedding, new.model, new.quality)
        session.flush()
        ids.append(row.id)
    gone = [f.id for f in old if f.id not in taken]
    if gone:
        session.execute(delete(Face).where(Face.id.in_(gone)))
    return ids


@dataclass(frozen=True)
class FaceSource:
    """What a face crop is cut from: the face and where its photo lives."""

    box: tuple[float, float, float, float]
    landmarks: list[list[float]] | None
    photo_id: int
    path: str  # relative to the mount
    mtime_ns: int
    mount: str
    location: str


def face_source(session: Session, face_id: int) -> FaceSource | None:
    from recognize.store.models import Mount, Photo

    row = session.execute(
        select(Face.x, Face.y, Face.w, Face.h, Face.landmarks, Photo.id, Photo.path,
               Photo.mtime_ns, Mount.name, Mount.location)
        .join(Photo, Photo.id == Face.photo_id).join(Mount, Mount.id == Photo.mount_id)
        .where(Face.id == face_id)).first()
    if row is None:
        return None
    return FaceSource((row[0], row[1], row[2], row[3]), row[4], row[5], row[6], row[7], row[8],
                      row[9])
