"""Near-duplicate groups from perceptual codes (``media.hashing.near_code``).

A photo's code is 256 bits of four hash kinds (pHash, dHash, aHash, wHash) of the photo
with its bars trimmed, then the same 256 bits of its mirror image. Two photos are
near-duplicates when their codes differ in at most ``max_distance`` of the 256 bits — for
the photo as it is or (with ``mirrored``) for one of them mirrored. Summing four kinds is
the agreement rule: a crop moves pHash a lot and aHash little, a brightness change the
reverse, while two different photos disagree in every kind. Groups are the connected
components of that relation (``scipy.sparse.csgraph.connected_components``).

How the default was chosen (hash geometry, no photo set involved): for two unrelated photos
each bit agrees with probability 1/2, so their distance is Binomial(256, 1/2). 72 is the
largest distance at which a library of 1,000,000 photos, compared both ways round
(mirrored), expects fewer than one chance pair (P(d <= 72) x 10^12 = 0.88); that is the
default of ``duplicates.max_distance``. See docs/duplicates.md for the check on labelled pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import faiss
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

CODE_BITS = 256
CODE_BYTES = CODE_BITS // 8
BLOCK = 4096
"""Queries per range search (bounds the memory of one block's results)."""


@dataclass(frozen=True)
class DuplicateParams:
    """The ``[duplicates]`` section's thresholds (its defaults live there, once)."""

    max_distance: int  # of 256 bits; the geometry rule above
    mirrored: bool  # a mirrored copy is a near-duplicate too


def codes_of(hexes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(codes, mirror codes), each (N, 32) uint8, from ``near_code`` hex strings."""
    raw = np.frombuffer(b"".join(bytes.fromhex(h) for h in hexes), dtype=np.uint8)
    raw = raw.reshape(len(hexes), 2 * CODE_BYTES)
    return np.ascontiguousarray(raw[:, :CODE_BYTES]), np.ascontiguousarray(raw[:, CODE_BYTES:])


def distance(a: str, b: str, mirrored: bool) -> int:
    """Bits that differ between two photos' codes (the smaller of both ways round)."""
    (ca, ma), (cb, _) = codes_of([a]), codes_of([b])
    plain = int(np.unpackbits(ca ^ cb).sum())
    return min(plain, int(np.unpackbits(ma ^ cb).sum())) if mirrored else plain


def _edges(index: faiss.IndexBinaryFlat, queries: np.ndarray, radius: int
           ) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = [], []
    for start in range(0, len(queries), BLOCK):
        block = queries[start:start + BLOCK]
        lims, _dist, found = index.range_search(block, radius + 1)  # strictly below radius+1
        counts = np.diff(lims).astype(np.int64)
        rows.append(np.repeat(np.arange(start, start + len(block)), counts))
        cols.append(found.astype(np.int64))
    return np.concatenate(rows), np.concatenate(cols)


def groups(items: Sequence[tuple[int, str]], params: DuplicateParams) -> list[list[int]]:
    """``(photo id, near code)`` -> groups of >= 2 ids, each sorted, ordered by first id.

    Exact: every pair is compared (faiss binary brute force, 256-bit popcounts).
    """
    usable = [(pid, code) for pid, code in items if code and len(code) == 4 * CODE_BYTES]
    if len(usable) < 2:
        return []
    codes, mirrors = codes_of([code for _, code in usable])
    index = faiss.IndexBinaryFlat(CODE_BITS)
    index.add(codes)
    rows, cols = _edges(index, codes, params.max_distance)
    if params.mirrored:
        more_rows, more_cols = _edges(index, mirrors, params.max_distance)
        rows, cols = np.concatenate([rows, more_rows]), np.concatenate([cols, more_cols])
    keep = rows != cols
    n = len(usable)
    graph = coo_matrix((np.ones(int(keep.sum()), dtype=np.int8), (rows[keep], cols[keep])),
                       shape=(n, n))
    _count, labels = connected_components(graph, directed=False)
    ids = np.array([pid for pid, _ in usable], dtype=np.int64)
    sizes = np.bincount(labels)
    members: dict[int, list[int]] = {}
    for position in np.flatnonzero(sizes[labels] > 1):
        members.setdefault(int(labels[position]), []).append(int(ids[position]))
    return sorted((sorted(g) for g in members.values()), key=lambda g: g[0])
