"""The media stage: decode once at the analysis size, EXIF, place, perceptual hashes,
thumbnails; saves the photo's columns and its descriptive, place and date tags. Every later
stage that needs pixels reads them from this stage's output (:func:`pixels_of`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from recognize.config import Settings
from recognize.errors import MediaError
from recognize.jobs.sources import Source, source_for
from recognize.jobs.stages import Stage, Work
from recognize.media import ExifReader, Geocoder, MediaOptions, MediaResult, camera_name, process
from recognize.store import photos as photo_store

VERSION = "media@2"  # 2: near_code (duplicates)
PLACE_KINDS = {"country": "place", "city": "place"}  # the media layer's prefixes → tag kind


def media_options(settings: Settings) -> MediaOptions:
    m = settings.media
    return MediaOptions(
        analysis_size=m.analysis_size,
        max_pixels=m.max_pixels,
        thumbnail_sizes=tuple(m.thumbnail_sizes),
        thumbnail_quality=m.thumbnail_quality,
        geocode_max_km=m.geocode_max_km,
    )


def thumbnail_path(data_dir: Path, size: int, photo_id: int) -> Path:
    return data_dir / "thumbs" / str(size) / f"{photo_id % 256:02x}" / f"{photo_id}.jpg"


def pixels_of(work: Work) -> np.ndarray | None:
    """The photo's decode (None when its pixels are broken): for stages that need media."""
    media: MediaResult | None = work.outputs.get(MediaStage.name)
    return None if media is None else media.pixels


def media_columns(result: MediaResult) -> dict[str, Any]:
    meta = result.metadata
    columns = {k: getattr(meta, k) for k in vars(meta) if not k.startswith("gps_utc")}
    columns["camera"] = camera_name(meta.make, meta.model)
    columns["phash"], columns["dhash"] = result.phash, result.dhash
    columns["near_code"] = result.near_code
    if result.place:
        columns.update(
            country_code=result.place.country_code,
            country=result.place.country,
            city=result.place.city,
        )
    else:
        columns.update(country_code=None, country=None, city=None)
    return columns


def media_tags(result: MediaResult) -> list[tuple[str, str, float]]:
    """Descriptive, place and date tags as ``(name, kind, confidence)``."""
    tags: list[tuple[str, str, float]] = []
    for text in result.descriptive_tags:
        kind, _, name = text.partition(":")
        if name:
            tags.append((name, PLACE_KINDS.get(kind, kind), 1.0))
    taken = result.metadata.taken_at
    if taken is not None:
        tags.append((f"{taken.year:04d}", "date", 1.0))
        tags.append((f"{taken.year:04d}-{taken.month:02d}", "date", 1.0))
    return tags


class MediaStage(Stage):
    """Holds the long-lived pieces: one exiftool process, the geocoder, a source per mount."""

    name = "media"
    changes_hashes = True

    def __init__(self, settings: Settings) -> None:
        self.version = VERSION
        self.settings = settings
        self.options = media_options(settings)
        self.exif = ExifReader()
        self.geocoder = Geocoder()
        self._sources: dict[str, Source] = {}

    def close(self) -> None:
        self.exif.close()

    def source(self, location: str) -> Source:
        """The source of the mount at ``location`` (sources are made once per mount)."""
        if location not in self._sources:
            mount = next((m for m in self.settings.mounts if m.path == location), None)
            if mount is None:
                raise MediaError(f"the mount at {location} is no longer configured")
            self._sources[location] = source_for(mount)
        return self._sources[location]

    def compute(self, work: Work) -> MediaResult:
        claim = work.claim
        data_dir = self.settings.store.data_dir
        thumbs = {s: thumbnail_path(data_dir, s, claim.photo_id)
                  for s in self.options.thumbnail_sizes}
        with self.source(claim.location).local(claim.path) as path:
            result = process(path, self.options, self.exif, self.geocoder, thumbs)
        work.decoded = result.pixels is not None
        return result

    def save(self, session: Session, work: Work, output: MediaResult) -> None:
        photo_id = work.claim.photo_id
        photo_store.save_media(session, photo_id, media_columns(output), output.decode_error)
        photo_store.set_tags(session, photo_id, media_tags(output), source="media")


def build(settings: Settings) -> MediaStage:
    return MediaStage(settings)
