"""Reference clusterers to compare against: Chinese Whispers (as dlib does it) and DBSCAN."""

from __future__ import annotations

import numpy as np

from recognize.clustering.knn import as_matrix, build_index

CW_ITERATIONS = 100  # dlib::chinese_whispers' default


def threshold_edges(embeddings: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """All pairs (i < j) closer than ``threshold`` (L2), found with a faiss range search."""
    x = as_matrix(embeddings)
    index = build_index(x, hnsw_above=len(x) + 1)
    lims, _, found = index.range_search(x, threshold * threshold)
    rows = np.repeat(np.arange(len(x)), np.diff(lims.astype(np.int64)))
    keep = rows < found
    return rows[keep], found[keep].astype(np.int64)


def chinese_whispers(embeddings: np.ndarray, threshold: float, iterations: int = CW_ITERATIONS,
                     seed: int = 0) -> np.ndarray:
    """dlib's ``chinese_whispers_clustering``: edges join faces closer than ``threshold``,
    plus self-edges (dlib's loop runs j from i); each face starts as its own label; then
    ``iterations`` x N times a random face takes the label most common among its edges
    (ties: the smallest label). Every face gets a label (no noise)."""
    n = len(embeddings)
    rows, cols = threshold_edges(embeddings, threshold)
    neighbours: list[list[int]] = [[i] for i in range(n)]  # dlib's loop adds self-edges (j >= i)
    for a, b in zip(rows.tolist(), cols.tolist(), strict=True):
        neighbours[a].append(b)
        neighbours[b].append(a)
    labels = list(range(n))
    picks = np.random.default_rng(seed).integers(n, size=iterations * n).tolist()
    for i in picks:  # dlib: num_iterations * number of nodes random picks
        mine = neighbours[i]
        if len(mine) == 1:
            continue
        score: dict[int, int] = {}
        for j in mine:
            score[labels[j]] = score.get(labels[j], 0) + 1
        best = max(score.values())
        labels[i] = min(label for label, value in score.items() if value == best)
    return np.unique(np.array(labels), return_inverse=True)[1].astype(np.int64)


def dbscan(embeddings: np.ndarray, eps: float, min_samples: int) -> np.ndarray:
    """scikit-learn's DBSCAN in L2 (-1 = noise)."""
    from sklearn.cluster import DBSCAN

    return DBSCAN(eps=eps, min_samples=min_samples).fit_predict(as_matrix(embeddings))
