"""Agglomerative clustering with the same-person test, over a sparse neighbour graph.

Every group keeps its size, vector sum and sum of squared norms; from these the mean squared
distance between two groups, and within one, have closed forms (``Groups``), so testing a pair
costs O(D) whatever the groups' sizes. Merging runs in rounds: each group finds the
neighbouring group it passes the test with best (lowest gap² / limit); pairs that chose each
other merge (reciprocal nearest neighbours), and smaller groups whose choice takes part in no
pair join it; only the pairs touching a merged group are scored again.
Groups only merge along edges of the face graph, never when ``GroupRules`` forbid it.
"""

from __future__ import annotations

import numpy as np

from recognize.clustering.conflicts import GroupRules
from recognize.clustering.rule import SamePerson

CHUNK = 262_144
"""Edges scored per vectorised step (memory: CHUNK x D x 4 bytes, twice)."""


class Groups:
    """Running sums of every group: the closed form of their mean squared distances.

    Vector sums are float32 (half the memory and memory traffic); sizes, squared norms and
    every dot product are float64."""

    def __init__(self, embeddings: np.ndarray, group_of: np.ndarray, count: int | None = None,
                 ) -> None:
        count = int(group_of.max(initial=-1)) + 1 if count is None else count
        self.size = np.bincount(group_of, minlength=count).astype(np.float64)
        norms = np.einsum("ij,ij->i", embeddings, embeddings, dtype=np.float64)
        self.squares = np.bincount(group_of, weights=norms, minlength=count)
        if count == len(group_of) and np.array_equal(group_of, np.arange(count)):
            self.sums = np.array(embeddings, dtype=np.float32)  # one face per group
            return
        self.sums = np.zeros((count, embeddings.shape[1]), dtype=np.float32)
        order = np.argsort(group_of, kind="stable")
        starts = np.searchsorted(group_of[order], np.arange(count))
        filled = self.size > 0
        if filled.any():
            self.sums[filled] = np.add.reduceat(embeddings[order], starts[filled], axis=0,
                                                dtype=np.float64).astype(np.float32)

    def within_sq(self, groups: np.ndarray | slice) -> np.ndarray:
        """Sum of squared distances over all face pairs of each group."""
        sums = self.sums[groups]
        return np.maximum(self.size[groups] * self.squares[groups]
                          - np.einsum("ij,ij->i", sums, sums, dtype=np.float64), 0.0)

    def msd(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Mean squared distance between the faces of groups ``a[i]`` and ``b[i]``."""
        na, nb = self.size[a], self.size[b]
        cross = np.einsum("ij,ij->i", self.sums[a], self.sums[b], dtype=np.float64)
        return np.maximum(self.squares[a] / na + self.squares[b] / nb - 2 * cross / (na * nb), 0.0)

    def absorb(self, a: np.ndarray, b: np.ndarray) -> None:
        """Groups ``b[i]`` join groups ``a[i]`` (the b are distinct; an a may repeat)."""
        np.add.at(self.size, a, self.size[b])
        np.add.at(self.squares, a, self.squares[b])
        order = np.argsort(a, kind="stable")
        targets, starts = np.unique(a[order], return_index=True)
        self.sums[targets] += np.add.reduceat(self.sums[b[order]], starts, axis=0,
                                              dtype=np.float64).astype(np.float32)
        self.size[b] = 0


def scores(groups: Groups, spread: np.ndarray, a: np.ndarray, b: np.ndarray, rule: SamePerson,
           rules: GroupRules | None = None, msd: np.ndarray | None = None) -> np.ndarray:
    """gap² / limit for each pair (below 1: one person); inf where the test or a pin fails.
    ``msd``: the pairs' mean squared distances when already known."""
    out = np.empty(len(a))
    for start in range(0, len(a), CHUNK):
        ca, cb = a[start:start + CHUNK], b[start:start + CHUNK]
        known = groups.msd(ca, cb) if msd is None else msd[start:start + CHUNK]
        gap = known - spread[ca] / 2 - spread[cb] / 2
        limit = np.maximum(rule.limit(groups.size[ca], groups.size[cb]), 1e-12)
        ratio = gap / limit
        fails = ratio >= 1.0
        if rules is not None:
            fails |= rules.pins_clash(ca, cb)
        ratio[fails] = np.inf
        out[start:start + CHUNK] = ratio
    return out


def agglomerate(embeddings: np.ndarray, group_of: np.ndarray, edges: np.ndarray,
                rule: SamePerson, rules: GroupRules | None = None,
                edge_sq: np.ndarray | None = None) -> np.ndarray:
    """Merge groups while neighbouring ones pass the test; each face's final group.

    ``group_of`` gives each face's starting group (0..G-1), ``edges`` (E, 2) face rows that are
    neighbours, ``edge_sq`` optionally their squared distances (used when every face starts
    alone). Returns, per face, the id of a starting group that represents its final group.
    """
    count = int(group_of.max(initial=-1)) + 1
    groups = Groups(embeddings, group_of, count)
    spread = rule.spread(groups.size, groups.within_sq(slice(None)))
    rules = rules or GroupRules(count)
    special = rules.special()
    alone = count == len(group_of) and edge_sq is not None
    ea, eb, first = _group_edges(group_of[edges[:, 0]], group_of[edges[:, 1]], count,
                                 edge_sq if alone else None)
    score = scores(groups, spread, ea, eb, rule, rules, first)
    parent = np.arange(count)
    while True:
        winners, losers, chosen = _round(ea, eb, score, groups.size, count)
        if len(winners) == 0:
            break
        check = np.flatnonzero(special[winners] | special[losers])
        if len(check):  # in order: satellites of one group are checked against each other
            keep = np.ones(len(winners), dtype=bool)
            for i in check.tolist():
                w, lo = int(winners[i]), int(losers[i])
                keep[i] = rules.allowed(w, lo)
                if keep[i]:
                    rules.absorb(w, lo)
            score[chosen[~keep]] = np.inf  # groups only grow: a refusal is final
            winners, losers = winners[keep], losers[keep]
            if len(winners) == 0:
                continue
        np.logical_or.at(special, winners, special[losers])
        np.maximum.at(rules.pin, winners, rules.pin[losers])
        groups.absorb(winners, losers)
        changed = distinct(winners)
        spread[changed] = rule.spread(groups.size[changed], groups.within_sq(changed))
        parent[losers] = winners
        ea, eb, score = _relabel(ea, eb, score, winners, losers, count)
        dirty = np.isnan(score)
        score[dirty] = scores(groups, spread, ea[dirty], eb[dirty], rule, rules)
    return _roots(parent)[group_of]


def _group_edges(a: np.ndarray, b: np.ndarray, count: int, squared: np.ndarray | None,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Unique undirected group pairs (a < b) of face edges, without self-pairs (and the
    squared distance of each, when given)."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keep = lo != hi
    keys, first = np.unique(lo[keep].astype(np.int64) * count + hi[keep], return_index=True)
    known = None if squared is None else np.asarray(squared, dtype=np.float64)[keep][first]
    return keys // count, keys % count, known


def _round(ea: np.ndarray, eb: np.ndarray, score: np.ndarray, size: np.ndarray,
           count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """This round's merges as (winner, loser, edge): pairs of groups that are each other's best
    passing neighbour (the larger wins), and "satellites": a smaller group whose best passing
    neighbour takes no part in a pair and is no satellite itself joins it (so a large person
    absorbs its lone faces in one round, not one per round)."""
    passing = np.flatnonzero(np.isfinite(score))
    if len(passing) == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    order = passing[np.lexsort((passing, score[passing]))]
    rank = np.arange(len(order))
    best = np.full(count, len(order), dtype=np.int64)
    np.minimum.at(best, ea[order], rank)
    np.minimum.at(best, eb[order], rank)
    mutual = (best[ea[order]] == rank) & (best[eb[order]] == rank)
    chosen = order[mutual]
    a, b = ea[chosen], eb[chosen]
    swap = size[a] < size[b]
    winners, losers = np.where(swap, b, a), np.where(swap, a, b)
    paired = np.zeros(count, dtype=bool)
    paired[a] = paired[b] = True
    lone = np.flatnonzero((best < len(order)) & ~paired)
    edge = order[best[lone]]
    target = np.where(ea[edge] == lone, eb[edge], ea[edge])
    satellite = np.zeros(count, dtype=bool)
    ok = ~paired[target] & (size[lone] < size[target])
    satellite[lone[ok]] = True
    ok &= ~satellite[target]
    return (np.concatenate([winners, target[ok]]), np.concatenate([losers, lone[ok]]),
            np.concatenate([chosen, edge[ok]]))


def _relabel(ea: np.ndarray, eb: np.ndarray, score: np.ndarray, winners: np.ndarray,
             losers: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges after the merges: losers renamed, self-pairs and duplicates dropped; the edges
    touching a merged group get score NaN (to be scored again)."""
    rename = np.arange(count)
    rename[losers] = winners
    ea, eb = rename[ea], rename[eb]
    touched = np.zeros(count, dtype=bool)
    touched[winners] = True
    dirty = touched[ea] | touched[eb]
    keep = ea != eb
    clean = keep & ~dirty
    lo = np.minimum(ea[keep & dirty], eb[keep & dirty])
    hi = np.maximum(ea[keep & dirty], eb[keep & dirty])
    keys = distinct(lo.astype(np.int64) * count + hi)
    ea = np.concatenate([ea[clean], keys // count])
    eb = np.concatenate([eb[clean], keys % count])
    score = np.concatenate([score[clean], np.full(len(keys), np.nan)])
    return ea, eb, score


def distinct(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique's hash path is many times slower on int64 keys)."""
    keys = np.sort(keys)
    keep = np.ones(len(keys), dtype=bool)
    keep[1:] = keys[1:] != keys[:-1]
    return keys[keep]


def _roots(parent: np.ndarray) -> np.ndarray:
    roots = parent.copy()
    while True:
        nxt = roots[roots]
        if np.array_equal(nxt, roots):
            return roots
        roots = nxt
