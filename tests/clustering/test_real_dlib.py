"""Real dlib descriptors of a few labelled photos (slow; skipped without dlib-bin)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from bench.clustering_eval.metrics import evaluate
from recognize.clustering import cluster
from tests.conftest import shared

PERSONS = ("angelina_jolie", "katy_perry", "jennifer_aniston", "jack_dorsey", "matt_damon",
           "mark_zuckerberg", "barack_obama", "elon_musk")


@pytest.fixture(scope="session")
def dlib_faces() -> tuple[np.ndarray, np.ndarray]:
    """Largest face of up to 36 identity photos, embedded by dlib's own pipeline."""
    dlib = pytest.importorskip("dlib")
    models = pytest.importorskip("face_recognition_models")
    from PIL import Image, ImageOps

    root = shared("faces")
    folder = Path(models.__file__).parent / "models"
    detector = dlib.get_frontal_face_detector()
    shapes = dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat"))
    net = dlib.face_recognition_model_v1(str(folder / "dlib_face_recognition_resnet_model_v1.dat"))
    with open(root / "labels.csv", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["identity"] in PERSONS][:36]
    embeddings, labels = [], []
    for row in rows:
        image = ImageOps.exif_transpose(Image.open(root / row["file"])).convert("RGB")
        image.thumbnail((1200, 1200))
        pixels = np.asarray(image)
        found = detector(pixels, 1 if max(pixels.shape) < 800 else 0)
        if not found:
            continue
        face = max(found, key=lambda r: r.width() * r.height())
        descriptor = net.compute_face_descriptor(pixels, shapes(pixels, face))
        embeddings.append(np.array(descriptor, dtype=np.float32))
        labels.append(row["identity"])
    return np.stack(embeddings), np.array(labels)


@pytest.mark.slow
def test_real_identities_come_out_as_separate_persons(
        dlib_faces: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = dlib_faces
    assert len(x) >= 30
    q = evaluate(cluster(x), y)
    assert q.bcubed_precision >= 0.97 and q.bcubed_recall >= 0.9
