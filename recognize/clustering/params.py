"""Clustering parameters: one frozen dataclass whose fields map 1:1 to config keys.

Defaults are chosen from the embedding model's documented geometry, not from any photo set:
dlib's ResNet descriptor (``dlib_face_recognition_resnet_model_v1``) calls two faces the same
person when their L2 distance is below 0.6 (its published LFW operating point, 99.38 %).
Same-person pairs typically lie 0.3-0.5 apart and different persons 0.8-1.1 apart, so every
distance below is expressed relative to that 0.6 threshold, with a safety margin where a
wrong decision is costly (joining a face to a person is costlier than leaving it unassigned).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SelectionMethod = Literal["eom", "leaf"]


@dataclass(frozen=True)
class ClusterParams:
    """Every threshold that decides how faces become persons (all distances are L2)."""

    min_cluster_size: int = 2
    """Fewest faces that form a person on their own. 2: two tight faces are already a person
    (many people appear in only two or three photos of a library)."""

    min_samples: int = 2
    """HDBSCAN's density: a face's core distance is the distance to its min_samples-th
    nearest other face (the hdbscan package's convention). 2 stops a single blurred face
    from bridging two persons (a chain needs two faces at every link), while still letting
    pairs form persons."""

    cluster_selection_epsilon: float = 0.0
    """HDBSCAN: clusters closer than this are not split further. 0 leaves all merging to the
    linkage guard below, which decides with ``merge_distance`` on average distances."""

    cluster_selection_method: SelectionMethod = "leaf"
    """HDBSCAN's cluster choice. "leaf" returns the finest dense groups (high precision); the
    merge guard then joins groups of one person, which "eom" would do by stability alone."""

    same_person_threshold: float = 0.6
    """The model's documented same-person distance (dlib: 0.6). A cluster whose members are
    on average farther apart than this (average linkage) is split."""

    merge_distance: float = 0.55
    """Two groups (or a group and a lone face) are joined when the root-mean-square distance
    over all pairs of their faces is below this (average linkage: one close pair cannot merge
    two persons), and a face whose RMS distance to the rest of its group reaches it is taken
    out. Default: the same-person threshold less a 0.05 safety margin, since a wrong merge
    (two people in one folder) costs the user more than a face left unassigned."""

    max_assignment_distance: float = 0.5
    """A face (new, or left as noise) joins a person only when its ``assignment_neighbors``
    nearest faces of that person all lie within this distance and no other person's face is
    as close. 0.1 below the same-person threshold: an assigned face is not re-examined until
    a full re-clustering, so a single face needs a safety margin that a group does not."""

    assignment_neighbors: int = 3
    """How many nearest faces of one person must agree before a face joins it (fewer when the
    person has fewer faces; then all of them must agree)."""

    min_detector_score: float = 0.5
    """Applied by the caller: faces whose detector confidence is lower are not clustered."""

    min_face_size: int = 40
    """Applied by the caller: faces whose box is smaller (pixels, shorter side) are not
    clustered (tiny faces give unreliable descriptors that bridge persons)."""

    hnsw_above: int = 200_000
    """Known faces above which assignment uses an approximate HNSW index instead of an exact
    flat one (exact search over 100,000 faces takes well under a second)."""

    def __post_init__(self) -> None:
        problems = []
        if self.min_cluster_size < 2:
            problems.append("min_cluster_size must be >= 2")
        if self.min_samples < 1:
            problems.append("min_samples must be >= 1")
        if self.cluster_selection_method not in ("eom", "leaf"):
            problems.append("cluster_selection_method must be 'eom' or 'leaf'")
        if self.assignment_neighbors < 1:
            problems.append("assignment_neighbors must be >= 1")
        for name in ("cluster_selection_epsilon", "same_person_threshold", "merge_distance",
                     "max_assignment_distance"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be >= 0")
        if problems:
            raise ValueError("; ".join(problems))
