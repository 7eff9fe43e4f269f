import numpy as np

from recognize.clustering import Constraint, ConstraintKind, assign, match_clusters
from tests.clustering.helpers import person_faces


def test_new_face_joins_the_person_its_neighbours_agree_on() -> None:
    x, y = person_faces(4, 6, seed=1)
    known, new = x[y % 1 == 0][::2], x[1::2]
    persons = [f"p{label}" for label in y[::2]]
    joined = assign(new, known, persons)
    assert joined == [f"p{label}" for label in y[1::2]]


def test_face_far_from_everyone_stays_unassigned() -> None:
    x, y = person_faces(3, 5, seed=2)
    stranger = np.full((1, 128), 5.0, np.float32)
    assert assign(stranger, x, y.tolist()) == [None]


def test_cannot_link_and_deleted_are_respected_by_assign() -> None:
    x, y = person_faces(2, 8, seed=4)
    known, persons = x[:-2], y[:-2].tolist()
    new = x[-2:]  # both of person 1
    rules = [Constraint("f1", 1, ConstraintKind.CANNOT_LINK),
             Constraint("f2", 9, ConstraintKind.DELETED)]
    assert assign(new, known, persons, new_face_ids=["f1", "f2"], constraints=rules) == [None, None]
    assert assign(new, known, persons, new_face_ids=["f1", "f2"]) == [1, 1]


def test_clusters_keep_their_previous_person_ids() -> None:
    faces = ["a", "b", "c", "d", "e", "f"]
    before = {"a": 10, "b": 10, "c": 20, "d": 20}
    found = match_clusters([1, 1, 0, 0, 2, 2], faces, before)
    assert found.persons[1] == 10 and found.persons[0] == 20 and found.persons[2] is None


def test_two_named_persons_in_one_cluster_are_split() -> None:
    faces = ["a", "b", "c", "d", "e"]
    before = {"a": "ann", "b": "ann", "c": "bob", "d": "bob"}
    found = match_clusters([0, 0, 0, 0, 0], faces, before, named_persons={"ann", "bob"})
    people = found.person_of(faces)
    assert people["a"] == people["b"] == "ann" and people["c"] == people["d"] == "bob"
    assert "e" not in people  # no embeddings: an unpinned face in the split stays unassigned


def test_cannot_link_and_deleted_person_respected_by_mapping() -> None:
    faces = ["a", "b", "c", "x"]
    before = {"a": 1, "b": 1, "c": 1}
    rules = [Constraint("x", 1, ConstraintKind.CANNOT_LINK)]
    people = match_clusters([0, 0, 0, 0], faces, before, constraints=rules).person_of(faces)
    assert people == {"a": 1, "b": 1, "c": 1}
    rules = [Constraint(f, 1, ConstraintKind.DELETED) for f in "abc"]
    people = match_clusters([0, 0, 0, 0], faces, before, constraints=rules).person_of(faces)
    assert people == {}  # former faces stay out; "x" alone is no person
    found = match_clusters([0, 0, 0, 0], faces, before,
                           constraints=[Constraint("zz", 1, ConstraintKind.DELETED)])
    assert found.persons[0] is None  # never mapped onto the deleted id
