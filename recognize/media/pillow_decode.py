"""Pillow for the formats libvips (as shipped by pyvips-binary) does not read: HEIC/HEIF
(pyvips-binary's libheif has no HEVC decoder; pillow-heif has one), BMP, ICO, JPEG XL (with
the optional pillow-jxl-plugin), and files libvips refuses at the header."""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageOps

from recognize.errors import MediaError
from recognize.media.types import MediaOptions

HEIF_SUPPORTED = False
with contextlib.suppress(ImportError):
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF_SUPPORTED = True
with contextlib.suppress(ImportError):  # JPEG XL support when the plugin is installed
    import pillow_jxl  # noqa: F401

# Pillow checks sizes itself (at open and inside plugins: ICO entries, GIF frames) against
# a fixed limit, and would name that limit. It is set from media.max_pixels before each open
# (Pillow refuses above twice MAX_IMAGE_PIXELS) and its error is re-worded to cite the key;
# its warning at half the limit is noise here.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
_PILLOW_PIXELS = re.compile(r"\((\d+) pixels\)")

CheckPixels = Callable[[int | None, int | None, MediaOptions], None]


def decode_with_pillow(path: str, opts: MediaOptions, kind: str, check_pixels: CheckPixels) -> np.ndarray:
    """Decode the first frame with Pillow, refusing bombs from the header first."""
    Image.MAX_IMAGE_PIXELS = (opts.max_pixels + 1) // 2  # the same value on every call
    try:
        with Image.open(path) as image:
            check_pixels(image.width, image.height, opts)
            size = opts.analysis_size
            image.draft("RGB", (size, size))  # JPEG only: shrink on load
            image.seek(0)
            image.load()
            image.thumbnail((size, size), Image.Resampling.LANCZOS)  # before turning: cheaper
            ImageOps.exif_transpose(image, in_place=True)
            return np.asarray(_flatten_rgb(image), dtype=np.uint8).copy()
    except Image.DecompressionBombError as err:
        raise MediaError(bomb_reason(err, opts)) from err
    except Image.UnidentifiedImageError as err:
        raise MediaError(f"unsupported or corrupt image ({kind})") from err
    except MediaError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as err:
        raise MediaError(f"corrupt image data: {err}") from err


def bomb_reason(err: Exception, opts: MediaOptions) -> str:
    """Pillow's refusal in this project's words (it knows only the product of the sides)."""
    match = _PILLOW_PIXELS.search(str(err))
    size = f"{int(match.group(1)):,} pixels" if match else "the declared size"
    return f"decompression bomb: {size} is above media.max_pixels ({opts.max_pixels:,})"


def _flatten_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda v: v / 257).convert("L")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")
