"""Nearest neighbours in L2: exact blocks of matrix products, and cells for large libraries.

The k-NN graph of a user's faces feeds the clustering. Up to ``EXACT_UP_TO`` faces it is exact
(blocks of one matrix product each). Above, the faces are split into cells of about
``CELL_SIZE`` by a two-level k-means, and each cell's faces are compared with the faces of its
``CELL_PROBES`` nearest cells: faces of one person sit in one cell or in neighbouring ones, so
the short distances clustering needs are found; only long ones (which never join faces) may be
missed. Matrix products run at BLAS speed, unlike a per-query index scan.
"""

from __future__ import annotations

import faiss
import numpy as np
from scipy.sparse import csr_matrix

HNSW_LINKS = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
EXACT_UP_TO = 5_000
"""Largest number of faces whose k-NN graph is computed exactly (N² distances)."""
CELL_SIZE = 256
CELL_PROBES = 6
KMEANS_ITERATIONS = 10
BLOCK = 2048
"""Query rows per matrix product (memory: BLOCK x candidates x 4 bytes)."""


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


def squared_norms(x: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", x, x)


def nearest(queries: np.ndarray, data: np.ndarray, k: int, query_norms: np.ndarray | None = None,
            data_norms: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``k`` nearest rows of ``data`` for each query: (squared L2, positions), ascending."""
    qn = squared_norms(queries) if query_norms is None else query_norms
    dn = squared_norms(data) if data_norms is None else data_norms
    k = min(k, len(data))
    out_d = np.empty((len(queries), k), dtype=np.float32)
    out_p = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), BLOCK):
        rows = slice(start, start + BLOCK)
        d = queries[rows] @ data.T
        d *= -2.0
        d += dn[None, :]  # the query's own norm does not change its ranking: added below
        if k < d.shape[1]:
            part = np.argpartition(d, k - 1, axis=1)[:, :k]
            d = np.take_along_axis(d, part, axis=1)
        else:
            part = np.broadcast_to(np.arange(d.shape[1]), d.shape)
        order = np.argsort(d, axis=1)
        out_d[rows] = np.maximum(np.take_along_axis(d, order, axis=1) + qn[rows, None], 0.0)
        out_p[rows] = np.take_along_axis(part, order, axis=1)
    return out_d, out_p


def knn_graph(data: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each vector's ``k`` nearest *other* vectors: (L2 distances, positions), ascending."""
    data = as_matrix(data)
    rows = len(data)
    k = max(1, min(k, rows - 1))
    if rows <= 1:
        return np.zeros((rows, 0), np.float32), np.zeros((rows, 0), np.int64)
    norms = squared_norms(data)
    if rows <= EXACT_UP_TO:
        squared, positions = nearest(data, data, k + 1, norms, norms)
        return _drop_self(squared, positions, np.arange(rows), k)
    return _cell_graph(data, norms, k)


def _drop_self(squared: np.ndarray, positions: np.ndarray, own_rows: np.ndarray, k: int,
               ) -> tuple[np.ndarray, np.ndarray]:
    own = positions == own_rows[:, None]
    own[~own.any(axis=1), -1] = True  # self not among the k + 1 (ties): drop the farthest
    keep = ~own
    n = len(positions)
    return np.sqrt(squared[keep].reshape(n, k)), positions[keep].reshape(n, k)


def _cell_graph(data: np.ndarray, norms: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    cell, centres = cells(data, CELL_SIZE, rng)
    _, near_cells = nearest(centres, centres, CELL_PROBES)
    order = np.argsort(cell, kind="stable")
    starts = np.searchsorted(cell[order], np.arange(len(centres) + 1))
    distances = np.empty((len(data), k), dtype=np.float32)
    positions = np.empty((len(data), k), dtype=np.int64)
    for c in range(len(centres)):
        queries = order[starts[c]:starts[c + 1]]
        if len(queries) == 0:
            continue
        candidates = np.concatenate([order[starts[j]:starts[j + 1]] for j in near_cells[c]])
        squared, found = nearest(data[queries], data[candidates], k + 1, norms[queries],
                                 norms[candidates])
        found = candidates[found]
        if found.shape[1] < k + 1:  # a tiny neighbourhood: pad with "no neighbour"
            pad = k + 1 - found.shape[1]
            squared = np.pad(squared, ((0, 0), (0, pad)), constant_values=np.inf)
            found = np.pad(found, ((0, 0), (0, pad)), constant_values=-1)
        distances[queries], positions[queries] = _drop_self(squared, found, queries, k)
    return distances, positions


def cells(data: np.ndarray, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two-level k-means: each row's cell (0..C-1) and the C cell centres, ~``size`` rows each."""
    n = len(data)
    coarse = max(1, int(np.ceil(np.sqrt(n / size))))
    top = assign_nearest(data, kmeans(_sample(data, 64 * coarse, rng), coarse, rng))
    cell = np.empty(n, dtype=np.int64)
    centres: list[np.ndarray] = []
    base = 0
    for group in range(coarse):
        members = np.flatnonzero(top == group)
        if len(members) == 0:
            continue
        fine = max(1, int(np.ceil(len(members) / size)))
        points = data[members]
        middle = (kmeans(_sample(points, 64 * fine, rng), fine, rng) if fine > 1
                  else points.mean(axis=0, keepdims=True))
        cell[members] = base + assign_nearest(points, middle)
        centres.append(middle)
        base += len(middle)
    return cell, np.concatenate(centres).astype(np.float32)


def _sample(data: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    return data if len(data) <= count else data[rng.choice(len(data), count, replace=False)]


def kmeans(data: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Lloyd's k-means (``KMEANS_ITERATIONS`` rounds) from ``k`` random rows."""
    k = min(k, len(data))
    centres = data[rng.choice(len(data), k, replace=False)].astype(np.float32)
    for _ in range(KMEANS_ITERATIONS):
        label = assign_nearest(data, centres)
        members = csr_matrix((np.ones(len(data), np.float32), (label, np.arange(len(data)))),
                             shape=(k, len(data)))
        counts = np.asarray(members.sum(axis=1)).ravel()
        filled = counts > 0
        centres[filled] = np.asarray(members @ data)[filled] / counts[filled, None]
    return centres


def assign_nearest(data: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Each row's nearest centre."""
    norms = squared_norms(centres)
    out = np.empty(len(data), dtype=np.int64)
    for start in range(0, len(data), 65536):
        block = data[start:start + 65536] @ centres.T
        block *= -2.0
        block += norms[None, :]
        out[start:start + 65536] = block.argmin(axis=1)
    return out
