"""Face detection on a whole photo: BlazeFace over a pyramid of tiles, merged by NMS."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from recognize.config import FacesSettings
from recognize.inference.blazeface import INPUT_SIZE, BlazeFace
from recognize.inference.faces_colour import could_be_skin
from recognize.inference.faces_tiles import Tile, plan_levels, render_tiles
from recognize.inference.faces_types import DetectedFace

_SECTION = FacesSettings()  # the defaults of the keys that are config keys: declared there


@dataclass(frozen=True)
class DetectorSettings:
    """Detector knobs; the defaults are MediaPipe's published values where it has them. The
    first five are the ``[faces]`` keys of the same names (and take their defaults)."""

    min_score: float = _SECTION.min_score  # MediaPipe's min_score_thresh (full-range model)
    min_size_px: float = _SECTION.min_size_px  # smallest box side kept, pixels of the array
    min_size_fraction: float = _SECTION.min_size_fraction  # ... and of the shorter side
    max_faces: int = _SECTION.max_faces  # most confident faces kept per photo
    max_blue_chroma: float = _SECTION.max_blue_chroma  # bluer centres are no face (faces_colour)
    nms_iou: float = 0.3  # MediaPipe's min_suppression_threshold
    max_face_fraction: float = 1.0  # largest face looked for, as a fraction of the longer side
    edge_margin: float = 0.01  # a box this close to an inner tile edge may be cut: dropped

    def min_face(self, width: int, height: int) -> float:
        return max(self.min_size_px, self.min_size_fraction * min(width, height), 1.0)

    def max_face(self, width: int, height: int) -> float:
        return self.max_face_fraction * max(width, height)


def weighted_nms(rows: np.ndarray, scores: np.ndarray, iou: float) -> tuple[np.ndarray, np.ndarray]:
    """MediaPipe's weighted NMS: each kept row is the score-weighted mean of the rows that
    overlap the best remaining one by more than ``iou``. Rows start with x0, y0, x1, y1."""
    order = np.argsort(-scores)
    rows, scores = rows[order], scores[order]
    kept_rows, kept_scores = [], []
    alive = np.ones(len(rows), bool)
    for i in range(len(rows)):
        if not alive[i]:
            continue
        group = alive & (_iou(rows[i, :4], rows[:, :4]) > iou)
        group[i] = True
        weights = scores[group][:, None]
        kept_rows.append((rows[group] * weights).sum(0) / weights.sum())
        kept_scores.append(scores[i])
        alive &= ~group
    if not kept_rows:
        return rows[:0], scores[:0]
    return np.array(kept_rows), np.array(kept_scores)


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    ix = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = ix * iy
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return np.asarray(inter / np.maximum(area + areas - inter, 1e-9))


class FaceDetector:
    """Finds faces in an H x W x 3 uint8 RGB array (decoded, auto-oriented)."""

    def __init__(self, model: BlazeFace, settings: DetectorSettings | None = None) -> None:
        self.model = model
        self.settings = settings or DetectorSettings()

    @property
    def version(self) -> str:
        # pyramid@2: a padded pass finds faces that fill the photo (close-ups); skin@1: no
        # face is bluer than grey (faces_colour)
        return f"{self.model.version}+pyramid@2+skin@1"

    def detect(self, image: np.ndarray) -> list[DetectedFace]:
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected H x W x 3 uint8 RGB, got {image.shape} {image.dtype}")
        s = self.settings
        height, width = image.shape[:2]
        min_face = s.min_face(width, height)
        levels = plan_levels(width, height, min_face, s.max_face(width, height))
        rendered = list(render_tiles(Image.fromarray(image), levels))
        tiles = [t for t, _ in rendered]
        batch = np.stack([pixels for _, pixels in rendered])
        rows, row_scores = [], []
        for tile, (dec, sc) in zip(tiles, self.model.predict(batch, s.min_score), strict=True):
            r, q = self._tile_candidates(tile, dec, sc, width, height, levels[tile.level].min_face)
            rows.append(r)
            row_scores.append(q)
        merged, merged_scores = weighted_nms(np.concatenate(rows), np.concatenate(row_scores), s.nms_iou)
        faces = [self._face(r, q) for r, q in zip(merged, merged_scores, strict=True)]
        faces = [f for f in faces if min(f.w, f.h) >= min_face and could_be_skin(image, f, s.max_blue_chroma)]
        return faces[: s.max_faces]

    def _tile_candidates(
        self, tile: Tile, dec: np.ndarray, sc: np.ndarray, width: int, height: int, min_side: float
    ) -> tuple[np.ndarray, np.ndarray]:
        s = self.settings
        side = np.minimum(dec[:, 2] - dec[:, 0], dec[:, 3] - dec[:, 1]) * INPUT_SIZE
        valid = (side > 0) & (side >= min_side)
        dec, sc = dec[valid], sc[valid]
        rows = tile.to_photo(dec.reshape(-1, 2)).reshape(-1, 16)
        inner = np.array([tile.touches_inner_edge(r, width, height, s.edge_margin) for r in rows], dtype=bool)
        if len(rows):
            rows, sc = rows[~inner], sc[~inner]
        rows, sc = weighted_nms(rows, sc, s.nms_iou)
        return rows.reshape(-1, 16), sc

    @staticmethod
    def _face(row: np.ndarray, score: float) -> DetectedFace:
        x0, y0, x1, y1 = (float(v) for v in row[:4])
        return DetectedFace(x0, y0, x1 - x0, y1 - y0, float(score), row[4:].reshape(6, 2).astype(np.float32))
