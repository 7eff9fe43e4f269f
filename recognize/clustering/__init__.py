"""Faces -> persons: clustering, incremental assignment, stable ids, constraints; and
photos -> groups of near-duplicates (``duplicates``).

Pure (arrays and ids in, dataclasses out); see ``update.update_persons`` for the whole flow
and ``rule`` for the same-person test every step uses. The evaluation code (metrics,
baselines, synthetic embeddings) lives in ``bench/clustering_eval``, outside the package.
"""

from recognize.clustering.assign import KnownFaces, assign
from recognize.clustering.cluster import cluster
from recognize.clustering.constraints import Constraint, ConstraintKind, Constraints
from recognize.clustering.cover import FaceBox, choose_cover
from recognize.clustering.match import ClusterMatch, match_clusters
from recognize.clustering.params import ClusterParams
from recognize.clustering.rule import SamePerson
from recognize.clustering.update import update_persons

__all__ = [
    "ClusterMatch", "ClusterParams", "Constraint", "ConstraintKind", "Constraints", "FaceBox",
    "KnownFaces", "SamePerson", "assign", "choose_cover", "cluster", "match_clusters",
    "update_persons",
]
