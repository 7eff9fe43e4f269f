"""HDBSCAN over a nearest-neighbour graph, so that it scales to 100,000+ faces.

The hdbscan package's own tree-based algorithms degrade in 128 dimensions. Its hierarchy is
the single-linkage tree of the minimum spanning tree of mutual-reachability distances; the
faces a spanning tree needs are almost always among each face's nearest neighbours, so this
module builds that tree from a faiss k-NN graph and hands it to hdbscan's own condensing and
cluster selection (the same code ``hdbscan.HDBSCAN`` runs). Parts of the graph that are not
connected are joined by edges longer than any real distance, so they never form one cluster.
"""

from __future__ import annotations

import numpy as np
from hdbscan._hdbscan_linkage import label as single_linkage
from hdbscan.hdbscan_ import _tree_to_labels
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree

_TINY = 1e-9  # scipy's sparse graphs treat a weight of 0 as "no edge"


def core_distances(distances: np.ndarray, min_samples: int) -> np.ndarray:
    """hdbscan's core distance: distance to the ``min_samples``-th nearest other face."""
    if min_samples <= 0:
        return np.zeros(len(distances), dtype=np.float64)
    column = min(min_samples, distances.shape[1]) - 1
    return distances[:, column].astype(np.float64)


def spanning_tree(distances: np.ndarray, positions: np.ndarray, min_samples: int) -> np.ndarray:
    """Minimum spanning tree of mutual reachability over the k-NN graph: (N-1, 3) sorted edges."""
    rows = len(distances)
    core = core_distances(distances, min_samples)
    source = np.repeat(np.arange(rows), distances.shape[1])
    target = positions.ravel()
    valid = target >= 0
    source, target = source[valid], target[valid]
    weight = np.maximum(np.maximum(core[source], core[target]), distances.ravel()[valid]) + _TINY
    graph = coo_matrix((weight, (source, target)), shape=(rows, rows)).tocsr()
    tree = minimum_spanning_tree(graph.maximum(graph.T)).tocoo()
    edges = np.stack([tree.row, tree.col, tree.data], axis=1).astype(np.float64)
    parts, part_of = connected_components(tree, directed=False)
    if parts > 1:
        roots = np.unique(part_of, return_index=True)[1]
        far = float(weight.max(initial=1.0)) * 2 + 1.0
        bridges = np.stack([np.full(parts - 1, roots[0]), roots[1:],
                            np.full(parts - 1, far)], axis=1)
        edges = np.concatenate([edges, bridges])
    edges[:, 2] -= _TINY
    return edges[np.argsort(edges[:, 2], kind="stable")]


def hdbscan_labels(
    distances: np.ndarray,
    positions: np.ndarray,
    *,
    min_cluster_size: int,
    min_samples: int,
    cluster_selection_epsilon: float = 0.0,
    cluster_selection_method: str = "eom",
) -> np.ndarray:
    """HDBSCAN labels (-1 = noise) from a k-NN graph (distances, positions; self excluded)."""
    rows = len(distances)
    if rows < max(2, min_cluster_size):
        return np.full(rows, -1, dtype=np.int64)
    tree = single_linkage(spanning_tree(distances, positions, min_samples))
    labels, _, _, _, _ = _tree_to_labels(
        None, tree, min_cluster_size=min_cluster_size,
        cluster_selection_method=cluster_selection_method,
        cluster_selection_epsilon=cluster_selection_epsilon,
    )
    return np.asarray(labels, dtype=np.int64)
