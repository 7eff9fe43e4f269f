"""Faces -> persons: agglomerative clustering with the same-person test (``rule``).

1. The k-NN graph of the faces (``knn``) proposes which faces may be one person (and then
   the k-NN graph of the groups' centres, which groups may).
2. Every face starts as its own group; neighbouring groups that pass the test merge, the most
   confident pairs first (``linkage.agglomerate``). The test compares the distance between
   two groups' centres with what their sizes and spreads allow, so a person photographed in
   many conditions stays whole while tight groups of two look-alike relatives stay apart.
3. Never merged: groups pinned to two persons by the user, a face with a person it must not
   join, two faces of one photo (unless the user pinned both to one person).
4. Groups smaller than ``min_cluster_size`` are unassigned (-1).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from recognize.clustering.conflicts import GroupRules
from recognize.clustering.constraints import Constraint, Constraints, FaceId, PersonId
from recognize.clustering.knn import as_matrix, knn_graph
from recognize.clustering.linkage import Groups, agglomerate, distinct
from recognize.clustering.params import ClusterParams

NEIGHBOURS = 15
"""k of the k-NN graph: the candidate pairs of faces (and of groups, at the next level)."""
LEVELS = 2
"""Rounds of clustering: faces, then the groups found (by their centres). A third level
merged nothing more on 100,000 synthetic faces."""


def cluster(
    embeddings: np.ndarray,
    params: ClusterParams | None = None,
    constraints: Iterable[Constraint] | Constraints | None = None,
    face_ids: Sequence[FaceId] | None = None,
    photo_ids: Sequence[int] | np.ndarray | None = None,
) -> np.ndarray:
    """One label per face (0..K-1, or -1 = unassigned), for one user's faces.

    ``face_ids`` names the rows (default: their positions) so that ``constraints`` can refer
    to them; ``photo_ids`` gives each face's photo (default: every face its own photo).
    Faces of deleted persons are left out (-1); pinned and cannot-link faces take part, but
    never end up grouped with another person's pinned faces.
    """
    params = params or ClusterParams()
    x = as_matrix(embeddings)
    ids = list(face_ids) if face_ids is not None else list(range(len(x)))
    if len(ids) != len(x):
        raise ValueError(f"{len(ids)} face ids for {len(x)} embeddings")
    if photo_ids is not None and len(photo_ids) != len(x):
        raise ValueError(f"{len(photo_ids)} photo ids for {len(x)} embeddings")
    index = Constraints.of(constraints)
    chosen = np.flatnonzero([f not in index.deleted_faces for f in ids])
    labels = np.full(len(x), -1, dtype=np.int64)
    if len(chosen) < params.min_cluster_size:
        return labels
    codes: dict[PersonId, int] = {}
    pins = np.array([_code(codes, index.pinned.get(ids[i])) for i in chosen], dtype=np.int64)
    bans = {j: {_code(codes, p) for p in index.forbidden[ids[i]]}
            for j, i in enumerate(chosen.tolist()) if ids[i] in index.forbidden}
    photos = None if photo_ids is None else np.asarray(photo_ids)[chosen]
    labels[chosen] = cluster_rows(x[chosen], params, pins, bans, photos)
    return labels


def cluster_rows(x: np.ndarray, params: ClusterParams, pins: np.ndarray,
                 bans: dict[int, set[int]], photos: np.ndarray | None) -> np.ndarray:
    """Labels of rows ``x`` given per-row pin codes (-1 none), bans and photo ids."""
    n = len(x)
    if n < 2:
        return np.full(n, -1, dtype=np.int64)
    start = np.arange(n)
    rules = GroupRules.of_faces(start, n, pins, bans, photos)
    edges, squared = face_edges(x)
    merged = agglomerate(x, start, edges, params.rule, rules, squared)
    for _ in range(LEVELS - 1):
        again = _merge_groups(x, merged, params, pins, bans, photos)
        if len(distinct(again)) == len(distinct(merged)):
            break
        merged = again
    return final_labels(merged, params.min_cluster_size)


def _merge_groups(x: np.ndarray, merged: np.ndarray, params: ClusterParams, pins: np.ndarray,
                  bans: dict[int, set[int]], photos: np.ndarray | None) -> np.ndarray:
    """One more level: the groups found so far are merged along the k-NN graph of their
    centres (parts of one person that the face graph did not connect sit close together)."""
    _, first, group_of = np.unique(merged, return_index=True, return_inverse=True)
    count = len(first)
    groups = Groups(x, group_of, count)
    centres = (groups.sums / groups.size[:, None]).astype(np.float32)
    _, positions = knn_graph(centres, NEIGHBOURS)
    rows = np.repeat(first, positions.shape[1])
    found = positions.ravel() >= 0
    edges = np.stack([rows[found], first[positions.ravel()[found]]], axis=1)
    rules = GroupRules.of_faces(group_of, count, pins, bans, photos)
    return first[agglomerate(x, group_of, edges, params.rule, rules)]


def face_edges(x: np.ndarray, k: int = NEIGHBOURS) -> tuple[np.ndarray, np.ndarray]:
    """(E, 2) rows of neighbouring faces (each face with its k nearest), and their squared
    distances."""
    distances, positions = knn_graph(x, k)
    rows = np.repeat(np.arange(len(x)), positions.shape[1])
    edges = np.stack([rows, positions.ravel()], axis=1)
    found = edges[:, 1] >= 0
    return edges[found], (distances.ravel()[found].astype(np.float64)) ** 2


def _code(codes: dict[PersonId, int], person: PersonId | None) -> int:
    return -1 if person is None else codes.setdefault(person, len(codes))


def final_labels(groups: np.ndarray, min_size: int) -> np.ndarray:
    """Groups numbered by first appearance; groups smaller than ``min_size`` become -1."""
    _, first, inverse, counts = np.unique(groups, return_index=True, return_inverse=True,
                                          return_counts=True)
    keep = counts >= min_size
    order = np.argsort(first[keep])
    number = np.full(len(counts), -1, dtype=np.int64)
    number[np.flatnonzero(keep)[order]] = np.arange(keep.sum())
    return number[inverse]
