"""Photo classification into the 1000 ImageNet classes (EfficientNet-Lite on OpenVINO).

``Classifier(spec, runtime).predict(images)`` takes decoded ``HxWx3`` uint8 RGB arrays (any
size; greyscale ``HxW`` and RGBA are accepted) and returns, per photo, the top-k
``(class id, probability)`` pairs; class ids are WordNet noun ids such as ``n02099601``.
:func:`tags_for` (re-exported here) turns them into tags; ask ``predict`` for
``rules.top_k`` classes so that hypernyms and categories can add up their probabilities.

Probabilities are calibrated by temperature scaling: ``softmax(log p / T)`` with the
model's ``temperature`` from ``models/manifest.toml`` (fitted once per model, see
docs/tags.md), so that a tag at 0.9 is right about nine times in ten. With ``mirror``
(manifest) the probabilities are the mean over the photo and its mirror image.

Pre-processing is the EfficientNet-Lite evaluation recipe (TensorFlow's ``crop_padding``):
a centre square of ``size / (size + 32)`` of the shorter side, resized bicubically to
``size`` (224 px for Lite0, 260 px for Lite2); ``(px - 127) / 128`` runs inside the graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from recognize.errors import ModelError
from recognize.inference.base import Model, ModelSpec, Runtime, load_manifest
from recognize.inference.classify_tags import Prediction, TagResult, tags_for
from recognize.inference.efficientnet import build_efficientnet_lite
from recognize.inference.pth import load_state_dict
from recognize.inference.wordnet_table import imagenet_class_ids

__all__ = ["CLASSIFIERS", "Classifier", "Prediction", "TagResult", "load_classifier", "tags_for"]

CLASSIFIERS = ("efficientnet-lite0", "efficientnet-lite2")


def to_rgb(image: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Return ``HxWx3`` uint8: greyscale is repeated, alpha dropped."""
    a = np.asarray(image)
    if a.dtype != np.uint8:
        raise ModelError(f"classifier expects uint8 pixels, got {a.dtype}")
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 2, 3, 4):
        raise ModelError(f"classifier expects an HxWx3 image, got shape {a.shape}")
    if a.shape[2] in (1, 2):
        a = np.repeat(a[:, :, :1], 3, axis=2)
    return a[:, :, :3]


def centre_crop_resize(image: np.ndarray[Any, Any], size: int, crop_padding: int) -> Any:
    """Centre square of ``size/(size+crop_padding)`` of the shorter side, bicubic to ``size``."""
    from PIL import Image

    a = to_rgb(image)
    h, w = a.shape[:2]
    side = min(h, w) * size / (size + crop_padding)
    box = ((w - side) / 2, (h - side) / 2, (w + side) / 2, (h + side) / 2)
    return np.asarray(Image.fromarray(a).resize((size, size), Image.Resampling.BICUBIC, box=box))


class Classifier(Model):
    """EfficientNet-Lite ImageNet classifier; ``predict`` is batchable and thread-safe."""

    def __init__(self, spec: ModelSpec, runtime: Runtime) -> None:
        super().__init__(spec, runtime)
        self.size = int(spec.input.get("size", 224))
        self.crop_padding = int(spec.input.get("crop_padding", 32))
        self.mean = float(spec.input.get("mean", 127.0))
        self.std = float(spec.input.get("std", 128.0))
        self.temperature = float(spec.input.get("temperature", 1.0))
        self.mirror = bool(spec.input.get("mirror", False))
        self._class_ids: list[str] | None = None

    @property
    def class_ids(self) -> list[str]:
        if self._class_ids is None:
            self._class_ids = imagenet_class_ids()
        return self._class_ids

    def build(self, source: Path) -> Any:
        sd = load_state_dict(source)
        if sd["_fc.weight"].shape[0] != len(self.class_ids):
            raise ModelError(f"{source}: {sd['_fc.weight'].shape[0]} outputs, expected 1000")
        return build_efficientnet_lite(sd, self.size, self.mean, self.std, self.spec.name)

    def warm_up(self, compiled: Any) -> None:
        compiled.create_infer_request().infer([np.zeros((1, self.size, self.size, 3), np.uint8)])

    def preprocess(self, image: np.ndarray[Any, Any]) -> Any:
        return centre_crop_resize(image, self.size, self.crop_padding)

    @property
    def version(self) -> str:
        """The weights and how their output is read (calibration, mirroring)."""
        extra = f"+T{self.temperature:g}" + ("+mirror" if self.mirror else "")
        return super().version + extra

    def probabilities(self, batch: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Run the network on a preprocessed ``[N, size, size, 3]`` uint8 batch (with
        ``mirror``: the mean of the photo's and its left-right mirror image's)."""
        request = self.load().create_infer_request()
        probs = np.array(request.infer([np.ascontiguousarray(batch)])[0])
        if self.mirror:
            flipped = np.ascontiguousarray(batch[:, :, ::-1])
            probs = (probs + np.array(request.infer([flipped])[0])) / 2
        return probs

    def calibrated(self, probs: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Temperature-scaled probabilities (rows sum to 1)."""
        if self.temperature == 1.0:
            return probs
        z = np.log(np.clip(probs.astype(np.float64), 1e-30, None)) / self.temperature
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float32)

    def predict(
        self, images: Sequence[np.ndarray[Any, Any]], top_k: int = 5
    ) -> list[list[Prediction]]:
        """Top-k calibrated ``(class id, probability)`` per image, most probable first."""
        if len(images) == 0:
            return []
        probs = self.calibrated(self.probabilities(np.stack([self.preprocess(im) for im in images])))
        ids = self.class_ids
        top = np.argsort(-probs, axis=1)[:, :top_k]
        return [[(ids[j], float(row[j])) for j in idx] for row, idx in zip(probs, top, strict=True)]


def load_classifier(name: str = "efficientnet-lite0", runtime: Runtime | None = None) -> Classifier:
    """The classifier named in ``models/manifest.toml`` (not loaded until first use)."""
    if name not in CLASSIFIERS:
        raise ModelError(f"unknown classifier {name!r}; choose one of {', '.join(CLASSIFIERS)}")
    specs = load_manifest()
    if name not in specs:
        raise ModelError(f"model {name!r} is missing from models/manifest.toml")
    return Classifier(specs[name], runtime or Runtime())
