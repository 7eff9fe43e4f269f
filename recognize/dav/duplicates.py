"""Near-duplicate groups by perceptual hash, with a faiss binary index.

Two photos are near-duplicates when their 64-bit dHashes differ in at most
``DHASH_MAX_DISTANCE`` bits *and*, when both have a pHash, their pHashes differ in at most
``PHASH_MAX_DISTANCE`` bits. Neal Krawetz, who described dHash, calls distances of 1-10
"probably a variation" and 0-5 near-certain; we keep the strict end (4 of 64 bits, about
94 % equal) and confirm with the independent DCT-based pHash (8 of 64 bits, the value used
by common pHash tooling) so that a flat or dark frame does not group with every other one.
Groups are the connected components of that relation. Photos without a dHash are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

DHASH_MAX_DISTANCE = 4
PHASH_MAX_DISTANCE = 8
FLAT_LIMIT = 20_000  # above this many photos use a multi-hash index (exact for our radius)


def _bits(hexes: Sequence[str]) -> np.ndarray:
    return np.array([list(bytes.fromhex(h.rjust(16, "0")[:16])) for h in hexes], dtype=np.uint8)


def _index(codes: np.ndarray) -> Any:
    import faiss

    if len(codes) <= FLAT_LIMIT:
        index: Any = faiss.IndexBinaryFlat(64)
    else:  # pigeonhole: with r+1 exact-match tables of 64/(r+1) bits nothing within r is missed
        tables = DHASH_MAX_DISTANCE + 1
        index = faiss.IndexBinaryMultiHash(64, tables, 64 // tables)
    index.add(codes)
    return index


def _hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def groups(items: Sequence[tuple[int, str | None, str | None]]) -> list[list[int]]:
    """``(photo id, phash hex, dhash hex)`` → groups of ≥ 2 ids, each sorted, by first id."""
    usable = [(pid, ph, dh) for pid, ph, dh in items if dh]
    if len(usable) < 2:
        return []
    codes = _bits([dh for _, _, dh in usable])
    index = _index(codes)
    lims, _dist, found = index.range_search(codes, DHASH_MAX_DISTANCE + 1)
    parent = list(range(len(usable)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(usable)):
        for j in found[lims[i]:lims[i + 1]]:
            j = int(j)
            if j <= i:
                continue
            pi, pj = usable[i][1], usable[j][1]
            if pi and pj and _hamming(pi, pj) > PHASH_MAX_DISTANCE:
                continue
            parent[root(j)] = root(i)
    members: dict[int, list[int]] = {}
    for i, (pid, _, _) in enumerate(usable):
        members.setdefault(root(i), []).append(pid)
    return sorted((sorted(g) for g in members.values() if len(g) > 1), key=lambda g: g[0])
