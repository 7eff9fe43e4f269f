"""Photos as plain RGB arrays for the face benchmarks and their tests: a libvips thumbnail,
no colour management — the pixels dlib's own tools would see."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def thumbnail_rgb(path: Path, max_side: int) -> np.ndarray:
    """``path`` shrunk to fit ``max_side`` (EXIF orientation applied) as a contiguous uint8
    height x width x 3 array; grey becomes sRGB, an alpha band is dropped."""
    import pyvips

    image = pyvips.Image.thumbnail(str(path), max_side, size="down")
    if image.bands < 3:
        image = image.colourspace("srgb")
    pixels = np.ndarray(
        buffer=image.write_to_memory(),
        dtype=np.uint8,
        shape=(image.height, image.width, image.bands),
    )
    return np.ascontiguousarray(pixels[..., :3])
