"""A user's corrections, as plain records, and their index used by every step."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

FaceId = Hashable
PersonId = Hashable


class ConstraintKind(StrEnum):
    MUST_LINK = "must_link"
    """The user confirmed: this face is this person. The face is pinned and anchors it."""
    CANNOT_LINK = "cannot_link"
    """The user said: this face is not this person. It never joins that person again."""
    DELETED = "deleted"
    """The user deleted this person, to which the face belonged. The face stays unassigned
    until the user assigns it (a must-link for the same face wins)."""


@dataclass(frozen=True)
class Constraint:
    face_id: FaceId
    person_id: PersonId
    kind: ConstraintKind


@dataclass
class Constraints:
    """Constraints indexed by face: what clustering, assignment and matching consult."""

    pinned: dict[FaceId, PersonId] = field(default_factory=dict)
    forbidden: dict[FaceId, set[PersonId]] = field(default_factory=dict)
    deleted_faces: set[FaceId] = field(default_factory=set)
    deleted_persons: set[PersonId] = field(default_factory=set)

    @classmethod
    def of(cls, constraints: Iterable[Constraint] | Constraints | None) -> Constraints:
        """Index ``constraints`` (an already built index is returned as it is)."""
        if isinstance(constraints, Constraints):
            return constraints
        index = cls()
        for item in constraints or ():
            kind = ConstraintKind(item.kind)
            if kind is ConstraintKind.MUST_LINK:
                index.pinned[item.face_id] = item.person_id
            elif kind is ConstraintKind.CANNOT_LINK:
                index.forbidden.setdefault(item.face_id, set()).add(item.person_id)
            else:
                index.deleted_faces.add(item.face_id)
                index.deleted_persons.add(item.person_id)
        index.deleted_faces -= set(index.pinned)
        return index

    def allows(self, face_id: FaceId, person_id: PersonId) -> bool:
        """May this face be put into this person automatically?"""
        if face_id in self.pinned:
            return self.pinned[face_id] == person_id
        if face_id in self.deleted_faces or person_id in self.deleted_persons:
            return False
        return person_id not in self.forbidden.get(face_id, ())

    def automatic(self, face_id: FaceId) -> bool:
        """May automatic clustering place this face at all (not pinned, not left out)?"""
        return face_id not in self.pinned and face_id not in self.deleted_faces
