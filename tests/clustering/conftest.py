from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np
import pytest

from bench.clustering_eval.synthetic import generate
from tests.conftest import shared


@pytest.fixture(scope="session")
def synthetic() -> tuple[np.ndarray, np.ndarray]:
    """1,500 dlib-like faces of several hundred identities (power-law sizes)."""
    return generate(1500, seed=7)


PER_PERSON = 10
"""Photos per person taken from faces_lfw/ (33 people: 312 photos, about 15 s to embed)."""


@dataclass(frozen=True)
class RealFaces:
    """The largest face of each photo, embedded by the project's own face pipeline."""

    embeddings: np.ndarray
    identity: np.ndarray
    photo: np.ndarray


@pytest.fixture(scope="session")
def real_faces() -> RealFaces:
    """The first PER_PERSON photos of every person in faces_lfw/ (look-alike relatives and
    leaders of similar age and style among them, which the old clustering merged)."""
    from recognize.inference.base import Runtime
    from recognize.inference.faces import FaceAnalyzer
    from recognize.media import decode
    from recognize.media.types import MediaOptions

    root = shared("faces_lfw")
    with (root / "labels.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["kind"] == "identity"]
    seen: dict[str, int] = {}
    rows = [r for r in rows if seen.setdefault(r["identity"], 0) < PER_PERSON
            and not seen.__setitem__(r["identity"], seen[r["identity"]] + 1)]
    analyzer = FaceAnalyzer.from_specs(Runtime())
    analyzer.load()
    embeddings, identity, photo = [], [], []
    for number, row in enumerate(rows):
        faces = analyzer.analyze(decode(root / row["file"], MediaOptions(), None))
        if faces:
            largest = max(faces, key=lambda f: f.box[2] * f.box[3])
            embeddings.append(largest.embedding)
            identity.append(row["identity"])
            photo.append(number)
    return RealFaces(np.array(embeddings, np.float32), np.array(identity), np.array(photo))
