"""The face pipeline: detect (BlazeFace) → align (dlib 5 points, 150 px chip) → embed (ResNet).

Pure: an H x W x 3 uint8 RGB array in (decoded, auto-oriented, at analysis size), a list of
:class:`Face` out. Each stage is its own object so the job cascade can run them separately.
Every face carries ``quality``: None, or why it should not be clustered
(:mod:`recognize.inference.faces_quality`).
"""

from __future__ import annotations

import numpy as np

from recognize.inference.base import ModelSpec, Runtime, load_manifest
from recognize.inference.blazeface import BlazeFace
from recognize.inference.dlib_resnet import FaceEmbedder
from recognize.inference.faces_detect import DetectorSettings, FaceDetector
from recognize.inference.faces_quality import QualitySettings, assess
from recognize.inference.faces_types import DetectedFace, Face
from recognize.inference.landmarks import Landmarker

__all__ = ["DetectedFace", "DetectorSettings", "Face", "FaceAnalyzer", "QualitySettings"]

DETECTOR = "blazeface_full_range"
LANDMARKS = "dlib_shape_predictor_5"
EMBEDDER = "dlib_face_resnet_v1"


class FaceAnalyzer:
    """Runs the three face stages on one photo; thread-safe once loaded."""

    def __init__(
        self,
        detector: FaceDetector,
        landmarker: Landmarker,
        embedder: FaceEmbedder,
        quality: QualitySettings | None = None,
    ) -> None:
        self.detector = detector
        self.landmarker = landmarker
        self.embedder = embedder
        self.quality = quality or QualitySettings()

    @classmethod
    def from_specs(
        cls,
        runtime: Runtime,
        settings: DetectorSettings | None = None,
        *,
        mirror: bool = False,
        specs: dict[str, ModelSpec] | None = None,
        quality: QualitySettings | None = None,
    ) -> FaceAnalyzer:
        specs = specs if specs is not None else load_manifest()
        return cls(
            FaceDetector(BlazeFace(specs[DETECTOR], runtime), settings),
            Landmarker(specs[LANDMARKS]),
            FaceEmbedder(specs[EMBEDDER], runtime, mirror=mirror),
            quality,
        )

    @property
    def version(self) -> str:
        """Identity of everything that shapes a face's embedding."""
        return f"{self.detector.version}+{self.landmarker.version}+{self.embedder.version}"

    def load(self) -> None:
        self.detector.model.load()
        self.landmarker.load()
        self.embedder.load()

    def analyze(self, image: np.ndarray) -> list[Face]:
        return self.describe(image, self.detector.detect(image))

    def describe(self, image: np.ndarray, detections: list[DetectedFace]) -> list[Face]:
        """Landmarks and embeddings for faces already detected in ``image``."""
        return self.describe_with_chips(image, detections)[0]

    def describe_with_chips(
        self, image: np.ndarray, detections: list[DetectedFace]
    ) -> tuple[list[Face], np.ndarray]:
        """:meth:`describe`, and the N x 150 x 150 x 3 aligned chips the embeddings came from."""
        landmarks, chips = self.landmarker.align(image, detections)
        embeddings = self.embedder.predict(chips)
        faces = [
            Face(det, lm, emb, self.version, assess(det, lm, chip, self.quality))
            for det, lm, emb, chip in zip(detections, landmarks, embeddings, chips, strict=True)
        ]
        return faces, chips
