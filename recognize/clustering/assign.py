"""Incremental assignment: a new face joins the known person it passes the same-person test with.

Persons are summarised once (size, vector sum, sum of squared norms, as in ``linkage.Groups``);
a new face is tested against the persons with the nearest centres, with the same test that
clustering uses, so that a face gets the person that clustering all faces at once would give.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from recognize.clustering.constraints import Constraint, Constraints, FaceId, PersonId
from recognize.clustering.knn import as_matrix, nearest, squared_norms
from recognize.clustering.linkage import Groups, distinct
from recognize.clustering.params import ClusterParams

CANDIDATES = 5
"""Persons (nearest centres first) each new face is tested against."""


class KnownFaces:
    """The faces already in persons, summarised once for many ``assign`` calls."""

    def __init__(self, embeddings: np.ndarray, person_ids: Sequence[PersonId],
                 params: ClusterParams | None = None, photo_ids: Sequence[int] | None = None,
                 ) -> None:
        self.params = params or ClusterParams()
        self.embeddings = as_matrix(embeddings) if len(embeddings) else np.zeros((0, 128),
                                                                                  np.float32)
        if len(person_ids) != len(self.embeddings):
            raise ValueError(f"{len(person_ids)} person ids for {len(self.embeddings)} faces")
        self.person_ids = list(person_ids)
        codes = {p: i for i, p in enumerate(dict.fromkeys(self.person_ids))}
        self.persons = list(codes)
        self.code = np.array([codes[p] for p in self.person_ids], dtype=np.int64)
        self.groups = Groups(self.embeddings, self.code, len(self.persons))
        self.size = self.groups.size
        rule = self.params.rule
        self.spread = rule.spread(self.size, self.groups.within_sq(slice(None)))
        self.centres = (self.groups.sums / np.maximum(self.size, 1)[:, None]).astype(np.float32)
        self.centre_norms = squared_norms(self.centres)
        self._photo_keys = np.zeros(0, dtype=np.int64)
        if photo_ids is not None:
            if len(photo_ids) != len(self.embeddings):
                raise ValueError(f"{len(photo_ids)} photo ids for {len(self.embeddings)} faces")
            self._photo_keys = distinct(self._key(self.code, np.asarray(photo_ids, np.int64)))

    def _key(self, code: np.ndarray, photo: np.ndarray) -> np.ndarray:
        return photo * max(len(self.persons), 1) + code

    def has_photo(self, code: np.ndarray, photo: np.ndarray) -> np.ndarray:
        """Vectorised: does person ``code[i]`` already hold a face of photo ``photo[i]``?"""
        if len(self._photo_keys) == 0:
            return np.zeros(len(code), dtype=bool)
        keys = self._key(code, photo)
        at = np.minimum(np.searchsorted(self._photo_keys, keys), len(self._photo_keys) - 1)
        return self._photo_keys[at] == keys

    def candidates(self, queries: np.ndarray, k: int = CANDIDATES,
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Each query face's ``k`` nearest persons by centre, and its test ratio with each
        (gap² / limit; below 1 passes)."""
        one = np.ones(len(queries))
        x64 = queries.astype(np.float64)
        return self.candidates_of_groups(one, x64, squared_norms(x64), k)

    def candidates_of_groups(self, size: np.ndarray, sums: np.ndarray, squares: np.ndarray,
                             k: int = CANDIDATES) -> tuple[np.ndarray, np.ndarray]:
        """The same for groups of faces given by their sizes, vector sums and sums of squared
        norms: the ``k`` persons with the nearest centres, and the test ratio with each."""
        k = min(k, len(self.persons))
        rule = self.params.rule
        centres = (sums / size[:, None]).astype(np.float32)
        _, code = nearest(centres, self.centres, k, None, self.centre_norms)
        within = np.maximum(size * squares - np.einsum("ij,ij->i", sums, sums), 0.0)
        spread = rule.spread(size, within)
        n = self.size[code]
        cross = np.einsum("qd,qkd->qk", sums, self.groups.sums[code])
        msd = (squares / size)[:, None] + self.groups.squares[code] / n \
            - 2 * cross / (size[:, None] * n)
        gap = msd - spread[:, None] / 2 - self.spread[code] / 2
        return code, gap / np.maximum(rule.limit(size[:, None], n), 1e-12)


def assign(
    new_embeddings: np.ndarray,
    known_embeddings: np.ndarray | KnownFaces,
    known_person_ids: Sequence[PersonId] = (),
    params: ClusterParams | None = None,
    *,
    new_face_ids: Sequence[FaceId] | None = None,
    constraints: Iterable[Constraint] | Constraints | None = None,
    new_photo_ids: Sequence[int] | None = None,
) -> list[PersonId | None]:
    """For each new face, the person it joins, or None (left for clustering).

    A face joins the person, among those with the nearest centres, that it passes the
    same-person test with best, unless a constraint forbids it (cannot-link, a deleted
    person's former face) or the person already holds a face of the same photo; of two new
    faces of one photo, only the better one joins a person. A pinned face joins its person.
    """
    known = (known_embeddings if isinstance(known_embeddings, KnownFaces)
             else KnownFaces(known_embeddings, known_person_ids, params))
    queries = as_matrix(new_embeddings) if len(new_embeddings) else np.zeros((0, 128), np.float32)
    ids = list(new_face_ids) if new_face_ids is not None else list(range(len(queries)))
    index = Constraints.of(constraints)
    if not known.persons or len(queries) == 0:
        return [index.pinned.get(f) for f in ids]
    code, ratio = known.candidates(queries)
    if new_photo_ids is not None:
        photo = np.asarray(new_photo_ids, dtype=np.int64)
        clash = known.has_photo(code.ravel(), np.repeat(photo, code.shape[1]))
        ratio[clash.reshape(code.shape)] = np.inf
    choice: list[tuple[int, float] | None] = []
    for row, face in enumerate(ids):
        best = None
        for j in ([] if face in index.pinned else np.argsort(ratio[row]).tolist()):
            if ratio[row, j] >= 1.0:
                break
            if index.allows(face, known.persons[int(code[row, j])]):
                best = (int(code[row, j]), float(ratio[row, j]))
                break
        choice.append(best)
    if new_photo_ids is not None:
        photos = list(new_photo_ids)
        taken = {(photos[row], index.pinned[f]) for row, f in enumerate(ids) if f in index.pinned}
        choice = [None if c is not None and (photos[row], known.persons[c[0]]) in taken else c
                  for row, c in enumerate(choice)]
        choice = _one_per_photo(choice, photos)
    result: list[PersonId | None] = []
    for face, picked in zip(ids, choice, strict=True):
        if face in index.pinned:
            result.append(index.pinned[face])
        else:
            result.append(None if picked is None else known.persons[picked[0]])
    return result


def _one_per_photo(choice: list[tuple[int, float] | None], photos: list[int],
                   ) -> list[tuple[int, float] | None]:
    """Of several faces of one photo choosing one person, keep the most confident."""
    best: dict[tuple[int, int], int] = {}
    for row, picked in enumerate(choice):
        if picked is None:
            continue
        key = (photos[row], picked[0])
        other = best.get(key)
        if other is None or picked[1] < choice[other][1]:  # type: ignore[index]
            best[key] = row
    winners = set(best.values())
    return [c if c is None or row in winners else None for row, c in enumerate(choice)]
