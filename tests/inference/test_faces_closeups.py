"""Close-up faces (the face fills the frame) are found, made in memory from the shared photos.

Each close-up is bench/faces.py's: a square crop around dlib's HOG face at 1.0-1.3x its box,
resized to 160-300 px. Before the padded pass the detector found 52 % of them on faces/ and
33 % on faces_lfw/ (BlazeFace full-range misses faces larger than ~0.6 of its input).
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

from bench.faces import closeup, decode, hog_boxes
from recognize.inference.base import Runtime
from recognize.inference.blazeface import INPUT_SIZE
from recognize.inference.faces import FaceAnalyzer
from recognize.inference.faces_tiles import MAX_FACE_IN_INPUT, plan_levels
from tests.conftest import shared

pytestmark = pytest.mark.slow  # real models or real server processes: make test runs it

pytest.importorskip("dlib")


@pytest.fixture(scope="module")
def analyzer() -> FaceAnalyzer:
    faces = FaceAnalyzer.from_specs(Runtime(precision="f32"))
    faces.load()
    return faces


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy / (a[2] * a[3] + b[2] * b[3] - ix * iy)


@pytest.mark.parametrize("name, every", [("faces", 9), ("faces_lfw", 36)])
def test_close_up_faces_are_found(analyzer: FaceAnalyzer, name: str, every: int) -> None:
    data = shared(name)
    with (data / "labels.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["kind"] == "identity"][::every]
    missed, tried = [], 0
    for row in rows:
        image, _ = decode(data / row["file"], 1920)
        boxes = hog_boxes(image)
        if not boxes:
            continue
        box = max(boxes, key=lambda b: b[2] * b[3])
        pixels, face = closeup(image, box, row["file"])
        assert 160 <= pixels.shape[0] == pixels.shape[1] <= 300
        assert face[2] >= pixels.shape[0] / 1.3 - 1  # the face fills most of the frame
        tried += 1
        found = analyzer.detector.detect(np.ascontiguousarray(pixels))
        if not any(_iou(f.box, face) >= 0.3 for f in found):
            missed.append(row["file"])
        assert len(found) <= 1, (row["file"], [f.score for f in found])
    assert tried >= 10
    assert not missed, missed


def test_the_padded_pass_puts_a_photo_filling_face_in_the_models_range() -> None:
    levels = plan_levels(300, 200, 20.0)
    padded, whole = levels[0], levels[1]
    assert whole.side == 300 and whole.min_face == 0
    # a face as large as the photo's longer side is MAX_FACE_IN_INPUT px of the padded input
    assert padded.side * MAX_FACE_IN_INPUT / INPUT_SIZE == pytest.approx(300)
    # ... and the padded pass reports only faces of at least half that side
    assert padded.min_face * padded.side / INPUT_SIZE == pytest.approx(150)
    # asking for faces up to half the photo needs no padded pass
    assert plan_levels(300, 200, 20.0, max_face=150)[0].side == 300
