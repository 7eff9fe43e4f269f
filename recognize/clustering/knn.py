"""Nearest neighbours in L2 with faiss: exact for up to ``hnsw_above`` vectors, HNSW beyond."""

from __future__ import annotations

import faiss
import numpy as np

HNSW_LINKS = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
GRAPH_EXACT_UP_TO = 20_000
"""Above this many faces the k-NN graph is built with an inverted-file index (exact search
costs N^2 distance computations: 100,000 faces would take minutes on two cores)."""
IVF_PROBES = 12


def as_matrix(embeddings: np.ndarray) -> np.ndarray:
    """A C-contiguous float32 (N, D) copy-if-needed of ``embeddings``."""
    matrix = np.ascontiguousarray(embeddings, dtype=np.float32)
    if matrix.ndim != 2:
        raise ValueError(f"embeddings must be 2-D (N, D), got shape {matrix.shape}")
    return matrix


def build_index(data: np.ndarray, hnsw_above: int) -> faiss.Index:
    """An L2 index over ``data``: exact (flat) when small, HNSW when larger than ``hnsw_above``."""
    data = as_matrix(data)
    dim = data.shape[1]
    index: faiss.Index
    if len(data) > hnsw_above:
        index = faiss.IndexHNSWFlat(dim, HNSW_LINKS)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatL2(dim)
    index.add(data)
    return index


def search(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest indexed vectors of each query: (L2 distances, positions; -1 = none)."""
    queries = as_matrix(queries)
    k = max(1, min(k, index.ntotal))
    if index.ntotal == 0 or len(queries) == 0:
        return (np.full((len(queries), k), np.inf, dtype=np.float32),
                np.full((len(queries), k), -1, dtype=np.int64))
    squared, positions = index.search(queries, k)
    distances = np.sqrt(np.maximum(squared, 0.0))
    distances[positions < 0] = np.inf
    return distances, positions


def knn_graph(data: np.ndarray, k: int, hnsw_above: int) -> tuple[np.ndarray, np.ndarray]:
    """Each vector's ``k`` nearest *other* vectors: (L2 distances, positions), ascending."""
    data = as_matrix(data)
    rows = len(data)
    k = max(1, min(k, rows - 1))
    index = build_index(data, hnsw_above) if rows <= GRAPH_EXACT_UP_TO else _ivf(data)
    distances, positions = search(index, data, k + 1)
    own = positions == np.arange(rows)[:, None]
    own[~own.any(axis=1), -1] = True  # self not found (approximate search): drop the farthest
    keep = ~own
    return distances[keep].reshape(rows, k), positions[keep].reshape(rows, k)


def _ivf(data: np.ndarray) -> faiss.Index:
    """An inverted-file index: ~sqrt(N) k-means cells, each query scans the nearest few.

    Faces of one person sit in the same or neighbouring cells, so the short distances that
    clustering needs are found; only long ones (which never join faces) may be missed."""
    cells = int(np.sqrt(len(data)))
    quantizer = faiss.IndexFlatL2(data.shape[1])
    index = faiss.IndexIVFFlat(quantizer, data.shape[1], cells)
    sample = data[np.random.default_rng(0).choice(len(data), min(len(data), cells * 64),
                                                  replace=False)]
    index.train(sample)
    index.add(data)
    index.nprobe = IVF_PROBES
    return index
