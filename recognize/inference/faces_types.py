"""Plain results of the face pipeline: what the detector found, and a finished face."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DetectedFace:
    """One BlazeFace detection in pixel coordinates of the array it was found in.

    ``keypoints`` is 6 x 2 (x, y) in BlazeFace's order: the eye on the image's left, the eye
    on the image's right, nose tip, mouth centre, then the ear tragion on the image's left
    and on its right.
    """

    x: float
    y: float
    w: float
    h: float
    score: float
    keypoints: np.ndarray

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.x, self.y, self.w, self.h)


@dataclass(frozen=True)
class Face:
    """A finished face: detection, dlib's 5 landmarks, the aligned chip's 128-D descriptor.

    ``landmarks`` is 5 x 2 in dlib's order (outer and inner corner of one eye, outer and
    inner corner of the other, below the nose); ``embedding`` is float32 (128,), compared by
    Euclidean distance (same person below about 0.6). ``model`` names the weights that made
    the embedding (it changes when they change). ``quality`` is None for a face fit for
    clustering, else why it is not: "small", "blurred", "turned" or "implausible landmarks"
    (see :mod:`recognize.inference.faces_quality`).
    """

    detection: DetectedFace
    landmarks: np.ndarray
    embedding: np.ndarray
    model: str
    quality: str | None = None

    @property
    def box(self) -> tuple[float, float, float, float]:
        return self.detection.box

    @property
    def score(self) -> float:
        return self.detection.score

    @property
    def keypoints(self) -> np.ndarray:
        return self.detection.keypoints
