"""EXIF orientation (1-8) applied to an HxWxC array."""

from __future__ import annotations

import numpy as np


def orient_array(pixels: np.ndarray, orientation: int | None) -> np.ndarray:
    """Return ``pixels`` turned upright for the given EXIF orientation (a view when possible)."""
    if orientation == 2:
        return pixels[:, ::-1]
    if orientation == 3:
        return pixels[::-1, ::-1]
    if orientation == 4:
        return pixels[::-1]
    if orientation == 5:
        return pixels.transpose(1, 0, 2)
    if orientation == 6:
        return np.rot90(pixels, k=-1)
    if orientation == 7:
        return np.rot90(pixels, k=1)[:, ::-1]
    if orientation == 8:
        return np.rot90(pixels, k=1)
    return pixels
