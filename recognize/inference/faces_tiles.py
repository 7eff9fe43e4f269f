"""Where the detector looks: a pyramid of 192 px tiles over the photo.

BlazeFace full-range finds every face from about 10 px to 112 px of its 192 px input
(measured by scaling real faces into the input: all faces at 10-112 px, 98 % at 8 px and at
128 px, 57 % at 160 px, 17 % when the face fills the input). So a photo is scanned as
the whole (letterboxed), plus one coarser pass with the photo letterboxed into a canvas
192/112 times its longer side, so that a face as large as the photo itself (a close-up:
portrait, selfie, passport scan) is 112 px of the input. That pass reports only faces of at
least half the photo's longer side (56 px of its input; the whole pass finds every face up
to 0.58 of it), so what it sees near its own 10 px limit, at a coarser resolution than the
whole pass, cannot add false faces. Then a few levels of overlapping
square tiles, each level at most 4x finer than the one above, down to the tile side at which
the smallest wanted face is 10 px. The overlap at a level is large enough that every face too
small for the coarser level lies wholly inside at least one tile. Each level is resized from
the photo once; tiles are crops.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image

from recognize.inference.blazeface import INPUT_SIZE

MIN_FACE_IN_INPUT = 10.0  # px of the 192 px input at which BlazeFace still finds faces
MAX_FACE_IN_INPUT = 112.0  # px of the 192 px input up to which it finds every face
MAX_LEVEL_RATIO = 4.0  # finest allowed step between pyramid levels


@dataclass(frozen=True)
class Tile:
    """A 192 px window at integer offset (ox, oy) of a level scaled by (sx, sy)."""

    ox: int
    oy: int
    sx: float
    sy: float
    level: int

    def to_photo(self, pts: np.ndarray) -> np.ndarray:
        """Map N x 2 points in input units (0..1 of the tile) to photo pixels."""
        tile_px = pts * INPUT_SIZE + np.array([self.ox, self.oy])
        return np.asarray(tile_px / np.array([self.sx, self.sy]))

    def bounds(self) -> tuple[float, float, float, float]:
        corners = self.to_photo(np.array([[0.0, 0.0], [1.0, 1.0]]))
        return (corners[0, 0], corners[0, 1], corners[1, 0], corners[1, 1])

    def touches_inner_edge(self, box: np.ndarray, width: int, height: int, margin: float) -> bool:
        """True when ``box`` (x0, y0, x1, y1 in photo pixels) reaches an edge of the tile that
        is not the photo's edge: the face may be cut there, and a neighbour sees it whole."""
        x0, y0, x1, y1 = self.bounds()
        m = margin * (x1 - x0)
        return bool(
            (x0 > 0 and box[0] < x0 + m)
            or (y0 > 0 and box[1] < y0 + m)
            or (x1 < width and box[2] > x1 - m)
            or (y1 < height and box[3] > y1 - m)
        )


@dataclass(frozen=True)
class Level:
    side: float  # tile side in photo pixels
    overlap: float  # share of a tile shared with its neighbour
    min_face: float = 0.0  # smallest face this level reports, in px of the 192 px input


def plan_levels(width: int, height: int, min_face: float, max_face: float | None = None) -> list[Level]:
    """A padded whole photo where ``max_face`` (default: the photo's longer side) is 112
    input px, the whole photo, then levels down to tiles where ``min_face`` is 10 input px."""
    whole = float(max(width, height))
    largest = whole if max_face is None else max_face
    padded = largest * INPUT_SIZE / MAX_FACE_IN_INPUT
    # the padded pass reports faces of at least half the longer side (56 input px)
    levels = [Level(padded, 0.0, INPUT_SIZE * whole / 2 / padded)] if padded > whole else []
    levels.append(Level(whole, 0.0))
    finest = min_face * INPUT_SIZE / MIN_FACE_IN_INPUT
    if finest >= whole:
        return levels
    steps = math.ceil(math.log(whole / finest) / math.log(MAX_LEVEL_RATIO) - 1e-9)
    ratio = (whole / finest) ** (1 / steps)
    # faces up to `ratio` x this level's smallest (with 1.5x room for the box) must fit
    overlap = min(0.5, 1.5 * ratio * MIN_FACE_IN_INPUT / INPUT_SIZE)
    levels += [Level(whole / ratio**k, overlap) for k in range(1, steps + 1)]
    return levels


def _starts(length: int, side: int, overlap: float) -> list[int]:
    if side >= length:
        return [(length - side) // 2]  # centred: letterbox with equal bands
    count = math.ceil((length - side) / (side * (1 - overlap))) + 1
    return [round(v) for v in np.linspace(0, length - side, count)]


def level_size(width: int, height: int, level: Level) -> tuple[int, int]:
    """The photo's size once scaled so that the level's tile side is 192 px."""
    scale = INPUT_SIZE / level.side
    return max(1, round(width * scale)), max(1, round(height * scale))


def tile_grid(width: int, height: int, levels: list[Level]) -> Iterator[Tile]:
    """Every tile of every level, finest level first (the order :func:`render_tiles` uses)."""
    for index in reversed(range(len(levels))):
        level = levels[index]
        size = level_size(width, height, level)
        sx, sy = size[0] / width, size[1] / height
        for oy in _starts(size[1], INPUT_SIZE, level.overlap):
            for ox in _starts(size[0], INPUT_SIZE, level.overlap):
                yield Tile(ox, oy, sx, sy, index)


def render_tiles(photo: Image.Image, levels: list[Level]) -> Iterator[tuple[Tile, np.ndarray]]:
    """Every tile of every level with its 192x192x3 uint8 pixels (black outside the photo).

    The finest level is resized from the photo, each coarser one from the level below it,
    which keeps the cost close to one pass over the photo.
    """
    width, height = photo.size
    source, scaled, current = photo, np.zeros((0, 0, 3), np.uint8), -1
    for tile in tile_grid(width, height, levels):
        if tile.level != current:
            current = tile.level
            source = source.resize(level_size(width, height, levels[current]),
                                   Image.Resampling.BILINEAR, reducing_gap=2.0)
            scaled = np.asarray(source)
        yield tile, _crop(scaled, tile.ox, tile.oy)


def _crop(scaled: np.ndarray, ox: int, oy: int) -> np.ndarray:
    out = np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.uint8)
    h, w = scaled.shape[:2]
    x0, y0 = max(0, ox), max(0, oy)
    x1, y1 = min(w, ox + INPUT_SIZE), min(h, oy + INPUT_SIZE)
    out[y0 - oy : y1 - oy, x0 - ox : x1 - ox] = scaled[y0:y1, x0:x1]
    return out
