"""The object detector (NanoDet from its TF.js graph) on real photos, and the TF.js reader."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from recognize.errors import ModelError
from recognize.inference import tfjs
from recognize.inference.base import Runtime, load_manifest
from recognize.inference.objects import (
    COCO_CLASSES,
    Detection,
    ObjectDetector,
    load_object_detector,
    nms,
    object_tags,
)
from tests.conftest import shared


def test_protobuf_varints_match_the_wire_format() -> None:
    assert tfjs._varint(1) == b"\x01"
    assert tfjs._varint(300) == b"\xac\x02"
    assert tfjs._varint(-1) == b"\xff" * 9 + b"\x01"  # int64 two's complement, 10 bytes


def test_weights_are_dequantised_and_checked(tmp_path: Path) -> None:
    half = np.array([1.5, -2.0], np.float16)
    (tmp_path / "w.bin").write_bytes(half.tobytes() + np.array([7], np.int32).tobytes()
                                     + np.array([0, 255], np.uint8).tobytes())
    manifest = {"weightsManifest": [{"paths": ["w.bin"], "weights": [
        {"name": "a", "shape": [2], "dtype": "float32",
         "quantization": {"dtype": "float16", "original_dtype": "float32"}},
        {"name": "b", "shape": [], "dtype": "int32"},
        {"name": "c", "shape": [2], "dtype": "float32",
         "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.0}}]}]}
    w = tfjs.read_weights(manifest, tmp_path)
    assert w["a"].tolist() == [1.5, -2.0] and w["b"].tolist() == 7
    assert w["c"].tolist() == [-1.0, 126.5]
    manifest["weightsManifest"][0]["weights"].pop()
    with pytest.raises(ModelError, match="left over"):
        tfjs.read_weights(manifest, tmp_path)


def test_not_a_graph_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"format": "layers-model"}))
    with pytest.raises(ModelError, match=r"not a TF\.js graph model"):
        tfjs.graph_def(path)


def test_nms_and_tags_count_each_class() -> None:
    boxes = np.array([[0, 0, 0.5, 0.5], [0.02, 0, 0.52, 0.5], [0.6, 0.6, 1, 1]], np.float32)
    assert nms(boxes, np.array([0.9, 0.8, 0.7])) == [0, 2]
    found = [Detection("person", 0.8, (0, 0, 1, 1)), Detection("person", 0.5, (0, 0, 1, 1)),
             Detection("dog", 0.45, (0, 0, 1, 1)), Detection("person", 0.2, (0, 0, 1, 1))]
    tags = object_tags(found, 0.4)
    assert [(t.name, t.count) for t in tags] == [("person", 2), ("dog", 1)]
    assert len(COCO_CLASSES) == 80


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> ObjectDetector:
    try:
        load_manifest()["nanodet"].verified_path()
    except ModelError as exc:
        pytest.skip(str(exc))
    return load_object_detector("nanodet", Runtime(cache_dir=tmp_path_factory.mktemp("ir")))


def decode(path: Path) -> np.ndarray:
    import pyvips

    return pyvips.Image.thumbnail(str(path), 1024, size="down").numpy()


@pytest.mark.slow
def test_people_and_a_dog_on_real_photos(detector: ObjectDetector) -> None:
    faces = shared("faces")
    found = detector.detect(decode(faces / "groups/facerec__two_people.jpg"), 0.4)
    assert sum(d.label == "person" for d in found) == 2
    for d in found:
        x0, y0, x1, y1 = d.box
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
    imagenet = shared("imagenet")
    dog = detector.detect(decode(imagenet / "images/n02091831_Saluki.JPEG"), 0.4)
    assert "dog" in {d.label for d in dog}
    assert detector.detect(np.zeros((300, 200, 3), np.uint8), 0.4) == []


def test_the_cached_graph_follows_the_input_spec(tmp_path: Path) -> None:
    import dataclasses

    spec = load_manifest()["nanodet"]
    a = ObjectDetector(spec, Runtime(cache_dir=tmp_path))
    b = ObjectDetector(dataclasses.replace(spec, input={**spec.input, "colour": "RGB"}),
                       Runtime(cache_dir=tmp_path))
    ir_a, ir_b = a._cached_ir(), b._cached_ir()
    assert ir_a is not None and ir_b is not None and ir_a != ir_b
    assert ir_a == ObjectDetector(spec, Runtime(cache_dir=tmp_path))._cached_ir()
