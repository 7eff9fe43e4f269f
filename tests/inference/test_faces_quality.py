"""Face quality reasons: the pure geometry, and real faces from ../shared/data."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from bench.faces import decode
from recognize.inference.base import Runtime
from recognize.inference.faces import FaceAnalyzer
from recognize.inference.faces_quality import (
    BLURRED,
    IMPLAUSIBLE,
    SMALL,
    TURNED,
    QualitySettings,
    assess,
    nose_offset,
    sharpness,
)
from recognize.inference.faces_types import DetectedFace
from tests.conftest import shared

pytestmark = pytest.mark.slow  # real models or real server processes: make test runs it

# an upright frontal face in a 100 px box: BlazeFace's eyes, nose tip, mouth, ears
KEYPOINTS = np.array([[35, 40], [65, 40], [50, 58], [50, 75], [15, 45], [85, 45]], np.float32)
# dlib's order: outer, inner corner of the image-right eye, then of the image-left eye, nose
LANDMARKS = np.array([[72, 41], [58, 41], [28, 41], [42, 41], [50, 62]], np.float32)


def face(keypoints: np.ndarray = KEYPOINTS, side: float = 100.0) -> DetectedFace:
    k = side / 100
    return DetectedFace(0, 0, side, side, 0.9, keypoints * k)


def test_a_frontal_face_has_no_reason() -> None:
    assert assess(face(), LANDMARKS) is None
    assert nose_offset(KEYPOINTS) == pytest.approx(0)


def test_small_below_the_threshold() -> None:
    assert assess(face(side=39), LANDMARKS * 0.39) == SMALL
    assert assess(face(side=40), LANDMARKS * 0.40) is None
    assert assess(face(side=30), LANDMARKS * 0.30, settings=QualitySettings(min_size_px=20)) is None


def test_turned_when_the_nose_leaves_the_eyes_span() -> None:
    kp = KEYPOINTS.copy()
    kp[2, 0] = 64  # under the right eye: still inside the span
    assert assess(face(kp), LANDMARKS) is None
    kp[2, 0] = 67  # outside it
    assert nose_offset(kp) == pytest.approx(17 / 15)
    assert assess(face(kp), LANDMARKS) == TURNED
    kp[2, 0] = 33
    assert assess(face(kp), LANDMARKS) == TURNED


def test_implausible_geometry() -> None:
    swapped = LANDMARKS[[2, 3, 0, 1, 4]]  # the eyes' labels exchanged: corners out of order
    assert assess(face(), swapped) == IMPLAUSIBLE
    away = LANDMARKS.copy()
    away[:2] += [0, 16]  # dlib's right eye 16 px (> half the 30 px eye distance) from BlazeFace's
    assert assess(face(), away) == IMPLAUSIBLE
    away[:2] -= [0, 6]  # 10 px: the two models agree closely enough
    assert assess(face(), away) is None
    kp = KEYPOINTS.copy()
    kp[2, 1] = 30  # nose above the eyes
    assert assess(face(kp), LANDMARKS) == IMPLAUSIBLE
    kp = KEYPOINTS.copy()
    kp[3, 1] = 40 + 2.1 * 30  # mouth more than two eye distances below the eyes
    assert assess(face(kp), LANDMARKS) == IMPLAUSIBLE
    # implausible comes first: a tiny, turned non-face is reported as implausible
    kp[2, 0] = 90
    assert assess(face(kp, side=20), LANDMARKS * 0.2) == IMPLAUSIBLE


def _drawn_face() -> Image.Image:
    chip = Image.new("RGB", (150, 150), (60, 60, 60))
    draw = ImageDraw.Draw(chip)
    draw.ellipse((45, 35, 105, 115), fill=(200, 170, 150))
    draw.rectangle((60, 60, 70, 66), fill=(20, 20, 20))
    draw.rectangle((80, 60, 90, 66), fill=(20, 20, 20))
    draw.line((65, 95, 85, 95), fill=(90, 30, 30), width=3)
    return chip


def test_sharpness_falls_with_blur_and_ignores_contrast() -> None:
    drawn = _drawn_face()
    chip = np.asarray(drawn)
    blurred = np.asarray(drawn.filter(ImageFilter.GaussianBlur(2)))
    assert sharpness(blurred) < 0.008 < sharpness(chip)
    dim = (chip // 4).astype(np.uint8)
    assert sharpness(dim) == pytest.approx(sharpness(chip), rel=0.1)
    assert assess(face(), LANDMARKS, blurred) == BLURRED
    assert assess(face(), LANDMARKS, chip) is None


# --- real faces ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def analyzer() -> FaceAnalyzer:
    pytest.importorskip("dlib")
    faces = FaceAnalyzer.from_specs(Runtime(precision="f32"))
    faces.load()
    return faces


def largest(analyzer: FaceAnalyzer, image: np.ndarray) -> tuple[float, str | None]:
    faces = analyzer.analyze(np.ascontiguousarray(image))
    best = max(faces, key=lambda f: f.box[2] * f.box[3])
    return best.box[2], best.quality


def test_a_sharp_frontal_face_is_fit_and_its_worse_copies_are_not(analyzer: FaceAnalyzer) -> None:
    image, _ = decode(shared("faces") / "identities/angelina_jolie/deepface__img1.jpg", 1920)
    side, reason = largest(analyzer, image)
    assert side > 200 and reason is None
    pil = Image.fromarray(image)
    k = 30 / side  # the whole photo shrunk until the face is 30 px
    small = pil.resize((round(pil.width * k), round(pil.height * k)), Image.Resampling.LANCZOS)
    assert largest(analyzer, np.asarray(small)) == (pytest.approx(30, abs=4), SMALL)
    # blurred by a Gaussian of 2 px on a 100 px face (the descriptor moves by ~0.4)
    blurred = pil.filter(ImageFilter.GaussianBlur(2 * side / 100))
    assert largest(analyzer, np.asarray(blurred))[1] == BLURRED


def test_a_turned_face_and_a_false_face(analyzer: FaceAnalyzer) -> None:
    lfw = shared("faces_lfw")
    image, _ = decode(lfw / "identities/bill_clinton/Bill_Clinton_0023.jpg", 1920)
    assert largest(analyzer, image)[1] == TURNED  # head turned well to one side
    image, _ = decode(shared("faces") / "identities/angelina_jolie/facenetpt__angelina_jolie_1.jpg", 1920)
    reasons = sorted(str(f.quality) for f in analyzer.analyze(image))
    assert reasons == ["None", IMPLAUSIBLE]  # her face, and a "face" in her hair
