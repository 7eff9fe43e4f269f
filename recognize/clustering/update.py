"""One user's faces -> persons, in the two modes the job cascade needs.

* incremental (new faces arrived): faces already in a person stay there; new and unassigned
  faces are first ``assign``-ed by nearest neighbours; only the rest are clustered, and a new
  cluster joins an existing person when the average-linkage rule would have merged them.
* full (a threshold changed, or a periodic re-cluster): every face is clustered again and the
  clusters are mapped onto the previous persons with ``match_clusters``.
Both respect the constraints: pinned faces stay with their person, cannot-link is never
broken, faces of deleted persons stay unassigned.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from recognize.clustering.assign import KnownFaces, assign
from recognize.clustering.cluster import cluster
from recognize.clustering.constraints import Constraint, Constraints, FaceId, PersonId
from recognize.clustering.knn import as_matrix, search
from recognize.clustering.linkage import Groups
from recognize.clustering.match import match_clusters
from recognize.clustering.params import ClusterParams

NewPerson = tuple[str, int]
"""("new", n): faces with the same n form one person to be created."""


def update_persons(
    embeddings: np.ndarray,
    face_ids: Sequence[FaceId],
    current: Mapping[FaceId, PersonId],
    *,
    named_persons: Iterable[PersonId] = (),
    constraints: Iterable[Constraint] | Constraints | None = None,
    params: ClusterParams | None = None,
    full: bool = False,
) -> dict[FaceId, PersonId | NewPerson]:
    """Face -> person for every face that belongs to one (absent = unassigned)."""
    params = params or ClusterParams()
    x = as_matrix(embeddings)
    ids = list(face_ids)
    index = Constraints.of(constraints)
    if full:
        labels = cluster(x, params, index, ids)
        found = match_clusters(labels, ids, current, named_persons=named_persons,
                               constraints=index, embeddings=x)
        return found.person_of(ids)
    result: dict[FaceId, PersonId | NewPerson] = {}
    for f in ids:
        person = index.pinned.get(f, current.get(f))
        if person is not None and index.allows(f, person):
            result[f] = person
    rest = [i for i, f in enumerate(ids) if f not in result and f not in index.deleted_faces]
    known_rows = [i for i, f in enumerate(ids) if f in result]
    if not rest:
        return result
    known = KnownFaces(x[known_rows], [result[ids[i]] for i in known_rows], params)
    joined = assign(x[rest], known, params=params,
                    new_face_ids=[ids[i] for i in rest], constraints=index)
    left = []
    for i, person in zip(rest, joined, strict=True):
        if person is None:
            left.append(i)
        else:
            result[ids[i]] = person
    labels = cluster(x[left], params, index, [ids[i] for i in left])
    for label in np.unique(labels[labels >= 0]).tolist():
        rows = [left[j] for j in np.flatnonzero(labels == label).tolist()]
        person = _nearby_person(x, rows, known, params)
        for i in rows:
            if person is not None and index.allows(ids[i], person):
                result[ids[i]] = person
            elif person is None:
                result[ids[i]] = ("new", label)
    return result


def _nearby_person(x: np.ndarray, rows: list[int], known: KnownFaces,
                   params: ClusterParams) -> PersonId | None:
    """The existing person a new cluster merges into (average linkage), if any."""
    if known.index.ntotal == 0:
        return None
    _, nearest = search(known.index, x[rows], 1)
    code, _ = Counter(known.code[nearest[:, 0]].tolist()).most_common(1)[0]
    theirs = np.flatnonzero(known.code == code)
    both = np.concatenate([x[rows], known.embeddings[theirs]])
    group = np.concatenate([np.zeros(len(rows), np.int64), np.ones(len(theirs), np.int64)])
    msd = Groups(both, group).msd(0, np.array([1]))[0]
    return known.persons[code] if msd < params.merge_distance**2 else None
