"""Decode a photo once, at analysis size, into an upright HxWx3 uint8 RGB array."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyvips

from recognize.errors import MediaError
from recognize.media import vips_convert
from recognize.media.orientation import orient_array
from recognize.media.pillow_decode import HEIF_SUPPORTED, decode_with_pillow
from recognize.media.sniff import (
    HEAD_BYTES,
    RAW_EXTENSIONS,
    RAW_FORMATS,
    VIPS_FORMATS,
    describe_non_image,
    sniff_bytes,
)
from recognize.media.types import MediaOptions, Metadata

if TYPE_CHECKING:
    from recognize.media.exif import ExifReader

_configured = threading.Lock()
_done = False
MIN_PREVIEW_BYTES = 2048  # smaller embedded "previews" are placeholders, not images


def configure_vips() -> None:
    """Keep libvips' memory bounded: no operation cache (every photo is opened once)."""
    global _done
    with _configured:
        if not _done:
            pyvips.cache_set_max(0)
            pyvips.cache_set_max_mem(0)
            _done = True


def check_pixels(width: int | None, height: int | None, opts: MediaOptions) -> None:
    """Refuse a declared size above ``opts.max_pixels`` before any pixel is decoded."""
    if width and height and width * height > opts.max_pixels:
        raise MediaError(
            f"decompression bomb: {width}x{height} = {width * height:,} pixels is above "
            f"media.max_pixels ({opts.max_pixels:,})"
        )


def decode(
    path: str | Path,
    opts: MediaOptions,
    meta: Metadata | None = None,
    *,
    exif: ExifReader | None = None,
) -> np.ndarray:
    """Decode ``path`` to RGB uint8 at most ``opts.analysis_size`` on its longest side.

    The format is sniffed from the content, never from the name. Raises MediaError with a
    readable reason for anything that is not a decodable image.
    """
    configure_vips()
    path = os.fsdecode(path)
    kind = _sniff(path)
    is_raw = kind in RAW_FORMATS or (
        kind == "tiff" and Path(path).suffix.lower().lstrip(".") in RAW_EXTENSIONS
    )
    if meta is not None and not is_raw:  # a RAW's sensor size says nothing of its preview
        check_pixels(meta.width, meta.height, opts)
    try:
        if is_raw:
            return _decode_raw(path, opts, meta, exif)
        if kind == "heif" and HEIF_SUPPORTED:
            return _heif_exif_orientation(decode_with_pillow(path, opts, kind, check_pixels), meta)
        if kind in VIPS_FORMATS:
            return _decode_vips(path, opts)
        return decode_with_pillow(path, opts, kind or "?", check_pixels)
    except MediaError:
        raise
    except (OSError, ValueError, pyvips.Error, MemoryError) as err:
        raise MediaError(vips_convert.failure(err)) from err


def decode_only(path: str | Path, opts: MediaOptions) -> np.ndarray:
    """Decode without reading metadata first (what the benchmark compares against)."""
    return decode(path, opts, None)


def _heif_exif_orientation(pixels: np.ndarray, meta: Metadata | None) -> np.ndarray:
    """HEIF orients by its irot/imir boxes (libheif applies them). A file with no such box
    but an EXIF orientation (seen from iPhone 7 exports) is turned by the EXIF tag instead."""
    if meta is None or meta.container_rotation is not None or not meta.orientation:
        return pixels
    return np.ascontiguousarray(orient_array(pixels, meta.orientation))


def _sniff(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    except FileNotFoundError as err:
        raise MediaError("file not found") from err
    except OSError as err:
        raise MediaError(f"cannot read file: {err.strerror or err}") from err
    kind = sniff_bytes(head)
    if kind is None:
        raise MediaError(describe_non_image(head))
    return kind


def _decode_vips(path: str, opts: MediaOptions) -> np.ndarray:
    vips_convert.clear_errors()
    try:
        header = pyvips.Image.new_from_file(path, access="sequential", fail_on="error")
    except pyvips.Error as err:
        # libvips refuses a few odd-but-valid files (and some bombs) at the header:
        # let Pillow have a look before calling the file corrupt
        try:
            return decode_with_pillow(path, opts, "image", check_pixels)
        except MediaError as pillow_err:
            if pillow_err.reason.startswith("decompression bomb"):
                raise
            raise MediaError(vips_convert.failure(err)) from err
    check_pixels(header.width, header.height, opts)
    size = opts.analysis_size
    image = pyvips.Image.thumbnail(path, size, height=size, size="down", fail_on="error")
    return vips_convert.to_rgb_array(image, opts.decode_timeout_s)


def _decode_raw(path: str, opts: MediaOptions, meta: Metadata | None, exif: ExifReader | None) -> np.ndarray:
    """A RAW's largest embedded JPEG preview; else what libvips sees (DNG/TIFF-based)."""
    from recognize.media.exif import ExifReader

    own_reader = exif is None
    reader = exif or ExifReader()
    try:
        if meta is None:
            meta = reader.read(path)
        previews = sorted(meta.previews.items(), key=lambda kv: -kv[1])
        big = [tag for tag, n in previews if n >= MIN_PREVIEW_BYTES and tag != "ThumbnailImage"]
        small = [tag for tag, n in previews if n >= MIN_PREVIEW_BYTES and tag == "ThumbnailImage"]
        errors: list[str] = []
        # large previews first, then what libvips sees (None), the small thumbnail last
        for tag in [*big, None, *small]:
            try:
                if tag is None:
                    return _decode_vips(path, opts)
                return _decode_preview(reader.extract_binary(path, tag), opts, meta, tag)
            except MediaError as err:
                errors.append(err.reason if tag is None else f"{tag}: {err.reason}")
    finally:
        if own_reader:
            reader.close()
    detail = f" ({'; '.join(errors)})" if big or small else ""
    raise MediaError(f"RAW file without an embedded preview{detail}")


def _decode_preview(data: bytes, opts: MediaOptions, meta: Metadata, tag: str) -> np.ndarray:
    if sniff_bytes(data[:HEAD_BYTES]) is None:
        raise MediaError("embedded preview is not an image")
    try:
        header = pyvips.Image.new_from_buffer(data, "", access="sequential", fail_on="error")
        check_pixels(header.width, header.height, opts)
        own_orientation = header.get_typeof("orientation") != 0
        size = opts.analysis_size
        image = pyvips.Image.thumbnail_buffer(
            data, size, height=size, size="down", fail_on="error", no_rotate=not own_orientation
        )
        if not own_orientation:  # previews rarely carry EXIF: the RAW's orientation applies
            image = vips_convert.orient(image, meta.orientation)
        return vips_convert.to_rgb_array(image, opts.decode_timeout_s)
    except pyvips.Error as err:
        raise MediaError(f"corrupt {tag}: {vips_convert.reason(err)}") from err
