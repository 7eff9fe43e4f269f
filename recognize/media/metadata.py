"""Turn one exiftool ``-n -j`` record into a :class:`Metadata` (pure, no I/O)."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any

from recognize.media.types import Metadata

# Tags asked of exiftool; default priority (no -G), the same as plain ``exiftool -n``.
TAGS = (
    "FileType",
    "MIMEType",
    "ImageWidth",
    "ImageHeight",
    "Orientation",
    "Make",
    "Model",
    "LensModel",
    "LensID",
    "Lens",
    "DateTimeOriginal",
    "CreateDate",
    "OffsetTimeOriginal",
    "OffsetTime",
    "GPSLatitude",
    "GPSLongitude",
    "GPSAltitude",
    "GPSDateStamp",
    "GPSTimeStamp",
    "FocalLength",
    "FocalLengthIn35mmFormat",
    "ScaleFactor35efl",
    "ExposureTime",
    "FNumber",
    "ISO",
    "Rotation",
    "JpgFromRaw",
    "PreviewImage",
    "OtherImage",
    "ThumbnailImage",
    "Error",
)
PREVIEW_TAGS = ("JpgFromRaw", "PreviewImage", "OtherImage", "ThumbnailImage")

EARLIEST_YEAR = 1826  # the oldest surviving photograph; earlier dates are nonsense
MAX_ALTITUDE_M = 50_000.0  # above this a GPS altitude is garbage (e.g. 4294967284)
MAX_TZ_MIN = 14 * 60

_DATE_RE = re.compile(
    r"^\s*(\d{4})[:\-/](\d{2})[:\-/](\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)
_OFFSET_RE = re.compile(r"^\s*([+-])(\d{2}):?(\d{2})\s*$")
_BINARY_RE = re.compile(r"Binary data (\d+) bytes")


def parse_record(rec: dict[str, Any], *, now: datetime | None = None) -> Metadata:
    """Build Metadata from one exiftool JSON record; nonsense values become None."""
    meta = Metadata(
        file_type=_text(rec.get("FileType")),
        mime=_text(rec.get("MIMEType")),
        make=_text(rec.get("Make")),
        model=_text(rec.get("Model")),
        lens=_lens(rec),
        focal_length=_positive(rec.get("FocalLength")),
        exposure_time=_positive(rec.get("ExposureTime"), limit=3600 * 24),
        f_number=_positive(rec.get("FNumber"), limit=1000),
        iso=_int_or_none(_positive(rec.get("ISO"), limit=10_000_000)),
        exif_error=_text(rec.get("Error")),
        container_rotation=_int_or_none(_number(rec.get("Rotation"))),
    )
    _size(meta, rec)
    _dates(meta, rec, now or datetime.now())
    _gps(meta, rec)
    meta.focal_length_35mm = _focal_35(rec, meta.focal_length)
    meta.previews = {tag: n for tag in PREVIEW_TAGS if (n := _binary_len(rec.get(tag))) is not None and n > 0}
    return meta


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip().strip("\x00").strip()
    return text or None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _positive(value: Any, limit: float = 1e6) -> float | None:
    number = _number(value)
    return number if number is not None and 0 < number < limit else None


def _int_or_none(value: float | None) -> int | None:
    return None if value is None else round(value)


def _lens(rec: dict[str, Any]) -> str | None:
    for tag in ("LensModel", "LensID", "Lens"):
        text = _text(rec.get(tag))
        # with -n some makers' lens tags are bare numbers (lens ids): not a name
        if text and _number(text) is None:
            return text
    return None


def _size(meta: Metadata, rec: dict[str, Any]) -> None:
    width, height = _number(rec.get("ImageWidth")), _number(rec.get("ImageHeight"))
    orientation = _number(rec.get("Orientation"))
    meta.orientation = int(orientation) if orientation in (1, 2, 3, 4, 5, 6, 7, 8) else None
    if width and height and width > 0 and height > 0:
        w, h = int(width), int(height)
        if meta.orientation is not None and meta.orientation >= 5:
            w, h = h, w
        meta.width, meta.height = w, h


def parse_datetime(value: Any) -> tuple[datetime | None, int | None]:
    """Parse an EXIF date ("2008:10:22 16:28:39[+02:00]") to (naive datetime, offset min)."""
    text = _text(value)
    match = _DATE_RE.match(text) if text else None
    if not match:
        return None, None
    year, month, day, hh, mm, ss, tz = match.groups()
    try:
        when = datetime(int(year), int(month), int(day), int(hh or 0), int(mm or 0), int(ss or 0))
    except ValueError:
        return None, None
    return when, parse_offset(tz) if tz else None


def parse_offset(value: Any) -> int | None:
    """Parse "+02:00" / "-0530" / "Z" to minutes east of UTC (None when absent/absurd)."""
    text = _text(value)
    if text in ("Z", "z"):
        return 0
    match = _OFFSET_RE.match(text) if text else None
    if not match:
        return None
    sign, hh, mm = match.groups()
    minutes = int(hh) * 60 + int(mm)
    return (-minutes if sign == "-" else minutes) if minutes <= MAX_TZ_MIN else None


def _plausible(when: datetime | None, now: datetime) -> datetime | None:
    if when is None or when.year < EARLIEST_YEAR or when > now + timedelta(days=2):
        return None
    return when


def _dates(meta: Metadata, rec: dict[str, Any], now: datetime) -> None:
    for tag in ("DateTimeOriginal", "CreateDate"):
        when, offset = parse_datetime(rec.get(tag))
        if _plausible(when, now) is not None:
            meta.taken_at = when
            meta.tz_offset_min = offset
            break
    if meta.taken_at is not None and meta.tz_offset_min is None:
        meta.tz_offset_min = parse_offset(rec.get("OffsetTimeOriginal"))
        if meta.tz_offset_min is None:
            meta.tz_offset_min = parse_offset(rec.get("OffsetTime"))
    meta.gps_utc = _gps_utc(rec.get("GPSDateStamp"), rec.get("GPSTimeStamp"), now)
    if meta.tz_offset_min is None and meta.taken_at and meta.gps_utc:
        meta.tz_offset_min = offset_from_gps(meta.taken_at, meta.gps_utc)


def _gps_utc(date_value: Any, time_value: Any, now: datetime) -> datetime | None:
    date_text, time_text = _text(date_value), _text(time_value)
    if not date_text or not time_text:
        return None
    when, _ = parse_datetime(f"{date_text[:10]} {time_text}")
    return _plausible(when, now)


def offset_from_gps(local: datetime, utc: datetime) -> int | None:
    """Local minus UTC rounded to 15 min, when within ±14 h (else the clocks disagree)."""
    minutes = (local - utc).total_seconds() / 60
    rounded = int(round(minutes / 15) * 15)
    return rounded if abs(rounded) <= MAX_TZ_MIN else None


def _gps(meta: Metadata, rec: dict[str, Any]) -> None:
    lat, lon = _number(rec.get("GPSLatitude")), _number(rec.get("GPSLongitude"))
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return
    if lat == 0 and lon == 0:  # "null island": an unset GPS fix written as zeros
        return
    meta.gps_lat, meta.gps_lon = lat, lon
    alt = _number(rec.get("GPSAltitude"))
    meta.gps_alt = alt if alt is not None and abs(alt) <= MAX_ALTITUDE_M else None


def _focal_35(rec: dict[str, Any], focal: float | None) -> float | None:
    in35 = _positive(rec.get("FocalLengthIn35mmFormat"), limit=10_000)
    if in35:
        return in35
    # exiftool's FocalLength35efl assumes a factor of 1 when the sensor size is unknown,
    # so only a real ScaleFactor35efl makes a derived value trustworthy
    scale = _positive(rec.get("ScaleFactor35efl"), limit=100)
    if focal and scale:
        return round(focal * scale, 1)
    return None


def _binary_len(value: Any) -> int | None:
    match = _BINARY_RE.search(str(value)) if value is not None else None
    return int(match.group(1)) if match else None
