"""Average linkage on squared distances, over a sparse neighbour graph, with cannot-merge rules.

Two groups merge when the root-mean-square distance over *all* pairs of their faces is below a
threshold. That mean has a closed form from each group's size, vector sum and sum of squared
norms: ``msd(A, B) = Q_A/n_A + Q_B/n_B - 2 (S_A . S_B) / (n_A n_B)``, so a merge costs O(D)
whatever the groups' sizes. Unlike single linkage (what a distance-threshold graph or
HDBSCAN's tree does), one close pair of faces cannot chain two persons together.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping

import numpy as np


class Groups:
    """Running sums of every group: the closed form of their mean squared distances."""

    def __init__(self, embeddings: np.ndarray, group_of: np.ndarray) -> None:
        count = int(group_of.max(initial=-1)) + 1
        x = embeddings.astype(np.float64)
        self.size = np.bincount(group_of, minlength=count).astype(np.float64)
        self.sums = np.zeros((count, x.shape[1]))
        np.add.at(self.sums, group_of, x)
        self.squares = np.bincount(group_of, weights=(x * x).sum(axis=1), minlength=count)

    def msd(self, a: int, others: np.ndarray) -> np.ndarray:
        """Mean squared distance between the faces of group ``a`` and of each of ``others``."""
        own = self.squares[a] / self.size[a]
        theirs = self.squares[others] / self.size[others]
        cross = self.sums[others] @ self.sums[a] / (self.size[others] * self.size[a])
        return np.maximum(own + theirs - 2 * cross, 0.0)

    def spread(self, a: int) -> float:
        """Root-mean-square distance between two faces of group ``a`` (0 for one face)."""
        n = self.size[a]
        if n < 2:
            return 0.0
        centre = self.sums[a] / n
        var = self.squares[a] / n - float(centre @ centre)
        return float(np.sqrt(max(2 * var * n / (n - 1), 0.0)))

    def absorb(self, a: int, b: int) -> None:
        self.size[a] += self.size[b]
        self.sums[a] += self.sums[b]
        self.squares[a] += self.squares[b]


def merge_groups(
    embeddings: np.ndarray,
    group_of: np.ndarray,
    edges: np.ndarray,
    threshold: float,
    pinned: Mapping[int, set[int]] | None = None,
    forbidden: Mapping[int, set[int]] | None = None,
) -> np.ndarray:
    """Merge groups while the closest neighbouring pair's RMS distance is below ``threshold``.

    ``group_of`` gives each face's starting group (0..G-1, every face in one); ``edges`` is an
    (E, 2) array of face positions that are neighbours: only groups joined by an edge are
    compared. ``pinned[g]`` holds the persons whose user-confirmed faces group ``g`` contains,
    ``forbidden[g]`` the persons some face of ``g`` must not join: groups pinned to different
    persons, or pinned to a person another's face must not join, are never merged.
    Returns each face's final group (a representative starting group id).
    """
    groups = Groups(embeddings, group_of)
    count = len(groups.size)
    neighbours: list[set[int]] = [set() for _ in range(count)]
    a_side, b_side = group_of[edges[:, 0]], group_of[edges[:, 1]]
    for a, b in zip(a_side.tolist(), b_side.tolist(), strict=True):
        if a != b:
            neighbours[a].add(b)
            neighbours[b].add(a)
    pins = {g: set(v) for g, v in (pinned or {}).items() if v}
    bans = {g: set(v) for g, v in (forbidden or {}).items() if v}
    limit = threshold * threshold
    version = [0] * count
    parent = np.arange(count)
    heap: list[tuple[float, int, int, int]] = []

    def refresh(a: int) -> None:
        """Find group ``a``'s closest neighbour; queue the pair when close enough."""
        version[a] += 1
        if not neighbours[a]:
            return
        others = np.fromiter(neighbours[a], dtype=np.int64, count=len(neighbours[a]))
        msd = groups.msd(a, others)
        best = int(msd.argmin())
        if msd[best] < limit:
            heapq.heappush(heap, (float(msd[best]), a, int(others[best]), version[a]))

    for a in range(count):
        refresh(a)
    # Average linkage is reducible: merging a and b never brings a third group c closer than
    # min(msd(c, a), msd(c, b)). So each queued distance is a lower bound of its group's
    # current closest distance, and a popped entry is re-checked lazily: if it went stale,
    # the group looks for its closest neighbour again.
    while heap:
        queued, a, b, stamp = heapq.heappop(heap)
        if stamp != version[a] or parent[a] != a:
            continue
        b = _find(parent, b)
        now = float(groups.msd(a, np.array([b]))[0])
        if b == a or now > queued + 1e-9:
            refresh(a)
            continue
        if _conflict(pins.get(a), pins.get(b), bans.get(a), bans.get(b)):
            neighbours[a].discard(b)
            neighbours[b].discard(a)
            refresh(a)
            refresh(b)
            continue
        if groups.size[a] < groups.size[b]:
            a, b = b, a
        groups.absorb(a, b)
        for table in (pins, bans):
            if b in table:
                table.setdefault(a, set()).update(table.pop(b))
        parent[b] = a
        for c in neighbours[b]:
            neighbours[c].discard(b)
            if c != a:
                neighbours[c].add(a)
                neighbours[a].add(c)
        neighbours[a].discard(b)
        neighbours[b] = set()
        version[b] += 1
        refresh(a)
    return _roots(parent)[group_of]


def _conflict(pins_a: set[int] | None, pins_b: set[int] | None,
              bans_a: set[int] | None, bans_b: set[int] | None) -> bool:
    if pins_a and pins_b and pins_a != pins_b:
        return True
    return bool((pins_a and bans_b and pins_a & bans_b) or (pins_b and bans_a and pins_b & bans_a))


def _find(parent: np.ndarray, a: int) -> int:
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = int(parent[a])
    return a


def _roots(parent: np.ndarray) -> np.ndarray:
    roots = parent.copy()
    while True:
        nxt = roots[roots]
        if np.array_equal(nxt, roots):
            return roots
        roots = nxt
