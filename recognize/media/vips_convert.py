"""libvips helpers: any image -> HxWx3 uint8 sRGB array, EXIF orientation, error text."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyvips

from recognize.errors import MediaError

_WHITE = [255, 255, 255]


def reason(err: BaseException) -> str:
    """The informative lines of a libvips (or other) error, on one short line."""
    lines: list[str] = []
    for raw in str(err).splitlines():
        line = raw.strip()
        if not line or line.startswith("unable to "):  # libvips' generic wrapper lines
            continue
        if line not in lines:
            lines.append(line)
    text = "; ".join(lines) or "unreadable by libvips"
    return text[:240]


def failure(err: BaseException) -> str:
    """Classify a decode error as truncated or corrupt data, with libvips' detail."""
    detail = reason(err)
    lowered = detail.lower()
    if any(w in lowered for w in ("premature end", "truncated", "unexpected end", "short read")):
        return f"truncated image data ({detail})"
    return f"corrupt image data ({detail})"


def clear_errors() -> None:
    """Forget libvips' global error text (warnings of earlier files would leak into ours)."""
    clear = getattr(getattr(pyvips, "vips_lib", None), "vips_error_clear", None)
    if clear is not None:
        clear()


def orient(image: pyvips.Image, orientation: int | None) -> pyvips.Image:
    """Apply an EXIF orientation (1-8) so the image is upright."""
    if orientation == 2:
        return image.fliphor()
    if orientation == 3:
        return image.rot180()
    if orientation == 4:
        return image.flipver()
    if orientation == 5:
        return image.rot90().fliphor()
    if orientation == 6:
        return image.rot90()
    if orientation == 7:
        return image.rot270().fliphor()
    if orientation == 8:
        return image.rot270()
    return image


def to_srgb8(image: pyvips.Image) -> pyvips.Image:
    """Convert any band layout/format to 3-band uchar sRGB, alpha flattened on white."""
    if image.interpretation == "cmyk" or image.bands - int(image.hasalpha()) == 4:
        image = image.icc_import(embedded=True) if _has_icc(image) else image
        image = image.colourspace("srgb")
    elif image.interpretation not in ("srgb", "b-w", "rgb16", "grey16"):
        image = _guess_interpretation(image)
    if image.format != "uchar" or image.interpretation not in ("srgb",):
        image = image.colourspace("srgb")
    if image.hasalpha():
        image = image.flatten(background=_WHITE)
    if image.bands > 3:
        image = image.extract_band(0, n=3)
    if image.format != "uchar":
        image = image.cast("uchar")
    return image


def _has_icc(image: pyvips.Image) -> bool:
    return bool(image.get_typeof("icc-profile-data"))


def _guess_interpretation(image: pyvips.Image) -> pyvips.Image:
    """Files that say nothing sensible about their colour: decide from bands and format."""
    sixteen = image.format in ("ushort", "short", "uint", "int")
    if image.format in ("float", "double"):
        image = (image * (255.0 if image.max() <= 1.0 else 1.0)).cast("uchar")
        sixteen = False
    colour = image.bands - int(image.hasalpha()) >= 3
    names = {(True, True): "rgb16", (True, False): "srgb", (False, True): "grey16"}
    return image.copy(interpretation=names.get((colour, sixteen), "b-w"))


def to_rgb_array(image: pyvips.Image, timeout_s: float) -> np.ndarray:
    """Run the pipeline (with a deadline) and return an HxWx3 uint8 array."""
    image = to_srgb8(image)
    deadline = time.monotonic() + timeout_s
    image.set_progress(True)

    def on_eval(img: Any, progress: Any) -> None:
        if time.monotonic() > deadline:
            img.set_kill(True)

    image.signal_connect("eval", on_eval)
    try:
        data = image.write_to_memory()
    except pyvips.Error as err:
        if time.monotonic() > deadline:
            raise MediaError(f"decode timed out after {timeout_s:.0f} s") from err
        raise MediaError(failure(err)) from err
    array = np.frombuffer(data, dtype=np.uint8).reshape(image.height, image.width, 3)
    return array.copy()  # frombuffer over bytes is read-only
