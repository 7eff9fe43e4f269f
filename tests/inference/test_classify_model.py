"""EfficientNet-Lite on OpenVINO against real ImageNet photos (../shared/data/imagenet)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from recognize.errors import ModelError
from recognize.inference.base import Runtime
from recognize.inference.classify import Classifier, load_classifier
from tests.conftest import shared

# Photos of one object filling the frame whose label Lite0 ranks first with probability
# >= 0.7 (measured once); the test asks only that the label is in the top 5.
CLEAR = ["tench", "black_swan", "tiger_beetle", "water_tower", "hook", "Tibetan_terrier"]


def decode(path: Path) -> np.ndarray:
    import pyvips

    return np.asarray(pyvips.Image.thumbnail(str(path), 512, size="down").numpy())


def rows() -> list[dict[str, str]]:
    with (shared("imagenet") / "labels.csv").open() as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def lite0(tmp_path_factory: pytest.TempPathFactory) -> Classifier:
    return load_classifier("efficientnet-lite0", Runtime(cache_dir=tmp_path_factory.mktemp("ir")))


@pytest.fixture(scope="module")
def photos() -> list[tuple[str, np.ndarray]]:
    root = shared("imagenet")
    return [(r["wnid"], decode(root / r["file"])) for r in rows()]


def test_clear_photos_have_their_label_in_top5(lite0: Classifier) -> None:
    root = shared("imagenet")
    picked = [r for r in rows() if r["name"] in CLEAR]
    assert len(picked) == len(CLEAR)
    preds = lite0.predict([decode(root / r["file"]) for r in picked], top_k=5)
    for r, top in zip(picked, preds, strict=True):
        assert r["wnid"] in [c for c, _ in top], (r["name"], top)
        assert top[0][1] >= top[-1][1]


def _accuracy(model: Classifier, photos: list[tuple[str, np.ndarray]]) -> tuple[float, float]:
    top1 = top5 = 0
    for i in range(0, len(photos), 16):
        chunk = photos[i : i + 16]
        for (label, _), top in zip(chunk, model.predict([a for _, a in chunk]), strict=True):
            top1 += top[0][0] == label
            top5 += label in [c for c, _ in top]
    return top1 / len(photos), top5 / len(photos)


def test_lite0_accuracy_floor(lite0: Classifier, photos: list[tuple[str, np.ndarray]]) -> None:
    # published ImageNet top-1 is 75.1 %; the floor leaves room for 250 photos' sampling error
    top1, top5 = _accuracy(lite0, photos)
    assert top1 >= 0.65, top1
    assert top5 >= 0.85, top5


def test_lite2_accuracy_floor(
    photos: list[tuple[str, np.ndarray]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    lite2 = load_classifier("efficientnet-lite2", Runtime(cache_dir=tmp_path_factory.mktemp("ir")))
    top1, top5 = _accuracy(lite2, photos[::2])  # published top-1 77.6 %
    assert top1 >= 0.65, top1
    assert top5 >= 0.85, top5


def test_batch_equals_single_and_greyscale(
    lite0: Classifier, photos: list[tuple[str, np.ndarray]]
) -> None:
    images = [a for _, a in photos[:4]]
    grey = next(a for _, a in photos if a.ndim == 2 or a.shape[2] == 1)
    images.append(grey)
    batch = lite0.predict(images, top_k=3)
    for image, together in zip(images, batch, strict=True):
        alone = lite0.predict([image], top_k=3)[0]
        assert together[0][0] == alone[0][0]
        assert abs(together[0][1] - alone[0][1]) < 0.01  # bf16 on AMX CPUs
    probs = lite0.probabilities(np.stack([lite0.preprocess(a) for a in images]))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-3)


def test_cached_ir_and_version(lite0: Classifier) -> None:
    lite0.load()
    assert lite0.version.startswith("efficientnet-lite0@57934424")
    cached = list(Path(lite0.runtime.cache_dir or ".").glob("efficientnet-lite0-*.xml"))
    assert cached, "converted IR was not cached"
    again = load_classifier("efficientnet-lite0", lite0.runtime)
    assert again.predict([np.zeros((300, 200, 3), np.uint8)], top_k=1)[0][0][0].startswith("n")


def test_bad_input_and_unknown_model(lite0: Classifier) -> None:
    assert lite0.predict([]) == []
    with pytest.raises(ModelError, match="uint8"):
        lite0.predict([np.zeros((10, 10, 3), np.float32)])
    with pytest.raises(ModelError, match="unknown classifier"):
        load_classifier("resnet50")
