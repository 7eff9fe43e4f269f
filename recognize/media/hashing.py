"""Perceptual hashes (imagehash pHash and dHash, 64-bit) of an already decoded photo."""

from __future__ import annotations

import imagehash
import numpy as np
from PIL import Image

# pHash looks at a 32x32 greyscale image and dHash at 9x8: a 64 px copy is plenty and
# makes the hashes independent of the analysis size (and cheap: area averaging only).
_HASH_INPUT = 64


def hashes(pixels: np.ndarray) -> tuple[str, str]:
    """Return (phash, dhash) as 16 hex digits each, from an HxWx3 uint8 array."""
    image = Image.fromarray(np.ascontiguousarray(pixels))
    factor = max(1, min(image.size) // (2 * _HASH_INPUT))
    if factor > 1:
        image = image.reduce(factor)  # integer box average: fast on large arrays
    grey = image.convert("L").resize((_HASH_INPUT, _HASH_INPUT), Image.Resampling.BOX)
    return str(imagehash.phash(grey)), str(imagehash.dhash(grey))
