from __future__ import annotations

import numpy as np
import pytest

from bench.clustering_eval.synthetic import generate


@pytest.fixture(scope="session")
def synthetic() -> tuple[np.ndarray, np.ndarray]:
    """1,500 dlib-like faces of several hundred identities (power-law sizes)."""
    return generate(1500, seed=7)
