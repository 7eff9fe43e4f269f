"""Two faces of one photo are two people: the last guard on a face -> person result."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from recognize.clustering.constraints import Constraints, FaceId, PersonId


def one_face_per_photo(result: Mapping[FaceId, Hashable], face_ids: Sequence[FaceId],
                       photo_ids: Sequence[int], embeddings: np.ndarray,
                       current: Mapping[FaceId, PersonId], constraints: Constraints,
                       ) -> dict[FaceId, Hashable]:
    """``result`` without second faces of a photo in one person (they become unassigned).

    Of the faces of one photo in one person, the user's (pinned) faces stay; when none is
    pinned, the face that was already in that person stays, else the one nearest to the
    person's centre. Faces pinned by the user are never removed.
    """
    out = dict(result)
    row = {f: i for i, f in enumerate(face_ids)}
    count: dict[int, int] = defaultdict(int)
    for photo in photo_ids:
        count[photo] += 1
    shared: dict[tuple[Hashable, int], list[FaceId]] = defaultdict(list)
    for face, photo in zip(face_ids, photo_ids, strict=True):
        if count[photo] > 1 and face in out:
            shared[(out[face], photo)].append(face)
    clashes = {key: faces for key, faces in shared.items() if len(faces) > 1}
    if not clashes:
        return out
    centre = _centres(out, row, embeddings, {person for person, _ in clashes})
    for (person, _), faces in clashes.items():
        pinned = [f for f in faces if constraints.pinned.get(f) == person]
        if pinned:
            keep = set(pinned)
        else:
            before = [f for f in faces if current.get(f) == person] or faces
            keep = {min(before, key=lambda f: float(
                ((embeddings[row[f]] - centre[person]) ** 2).sum()))}
        for face in faces:
            if face not in keep:
                del out[face]
    return out


def _centres(result: Mapping[FaceId, Hashable], row: Mapping[FaceId, int],
             embeddings: np.ndarray, persons: set[Hashable]) -> dict[Hashable, np.ndarray]:
    members: dict[Hashable, list[int]] = defaultdict(list)
    for face, person in result.items():
        if person in persons:
            members[person].append(row[face])
    return {p: embeddings[rows].mean(axis=0) for p, rows in members.items()}
