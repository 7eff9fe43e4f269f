"""The same-person test between two groups of faces, adapted to each group's own spread.

Model: the faces of one person scatter around that person's centre. For groups A and B
(sizes n, vector sums S, sums of squared norms Q) the mean squared distance over all their
cross pairs has a closed form, and so has each group's mean squared distance within itself,
W. Subtracting half of each W from the cross term leaves an unbiased estimate of the squared
distance between the two *centres*:

    gap²(A, B) = msd(A, B) - W̃_A / 2 - W̃_B / 2

where W̃ shrinks a group's W towards the typical same-person distance (one pseudo pair), since
a group of one or two faces says little about its spread. A person photographed in many
conditions has a large W and so a gap² near 0 between its parts: it is not split, however
spread it is. Two look-alike relatives have tight groups whose centres stay apart.

The groups are one person when

    gap²(A, B) < (T² - w0² - s²) · (1/n_A + 1/n_B) / 2 + s²

* ``T`` (``same_person_threshold``) is the embedding model's documented same-person distance
  for one pair of faces (dlib's ResNet: 0.6 on LFW). Two lone faces have gap² = d² - w0² and
  limit T² - w0², so for them the test is exactly the model's: d < T;
* the first term is the sampling error of two estimated centres: it shrinks as groups grow,
  so large groups are judged by their centres alone:
* ``s`` (``condition_shift``) is how far apart the centres of two large sets of one person's
  photos may be (black-and-white against colour, another decade, another pose);
* ``w0`` (``typical_distance``) is the typical distance between two photos of one person.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PRIOR_PAIRS = 1.0
"""Weight of the typical same-person distance in a group's spread (in face pairs)."""


@dataclass(frozen=True)
class SamePerson:
    """The test's three distances (L2, in the embedding's units)."""

    pair_threshold: float = 0.6
    typical_distance: float = 0.4
    condition_shift: float = 0.25

    def limit(self, size_a: np.ndarray | float, size_b: np.ndarray | float) -> np.ndarray:
        """The largest gap² at which groups of these sizes are one person."""
        sampling = self.pair_threshold**2 - self.typical_distance**2 - self.condition_shift**2
        inverse = 1.0 / np.asarray(size_a, dtype=np.float64) + 1.0 / np.asarray(size_b)
        return np.maximum(sampling, 0.0) * inverse / 2 + self.condition_shift**2

    def spread(self, size: np.ndarray, within_sq: np.ndarray) -> np.ndarray:
        """W̃: a group's mean squared within distance, shrunk towards the typical one.
        ``within_sq`` is the sum of squared distances over the group's face pairs."""
        pairs = size * (size - 1) / 2
        prior = self.typical_distance**2
        return (within_sq + PRIOR_PAIRS * prior) / (pairs + PRIOR_PAIRS)
