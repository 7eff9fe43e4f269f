import pytest

from bench.clustering_eval.metrics import bcubed, evaluate, pairwise
from recognize.clustering import FaceBox, choose_cover


def test_perfect_clustering_scores_one() -> None:
    q = evaluate([0, 0, 1, 1, 2], ["a", "a", "b", "b", "c"])
    assert (q.bcubed_precision, q.bcubed_recall, q.pairwise_precision) == (1.0, 1.0, 1.0)
    assert q.persons_found == 2 and q.identities_recovered == 2


def test_unassigned_faces_cost_recall_not_precision() -> None:
    p, r, _ = bcubed([-1, -1, -1, -1], ["a", "a", "b", "b"])
    assert p == 1.0 and r == pytest.approx(0.5)


def test_merging_two_identities_costs_precision() -> None:
    p, r, _ = bcubed([0, 0, 0, 0], ["a", "a", "b", "b"])
    assert p == pytest.approx(0.5) and r == 1.0
    pp, pr = pairwise([0, 0, 0, 0], ["a", "a", "b", "b"])
    assert pp == pytest.approx(2 / 6) and pr == 1.0


def test_cover_is_largest_face_off_the_border() -> None:
    faces = [FaceBox(0, 10, 300, 300, 1000, 800),  # largest, but cut by the left border
             FaceBox(400, 300, 120, 150, 1000, 800),
             FaceBox(600, 300, 100, 100, 1000, 800)]
    assert choose_cover(faces) == 1
    assert choose_cover(faces[:1]) == 0
    assert choose_cover([]) is None
