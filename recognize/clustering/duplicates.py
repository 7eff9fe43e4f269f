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

from collections.abc import Mapping, Sequence
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


def _usable(items: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    return [(pid, code) for pid, code in items if code and len(code) == 4 * CODE_BYTES]


def groups(items: Sequence[tuple[int, str]], params: DuplicateParams) -> list[list[int]]:
    """``(photo id, near code)`` -> groups of >= 2 ids, each sorted, ordered by first id.

    Exact: every pair is compared (faiss binary brute force, 256-bit popcounts).
    """
    usable = _usable(items)
    if len(usable) < 2:
        return []
    codes, mirrors = codes_of([code for _, code in usable])
    index = faiss.IndexBinaryFlat(CODE_BITS)
    index.add(codes)
    rows, cols = _edges(index, codes, params.max_distance)
    if params.mirrored:
        more_rows, more_cols = _edges(index, mirrors, params.max_distance)
        rows, cols = np.concatenate([rows, more_rows]), np.concatenate([cols, more_cols])
    return _components(np.array([pid for pid, _ in usable], dtype=np.int64), rows, cols)


def _components(ids: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> list[list[int]]:
    """Groups of >= 2 ids joined by the edges (positions into ``ids``), by first id."""
    keep = rows != cols
    n = len(ids)
    graph = coo_matrix((np.ones(int(keep.sum()), dtype=np.int8), (rows[keep], cols[keep])),
                       shape=(n, n))
    _count, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    members: dict[int, list[int]] = {}
    for position in np.flatnonzero(sizes[labels] > 1):
        members.setdefault(int(labels[position]), []).append(int(ids[position]))
    return sorted((sorted(g) for g in members.values()), key=lambda g: g[0])


def regroup(previous: Mapping[int, str], old_groups: Sequence[Sequence[int]],
            items: Sequence[tuple[int, str]], params: DuplicateParams) -> list[list[int]]:
    """Exactly what ``groups(items, params)`` returns, from the last run's result.

    ``previous`` holds the codes the last run grouped and ``old_groups`` what it found. Two
    photos whose codes did not change are still near-duplicates or still not, so only the
    photos with a new or changed code are compared with every photo (O(changed x N), not
    O(N²)). A group that lost a member, or one whose code changed, may fall apart: its
    unchanged members are compared among themselves again. Unchanged photos in no group had
    no near-duplicate and still have none among the unchanged.
    """
    usable = _usable(items)
    if len(usable) < 2:
        return []
    ids = np.array([pid for pid, _ in usable], dtype=np.int64)
    position = {pid: i for i, pid in enumerate(ids.tolist())}
    codes, mirrors = codes_of([code for _, code in usable])
    dirty = np.array([i for i, (pid, code) in enumerate(usable) if previous.get(pid) != code],
                     dtype=np.int64)
    current = dict(usable)
    touched = {pid for pid, code in previous.items() if current.get(pid) != code}
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []

    def add(r: np.ndarray, c: np.ndarray) -> None:
        rows.append(r)
        cols.append(c)

    if len(dirty):
        every = faiss.IndexBinaryFlat(CODE_BITS)
        every.add(codes)
        r, c = _edges(every, codes[dirty], params.max_distance)
        add(dirty[r], c)
        if params.mirrored:
            r, c = _edges(every, mirrors[dirty], params.max_distance)
            add(dirty[r], c)
            changed = faiss.IndexBinaryFlat(CODE_BITS)
            changed.add(codes[dirty])
            r, c = _edges(changed, mirrors, params.max_distance)
            add(r, dirty[c])
    clean = set(range(len(usable))) - set(dirty.tolist())
    for group in old_groups:
        members = np.array([position[p] for p in group if p in position and position[p] in clean],
                           dtype=np.int64)
        if len(members) < 2:
            continue
        if not touched.intersection(group):  # still one component: a star joins it
            add(np.full(len(members) - 1, members[0]), members[1:])
            continue
        own = faiss.IndexBinaryFlat(CODE_BITS)
        own.add(codes[members])
        r, c = _edges(own, codes[members], params.max_distance)
        add(members[r], members[c])
        if params.mirrored:
            r, c = _edges(own, mirrors[members], params.max_distance)
            add(members[r], members[c])
    return _components(ids, np.concatenate(rows) if rows else np.empty(0, np.int64),
                       np.concatenate(cols) if cols else np.empty(0, np.int64))
