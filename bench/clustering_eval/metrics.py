"""Clustering quality against known identities: BCubed, pairwise, persons found.

Conventions: ``predicted`` holds one cluster label per face, ``-1`` meaning unassigned; every
unassigned face counts as a cluster of its own (so leaving a face out costs recall, never
precision). ``truth`` holds one identity label per face (any hashable values).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Quality:
    """How well predicted clusters match the true identities."""

    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    pairwise_precision: float
    pairwise_recall: float
    faces: int
    identities: int
    persons_found: int
    """Predicted clusters with at least two faces (unassigned faces are not persons)."""
    identities_recovered: int
    """Identities with >= 2 faces whose majority cluster holds most of them and nothing else
    in its majority (a one-to-one, majority-pure match)."""
    unassigned: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _as_singletons(predicted: Sequence[int] | np.ndarray) -> np.ndarray:
    """Relabel every ``-1`` as its own cluster (labels below the smallest real one)."""
    labels = np.asarray(predicted, dtype=np.int64).copy()
    noise = np.flatnonzero(labels < 0)
    labels[noise] = -2 - np.arange(len(noise))
    return labels


def _codes(values: Sequence[Any] | np.ndarray) -> np.ndarray:
    _, codes = np.unique(np.asarray(values), return_inverse=True)
    return codes.astype(np.int64)


def _contingency(pred: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts per (cluster, identity) cell, and per face its cell/cluster/identity sizes."""
    p, t = _codes(pred), _codes(true)
    cell = p * (t.max() + 1) + t
    _, cell_inv, cell_n = np.unique(cell, return_inverse=True, return_counts=True)
    return cell_n[cell_inv], np.bincount(p)[p], np.bincount(t)[t]


def bcubed(predicted: Sequence[int] | np.ndarray, truth: Sequence[Any] | np.ndarray,
           ) -> tuple[float, float, float]:
    """BCubed precision, recall and F1 (Amigó et al. 2009), averaged over faces."""
    pred = _as_singletons(predicted)
    if len(pred) == 0:
        return 1.0, 1.0, 1.0
    both, in_cluster, in_identity = _contingency(pred, np.asarray(truth))
    precision = float(np.mean(both / in_cluster))
    recall = float(np.mean(both / in_identity))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def pairwise(predicted: Sequence[int] | np.ndarray, truth: Sequence[Any] | np.ndarray,
             ) -> tuple[float, float]:
    """Precision and recall over all same-cluster / same-identity face pairs."""
    pred = _as_singletons(predicted)
    true = np.asarray(truth)

    def pairs(counts: np.ndarray) -> int:
        return int((counts * (counts - 1) // 2).sum())

    cells = Counter(zip(_codes(pred).tolist(), _codes(true).tolist(), strict=True))
    together = pairs(np.fromiter(cells.values(), dtype=np.int64))
    predicted_pairs = pairs(np.unique(pred, return_counts=True)[1])
    true_pairs = pairs(np.unique(true, return_counts=True)[1])
    precision = together / predicted_pairs if predicted_pairs else 1.0
    recall = together / true_pairs if true_pairs else 1.0
    return precision, recall


def _best(keys: np.ndarray, other: np.ndarray, counts: np.ndarray, n: int) -> np.ndarray:
    """For each key 0..n-1, the ``other`` value with the largest count (-1 when none)."""
    order = np.lexsort((-counts, keys))
    first = np.ones(len(order), dtype=bool)
    first[1:] = keys[order][1:] != keys[order][:-1]
    best = np.full(n, -1, dtype=np.int64)
    best[keys[order][first]] = other[order][first]
    return best


def _recovered(pred: np.ndarray, true: np.ndarray) -> int:
    t = _codes(true)
    p_values, p = np.unique(pred, return_inverse=True)
    cells, counts = np.unique(np.stack([t, p], axis=1), axis=0, return_counts=True)
    ct, cp = cells[:, 0], cells[:, 1]
    best_p = _best(ct, cp, counts, int(t.max()) + 1)
    best_t = _best(cp, ct, counts, len(p_values))
    count_of = {(a, b): c for a, b, c in zip(ct.tolist(), cp.tolist(), counts.tolist(),
                                               strict=True)}
    size = np.bincount(t)
    recovered = 0
    for identity in np.flatnonzero(size >= 2).tolist():
        label = int(best_p[identity])
        if p_values[label] < 0 or count_of[(identity, label)] * 2 <= size[identity]:
            continue
        recovered += int(best_t[label] == identity)
    return recovered


def evaluate(predicted: Sequence[int] | np.ndarray, truth: Sequence[Any] | np.ndarray,
             ) -> Quality:
    """Every measure at once."""
    pred = np.asarray(predicted, dtype=np.int64)
    true = np.asarray(truth)
    bp, br, bf = bcubed(pred, true)
    pp, pr = pairwise(pred, true)
    sizes = Counter(pred[pred >= 0].tolist())
    return Quality(
        bcubed_precision=bp, bcubed_recall=br, bcubed_f1=bf,
        pairwise_precision=pp, pairwise_recall=pr,
        faces=len(pred), identities=len(np.unique(true)),
        persons_found=sum(1 for n in sizes.values() if n >= 2),
        identities_recovered=_recovered(pred, true),
        unassigned=int((pred < 0).sum()),
    )
