"""Photos arriving in batches, through the incremental path the job cascade takes.

The photos are shuffled and split into batches; after each batch ``update_persons`` runs with
the previous result as ``current`` (new persons get ids, as the store would give them). Two
ways a user may behave (``NAMING``):

* ``"nobody"``: nobody names anything; the persons are the system's own, and the final
  clustering should be as good as clustering all photos in one batch.
* ``"every batch"``: the user names every person there is after every batch (the strictest
  case): named persons must never lose a face, whatever the later photos show.

The final clustering is compared with clustering all photos in one batch.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.clustering_eval.metrics import evaluate
from recognize.clustering import ClusterParams, update_persons

NAMING = ("nobody", "every batch")
"""The user's behaviours simulated: nobody names a person, or every person is named after
every batch."""


@dataclass(frozen=True)
class Run:
    seed: int
    batches: int
    naming: str
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    one_batch_f1: float
    named_faces_lost: int
    """Faces a named person held after some batch and no longer held after a later one."""
    faces_moved: int
    """Faces that were in a person after some batch and in another one (or none) after the
    next: how much the persons were revised as photos arrived."""
    persons: int
    seconds: float

    @property
    def f1_drop(self) -> float:
        return round(self.one_batch_f1 - self.bcubed_f1, 4)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "f1_drop": self.f1_drop}


def labels_of(result: dict[Hashable, Hashable], face_ids: list[int]) -> np.ndarray:
    codes: dict[Hashable, int] = {}
    return np.array([codes.setdefault(result[f], len(codes)) if f in result else -1
                     for f in face_ids], dtype=np.int64)


def one_batch_f1(x: np.ndarray, truth: np.ndarray, photo: np.ndarray,
                 params: ClusterParams | None = None, scored: np.ndarray | None = None,
                 ) -> float:
    """BCubed F1 of clustering every photo at once (the reference of every run)."""
    scored = np.arange(len(x)) if scored is None else scored
    face_ids = list(range(len(x)))
    one = update_persons(x, face_ids, {}, photo_ids=photo.tolist(), params=params)
    return round(evaluate(labels_of(one, face_ids)[scored], truth[scored]).bcubed_f1, 4)


def simulate(x: np.ndarray, truth: np.ndarray, photo: np.ndarray, *, batches: int = 5,
             seed: int = 0, params: ClusterParams | None = None,
             scored: np.ndarray | None = None, naming: str = "every batch",
             reference: float | None = None) -> Run:
    """One shuffled arrival of the photos, the user behaving as ``naming`` says (one of
    ``NAMING``). ``scored``: rows that count in the F1 (default all); ``reference``: the
    one-batch F1 when already known."""
    if naming not in NAMING:
        raise ValueError(f"naming must be one of {NAMING}, not {naming!r}")
    params = params or ClusterParams()
    scored = np.arange(len(x)) if scored is None else scored
    face_ids = list(range(len(x)))
    order = np.random.default_rng(seed).permutation(np.unique(photo))
    arrival = {int(p): i * batches // len(order) for i, p in enumerate(order.tolist())}
    batch_of = np.array([arrival[int(p)] for p in photo.tolist()])
    current: dict[Hashable, Hashable] = {}
    named: set[Hashable] = set()
    lost = moved = 0
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
        moved += sum(1 for f, p in current.items() if now.get(f) != p)
        current = now
        if naming == "every batch":
            named = set(current.values())  # the user names every person there is
    seconds = time.perf_counter() - start
    if reference is None:
        reference = one_batch_f1(x, truth, photo, params, scored)
    q = evaluate(labels_of(current, face_ids)[scored], truth[scored])
    return Run(seed=seed, batches=batches, naming=naming,
               bcubed_precision=round(q.bcubed_precision, 4),
               bcubed_recall=round(q.bcubed_recall, 4), bcubed_f1=round(q.bcubed_f1, 4),
               one_batch_f1=reference, named_faces_lost=lost, faces_moved=moved,
               persons=len(set(current.values())), seconds=round(seconds, 2))
