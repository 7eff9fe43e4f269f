"""Face crops: the face with a margin, turned upright by its eyes, as a square JPEG.

Pure: an upright RGB array (the analysis-size decode) and the face's box and landmarks as
fractions of it in; JPEG bytes out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyvips

MARGIN = 0.4  # of the face's larger side, on every side: hair, chin and ears show


def eye_angle(landmarks: Sequence[Sequence[float]] | None, width: int, height: int) -> float:
    """Degrees the face is tilted, from dlib's 5 landmarks (two corners of each eye); 0 when
    there are none. The sign is such that rotating the image by -angle levels the eyes."""
    if not landmarks or len(landmarks) < 4:
        return 0.0
    pts = [(x * width, y * height) for x, y in landmarks[:4]]
    one = ((pts[0][0] + pts[1][0]) / 2, (pts[0][1] + pts[1][1]) / 2)
    two = ((pts[2][0] + pts[3][0]) / 2, (pts[2][1] + pts[3][1]) / 2)
    left, right = sorted((one, two))  # by x: the order of the eyes does not matter
    return math.degrees(math.atan2(right[1] - left[1], right[0] - left[0]))


def face_crop(pixels: np.ndarray, box: Sequence[float], landmarks: Sequence[Sequence[float]] | None,
              size: int, quality: int = 85, margin: float = MARGIN) -> bytes:
    """``size`` x ``size`` JPEG of the face at ``box`` (x, y, w, h as fractions)."""
    height, width = pixels.shape[:2]
    image = pyvips.Image.new_from_array(np.ascontiguousarray(pixels), interpretation="srgb")
    x, y, w, h = box[0] * width, box[1] * height, box[2] * width, box[3] * height
    cx, cy = x + w / 2, y + h / 2
    side = max(w, h) * (1 + 2 * margin)
    reach = side * math.sqrt(2) / 2 + 2  # room for any rotation of the square
    left, top = math.floor(cx - reach), math.floor(cy - reach)
    span = math.ceil(2 * reach)
    # a window around the face; outside the photo is black (a face at the edge stays centred)
    window = image.embed(-left, -top, width + span * 2, height + span * 2, extend="black") \
        .crop(0, 0, span, span) if (left < 0 or top < 0 or left + span > width
                                    or top + span > height) else image.crop(left, top, span, span)
    angle = eye_angle(landmarks, width, height)
    if abs(angle) > 1.0:
        window = window.rotate(-angle, interpolate=pyvips.Interpolate.new("bicubic"),
                               background=[0, 0, 0])
    inner = round(side)
    window = window.crop(max(0, (window.width - inner) // 2), max(0, (window.height - inner) // 2),
                         min(inner, window.width), min(inner, window.height))
    scale = size / max(window.width, window.height)
    window = window.resize(scale, kernel="lanczos3") if scale < 1 else \
        window.resize(scale, kernel="cubic")
    if window.width != size or window.height != size:
        window = window.gravity("centre", size, size, extend="black")
    return bytes(window.jpegsave_buffer(Q=quality, strip=True))
