"""The boxes the object detector found in a photo (``photo_objects``): the objects stage
replaces a photo's boxes; the API lists them with the photo (whoever may see the photo may
see its boxes, as for faces)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from recognize.store.models import PhotoObject


def set_objects(session: Session, photo_id: int,
                boxes: Iterable[tuple[str, float, tuple[float, float, float, float]]]) -> None:
    """Replace the photo's boxes with ``(label, score, (x0, y0, x1, y1))`` rows (0..1)."""
    session.execute(delete(PhotoObject).where(PhotoObject.photo_id == photo_id))
    for label, score, (x0, y0, x1, y1) in boxes:
        session.add(PhotoObject(photo_id=photo_id, label=label, score=float(score),
                                x0=float(x0), y0=float(y0), x1=float(x1), y1=float(y1)))


def objects_of(session: Session, photo_id: int) -> list[dict[str, Any]]:
    """The photo's boxes, best score first: label, score, box ``[x0, y0, x1, y1]`` in 0..1."""
    rows = session.scalars(select(PhotoObject).where(PhotoObject.photo_id == photo_id)
                           .order_by(PhotoObject.score.desc(), PhotoObject.id))
    return [{"label": r.label, "score": round(r.score, 4),
             "box": [round(v, 4) for v in (r.x0, r.y0, r.x1, r.y1)]} for r in rows]
