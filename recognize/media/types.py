"""Plain data the media layer returns. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np


@dataclass(frozen=True)
class MediaOptions:
    """What the media stage needs to know; built by the jobs layer from the config."""

    analysis_size: int = 1920  # longest side of the decoded image every later stage sees
    # refuse (as a decompression bomb) above this, before decoding; 200 MP is above every
    # single-shot camera (Phase One IQ4: 151 MP, Fujifilm GFX100: 102 MP)
    max_pixels: int = 200_000_000
    thumbnail_sizes: tuple[int, ...] = (256, 1024)  # longest side of each cached thumbnail
    thumbnail_quality: int = 82  # JPEG quality of thumbnails
    geocode_max_km: float = 50.0  # nearest known city farther than this -> country only / none
    decode_timeout_s: float = 60.0  # a decode still running after this is cancelled (MediaError)


@dataclass
class Metadata:
    """What the file says about itself (EXIF/XMP/QuickTime, read by exiftool)."""

    file_type: str | None = None  # exiftool FileType, e.g. "JPEG", "HEIC"
    mime: str | None = None
    width: int | None = None  # pixel size as displayed (after orientation)
    height: int | None = None
    orientation: int | None = None  # EXIF 1..8, None when absent or invalid
    taken_at: datetime | None = None  # local wall-clock time, naive
    tz_offset_min: int | None = None  # minutes east of UTC when known
    make: str | None = None
    model: str | None = None
    lens: str | None = None
    focal_length: float | None = None  # mm
    focal_length_35mm: float | None = None  # 35 mm equivalent, mm, when known or derivable
    exposure_time: float | None = None  # seconds
    f_number: float | None = None
    iso: int | None = None
    gps_lat: float | None = None  # signed decimal degrees
    gps_lon: float | None = None
    gps_alt: float | None = None  # metres
    gps_utc: datetime | None = None  # GPSDateStamp+GPSTimeStamp as naive UTC when present
    exif_error: str | None = None  # exiftool's own complaint ("File is empty", ...) if any
    previews: dict[str, int] = field(default_factory=dict)  # embedded JPEG tag -> bytes (RAW)
    container_rotation: int | None = None  # HEIF irot / QuickTime Rotation; None when absent


@dataclass(frozen=True)
class Place:
    country_code: str
    country: str
    city: str | None  # None when the nearest city is farther than geocode_max_km
    state: str | None = None


@dataclass
class MediaResult:
    """Everything the media stage learned about one photo."""

    metadata: Metadata
    pixels: np.ndarray | None = None  # HxWx3 uint8 RGB at analysis size, auto-oriented
    phash: str | None = None  # 16 hex digits (64-bit imagehash)
    dhash: str | None = None
    near_code: str | None = None  # 128 hex digits: what duplicates are found by
    place: Place | None = None
    descriptive_tags: list[str] = field(default_factory=list)  # e.g. "camera:Canon EOS 6D"
    thumbnails: dict[int, str] = field(default_factory=dict)  # size -> path written
    decode_error: str | None = None  # pixels unreadable but metadata kept
