"""The chroma cross-check: no face is bluer than grey; skin of any tone and grey pass."""

from __future__ import annotations

import numpy as np
import pytest

from recognize.config import FacesSettings
from recognize.inference.faces_colour import blue_chroma, could_be_skin
from recognize.inference.faces_types import DetectedFace

MAX_BLUE_CHROMA = FacesSettings().max_blue_chroma  # the default limit

BOX = DetectedFace(20, 20, 40, 40, 0.9, np.zeros((6, 2), np.float32))


def photo(rgb: tuple[int, int, int]) -> np.ndarray:
    image = np.full((80, 80, 3), (30, 120, 30), np.uint8)  # a green background
    image[30:50, 30:50] = rgb  # the middle half of the box: all that is looked at
    return image


@pytest.mark.parametrize("rgb", [(224, 172, 140), (141, 85, 36), (60, 40, 30), (255, 219, 172),
                                 (128, 128, 128), (20, 20, 20), (235, 235, 235)])
def test_skin_of_any_tone_and_grey_pass(rgb: tuple[int, int, int]) -> None:
    assert blue_chroma(photo(rgb), BOX) <= 0.5
    assert could_be_skin(photo(rgb), BOX, MAX_BLUE_CHROMA)


@pytest.mark.parametrize("rgb", [(150, 150, 230), (190, 180, 240), (90, 110, 200)])
def test_blue_and_violet_are_no_face(rgb: tuple[int, int, int]) -> None:
    assert blue_chroma(photo(rgb), BOX) > MAX_BLUE_CHROMA
    assert not could_be_skin(photo(rgb), BOX, MAX_BLUE_CHROMA)


def test_a_cold_tinted_black_and_white_photo_passes() -> None:
    assert could_be_skin(photo((120, 124, 130)), BOX, MAX_BLUE_CHROMA)  # a slight blue cast


def test_a_box_outside_the_photo_passes() -> None:
    outside = DetectedFace(200, 200, 10, 10, 0.9, np.zeros((6, 2), np.float32))
    assert blue_chroma(photo((150, 150, 230)), outside) == 0.0
