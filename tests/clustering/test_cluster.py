import numpy as np
import pytest

from bench.clustering_eval.metrics import evaluate
from recognize.clustering import ClusterParams, Constraint, ConstraintKind, cluster, knn
from tests.clustering.helpers import person_faces


def test_identities_come_out_as_separate_persons() -> None:
    x, y = person_faces(12, 6)
    labels = cluster(x)
    q = evaluate(labels, y)
    assert q.bcubed_precision == 1.0 and q.bcubed_recall >= 0.95
    assert q.identities_recovered == 12


def test_synthetic_library_quality(synthetic: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = synthetic
    q = evaluate(cluster(x), y)
    assert q.bcubed_precision >= 0.99 and q.bcubed_recall >= 0.95


def test_lone_faces_stay_unassigned() -> None:
    x, _ = person_faces(5, 1)
    assert (cluster(x) == -1).all()
    assert len(cluster(np.zeros((0, 128), np.float32))) == 0


def test_pinned_faces_of_two_persons_never_share_a_cluster() -> None:
    x, _ = person_faces(1, 8)
    pins = [Constraint(0, "ann", ConstraintKind.MUST_LINK),
            Constraint(1, "bob", ConstraintKind.MUST_LINK)]
    labels = cluster(x, constraints=pins)
    assert labels[0] != labels[1] or labels[0] == -1


def test_deleted_persons_faces_are_left_out() -> None:
    x, _ = person_faces(2, 5)
    deleted = [Constraint(f, "gone", ConstraintKind.DELETED) for f in range(5)]
    labels = cluster(x, constraints=deleted)
    assert (labels[:5] == -1).all() and len(set(labels[5:])) == 1 and labels[5] >= 0


def test_cell_graph_finds_the_exact_neighbours(monkeypatch: pytest.MonkeyPatch,
                                               synthetic: tuple[np.ndarray, np.ndarray]) -> None:
    x, _ = synthetic
    exact_d, exact_p = knn.knn_graph(x, 10)
    monkeypatch.setattr(knn, "EXACT_UP_TO", 100)
    monkeypatch.setattr(knn, "CELL_SIZE", 64)
    cell_d, cell_p = knn.knn_graph(x, 10)
    close = exact_d < 0.6
    found = np.array([np.isin(exact_p[i][close[i]], cell_p[i]).sum() for i in range(len(x))])
    assert found.sum() >= 0.97 * close.sum()
    assert (cell_d >= exact_d - 1e-4).all()  # cells can miss a neighbour, never invent one


def test_params_are_validated() -> None:
    try:
        ClusterParams(min_cluster_size=1)
    except ValueError as error:
        assert "min_cluster_size" in str(error)
    else:
        raise AssertionError("min_cluster_size=1 was accepted")
