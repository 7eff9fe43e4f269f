"""A face is never blue: the chroma cross-check of a detection.

BlazeFace judges shape and shading, not colour, and sees a face in the odd flower (the one
false face on the shared no-face photos: a blue-violet Polemonium whose petals and stamens
make eyes, nose and mouth in a geometry no real face there beats). Skin of every complexion
has more red than blue chroma (in YCbCr, Cr > Cb: the basis of the classic skin-colour
models), and a black-and-white photo has none of either (Cb = Cr). So a detection whose
centre is clearly *bluer than grey* is no face under ordinary light.

The limit (``faces.max_blue_chroma``, 7 of 255) is the tolerance for tinted black-and-white photos (cold-toned
prints, scans with a colour cast), chosen on ``faces/`` by symmetry: its bluest real face lies
7.3 on the red side of grey, so as much is allowed on the blue side; confirmed on
``faces_lfw/`` (no real face lost, see docs/persons.md). The flower's centre is at +13.6.
Faces lit by blue light (stage lights, under water) and cyanotypes are lost: the price of
the rule.
"""

from __future__ import annotations

import numpy as np

from recognize.inference.faces_types import DetectedFace

# Cb − Cr of an RGB pixel (ITU-R BT.601, the JPEG one): the +128 offsets cancel
_BLUE_MINUS_RED = np.array([-0.168736 - 0.5, -0.331264 + 0.418688, 0.5 + 0.081312])


def blue_chroma(image: np.ndarray, face: DetectedFace) -> float:
    """Median Cb − Cr over the middle half of the face box (cheeks, nose, eyes)."""
    height, width = image.shape[:2]
    x0, x1 = int(max(0, face.x + face.w / 4)), int(min(width, face.x + face.w * 3 / 4))
    y0, y1 = int(max(0, face.y + face.h / 4)), int(min(height, face.y + face.h * 3 / 4))
    if x1 <= x0 or y1 <= y0:
        return 0.0
    centre = image[y0:y1, x0:x1].reshape(-1, 3).astype(np.float32)
    return float(np.median(centre @ _BLUE_MINUS_RED.astype(np.float32)))


def could_be_skin(image: np.ndarray, face: DetectedFace, max_blue_chroma: float) -> bool:
    """Whether the face's centre is at most ``max_blue_chroma`` bluer than grey (Cb − Cr,
    8-bit YCbCr units; grey is 0, skin below 0)."""
    return blue_chroma(image, face) <= max_blue_chroma
