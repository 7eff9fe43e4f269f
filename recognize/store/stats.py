"""Counts for the metrics endpoint: photos per mount and status, queue, faces, persons, tags."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recognize.store.models import Face, FacePerson, Mount, Person, Photo, QueueItem, Tag


@dataclass(frozen=True)
class Counts:
    photos: list[tuple[str, str, int]]  # (mount, status, n)
    queue: list[tuple[str, str, int]]  # (mount, stage, n)
    faces: int
    faces_unassigned: int
    persons: int
    persons_named: int
    tags: list[tuple[str, int]]  # (kind, n)


def counts(session: Session) -> Counts:
    photos = session.execute(
        select(Mount.name, Photo.status, func.count()).join(Mount, Mount.id == Photo.mount_id)
        .group_by(Mount.name, Photo.status).order_by(Mount.name, Photo.status)).all()
    queue = session.execute(
        select(Mount.name, QueueItem.stage, func.count())
        .join(Mount, Mount.id == QueueItem.mount_id)
        .group_by(Mount.name, QueueItem.stage).order_by(Mount.name, QueueItem.stage)).all()
    faces = session.scalar(select(func.count()).select_from(Face)) or 0
    placed = select(FacePerson.face_id).where(FacePerson.person_id.is_not(None))
    unassigned = session.scalar(select(func.count()).where(Face.id.not_in(placed))) or 0
    alive = Person.deleted.is_(False)
    persons = session.scalar(select(func.count()).where(alive)) or 0
    named = session.scalar(select(func.count()).where(alive, Person.name.is_not(None))) or 0
    tags = session.execute(select(Tag.kind, func.count()).group_by(Tag.kind)
                           .order_by(Tag.kind)).all()
    return Counts([(m, s, int(n)) for m, s, n in photos], [(m, s, int(n)) for m, s, n in queue],
                  int(faces), int(unassigned), int(persons), int(named),
                  [(k, int(n)) for k, n in tags])
