"""The stages a photo goes through, as named functions over plain ids, composed in one place.

Each photo is decoded once (by the media stage, at the analysis size); every later stage
(faces, tags, …) runs on that decoded image. A stage records its version per photo, so a new
version re-runs only that stage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from recognize.media import MediaResult, camera_name
from recognize.store import photos as photo_store

MEDIA_VERSION = "media@2"  # 2: near_code (duplicates)
PLACE_KINDS = {"country": "place", "city": "place"}  # the media layer's prefixes → tag kind


@dataclass
class PhotoWork:
    """One claimed photo flowing through the stages of a batch."""

    photo_id: int
    mount_id: int
    location: str  # the mount's folder or URL
    path: str  # relative path inside the mount
    stages: list[str]
    media: MediaResult | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # set when the photo failed (nothing of it is saved)
    permanent: bool = False  # the failure will not go away by retrying (bad file)


@dataclass(frozen=True)
class Stage:
    name: str
    version: str
    needs_pixels: bool
    compute: Callable[[Any, PhotoWork], Any]  # (context, work) -> output; no store access
    save: Callable[[Session, PhotoWork, Any], None]  # output -> store, inside the batch's transaction


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


def _save_media(session: Session, work: PhotoWork, result: MediaResult) -> None:
    photo_store.save_media(session, work.photo_id, media_columns(result), result.decode_error)
    photo_store.set_tags(session, work.photo_id, media_tags(result), source="media")


MEDIA = Stage(
    name="media",
    version=MEDIA_VERSION,
    needs_pixels=False,
    compute=lambda _ctx, work: work.media,
    save=_save_media,
)


def pipeline(enabled: list[Stage] | None = None) -> list[Stage]:
    """The ordered stages; the models' stages are appended here when enabled."""
    return [MEDIA, *(enabled or [])]
