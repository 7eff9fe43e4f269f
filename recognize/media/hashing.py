"""Perceptual hashes of an already decoded photo.

``hashes`` gives the plain 64-bit pHash and dHash (imagehash) shown by the API. ``near_code``
is what duplicates are found by: four 64-bit hashes of different kinds (pHash: DCT signs,
dHash: horizontal gradients, aHash: brightness above the mean, wHash: Haar wavelet) of the
photo with its letterbox/pillarbox bars trimmed, followed by the same four of its mirror
image — 2 x 256 bits as 128 hex digits. How two codes are compared lives in
``recognize.clustering.duplicates``.
"""

from __future__ import annotations

import imagehash
import numpy as np
from PIL import Image

# pHash looks at a 32x32 greyscale image and dHash at 9x8: a 64 px copy is plenty and
# makes the hashes independent of the analysis size (and cheap: area averaging only).
_HASH_INPUT = 64
# A border row/column belongs to a bar when fewer than BAR_FRACTION of its pixels differ
# from the bar's colour by more than BAR_TOLERANCE levels (JPEG ringing next to a flat bar
# stays within ~16 levels); a trim that would leave under MIN_KEPT of a side is not made.
BAR_TOLERANCE = 24
BAR_FRACTION = 0.02
MIN_KEPT = 0.2
CODE_HEX = 128  # 8 hashes of 16 hex digits


def _reduced(pixels: np.ndarray) -> Image.Image:
    image = Image.fromarray(np.ascontiguousarray(pixels))
    factor = max(1, min(image.size) // (2 * _HASH_INPUT))
    return image.reduce(factor) if factor > 1 else image  # integer box average: fast


def _small(image: Image.Image) -> Image.Image:
    return image.convert("L").resize((_HASH_INPUT, _HASH_INPUT), Image.Resampling.BOX)


def hashes(pixels: np.ndarray) -> tuple[str, str]:
    """Return (phash, dhash) as 16 hex digits each, from an HxWx3 uint8 array."""
    grey = _small(_reduced(pixels))
    return str(imagehash.phash(grey)), str(imagehash.dhash(grey))


def trim_bars(pixels: np.ndarray) -> np.ndarray:
    """The photo without uniform bars along its edges (letterbox, pillarbox, a flat frame)."""
    height, width = pixels.shape[:2]
    step = max(1, max(height, width) // 256)  # the bars are found on a 256-511 px view
    view = pixels[::step, ::step].astype(np.int16)
    edge = np.concatenate([view[0], view[-1], view[:, 0], view[:, -1]])
    colour = np.median(edge, axis=0)
    off = np.abs(view - colour).max(axis=2) > BAR_TOLERANCE
    rows = np.flatnonzero(off.mean(axis=1) > BAR_FRACTION)
    cols = np.flatnonzero(off.mean(axis=0) > BAR_FRACTION)
    if len(rows) == 0 or len(cols) == 0:
        return pixels  # a flat picture: nothing to keep apart from its "bars"
    top, bottom = rows[0] * step, min(height, (rows[-1] + 1) * step)
    left, right = cols[0] * step, min(width, (cols[-1] + 1) * step)
    if bottom - top < MIN_KEPT * height or right - left < MIN_KEPT * width:
        return pixels
    return pixels[top:bottom, left:right]


def _four(grey: Image.Image) -> str:
    return "".join(str(h(grey)) for h in (imagehash.phash, imagehash.dhash,
                                          imagehash.average_hash, imagehash.whash))


def near_code(pixels: np.ndarray) -> str:
    """128 hex digits: pHash, dHash, aHash, wHash of the trimmed photo, then of its mirror."""
    return _near(_reduced(pixels))


def all_hashes(pixels: np.ndarray) -> tuple[str, str, str]:
    """``hashes`` and ``near_code`` from one reduction of the photo (what the stage uses)."""
    reduced = _reduced(pixels)
    grey = _small(reduced)
    return str(imagehash.phash(grey)), str(imagehash.dhash(grey)), _near(reduced)


def _near(reduced: Image.Image) -> str:
    # the reduced copy is >= 128 px on its short side: the bars are found on it
    grey = _small(Image.fromarray(trim_bars(np.asarray(reduced))))
    return _four(grey) + _four(grey.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
