"""One user's faces -> persons, in the two modes the job cascade needs.

* incremental (new faces arrived): a person the user named or put a face into keeps every
  face it has (it never loses a face the user did not move). Every other face (new,
  unassigned, or in a person nobody confirmed) is clustered afresh, together with the faces
  of the user's persons near them; each cluster's faces join the user's person that holds
  most of its faces (each person one cluster), else the automatic person they mostly were,
  else form a new person. So automatic persons converge to what clustering all faces at
  once gives, while the user's persons are never split nor merged with each other.
* full (a threshold changed, or a periodic re-cluster): every face is clustered again and the
  clusters are mapped onto the previous persons with ``match_clusters``.
Both respect the constraints: pinned faces stay with their person, cannot-link is never
broken, faces of deleted persons stay unassigned, and no person gets two faces of one photo
unless the user put them there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from recognize.clustering.assign import KnownFaces
from recognize.clustering.cluster import cluster, cluster_rows
from recognize.clustering.constraints import Constraint, Constraints, FaceId, PersonId
from recognize.clustering.knn import as_matrix
from recognize.clustering.match import match_clusters
from recognize.clustering.params import ClusterParams
from recognize.clustering.photos import one_face_per_photo

NewPerson = tuple[str, int]
"""("new", n): faces with the same n form one person to be created."""
NEARBY_PERSONS = 3
"""Persons (nearest centres) of each unassigned face whose faces are clustered again with it."""


def update_persons(
    embeddings: np.ndarray,
    face_ids: Sequence[FaceId],
    current: Mapping[FaceId, PersonId],
    *,
    photo_ids: Sequence[int] | None = None,
    named_persons: Iterable[PersonId] = (),
    constraints: Iterable[Constraint] | Constraints | None = None,
    params: ClusterParams | None = None,
    full: bool = False,
) -> dict[FaceId, PersonId | NewPerson]:
    """Face -> person for every face that belongs to one (absent = unassigned).

    ``photo_ids`` (one per face, default: every face its own photo) keeps two faces of one
    photo out of one person unless the user assigned both (must-link constraints).
    """
    params = params or ClusterParams()
    x = as_matrix(embeddings) if len(embeddings) else np.zeros((0, 128), np.float32)
    ids = list(face_ids)
    if photo_ids is not None and len(photo_ids) != len(ids):
        raise ValueError(f"{len(photo_ids)} photo ids for {len(ids)} faces")
    index = Constraints.of(constraints)
    if full:
        labels = cluster(x, params, index, ids, photo_ids)
        found = match_clusters(labels, ids, current, named_persons=named_persons,
                               constraints=index, embeddings=x)
        result = found.person_of(ids)
    else:
        result = _incremental(x, ids, current, photo_ids, index, params, named_persons)
    if photo_ids is None:
        return result
    return one_face_per_photo(result, ids, list(photo_ids), x, current, index)


def _incremental(x: np.ndarray, ids: list[FaceId], current: Mapping[FaceId, PersonId],
                 photo_ids: Sequence[int] | None, index: Constraints, params: ClusterParams,
                 named_persons: Iterable[PersonId] = (),
                 ) -> dict[FaceId, PersonId | NewPerson]:
    """The user's persons stay; every other face is clustered again, with all the faces.

    A person the user named, or put a face into, is *protected*: it keeps every face it has.
    The faces of the other (automatic) persons, the unassigned faces and the new ones are
    clustered together with the faces of the protected persons near them: an automatic
    person is re-decided with all the evidence there is, as clustering all faces at once
    would decide it, so an early mistake (two look-alikes in one person while each had two
    photos) is undone once their photos tell them apart. The protected persons' faces take
    part unpinned: they vote for where the other faces go (a cluster whose protected faces
    are mostly person P's gives its other faces to P, each person one cluster), but do not
    pull faces towards a mistake the user confirmed by naming it (pinned, new photos stuck
    to the parts of named mixed persons and split their own people: worst seed F1 0.930
    instead of 0.961 on faces_lfw/ with every person named after every batch). Every
    other cluster maps onto the automatic person it shares most faces with (each person
    once, largest overlaps first), else forms a new person."""
    protected = (set(named_persons) | set(index.pinned.values())) - index.deleted_persons
    result: dict[FaceId, PersonId | NewPerson] = {}
    before: dict[FaceId, PersonId] = {}
    for f in ids:
        person = index.pinned.get(f, current.get(f))
        if person is None or not index.allows(f, person):
            continue
        if person in protected:
            result[f] = person
        else:
            before[f] = person
    rest = np.array([i for i, f in enumerate(ids)
                     if f not in result and f not in index.deleted_faces], dtype=np.int64)
    if len(rest) == 0:
        return result
    kept = np.array([i for i, f in enumerate(ids) if f in result], dtype=np.int64)
    near = kept[:0]
    if len(kept):
        known = KnownFaces(x[kept], [result[ids[i]] for i in kept.tolist()], params)
        nearby, _ = known.candidates(x[rest], NEARBY_PERSONS)
        near = kept[np.isin(known.code, np.unique(nearby))]
    rows = np.concatenate([rest, near])
    codes: dict[PersonId, int] = {}
    pins = np.array([_code(codes, index.pinned[ids[i]]) if ids[i] in index.pinned else -1
                     for i in rows.tolist()], dtype=np.int64)
    bans = {j: {_code(codes, p) for p in index.forbidden[ids[i]]}
            for j, i in enumerate(rows.tolist()) if ids[i] in index.forbidden}
    photos = None if photo_ids is None else np.asarray(photo_ids, dtype=np.int64)[rows]
    labels = cluster_rows(x[rows], params, pins, bans, photos)
    free = labels[:len(rest)]
    owner = _owners(labels[len(rest):], [result[ids[i]] for i in near.tolist()])
    owner.update(_owners(free, [before.get(ids[i]) for i in rest.tolist()],
                 taken=set(owner)))
    size = np.bincount(free[free >= 0], minlength=1)
    for j, label in enumerate(free.tolist()):
        face = ids[int(rest[j])]
        if label < 0:
            continue
        person = owner.get(label)
        if person is not None:
            if index.allows(face, person):
                result[face] = person
        elif size[label] >= params.min_cluster_size:
            result[face] = ("new", label)
    return result


def _owners(labels: np.ndarray, persons: Sequence[PersonId | NewPerson | None],
            taken: set[int] | None = None) -> dict[int, PersonId | NewPerson]:
    """Cluster -> the person holding most of its faces; each person owns one cluster (the
    one holding most of its faces), largest overlaps first; clusters in ``taken`` have an
    owner already, and faces without a person (None) count for none."""
    overlap = Counter((int(label), person) for label, person
                      in zip(labels.tolist(), persons, strict=True)
                      if label >= 0 and person is not None)
    owner: dict[int, PersonId | NewPerson] = {}
    used: set[PersonId | NewPerson] = set()
    for (label, person), _ in sorted(overlap.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        if label not in owner and label not in (taken or ()) and person not in used:
            owner[label] = person
            used.add(person)
    return owner


def _code(codes: dict[PersonId, int], person: PersonId) -> int:
    return codes.setdefault(person, len(codes))
