"""Small synthetic embeddings made in code."""

from __future__ import annotations

import numpy as np


def person_faces(n_persons: int, per_person: int, seed: int = 0,
                 spread: float = 0.38) -> tuple[np.ndarray, np.ndarray]:
    """Well separated identities: centres ~1.0 apart, faces ~``spread`` apart."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_persons, 128)) / np.sqrt(2 * 128) * 1.0
    labels = np.repeat(np.arange(n_persons), per_person)
    noise = rng.standard_normal((len(labels), 128)) * spread / np.sqrt(2 * 128)
    return (centres[labels] + noise).astype(np.float32), labels
