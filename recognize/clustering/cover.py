"""Which face shows a person best: the largest one that the photo's border does not cut."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FaceBox:
    """A detected face: box in pixels (left, top, width, height) within its photo."""

    left: float
    top: float
    width: float
    height: float
    photo_width: int
    photo_height: int
    score: float = 1.0

    def touches_border(self, margin: float = 1.0) -> bool:
        return (self.left <= margin or self.top <= margin
                or self.left + self.width >= self.photo_width - margin
                or self.top + self.height >= self.photo_height - margin)


def choose_cover(faces: Sequence[FaceBox]) -> int | None:
    """Position of the cover face: the largest not touching the border (ties: higher score);
    when every face touches the border, the largest of all; None when there are none."""
    if not faces:
        return None
    inside = [i for i, f in enumerate(faces) if not f.touches_border()]
    pool = inside or list(range(len(faces)))
    return max(pool, key=lambda i: (faces[i].width * faces[i].height, faces[i].score, -i))
