"""Faces -> persons: HDBSCAN fragments, a split guard, then an average-linkage merge guard.

1. HDBSCAN (leaf selection by default) over a faiss k-NN graph finds small dense groups of
   faces; ``min_samples`` keeps single stray faces from bridging two persons.
2. Split guard: a group whose faces are on average (root-mean-square) farther apart than the
   model's same-person threshold is cut by average linkage at that threshold; a group holding
   user-pinned faces of two persons is split between them.
3. Merge guard: groups and the faces HDBSCAN left as noise are merged, closest first, while
   the RMS distance over *all* their face pairs stays below ``merge_distance`` (average
   linkage: one close pair cannot chain two persons). Constraints veto merges.
4. Groups smaller than ``min_cluster_size`` are unassigned (-1).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist

from recognize.clustering.constraints import Constraint, Constraints, FaceId, PersonId
from recognize.clustering.density import hdbscan_labels
from recognize.clustering.knn import as_matrix, knn_graph
from recognize.clustering.linkage import Groups, merge_groups
from recognize.clustering.params import ClusterParams
from recognize.log import get_logger

log = get_logger(__name__)

NEIGHBOURS = 15
"""k of the k-NN graph (HDBSCAN's spanning tree and the merge candidates)."""
SPLIT_SAMPLE = 3000
"""Largest group split exactly; a larger one is split on a sample, the rest follow."""


def cluster(
    embeddings: np.ndarray,
    params: ClusterParams | None = None,
    constraints: Iterable[Constraint] | Constraints | None = None,
    face_ids: Sequence[FaceId] | None = None,
) -> np.ndarray:
    """One label per face (0..K-1, or -1 = unassigned), for one user's faces.

    ``face_ids`` names the rows (default: their positions) so that ``constraints`` can refer
    to them. Faces of deleted persons are left out (-1); pinned and cannot-link faces take
    part, but never end up grouped with another person's pinned faces.
    """
    params = params or ClusterParams()
    x = as_matrix(embeddings)
    ids = list(face_ids) if face_ids is not None else list(range(len(x)))
    if len(ids) != len(x):
        raise ValueError(f"{len(ids)} face ids for {len(x)} embeddings")
    index = Constraints.of(constraints)
    active = np.array([f not in index.deleted_faces for f in ids], dtype=bool)
    labels = np.full(len(x), -1, dtype=np.int64)
    chosen = np.flatnonzero(active)
    person_code: dict[PersonId, int] = {}
    pins = np.array([_code(person_code, index.pinned.get(ids[i])) for i in chosen], dtype=np.int64)
    bans = {j: {_code(person_code, p) for p in index.forbidden[ids[i]]}
            for j, i in enumerate(chosen.tolist()) if ids[i] in index.forbidden}
    labels[chosen] = _cluster(x[chosen], params, pins, bans)
    return labels


def _code(codes: dict[PersonId, int], person: PersonId | None) -> int:
    return -1 if person is None else codes.setdefault(person, len(codes))


def _cluster(x: np.ndarray, params: ClusterParams, pins: np.ndarray,
             bans: dict[int, set[int]]) -> np.ndarray:
    n = len(x)
    if n < params.min_cluster_size:
        return np.full(n, -1, dtype=np.int64)
    distances, positions = knn_graph(x, max(NEIGHBOURS, params.min_samples), params.hnsw_above)
    fragments = hdbscan_labels(
        distances, positions,
        min_cluster_size=params.min_cluster_size, min_samples=params.min_samples,
        cluster_selection_epsilon=params.cluster_selection_epsilon,
        cluster_selection_method=params.cluster_selection_method,
    )
    fragments = split_guard(x, fragments, params.same_person_threshold, pins, bans)
    fragments = peel_outliers(x, fragments, params.merge_distance)
    groups = _with_singletons(fragments)
    near = distances < params.merge_distance
    edges = np.stack([np.nonzero(near)[0], positions[near]], axis=1)
    edges = edges[edges[:, 1] >= 0]
    group_pins = {int(g): {int(p)} for g, p in zip(groups, pins, strict=True) if p >= 0}
    group_bans = {int(groups[i]): set(b) for i, b in bans.items()}
    merged = merge_groups(x, groups, edges, params.merge_distance, group_pins, group_bans)
    return _final_labels(merged, params.min_cluster_size)


def split_guard(x: np.ndarray, fragments: np.ndarray, threshold: float, pins: np.ndarray,
                bans: dict[int, set[int]]) -> np.ndarray:
    """Split fragments that are too spread out or hold conflicting constraints (-1 kept)."""
    out = fragments.copy()
    next_label = int(fragments.max(initial=-1)) + 1
    for label in np.unique(fragments[fragments >= 0]).tolist():
        members = np.flatnonzero(fragments == label)
        parts = _parts(x, members, threshold, pins)
        for part in np.unique(parts)[1:].tolist():
            out[members[parts == part]] = next_label
            next_label += 1
    for face, banned in bans.items():  # a face whose group is pinned to a person it may not join
        label = out[face]
        if label >= 0 and banned & set(pins[out == label].tolist()):
            out[face] = -1
    return out


def peel_outliers(x: np.ndarray, fragments: np.ndarray, threshold: float) -> np.ndarray:
    """Make noise of every face whose RMS distance to the rest of its group is ``threshold`` or
    more (repeated until none is left): HDBSCAN lets a fringe face join a group at the
    density level where the group was born, however far it is from most of its members."""
    out = fragments.copy()
    x64 = x.astype(np.float64)
    norms = (x64 * x64).sum(axis=1)
    limit = threshold * threshold
    while True:
        members = np.flatnonzero(out >= 0)
        if len(members) == 0:
            return out
        labels = out[members]
        count = np.bincount(labels).astype(np.float64)
        sums = np.zeros((len(count), x.shape[1]))
        np.add.at(sums, labels, x64[members])
        squares = np.bincount(labels, weights=norms[members])
        rest = np.maximum(count[labels] - 1, 1)
        own = norms[members]
        rest_sum = sums[labels] - x64[members]
        cross = (x64[members] * rest_sum).sum(axis=1)
        msd = (squares[labels] - own) / rest + own - 2 * cross / rest
        bad = members[(msd >= limit) & (count[labels] > 1)]
        if len(bad) == 0:
            return out
        out[bad] = -1


def _parts(x: np.ndarray, members: np.ndarray, threshold: float, pins: np.ndarray,
           ) -> np.ndarray:
    """Sub-group numbers (0..) of one fragment's members."""
    persons = np.unique(pins[members][pins[members] >= 0])
    if len(persons) > 1:  # pinned faces of several persons: each face follows the nearest
        centres = np.stack([x[members[pins[members] == p]].mean(axis=0) for p in persons])
        parts = ((x[members, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
        pinned = pins[members] >= 0
        parts[pinned] = np.searchsorted(persons, pins[members][pinned])
        return parts
    group = Groups(x[members], np.zeros(len(members), dtype=np.int64))
    if len(members) < 3 or group.spread(0) <= threshold:
        return np.zeros(len(members), dtype=np.int64)
    log.debug("splitting a group of %d faces (RMS spread %.3f)", len(members), group.spread(0))
    sample = members if len(members) <= SPLIT_SAMPLE else members[
        np.random.default_rng(0).choice(len(members), SPLIT_SAMPLE, replace=False)]
    cut = fcluster(linkage(pdist(x[sample]), method="average"), threshold, criterion="distance")
    if len(sample) == len(members):
        return cut - 1
    nearest = ((x[members, None, :] - x[None, sample, :]) ** 2).sum(axis=2).argmin(axis=1)
    return cut[nearest] - 1


def _with_singletons(fragments: np.ndarray) -> np.ndarray:
    """Fragment labels, with every noise face as a group of its own (ids 0..G-1)."""
    groups = fragments.copy()
    noise = np.flatnonzero(groups < 0)
    groups[noise] = int(fragments.max(initial=-1)) + 1 + np.arange(len(noise))
    return groups


def _final_labels(groups: np.ndarray, min_size: int) -> np.ndarray:
    """Groups numbered by first appearance; groups smaller than ``min_size`` become -1."""
    _, first, inverse, counts = np.unique(groups, return_index=True, return_inverse=True,
                                          return_counts=True)
    keep = counts >= min_size
    order = np.argsort(first[keep])
    number = np.full(len(counts), -1, dtype=np.int64)
    number[np.flatnonzero(keep)[order]] = np.arange(keep.sum())
    return number[inverse]
