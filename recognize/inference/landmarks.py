"""dlib's 5-point landmarks and its 150 px face chips, from BlazeFace boxes.

The landmark model is dlib's regression-tree cascade (``shape_predictor_5_face_landmarks.dat``)
evaluated by dlib-bin. It was trained on the square boxes of dlib's own HOG/MMOD detectors,
so a BlazeFace box is first mapped to the box dlib's HOG detector would draw around the same
face: both are square and share their centre (median offset under 1 % of the side on 211
faces of the shared test photos), and dlib's box side is 0.93 of BlazeFace's (median ratio;
interquartile range 0.87-0.98). The chip is dlib's ``get_face_chip(size=150, padding=0.25)``,
the alignment its face-recognition ResNet was trained with.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from recognize.errors import ModelError
from recognize.inference.base import ModelSpec
from recognize.inference.faces_types import DetectedFace

HOG_BOX_SCALE = 0.93  # dlib HOG box side / BlazeFace box side (median, measured)
CHIP_SIZE = 150
CHIP_PADDING = 0.25


def dlib_box(face: DetectedFace, scale: float = HOG_BOX_SCALE) -> tuple[int, int, int, int]:
    """The square (left, top, right, bottom) box dlib's HOG detector would give ``face``."""
    cx, cy = face.x + face.w / 2, face.y + face.h / 2
    half = max(face.w, face.h) * scale / 2
    return (round(cx - half), round(cy - half), round(cx + half), round(cy + half))


class Landmarker:
    """Five landmarks per face and the aligned 150x150 RGB chips, via dlib-bin."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self._predictor: Any = None
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        return f"{self.spec.name}@{self.spec.sha256[:12]}"

    def load(self) -> Any:
        if self._predictor is None:
            with self._lock:
                if self._predictor is None:
                    self._predictor = self._load()
        return self._predictor

    def _load(self) -> Any:
        path = self.spec.verified_path()
        try:
            import dlib
        except ImportError as exc:
            raise ModelError(f"model {self.spec.name!r} needs dlib-bin (pip install dlib-bin)") from exc
        try:
            return dlib.shape_predictor(str(path))
        except RuntimeError as exc:
            raise ModelError(f"model {self.spec.name!r}: cannot read {path}: {exc}") from exc

    def align(self, image: np.ndarray, faces: list[DetectedFace]) -> tuple[np.ndarray, np.ndarray]:
        """Return (N x 5 x 2 float32 landmarks, N x 150 x 150 x 3 uint8 chips)."""
        import dlib

        if not faces:
            return np.zeros((0, 5, 2), np.float32), np.zeros((0, CHIP_SIZE, CHIP_SIZE, 3), np.uint8)
        predictor = self.load()
        image = np.ascontiguousarray(image, dtype=np.uint8)
        shapes = dlib.full_object_detections()
        for face in faces:
            shapes.append(predictor(image, dlib.rectangle(*dlib_box(face))))
        points = np.array(
            [[(s.part(i).x, s.part(i).y) for i in range(s.num_parts)] for s in shapes],
            dtype=np.float32,
        )
        chips = dlib.get_face_chips(image, shapes, size=CHIP_SIZE, padding=CHIP_PADDING)
        return points, np.stack([np.asarray(c, dtype=np.uint8) for c in chips])
