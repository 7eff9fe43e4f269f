"""Text in photos: PP-OCRv4 detection + recognition (from the rapidocr-openvino wheel) on OpenVINO.

``TextReader(runtime).read(image)`` takes a decoded ``HxWx3`` uint8 RGB array and returns
:class:`TextLine` rows (text, score, box in 0..1 of the photo). Only the ONNX files and the
character list of the ``rapidocr-openvino`` wheel are used (installed ``--no-deps``; its
Python code needs OpenCV); pre- and post-processing are written here with numpy/scipy,
following RapidOCR's ``config.yaml``:

* detection (DB): the photo scaled down so that its longer side is at most ``DET_SIDE``
  (640) px — never up —, rounded to multiples of 32, BGR, ``(px/255 - 0.5) / 0.5``, padded
  (edge pixels repeated) to the next multiple of ``DET_STEP`` (160) on each side; the
  probability map, cropped back, is thresholded at 0.3 and dilated (2x2); each connected
  region whose mean probability reaches 0.5 becomes an axis-aligned box grown by
  ``area * 1.6 / perimeter`` (DB's unclip);
* recognition (CTC): each box is cut from the photo, scaled to 48 px high (width by its
  aspect ratio, at most 48 * 25), normalised the same way, padded with 0 to the next
  multiple of ``REC_STEP`` (64) px, one line per call; greedy CTC decoding over the 6623
  characters of ``ppocr_keys_v1.txt`` (+ blank, + space); a line is kept when its mean
  character probability reaches 0.5.

Input shapes are bucketed because OpenVINO keeps memory per input shape it has run
(about 10 MB per recogniser shape): free shapes made a worker grow with every photo read.

A photo without text regions costs the detector only: recognition never runs on it.
Rotated text (beyond a few degrees) is not handled — boxes are axis-aligned.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from recognize.inference.base import Model, ModelSpec, Runtime, load_manifest

DET_SIDE = 640  # longest side for detection; smaller photos are not enlarged (docs/ocr.md)
DET_THRESHOLD = 0.3
BOX_THRESHOLD = 0.5
UNCLIP_RATIO = 1.6
MIN_BOX_PX = 3
REC_HEIGHT = 48
REC_MAX_RATIO = 25
# Input shapes are padded up to a few buckets (docs/ocr.md "Memory"): OpenVINO keeps memory
# per input shape it has seen, so free shapes made the RSS grow with every photo read.
DET_STEP = 160  # detector height and width: multiples of this (<= DET_SIDE: 16 shapes)
REC_STEP = 64  # recogniser width: multiples of this, up to 48 * REC_MAX_RATIO (19 shapes)
REC_WIDTHS = (*range(REC_STEP, REC_HEIGHT * REC_MAX_RATIO, REC_STEP), REC_HEIGHT * REC_MAX_RATIO)
TEXT_SCORE = 0.5
MAX_LINES = 50
# Part of the reader's version: bump it when pre- or post-processing changes what is read
# (2: bucketed input shapes, one line per recogniser call).
PROCESSING = 2
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class TextLine:
    text: str
    score: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in 0..1 of the photo


def words(lines: list[TextLine], min_length: int = 2) -> list[str]:
    """Distinct lower-case words of the lines (letters and digits), in reading order."""
    seen: dict[str, None] = {}
    for line in lines:
        for w in _WORD.findall(line.text.lower()):
            if len(w) >= min_length:
                seen.setdefault(w, None)
    return list(seen)


def _normalise(bgr_u8: np.ndarray) -> np.ndarray:
    return ((bgr_u8.astype(np.float32) / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)


def _resize(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(rgb).resize((width, height), Image.Resampling.BILINEAR))


def text_boxes(prob: np.ndarray) -> list[tuple[int, int, int, int, float]]:
    """DB post-processing of one probability map: ``(x0, y0, x1, y1, score)`` in map pixels."""
    from scipy import ndimage

    mask = ndimage.binary_dilation(prob > DET_THRESHOLD, structure=np.ones((2, 2), bool))
    labels, count = ndimage.label(mask)
    if count == 0:
        return []
    out = []
    h, w = prob.shape
    scores = ndimage.mean(prob, labels, index=np.arange(1, count + 1))
    for i, sl in enumerate(ndimage.find_objects(labels)):
        if sl is None:
            continue
        y0, y1, x0, x1 = sl[0].start, sl[0].stop, sl[1].start, sl[1].stop
        bw, bh = x1 - x0, y1 - y0
        if min(bw, bh) < MIN_BOX_PX or scores[i] < BOX_THRESHOLD:
            continue
        grow = bw * bh * UNCLIP_RATIO / (2 * (bw + bh))
        out.append((max(0, int(x0 - grow)), max(0, int(y0 - grow)),
                    min(w, int(np.ceil(x1 + grow))), min(h, int(np.ceil(y1 + grow))),
                    float(scores[i])))
    return out


def bucket(value: int, sizes: tuple[int, ...]) -> int:
    """The smallest of ``sizes`` (ascending) holding ``value``; the largest when none does."""
    return next((s for s in sizes if s >= value), sizes[-1])


def det_buckets(side: int) -> tuple[int, ...]:
    """Detector input sides for photos scaled to at most ``side``: multiples of DET_STEP,
    and ``side`` rounded up to 32 (the detector's stride) as the largest."""
    top = -(-side // 32) * 32
    return (*range(DET_STEP, top, DET_STEP), top)


class _OnnxModel(Model):
    def build(self, source: Path) -> Any:
        return self.runtime.core().read_model(str(source))

    def predict(self, batch: np.ndarray) -> np.ndarray:
        result = self.load().create_infer_request().infer([np.ascontiguousarray(batch)])
        return np.asarray(result[0])


def _charset(spec: ModelSpec) -> list[str]:
    keys = spec.path().parents[1] / str(spec.input.get("keys", "ch_ppocr_rec/ppocr_keys_v1.txt"))
    chars = keys.read_text(encoding="utf-8").split("\n")
    if chars and chars[-1] == "":
        chars.pop()
    return ["", *chars, " "]


class TextReader:
    """Detection and recognition models; ``read`` is thread-safe."""

    def __init__(self, det: ModelSpec, rec: ModelSpec, runtime: Runtime) -> None:
        self.det = _OnnxModel(det, runtime)
        self.rec = _OnnxModel(rec, runtime)
        self._chars: list[str] | None = None
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        return f"{self.det.version}+{self.rec.version}+p{PROCESSING}"

    def chars(self) -> list[str]:
        with self._lock:
            if self._chars is None:
                self._chars = _charset(self.rec.spec)
            return self._chars

    def detect(self, image: np.ndarray) -> list[tuple[int, int, int, int, float]]:
        """Text boxes in photo pixels."""
        from recognize.inference.classify import to_rgb

        rgb = to_rgb(image)
        h, w = rgb.shape[:2]
        scale = min(1.0, DET_SIDE / max(h, w))  # enlarging small photos splits their text
        dh, dw = (max(32, round(v * scale / 32) * 32) for v in (h, w))
        sides = det_buckets(DET_SIDE)
        small = _resize(rgb, dw, dh)[:, :, ::-1]
        pad = ((0, bucket(dh, sides) - dh), (0, bucket(dw, sides) - dw), (0, 0))
        batch = _normalise(np.pad(small, pad, mode="edge"))[None]  # edge: no border to read
        prob = self.det.predict(batch)[0, 0, :dh, :dw]
        sx, sy = w / dw, h / dh
        return [(int(x0 * sx), int(y0 * sy), int(np.ceil(x1 * sx)), int(np.ceil(y1 * sy)), s)
                for x0, y0, x1, y1, s in text_boxes(prob)]

    def recognise(self, image: np.ndarray,
                  boxes: list[tuple[int, int, int, int, float]]) -> list[tuple[str, float]]:
        from recognize.inference.classify import to_rgb

        rgb = to_rgb(image)
        crops = []
        for x0, y0, x1, y1, _ in boxes:
            crop = rgb[y0:y1, x0:x1]
            ratio = min(crop.shape[1] / max(crop.shape[0], 1), REC_MAX_RATIO)
            crops.append(_resize(crop, max(8, int(np.ceil(REC_HEIGHT * ratio))), REC_HEIGHT))
        if not crops:
            return []
        probs = []
        for crop in crops:  # one line per call: a batch would add its size to the shapes
            batch = np.zeros((1, 3, REC_HEIGHT, bucket(crop.shape[1], REC_WIDTHS)), np.float32)
            batch[0, :, :, : crop.shape[1]] = _normalise(crop[:, :, ::-1])  # 0 as RapidOCR pads
            probs.append(self.rec.predict(batch)[0])
        return self._decode(probs)

    def _decode(self, probs: list[np.ndarray]) -> list[tuple[str, float]]:
        chars = self.chars()
        out = []
        for row in probs:
            best, conf = row.argmax(axis=1), row.max(axis=1)
            keep = np.ones(len(best), bool)
            keep[1:] = best[1:] != best[:-1]
            keep &= best != 0
            text = "".join(chars[i] if i < len(chars) else "" for i in best[keep])
            out.append((text.strip(), float(conf[keep].mean()) if keep.any() else 0.0))
        return out

    def read(self, image: np.ndarray) -> list[TextLine]:
        """Lines of text with score >= ``TEXT_SCORE``, top to bottom."""
        h, w = image.shape[:2]
        boxes = sorted(self.detect(image), key=lambda b: -b[4])[:MAX_LINES]
        boxes.sort(key=lambda b: (b[1], b[0]))
        lines = []
        for (x0, y0, x1, y1, _), (text, score) in zip(boxes, self.recognise(image, boxes),
                                                       strict=True):
            if text and score >= TEXT_SCORE:
                lines.append(TextLine(text, score, (x0 / w, y0 / h, x1 / w, y1 / h)))
        return lines


def load_text_reader(runtime: Runtime | None = None) -> TextReader:
    specs = load_manifest()
    return TextReader(specs["ppocr-v4-det"], specs["ppocr-v4-rec"], runtime or Runtime())
