"""Clustering parameters: one frozen dataclass whose fields map 1:1 to config keys.

How each default was chosen (the figures: ``bench/cluster.py``, see docs/persons.md):

* ``same_person_threshold`` 0.6 — the embedding model's geometry: dlib documents that two
  descriptors closer than 0.6 are the same person (its LFW operating point, 99.38 %).
* ``typical_distance`` 0.4 — the median distance between two photos of one person, measured
  on the tuning set ``faces_lfw/`` (0.41; 0.39 on ``faces/``). It only weighs how much a
  group of one or two faces says about its own spread; results barely move between 0.35
  and 0.45.
* ``condition_shift`` 0.25 — the one value tuned on data, on ``faces_lfw/`` alone: swept
  from 0.15 to 0.40, BCubed F1 is best (0.983) on a plateau from 0.20 to 0.30 and falls at
  0.31 (the Williams sisters merge); 0.25 is the plateau's middle. Confirmed on ``faces/``
  (1.000 / 1.000; 0.20 would have split one person there, R 0.970). It also lies midway
  between how far black-and-white photos of one person move its centre (0.11, at most
  0.17) and how far apart the closest relatives' centres are (0.33).
* ``min_cluster_size`` 2 — two faces can already be a person (many people appear in two or
  three photos of a library).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from recognize.clustering.rule import SamePerson
from recognize.config import PersonsSettings, section_values

_SECTION = PersonsSettings()  # the defaults: declared once, with their bounds, in the config


@dataclass(frozen=True)
class ClusterParams:
    """Every threshold that decides how faces become persons (all distances are L2). Each
    field is the ``[persons]`` key of the same name; its default is that key's."""

    min_cluster_size: int = _SECTION.min_cluster_size
    """Fewest faces that form a person on their own."""

    same_person_threshold: float = _SECTION.same_person_threshold
    """T: two lone faces closer than this are the same person (the model's own measure);
    larger groups are judged by their centres (see ``rule``)."""

    typical_distance: float = _SECTION.typical_distance
    """w0: the typical distance between two photos of one person. A group's spread is its
    mean within distance shrunk towards this (one pseudo pair of faces)."""

    condition_shift: float = _SECTION.condition_shift
    """s: how far apart the centres of two sets of one person's photos may be and still be
    one person (black-and-white and colour, other years, other poses). Groups whose centres
    are farther apart (after the sampling error of their sizes) stay separate persons."""

    def __post_init__(self) -> None:
        problems = []
        if self.min_cluster_size < 2:
            problems.append("min_cluster_size must be >= 2")
        for name in ("same_person_threshold", "typical_distance", "condition_shift"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be >= 0")
        if self.same_person_threshold**2 < self.typical_distance**2 + self.condition_shift**2:
            problems.append("same_person_threshold² must be >= typical_distance² + "
                            "condition_shift² (a lone pair of faces cannot be judged stricter "
                            "than two large groups)")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def rule(self) -> SamePerson:
        return SamePerson(self.same_person_threshold, self.typical_distance, self.condition_shift)

    @classmethod
    def from_settings(cls, persons: PersonsSettings) -> ClusterParams:
        """From the ``[persons]`` config section: every field, by name."""
        return cls(**section_values(persons, cls))

    def digest_fields(self) -> dict[str, Any]:
        """The fields that change a clustering (a full re-clustering runs when they change):
        all of them."""
        return asdict(self)

