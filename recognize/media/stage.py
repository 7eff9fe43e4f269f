"""The whole media stage for one photo: metadata, pixels once, hashes, thumbnails, place, tags."""

from __future__ import annotations

import os
from pathlib import Path

import pyvips

from recognize.errors import MediaError
from recognize.log import get_logger
from recognize.media.decode import decode
from recognize.media.exif import ExifReader
from recognize.media.geocode import Geocoder
from recognize.media.hashing import all_hashes
from recognize.media.tags import descriptive_tags
from recognize.media.thumbnails import write_thumbnails
from recognize.media.types import MediaOptions, MediaResult, Metadata

log = get_logger(__name__)

# Reasons that mean "this is not a photo at all": nothing is kept, the file is refused.
_REFUSED = ("empty file", "not an image", "file not found", "decompression bomb", "cannot read")


def process(
    path: str | Path,
    opts: MediaOptions,
    exif: ExifReader,
    geocoder: Geocoder | None,
    thumb_dest: dict[int, Path] | None = None,
    *,
    meta: Metadata | None = None,
) -> MediaResult:
    """Run the media stage on one file.

    ``meta`` may be passed when it was already read in a batch (``ExifReader.read_many``).
    Returns a MediaResult; when the metadata is readable but the pixels are not, the result
    carries ``decode_error`` and no pixels. Raises MediaError(reason) when nothing useful
    can be read. No other exception escapes for a bad file.
    """
    path = os.fsdecode(path)
    try:
        return _process(path, opts, exif, geocoder, thumb_dest, meta)
    except MediaError:
        raise
    except (OSError, ValueError, pyvips.Error, MemoryError, RuntimeError) as err:
        log.warning("media stage failed on %s", path, exc_info=True)
        raise MediaError(f"cannot process file: {type(err).__name__}: {err}") from err


def _process(
    path: str,
    opts: MediaOptions,
    exif: ExifReader,
    geocoder: Geocoder | None,
    thumb_dest: dict[int, Path] | None,
    meta: Metadata | None,
) -> MediaResult:
    if meta is None:
        try:
            meta = exif.read(path)
        except MediaError as err:
            if err.reason == "file not found":
                raise
            log.info("no metadata for %s: %s", path, err.reason)
            meta = Metadata()
    try:
        pixels = decode(path, opts, meta, exif=exif)
    except MediaError as err:
        if err.reason.startswith(_REFUSED) or not _has_metadata(meta):
            raise
        result = MediaResult(metadata=meta, decode_error=err.reason)
        _describe(result, opts, geocoder)
        return result
    result = MediaResult(metadata=meta, pixels=pixels)
    result.phash, result.dhash, result.near_code = all_hashes(pixels)
    if thumb_dest:
        result.thumbnails = write_thumbnails(pixels, opts, thumb_dest)
    _describe(result, opts, geocoder)
    return result


def _describe(result: MediaResult, opts: MediaOptions, geocoder: Geocoder | None) -> None:
    meta = result.metadata
    if geocoder is not None and meta.gps_lat is not None and meta.gps_lon is not None:
        result.place = geocoder.lookup(meta.gps_lat, meta.gps_lon, opts.geocode_max_km)
    result.descriptive_tags = descriptive_tags(meta, result.place)


def _has_metadata(meta: Metadata) -> bool:
    """Does the file say anything worth keeping about itself (beyond its type)?"""
    return any(
        value is not None for value in (meta.taken_at, meta.make, meta.model, meta.gps_lat, meta.orientation)
    )
