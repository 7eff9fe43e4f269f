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


def _early_merge() -> tuple[np.ndarray, np.ndarray, list[str], dict[str, str]]:
    """Three people; the first photos of two of them (3 + 1 faces) ended up in one person."""
    x, y = person_faces(3, 8, seed=3)
    ids = [f"f{i}" for i in range(len(x))]
    early = [0, 1, 2, 8]  # identity 0 (three faces) and identity 1 (one face)
    return x, y, ids, {ids[i]: "auto" for i in early}


def test_an_automatic_person_is_decided_again_as_faces_arrive() -> None:
    x, y, ids, current = _early_merge()
    again = update_persons(x, ids, current)
    once = update_persons(x, ids, {})
    for person_of in (again, once):
        assert all(len({person_of[ids[i]] for i in np.flatnonzero(y == k)}) == 1
                   for k in range(3))
        assert len({person_of[ids[i]] for i in range(len(x))}) == 3
    assert again[ids[0]] == "auto" and again[ids[8]] != "auto"  # the id follows most faces


def test_a_person_the_user_named_or_placed_a_face_in_keeps_its_faces() -> None:
    x, y, ids, current = _early_merge()
    for named, rules in (({"auto"}, []),
                         (set(), [Constraint(ids[0], "auto", ConstraintKind.MUST_LINK)])):
        again = update_persons(x, ids, current, named_persons=named, constraints=rules)
        assert all(again[f] == "auto" for f in current)  # even the user's mistake
        rest_of_1 = {again[ids[i]] for i in np.flatnonzero(y == 1) if ids[i] not in current}
        assert len(rest_of_1) == 1 and rest_of_1 != {"auto"}  # the others start a person
