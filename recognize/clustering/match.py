"""Stable person ids: map a new clustering onto the persons that existed before it.

Rules, in order:
1. A cluster holding faces of two *protected* persons (named, or with user-pinned faces) is
   split between them: those faces go back to their person, the others follow the nearest
   protected part (by centroid, when embeddings are given) or become unassigned.
2. A cluster with pinned faces of person P maps to P.
3. Remaining clusters and persons are paired greedily by membership overlap (largest first);
   a person is used once, except that a protected person also takes every further cluster
   most of whose faces were already that person's (a named person is kept whole).
4. Other clusters of two or more faces become new persons (None). Deleted persons are never
   mapped to, and a face whose cluster maps to a person it must not join (cannot-link) is
   unassigned.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from recognize.clustering.constraints import Constraint, Constraints, FaceId, PersonId


@dataclass(frozen=True)
class ClusterMatch:
    labels: np.ndarray
    """Cluster label per face after splits (-1 = unassigned)."""
    persons: dict[int, PersonId | None]
    """Cluster label -> existing person id, or None for a new person."""

    def person_of(self, face_ids: Sequence[FaceId]) -> dict[FaceId, PersonId | tuple[str, int]]:
        """Face -> existing person id, or ("new", label) for faces of a new person."""
        out: dict[FaceId, PersonId | tuple[str, int]] = {}
        for face, label in zip(face_ids, self.labels.tolist(), strict=True):
            if label >= 0:
                person = self.persons[label]
                out[face] = ("new", label) if person is None else person
        return out


def match_clusters(
    new_labels: np.ndarray | Sequence[int],
    face_ids: Sequence[FaceId],
    previous_person_of_face: Mapping[FaceId, PersonId],
    *,
    named_persons: Iterable[PersonId] = (),
    constraints: Iterable[Constraint] | Constraints | None = None,
    embeddings: np.ndarray | None = None,
) -> ClusterMatch:
    """Map each cluster of ``new_labels`` to an existing person or to None (a new person)."""
    index = Constraints.of(constraints)
    labels = np.asarray(new_labels, dtype=np.int64).copy()
    ids = list(face_ids)
    labels[[i for i, f in enumerate(ids) if f in index.deleted_faces]] = -1
    before = {f: p for f, p in previous_person_of_face.items() if p not in index.deleted_persons}
    before.update(index.pinned)
    protected = (set(named_persons) | set(index.pinned.values())) - index.deleted_persons
    labels = _split_protected(labels, ids, before, protected, embeddings)
    members: dict[int, list[int]] = {}
    for i, label in enumerate(labels.tolist()):
        if label >= 0:
            members.setdefault(label, []).append(i)
    persons: dict[int, PersonId | None] = {}
    for label, rows in members.items():  # rule 2: pinned faces anchor their cluster
        pins = {index.pinned[ids[i]] for i in rows if ids[i] in index.pinned}
        if len(pins) == 1:
            persons[label] = pins.pop()
    overlap = Counter((label, before[ids[i]]) for label, rows in members.items()
                      for i in rows if ids[i] in before and label not in persons)
    taken = set(persons.values())
    for (label, person), _ in sorted(overlap.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        if label not in persons and person not in taken:
            persons[label] = person
            taken.add(person)
    for label, rows in members.items():
        if label not in persons:
            counts = Counter(before.get(ids[i]) for i in rows)
            person, count = counts.most_common(1)[0]
            keep_whole = person in protected and count * 2 > len(rows)
            persons[label] = person if keep_whole else None
    for i, label in enumerate(labels.tolist()):
        person = persons.get(label) if label >= 0 else None
        if person is not None and not index.allows(ids[i], person):
            labels[i] = -1
    sizes = Counter(labels[labels >= 0].tolist())
    for label, person in list(persons.items()):
        if person is None and sizes.get(label, 0) < 2:  # a new person needs two faces
            labels[labels == label] = -1
            del persons[label]
    return ClusterMatch(labels=labels, persons=persons)


def _split_protected(labels: np.ndarray, ids: list[FaceId], before: Mapping[FaceId, PersonId],
                     protected: set[PersonId], embeddings: np.ndarray | None) -> np.ndarray:
    """Rule 1: clusters spanning several protected persons are split between them."""
    out = labels.copy()
    next_label = int(labels.max(initial=-1)) + 1
    for label in np.unique(labels[labels >= 0]).tolist():
        rows = np.flatnonzero(labels == label)
        owner = [before.get(ids[i]) if before.get(ids[i]) in protected else None for i in rows]
        persons = sorted({p for p in owner if p is not None}, key=str)
        if len(persons) < 2:
            continue
        part_label = {p: (label if n == 0 else next_label + n - 1) for n, p in enumerate(persons)}
        next_label += len(persons) - 1
        centres = None
        if embeddings is not None:
            centres = np.stack([embeddings[[r for r, o in zip(rows, owner, strict=True) if o == p]]
                                .mean(axis=0) for p in persons])
        for r, o in zip(rows.tolist(), owner, strict=True):
            if o is not None:
                out[r] = part_label[o]
            elif centres is not None and embeddings is not None:
                nearest = int(((centres - embeddings[r]) ** 2).sum(axis=1).argmin())
                out[r] = part_label[persons[nearest]]
            else:
                out[r] = -1
    return out
