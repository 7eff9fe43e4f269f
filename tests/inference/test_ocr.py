"""Reading text in photos (PP-OCRv4 from the rapidocr-openvino wheel) on real photos."""

from __future__ import annotations

import numpy as np
import pytest

from recognize.errors import ModelError
from recognize.inference.base import Runtime, load_manifest
from recognize.inference.ocr import TextLine, TextReader, load_text_reader, text_boxes, words
from tests.conftest import shared


def test_regions_of_the_probability_map_become_grown_boxes() -> None:
    prob = np.zeros((64, 128), np.float32)
    prob[10:20, 10:60] = 0.9  # a line of text
    prob[40:42, 100:101] = 0.9  # a speck: too small
    prob[30:50, 70:90] = 0.4  # above the pixel threshold, below the box threshold
    boxes = text_boxes(prob)
    assert len(boxes) == 1
    x0, y0, x1, y1, score = boxes[0]
    assert x0 < 10 and y0 < 10 and x1 > 60 and y1 > 20 and score > 0.5
    assert text_boxes(np.zeros((32, 32), np.float32)) == []


def test_words_are_lower_case_distinct_and_skip_punctuation() -> None:
    lines = [TextLine("Summer HOLIDAY, 2019!", 0.9, (0, 0, 1, 1)),
             TextLine("summer - a", 0.9, (0, 0, 1, 1))]
    assert words(lines) == ["summer", "holiday", "2019"]


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> TextReader:
    try:
        for name in ("ppocr-v4-det", "ppocr-v4-rec"):
            load_manifest()[name].verified_path()
    except ModelError as exc:
        pytest.skip(str(exc))
    return load_text_reader(Runtime(cache_dir=tmp_path_factory.mktemp("ir")))


@pytest.mark.slow
def test_words_drawn_on_a_photo_are_read(reader: TextReader) -> None:
    import pyvips

    photo = shared("imagenet") / "images/n01440764_tench.JPEG"
    base = pyvips.Image.thumbnail(str(photo), 1024, size="down").copy_memory()
    mask = pyvips.Image.text("Beach Holiday 2019", font="sans bold 36px")
    white = base.new_from_image([255, 255, 255]).crop(0, 0, mask.width, mask.height)
    black = base.new_from_image([0, 0, 0]).crop(0, 0, mask.width + 16, mask.height + 16)
    image = base.composite2(black.bandjoin(255), "over", x=12, y=12)
    image = image.composite2(white.bandjoin(mask), "over", x=20, y=20).flatten()
    lines = reader.read(image.cast("uchar").numpy())
    assert {"beach", "holiday", "2019"} <= set(words(lines))
    assert all(0 <= v <= 1 for line in lines for v in line.box)
    assert reader.read(np.zeros((200, 300, 3), np.uint8)) == []  # nothing to read, no error


def test_input_shapes_are_padded_to_a_few_buckets() -> None:
    from recognize.inference.ocr import REC_WIDTHS, bucket, det_buckets

    assert det_buckets(640) == (160, 320, 480, 640)
    assert det_buckets(500) == (160, 320, 480, 512)  # the largest: the side rounded up to 32
    assert [bucket(v, det_buckets(640)) for v in (32, 160, 192, 480, 512, 640)] == [
        160, 160, 320, 480, 640, 640]
    assert len(REC_WIDTHS) == 19 and REC_WIDTHS[-1] == 48 * 25  # the widest line, 25:1
    assert [bucket(v, REC_WIDTHS) for v in (8, 64, 65, 1153, 1200)] == [64, 64, 128, 1200, 1200]
