"""Is a found face fit to be grouped into persons? None, or the reason it is not.

Pure: a detection (box in pixels, score, BlazeFace's 6 keypoints), dlib's 5 landmarks and
optionally the aligned 150 px chip in, a reason string out. A face with a reason is kept (it
is shown and can be named by hand) but should not be clustered: a poor face lies between
persons and can bridge two of them. The reasons, in the order they are tested:

``"implausible landmarks"``
    Geometry no face has: dlib's eyes (centre of each eye's two corners) lie more than
    ``max_eye_disagreement`` (0.5) of the eye distance from BlazeFace's eyes, so at least one
    of the two models did not find eyes and the chip is aligned on something else; the eye
    corners are out of order along the eye line (outer, inner, inner, outer); the nose tip
    is not between the eye line and the mouth; or the mouth lies more than 2 eye distances
    below the eye line (a face's mouth is about 1.1 below it, and no pose projects it
    farther than its 3-D distance, about 1.3). On the shared test photos these caught only
    false detections (hair, a leather jacket, fire wood): real faces disagree by at most 0.44.
``"small"``
    The box side is below ``min_size_px`` (40) pixels of the analysed image. The chip's face
    spans 100 of its 150 px, so such a face is upsampled over 2.5x; measured on faces/ by
    shrinking 89 large faces, the descriptor then moves by more than 0.3 (half of dlib's 0.6
    same-person distance) from the same face at full size for more than 1 face in 10
    (p90 0.29 at 40 px, 0.38 at 32 px).
``"turned"``
    BlazeFace's nose tip lies outside the eyes' span: its offset from the eyes' midpoint along
    the eye line exceeds ``max_nose_offset`` (1.0) half eye distances. With the nose tip
    about 3.5 cm in front of the eyes and 3.2 cm between each eye and the midline, that is a
    head turned by about 40-45 degrees or more.
``"blurred"``
    The chip's face region (contrast-normalised grey) has a Laplacian variance below
    ``min_sharpness`` (0.008): that of chips blurred until their descriptor moves by the same
    0.3 for 1 face in 10 (a Gaussian of 1.25 px on a 100 px face, measured on faces/;
    sharp faces there score 0.07-0.66, faces_lfw's soft 66 px faces 0.015-0.10).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from recognize.config import FacesSettings
from recognize.inference.faces_types import DetectedFace

IMPLAUSIBLE = "implausible landmarks"
SMALL = "small"
TURNED = "turned"
BLURRED = "blurred"
REASONS = (IMPLAUSIBLE, SMALL, TURNED, BLURRED)

CHIP_FACE = slice(25, 125)  # the face inside dlib's 150 px chip (padding 0.25 = 25 px a side)
MAX_MOUTH_DROP = 2.0  # eye distances below the eye line no mouth can project to


_SECTION = FacesSettings()


@dataclass(frozen=True)
class QualitySettings:
    """The ``[faces]`` keys ``quality_<field>`` (defaults from there)."""

    min_size_px: float = _SECTION.quality_min_size_px
    min_sharpness: float = _SECTION.quality_min_sharpness
    max_nose_offset: float = _SECTION.quality_max_nose_offset
    max_eye_disagreement: float = _SECTION.quality_max_eye_disagreement


def _frame(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Midpoint, unit eye-line vector (image-left eye → image-right eye), the unit normal
    pointing to the mouth side of an upright face, and the eye distance."""
    v = right - left
    dist = float(np.hypot(v[0], v[1]))
    u = v / max(dist, 1e-9)
    return (left + right) / 2, u, np.array([-u[1], u[0]]), dist


def nose_offset(keypoints: np.ndarray) -> float:
    """BlazeFace's nose tip along the eye line, from the eyes' midpoint, in half eye
    distances: 0 for a frontal face, beyond ±1 when the nose is outside the eyes' span."""
    kp = np.asarray(keypoints, dtype=np.float64)
    mid, u, _, dist = _frame(kp[0], kp[1])
    return float(np.dot(kp[2] - mid, u) / max(dist / 2, 1e-9))


def implausible(keypoints: np.ndarray, landmarks: np.ndarray, max_disagreement: float) -> bool:
    """True when the landmarks describe no possible face (see the module docstring)."""
    kp = np.asarray(keypoints, dtype=np.float64)
    lm = np.asarray(landmarks, dtype=np.float64)
    # dlib's order: outer and inner corner of the image-right eye, then of the image-left eye
    left, right = (lm[2] + lm[3]) / 2, (lm[0] + lm[1]) / 2
    b_mid, _, b_n, b_dist = _frame(kp[0], kp[1])
    if b_dist <= 0:
        return True
    if max(np.hypot(*(left - kp[0])), np.hypot(*(right - kp[1]))) > max_disagreement * b_dist:
        return True
    mid, u, _, _ = _frame(left, right)
    along = [float(np.dot(lm[i] - mid, u)) for i in (2, 3, 1, 0)]
    if any(a >= b for a, b in itertools.pairwise(along)):
        return True
    nose = float(np.dot(kp[2] - b_mid, b_n)) / b_dist
    mouth = float(np.dot(kp[3] - b_mid, b_n)) / b_dist
    return not (0 < nose < mouth <= MAX_MOUTH_DROP)


def sharpness(chip: np.ndarray) -> float:
    """Variance of the Laplacian of the chip's face region, grey and scaled to unit variance
    (so lighting and contrast do not count, only detail)."""
    grey = np.asarray(chip, dtype=np.float64)[CHIP_FACE, CHIP_FACE].mean(axis=2)
    grey = (grey - grey.mean()) / max(float(grey.std()), 1e-6)
    lap = grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4 * grey[1:-1, 1:-1]
    return float(lap.var())


def assess(
    detection: DetectedFace,
    landmarks: np.ndarray,
    chip: np.ndarray | None = None,
    settings: QualitySettings | None = None,
) -> str | None:
    """None for a face fit for clustering, else the first reason (in :data:`REASONS` order)
    it is not. Without ``chip`` blur is not judged."""
    s = settings or QualitySettings()
    if implausible(detection.keypoints, landmarks, s.max_eye_disagreement):
        return IMPLAUSIBLE
    if max(detection.w, detection.h) < s.min_size_px:
        return SMALL
    if abs(nose_offset(detection.keypoints)) > s.max_nose_offset:
        return TURNED
    if chip is not None and sharpness(chip) < s.min_sharpness:
        return BLURRED
    return None
