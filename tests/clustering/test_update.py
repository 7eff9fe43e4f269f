"""The whole flow: corrections survive re-clustering, ids stay stable as faces arrive."""

import numpy as np

from recognize.clustering import Constraint, ConstraintKind, update_persons
from tests.clustering.helpers import person_faces


def _library() -> tuple[np.ndarray, np.ndarray, list[str]]:
    x, y = person_faces(6, 8, seed=11)
    return x, y, [f"f{i}" for i in range(len(x))]


def test_named_person_keeps_its_id_after_new_faces_arrive() -> None:
    x, y, ids = _library()
    old = np.flatnonzero(np.arange(len(x)) % 8 < 6)
    first = update_persons(x[old], [ids[i] for i in old], {})
    ann = first[ids[0]]  # name person of identity 0 "ann" (the store would rename the id)
    current = {f: ("ann" if p == ann else p) for f, p in first.items()}
    second = update_persons(x, ids, current, named_persons={"ann"})
    for i in np.flatnonzero(y == 0):
        assert second[ids[i]] == "ann"
    for f, p in current.items():
        assert second[f] == p  # incremental: nobody moves


def test_corrections_survive_full_reclustering() -> None:
    x, _y, ids = _library()
    current = update_persons(x, ids, {})
    moved, wrong = ids[0], ids[8]  # f0 (identity 0) -> person of identity 1, f8 not in it
    target = current[ids[9]]
    rules = [Constraint(moved, target, ConstraintKind.MUST_LINK),
             Constraint(ids[10], target, ConstraintKind.CANNOT_LINK)]
    for full in (False, True):
        again = update_persons(x, ids, current, constraints=rules, full=full)
        assert again[moved] == target
        assert again.get(ids[10]) != target
        assert again[wrong] == target  # the rest of identity 1 stays


def test_deleted_persons_faces_do_not_rejoin() -> None:
    x, y, ids = _library()
    current = update_persons(x, ids, {})
    gone = current[ids[0]]
    rules = [Constraint(f, gone, ConstraintKind.DELETED)
             for f, p in current.items() if p == gone]
    rest = {f: p for f, p in current.items() if p != gone}
    for full in (False, True):
        again = update_persons(x, ids, rest, constraints=rules, full=full)
        for i in np.flatnonzero(y == 0):
            assert ids[i] not in again
        assert gone not in again.values()


def test_two_named_persons_are_never_merged() -> None:
    x, _y = person_faces(1, 10, seed=5)  # one tight group of faces...
    ids = [f"f{i}" for i in range(10)]
    current = {f: ("ann" if i < 5 else "bob") for i, f in enumerate(ids)}  # ...named as two
    again = update_persons(x, ids, current, named_persons={"ann", "bob"}, full=True)
    assert {again[f] for f in ids[:5]} == {"ann"} and {again[f] for f in ids[5:]} == {"bob"}
