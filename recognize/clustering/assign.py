"""Incremental assignment: a new face joins a person only when its nearest faces agree."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import faiss
import numpy as np

from recognize.clustering.constraints import Constraint, Constraints, FaceId, PersonId
from recognize.clustering.knn import as_matrix, build_index, search
from recognize.clustering.params import ClusterParams


class KnownFaces:
    """The faces already in persons, indexed once for many ``assign`` calls."""

    def __init__(self, embeddings: np.ndarray, person_ids: Sequence[PersonId],
                 params: ClusterParams | None = None) -> None:
        params = params or ClusterParams()
        self.embeddings = as_matrix(embeddings)
        if len(person_ids) != len(self.embeddings):
            raise ValueError(f"{len(person_ids)} person ids for {len(self.embeddings)} faces")
        self.person_ids = list(person_ids)
        self.index: faiss.Index = build_index(self.embeddings, params.hnsw_above)
        codes = {p: i for i, p in enumerate(dict.fromkeys(self.person_ids))}
        self.persons = list(codes)
        self.code = np.array([codes[p] for p in self.person_ids], dtype=np.int64)
        self.size = np.bincount(self.code, minlength=len(self.persons))


def assign(
    new_embeddings: np.ndarray,
    known_embeddings: np.ndarray | KnownFaces,
    known_person_ids: Sequence[PersonId] = (),
    params: ClusterParams | None = None,
    *,
    new_face_ids: Sequence[FaceId] | None = None,
    constraints: Iterable[Constraint] | Constraints | None = None,
) -> list[PersonId | None]:
    """For each new face, the person it joins, or None (left for clustering).

    A face joins person P when its ``k = min(assignment_neighbors, faces of P)`` nearest known
    faces all belong to P and all lie within ``max_assignment_distance``, and no constraint
    forbids it (cannot-link, a deleted person's former face). A pinned face joins its person.
    """
    params = params or ClusterParams()
    known = (known_embeddings if isinstance(known_embeddings, KnownFaces)
             else KnownFaces(known_embeddings, known_person_ids, params))
    queries = as_matrix(new_embeddings) if len(new_embeddings) else np.zeros((0, 128), np.float32)
    ids = list(new_face_ids) if new_face_ids is not None else list(range(len(queries)))
    index = Constraints.of(constraints)
    result: list[PersonId | None] = [None] * len(queries)
    if known.index.ntotal == 0 or len(queries) == 0:
        return [index.pinned.get(f) for f in ids]
    k = params.assignment_neighbors
    distances, positions = search(known.index, queries, k)
    first = known.code[np.maximum(positions[:, 0], 0)]
    need = np.minimum(k, known.size[first])
    column = np.arange(positions.shape[1])[None, :] < need[:, None]
    agree = (known.code[np.maximum(positions, 0)] == first[:, None]) & (positions >= 0)
    close = distances <= params.max_assignment_distance
    ok = np.all(~column | (agree & close), axis=1)
    for row, face in enumerate(ids):
        if face in index.pinned:
            result[row] = index.pinned[face]
        elif ok[row]:
            person = known.persons[int(first[row])]
            result[row] = person if index.allows(face, person) else None
    return result
