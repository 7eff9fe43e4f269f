"""The pure media layer: a photo's path in, its metadata, pixels, hashes and tags out.

Nothing here touches the store; the jobs layer calls ``process`` (or the pieces) per file.
"""

from __future__ import annotations

from recognize.media.decode import check_pixels, decode, decode_only
from recognize.media.exif import ExifReader
from recognize.media.geocode import Geocoder
from recognize.media.hashing import hashes, near_code
from recognize.media.sniff import RAW_EXTENSIONS, SUPPORTED_EXTENSIONS, sniff
from recognize.media.stage import process
from recognize.media.tags import camera_name, descriptive_tags, exposure_value, lens_class
from recognize.media.thumbnails import write_thumbnails
from recognize.media.types import MediaOptions, MediaResult, Metadata, Place

__all__ = [
    "RAW_EXTENSIONS",
    "SUPPORTED_EXTENSIONS",
    "ExifReader",
    "Geocoder",
    "MediaOptions",
    "MediaResult",
    "Metadata",
    "Place",
    "camera_name",
    "check_pixels",
    "decode",
    "decode_only",
    "descriptive_tags",
    "exposure_value",
    "hashes",
    "lens_class",
    "near_code",
    "process",
    "sniff",
    "write_thumbnails",
]
