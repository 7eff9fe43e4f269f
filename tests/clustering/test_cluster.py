import hdbscan
import numpy as np

from recognize.clustering import ClusterParams, Constraint, ConstraintKind, cluster
from recognize.clustering.density import hdbscan_labels
from recognize.clustering.knn import knn_graph
from recognize.clustering.metrics import evaluate
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


def test_graph_hdbscan_matches_the_hdbscan_package() -> None:
    x, _ = person_faces(8, 5, seed=3, spread=0.45)
    distances, positions = knn_graph(x, len(x) - 1, hnsw_above=10**9)
    for method in ("eom", "leaf"):
        ours = hdbscan_labels(distances, positions, min_cluster_size=3, min_samples=3,
                              cluster_selection_method=method)
        theirs = hdbscan.HDBSCAN(min_cluster_size=3, min_samples=3, algorithm="generic",
                                 cluster_selection_method=method).fit_predict(x.astype(float))
        assert evaluate(ours, theirs).bcubed_f1 > 0.99


def test_params_are_validated() -> None:
    try:
        ClusterParams(min_cluster_size=1)
    except ValueError as error:
        assert "min_cluster_size" in str(error)
    else:
        raise AssertionError("min_cluster_size=1 was accepted")
