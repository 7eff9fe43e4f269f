"""Descriptive tags for browsing and search, from metadata alone (no pixels, no models).

Boundaries (35 mm-equivalent focal length, the usual photographic classes):
    ultra-wide < 24 mm <= wide < 35 mm <= normal <= 70 mm < tele <= 300 mm < super-tele
Light, from the exposure value at ISO 100, EV100 = log2(N²/t) - log2(ISO/100), read against
the standard EV table: >= 13 is bright daylight (sunny/hazy sun), <= 5 is what is needed
for bright interiors, night streets and darker (light:dark).
Night: the sun more than 6° below the horizon (civil twilight over) when GPS and a time are
known; otherwise a local time between 22:00 and 05:00.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

from recognize.media.sun import solar_elevation
from recognize.media.types import Metadata, Place

EV_BRIGHT = 13.0
EV_DARK = 5.0
NIGHT_SUN_DEG = -6.0
NIGHT_HOURS = (22, 5)  # local clock fallback: from 22:00 until 05:00

_SPACES = re.compile(r"\s+")


def camera_name(make: str | None, model: str | None) -> str | None:
    """ "Canon" + "Canon EOS 6D" -> "Canon EOS 6D"; "NIKON CORPORATION" + "NIKON D70" ->
    "NIKON D70"; "Apple" + "iPhone 7" -> "Apple iPhone 7"."""
    make = _SPACES.sub(" ", make or "").strip()
    model = _SPACES.sub(" ", model or "").strip()
    if not model:
        return make or None
    if not make:
        return model
    brand = make.split(" ")[0]
    if model.lower().startswith((make.lower(), brand.lower())):
        return model
    for suffix in (" corporation", " corp.", " co., ltd.", " company", " imaging"):
        if make.lower().endswith(suffix):
            make = make[: -len(suffix)]
    return f"{make} {model}"


def lens_class(focal_35mm: float | None) -> str | None:
    if not focal_35mm or focal_35mm <= 0:
        return None
    if focal_35mm < 24:
        return "ultra-wide"
    if focal_35mm < 35:
        return "wide"
    if focal_35mm <= 70:
        return "normal"
    return "tele" if focal_35mm <= 300 else "super-tele"


def exposure_value(meta: Metadata) -> float | None:
    """EV100 from aperture, shutter time and ISO (None when any is missing)."""
    n, t, iso = meta.f_number, meta.exposure_time, meta.iso
    if not n or not t or not iso or n <= 0 or t <= 0 or iso <= 0:
        return None
    return math.log2(n * n / t) - math.log2(iso / 100)


def is_night(meta: Metadata) -> bool | None:
    """True/False when it can be told, None when there is no time."""
    if meta.taken_at is None:
        return None
    if meta.gps_lat is not None and meta.gps_lon is not None:
        utc = _utc_time(meta)
        return solar_elevation(meta.gps_lat, meta.gps_lon, utc) < NIGHT_SUN_DEG
    hour = meta.taken_at.hour
    return hour >= NIGHT_HOURS[0] or hour < NIGHT_HOURS[1]


def _utc_time(meta: Metadata) -> datetime:
    assert meta.taken_at is not None and meta.gps_lon is not None
    if meta.tz_offset_min is not None:
        return meta.taken_at - timedelta(minutes=meta.tz_offset_min)
    if meta.gps_utc is not None:
        return meta.gps_utc
    return meta.taken_at - timedelta(hours=meta.gps_lon / 15)  # mean solar time


def descriptive_tags(meta: Metadata, place: Place | None = None) -> list[str]:
    tags: list[str] = []
    camera = camera_name(meta.make, meta.model)
    if camera:
        tags.append(f"camera:{camera}")
    lens = lens_class(meta.focal_length_35mm)
    if lens:
        tags.append(f"lens:{lens}")
    ev = exposure_value(meta)
    if ev is not None and ev >= EV_BRIGHT:
        tags.append("light:bright")
    elif ev is not None and ev <= EV_DARK:
        tags.append("light:dark")
    if is_night(meta):
        tags.append("time:night")
    if place is not None:
        tags.append(f"country:{place.country}")
        if place.city:
            tags.append(f"city:{place.city}")
    return tags
