"""Synthetic face embeddings shaped like dlib's 128-D descriptors (for tests and benchmarks).

Calibrated against dlib's own pipeline on a labelled photo set (see bench/cluster.py
``--calibrate``): same-person distances have a median near 0.39 (1st-99th percentile about
0.27-0.56), different persons a median near 0.89 (about 0.66-1.06). Identity centres are
drawn from an anisotropic Gaussian (a power-law spectrum, like real descriptors, whose
variance is concentrated in fewer directions than 128), faces scatter around their centre with
a per-identity and per-face scale, and a fraction of "poor" faces (blurred, turned, tiny)
scatter 1.6 times as far. Identity sizes follow a power law: a few persons with many faces,
many persons with one to three.
"""

from __future__ import annotations

import numpy as np

DIM = 128


# The generator's knobs, calibrated on dlib descriptors of real photos (bench/cluster.py
# --calibrate): the median L2 distance between two good faces of one identity, and between
# faces of two identities; the power with which identity centres' variance falls along the
# k-th axis (0: isotropic); the log-normal spreads of each identity's and each face's scatter
# scale; the share of poor faces and how much farther they scatter; the Zipf exponent of
# identity sizes (larger: more singletons).
WITHIN_MEDIAN, BETWEEN_MEDIAN, SPECTRUM_POWER = 0.385, 0.886, 0.85
IDENTITY_SIGMA, FACE_SIGMA = 0.12, 0.10
POOR_FRACTION, POOR_SCALE, SIZE_POWER = 0.05, 1.6, 2.0


def identity_sizes(n_faces: int, rng: np.random.Generator, power: float) -> np.ndarray:
    """Sizes (summing to ``n_faces``) of identities: Zipf-distributed, capped at 2 % of faces."""
    cap = max(10, n_faces // 50)
    sizes: list[int] = []
    total = 0
    while total < n_faces:
        chunk = np.minimum(rng.zipf(power, size=max(16, (n_faces - total) // 2)), cap)
        for s in chunk.tolist():
            s = min(s, n_faces - total)
            sizes.append(s)
            total += s
            if total >= n_faces:
                break
    return np.array(sizes, dtype=np.int64)


def generate(n_faces: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n_faces`` float32 (N, 128) embeddings and their identity labels (int64)."""
    rng = np.random.default_rng(seed)
    sizes = identity_sizes(n_faces, rng, SIZE_POWER)
    labels = np.repeat(np.arange(len(sizes)), sizes)
    axis_scale = np.arange(1, DIM + 1, dtype=np.float64) ** (-SPECTRUM_POWER / 2)
    basis = np.linalg.qr(rng.standard_normal((DIM, DIM)))[0]
    centres = (rng.standard_normal((len(sizes), DIM)) * axis_scale) @ basis.T
    # Scale so that centre-to-centre distances give the wanted between-identity median.
    noise_sq = WITHIN_MEDIAN**2  # two faces' scatter adds this much squared distance
    centre_median = np.sqrt(max(BETWEEN_MEDIAN**2 - noise_sq, 1e-6))
    centres *= centre_median / np.sqrt(2 * (axis_scale**2).sum())
    scale = np.exp(rng.normal(0, IDENTITY_SIGMA, len(sizes)))[labels]
    scale *= np.exp(rng.normal(0, FACE_SIGMA, n_faces))
    scale[rng.random(n_faces) < POOR_FRACTION] *= POOR_SCALE
    sigma = WITHIN_MEDIAN / np.sqrt(2 * DIM)
    faces = centres[labels] + rng.standard_normal((n_faces, DIM)) * (sigma * scale)[:, None]
    order = rng.permutation(n_faces)
    return faces[order].astype(np.float32), labels[order]


def distance_percentiles(embeddings: np.ndarray, labels: np.ndarray, max_faces: int = 3000,
                         seed: int = 0) -> dict[str, list[float]]:
    """1/5/25/50/75/95/99th percentiles of within- and between-identity L2 distances."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(labels), min(max_faces, len(labels)), replace=False)
    x, y = embeddings[pick].astype(np.float64), np.asarray(labels)[pick]
    sq = (x * x).sum(axis=1)
    dist = np.sqrt(np.maximum(sq[:, None] + sq[None] - 2 * x @ x.T, 0))
    upper = np.triu_indices(len(x), 1)
    same = (y[:, None] == y[None])[upper]
    values = dist[upper]
    q = [1, 5, 25, 50, 75, 95, 99]
    result = {"between": np.percentile(values[~same], q).round(3).tolist()}
    result["within"] = (np.percentile(values[same], q).round(3).tolist() if same.any() else [])
    return result
