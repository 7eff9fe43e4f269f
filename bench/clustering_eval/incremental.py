"""Photos arriving in batches, through the incremental path the job cascade takes.

The photos are shuffled and split into batches; after each batch ``update_persons`` runs with
the previous result as ``current`` (new persons get ids, as the store would give them) and
every person that exists is named, as a user naming persons as they appear would do: named
persons are the ones that must never lose a face. The final clustering is compared with
clustering all photos in one batch.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.clustering_eval.metrics import evaluate
from recognize.clustering import ClusterParams, update_persons


@dataclass(frozen=True)
class Run:
    seed: int
    batches: int
    bcubed_f1: float
    one_batch_f1: float
    named_faces_lost: int
    """Faces a named person held after some batch and no longer held after a later one."""
    name_every_batch: bool
    persons: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def labels_of(result: dict[Hashable, Hashable], face_ids: list[int]) -> np.ndarray:
    codes: dict[Hashable, int] = {}
    return np.array([codes.setdefault(result[f], len(codes)) if f in result else -1
                     for f in face_ids], dtype=np.int64)


def simulate(x: np.ndarray, truth: np.ndarray, photo: np.ndarray, *, batches: int = 5,
             seed: int = 0, params: ClusterParams | None = None,
             scored: np.ndarray | None = None, name_every_batch: bool = True) -> Run:
    """One shuffled arrival of the photos. ``scored``: rows that count in the F1 (default
    all). Every person is named after the first batch and, with ``name_every_batch``, after
    every later one too (the strictest case: then no person may ever lose a face)."""
    import time

    params = params or ClusterParams()
    scored = np.arange(len(x)) if scored is None else scored
    face_ids = list(range(len(x)))
    order = np.random.default_rng(seed).permutation(np.unique(photo))
    arrival = {int(p): i * batches // len(order) for i, p in enumerate(order.tolist())}
    batch_of = np.array([arrival[int(p)] for p in photo.tolist()])
    current: dict[Hashable, Hashable] = {}
    named: set[Hashable] = set()
    lost = 0
    next_id = 0
    start = time.perf_counter()
    for b in range(batches):
        rows = np.flatnonzero(batch_of <= b)
        result = update_persons(x[rows], [face_ids[i] for i in rows], current,
                                photo_ids=photo[rows].tolist(), named_persons=named,
                                params=params)
        fresh: dict[Hashable, int] = {}
        now: dict[Hashable, Hashable] = {}
        for face, person in result.items():
            if isinstance(person, tuple):
                if person not in fresh:
                    fresh[person] = next_id
                    next_id += 1
                person = fresh[person]
            now[face] = person
        lost += sum(1 for f, p in current.items() if p in named and now.get(f) != p)
        current = now
        if b == 0 or name_every_batch:
            named = set(current.values())  # the user names every person there is
    seconds = time.perf_counter() - start
    one = update_persons(x, face_ids, {}, photo_ids=photo.tolist(), params=params)
    final = labels_of(current, face_ids)[scored]
    return Run(seed=seed, batches=batches,
               bcubed_f1=round(evaluate(final, truth[scored]).bcubed_f1, 4),
               one_batch_f1=round(evaluate(labels_of(one, face_ids)[scored],
                                           truth[scored]).bcubed_f1, 4),
               named_faces_lost=lost, name_every_batch=name_every_batch,
               persons=len(set(current.values())),
               seconds=round(seconds, 2))
