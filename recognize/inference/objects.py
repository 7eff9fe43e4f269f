"""Objects in a photo: NanoDet (COCO's 80 classes) on OpenVINO, boxes and scores out.

``ObjectDetector(spec, runtime).detect(image)`` takes a decoded ``HxWx3`` uint8 RGB array and
returns :class:`Detection` rows (class name, score, box in 0..1 of the photo). The graph
comes from a TF.js model (:mod:`recognize.inference.tfjs`). Pre- and post-processing follow
NanoDet's own (legacy GFL head) recipe: the photo is resized to 416x416 without keeping its
aspect ratio, BGR, ``(px - mean) / std``; per stride s (8, 16, 32) cell (i, j) is centred at
``((j + 0.5) s, (i + 0.5) s)``, each side's distance is the expectation of a softmax over
``reg_max + 1`` bins times s; scores are sigmoids; boxes of one class whose IoU exceeds 0.6
are suppressed (NanoDet's NMS setting).

:func:`object_tags` turns detections into tags: one per class found ("dog", "person",
"car") with the best score as confidence, and how many there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from recognize.inference.base import Model, ModelSpec, Runtime, load_manifest

COCO_CLASSES = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat",
    "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack",
    "umbrella", "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball",
    "kite", "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket",
    "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair",
    "couch", "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse",
    "remote", "keyboard", "cell phone", "microwave", "oven", "toaster", "sink",
    "refrigerator", "book", "clock", "vase", "scissors", "teddy bear", "hair drier",
    "toothbrush",
)
NMS_IOU = 0.6
# Chosen by bench/objects.py: the score with most person counts inside the labelled range on
# half A of faces/groups (0.583; half B confirms 0.667), ties to the higher score.
MIN_SCORE = 0.4


@dataclass(frozen=True)
class Detection:
    label: str  # COCO class name
    score: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in 0..1 of the photo


@dataclass(frozen=True)
class ObjectTag:
    name: str  # the COCO class name
    confidence: float  # the best detection's score
    count: int  # detections of that class at or above the threshold


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0], others[:, 0])
    y0 = np.maximum(box[1], others[:, 1])
    x1 = np.minimum(box[2], others[:, 2])
    y1 = np.minimum(box[3], others[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return np.asarray(inter / np.maximum(area + areas - inter, 1e-9))


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float = NMS_IOU) -> list[int]:
    """Indices kept by greedy non-maximum suppression, best first."""
    order = list(np.argsort(-scores))
    keep: list[int] = []
    while order:
        i = order.pop(0)
        keep.append(int(i))
        if order:
            rest = np.array(order)
            order = [int(j) for j in rest[_iou(boxes[i], boxes[rest]) <= iou]]
    return keep


def decode(scores: list[np.ndarray], dists: list[np.ndarray], size: int, strides: list[int],
           reg_max: int, min_score: float, max_detections: int = 100) -> list[Detection]:
    """Raw per-stride outputs (N x 80 scores, N x 4(reg_max+1) distances) → detections."""
    boxes, best, labels = [], [], []
    bins = np.arange(reg_max + 1, dtype=np.float32)
    for sc, dist, stride in zip(scores, dists, strides, strict=True):
        cells = size // stride
        cls = sc.argmax(axis=1)
        top = sc[np.arange(len(sc)), cls]
        keep = np.flatnonzero(top >= min_score)
        if keep.size == 0:
            continue
        d = dist[keep].reshape(-1, 4, reg_max + 1)
        d = np.exp(d - d.max(axis=2, keepdims=True))
        d = (d / d.sum(axis=2, keepdims=True)) @ bins * stride
        cx = (keep % cells + 0.5) * stride
        cy = (keep // cells + 0.5) * stride
        b = np.stack([cx - d[:, 0], cy - d[:, 1], cx + d[:, 2], cy + d[:, 3]], axis=1)
        boxes.append(np.clip(b / size, 0.0, 1.0))
        best.append(top[keep])
        labels.append(cls[keep])
    if not boxes:
        return []
    all_boxes, all_scores, all_labels = np.concatenate(boxes), np.concatenate(best), \
        np.concatenate(labels)
    out: list[Detection] = []
    for c in np.unique(all_labels):
        idx = np.flatnonzero(all_labels == c)
        for k in nms(all_boxes[idx], all_scores[idx]):
            j = idx[k]
            box = tuple(float(v) for v in all_boxes[j])
            out.append(Detection(COCO_CLASSES[int(c)], float(all_scores[j]), box))  # type: ignore[arg-type]
    out.sort(key=lambda d: -d.score)
    return out[:max_detections]


class ObjectDetector(Model):
    """NanoDet on OpenVINO; ``detect`` is thread-safe."""

    def __init__(self, spec: ModelSpec, runtime: Runtime) -> None:
        super().__init__(spec, runtime)
        self.size = int(spec.input.get("size", 416))
        self.mean = np.array(spec.input.get("mean", [103.53, 116.28, 123.675]), np.float32)
        self.std = np.array(spec.input.get("std", [57.375, 57.12, 58.395]), np.float32)
        self.reg_max = int(spec.input.get("reg_max", 10))
        self.strides = [int(s) for s in spec.input.get("strides", [8, 16, 32])]
        self.bgr = spec.input.get("colour", "BGR") == "BGR"

    def build(self, source: Path) -> Any:
        import openvino as ov
        from openvino.preprocess import PrePostProcessor

        from recognize.inference.tfjs import read_tfjs

        model = read_tfjs(source)
        ppp = PrePostProcessor(model)  # uint8 RGB NHWC in; BGR, mean/std, NCHW inside
        ppp.input().tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC"))
        ppp.input().model().set_layout(ov.Layout("NCHW"))
        steps = ppp.input().preprocess().convert_element_type(ov.Type.f32)
        if self.bgr:  # mean and std are given in the model's channel order
            steps = steps.reverse_channels()
        steps.mean(self.mean.tolist()).scale(self.std.tolist())
        return ppp.build()

    def warm_up(self, compiled: Any) -> None:
        compiled(np.zeros((1, self.size, self.size, 3), np.uint8))

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        from PIL import Image

        from recognize.inference.classify import to_rgb

        resized = Image.fromarray(to_rgb(image)).resize((self.size, self.size),
                                                        Image.Resampling.BILINEAR)
        return np.asarray(resized)[None]

    def predict(self, image: np.ndarray, min_score: float = MIN_SCORE) -> list[Detection]:
        return self.detect(image, min_score)

    def detect(self, image: np.ndarray, min_score: float = MIN_SCORE) -> list[Detection]:
        """Detections with score >= ``min_score``, best first (boxes in 0..1 of ``image``)."""
        result = self.load()(self.preprocess(image))
        outs = [np.asarray(result[o])[0] for o in self.load().outputs]
        n_cls = len(COCO_CLASSES)
        by_cells = {o.shape[0]: o for o in outs if o.shape[1] == n_cls}
        dist_by_cells = {o.shape[0]: o for o in outs if o.shape[1] != n_cls}
        cells = [(self.size // s) ** 2 for s in self.strides]
        return decode([by_cells[c] for c in cells], [dist_by_cells[c] for c in cells],
                      self.size, self.strides, self.reg_max, min_score)


def object_tags(detections: list[Detection], min_score: float) -> list[ObjectTag]:
    """One tag per class with a detection at or above ``min_score``: best score, count."""
    found: dict[str, list[float]] = {}
    for d in detections:
        if d.score >= min_score:
            found.setdefault(d.label, []).append(d.score)
    tags = [ObjectTag(name, max(s), len(s)) for name, s in found.items()]
    return sorted(tags, key=lambda t: (-t.confidence, t.name))


def load_object_detector(name: str = "nanodet", runtime: Runtime | None = None) -> ObjectDetector:
    return ObjectDetector(load_manifest()[name], runtime or Runtime())
