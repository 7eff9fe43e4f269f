"""Face crops for the review page, the API and file managers: made once, cached on disk.

The faces stage writes each face's crop (:data:`BASE_SIZE` px) from the decode it already
has, so listing and opening faces never decodes a photo. Smaller sizes are scaled from that
file; the largest, and crops of faces found before crops existed, are cut from a new
analysis-size decode of the photo (the original of a local mount, the largest thumbnail of
a remote one) once, then cached too. Files live under ``<data_dir>/crops/<size>/``; their
name carries a key of the face's box and landmarks, which is also the ETag, so a changed
face gets a new file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyvips

from recognize.config import Settings
from recognize.errors import MediaError, NotFound
from recognize.media.crops import face_crop
from recognize.media.decode import decode
from recognize.store import Store
from recognize.store.faces import FaceSource, face_source

BASE_SIZE = 256  # written by the faces stage
CROP_SIZES = (64, 128, 256, 512)  # a request is served at the next size up
CROP_QUALITY = 85


@dataclass(frozen=True)
class Crop:
    path: Path
    etag: str
    size: int  # bytes


def _found(path: Path, key: str) -> Crop | None:
    try:
        return Crop(path, key, path.stat().st_size)
    except OSError:
        return None


def crop_size(requested: int) -> int:
    return next((s for s in CROP_SIZES if s >= requested), CROP_SIZES[-1])


Landmarks = Sequence[Sequence[float]] | None


def crop_key(box: Sequence[float], landmarks: Landmarks) -> str:
    marks = None if landmarks is None else [[float(v) for v in p] for p in landmarks]
    return hashlib.sha256(repr(([float(v) for v in box], marks)).encode()).hexdigest()[:16]


def crop_path(data_dir: Path, size: int, face_id: int, key: str) -> Path:
    return data_dir / "crops" / str(size) / f"{face_id % 256:02x}" / f"{face_id}-{key}.jpg"


def encode_face_crop(pixels: np.ndarray, box: Sequence[float], landmarks: Landmarks) -> bytes:
    """The faces stage's crop of a face (:data:`BASE_SIZE` px) from the photo's decode."""
    return face_crop(pixels, box, landmarks, BASE_SIZE, CROP_QUALITY)


def write_face_crops(data_dir: Path,
                     faces: Sequence[tuple[int, Sequence[float], Landmarks, bytes]]) -> None:
    """The faces stage's part: ``(face id, box, landmarks, crop)``, the crop from
    :func:`encode_face_crop`."""
    for face_id, box, landmarks, crop in faces:
        _write(crop_path(data_dir, BASE_SIZE, face_id, crop_key(box, landmarks)), crop)


def cached_crop(settings: Settings, face_id: int, box: Sequence[float], landmarks: Landmarks,
                size: int = BASE_SIZE) -> Crop | None:
    """The crop when it is on disk already (no store, no decode): what listings use."""
    key = crop_key(box, landmarks)
    return _found(crop_path(settings.store.data_dir, crop_size(size), face_id, key), key)


def crop_file(settings: Settings, store: Store, face_id: int, size: int = BASE_SIZE) -> Crop:
    """The crop of a face at ``size`` (rounded up to CROP_SIZES), made now when missing.
    The caller checks access."""
    size = crop_size(size)
    with store.reading() as session:
        face = face_source(session, face_id)
    if face is None:
        raise NotFound(f"no face {face_id}")
    key = crop_key(face.box, face.landmarks)
    data_dir = settings.store.data_dir
    path = crop_path(data_dir, size, face_id, key)
    found = _found(path, key)
    if found is not None:
        return found
    base = crop_path(data_dir, BASE_SIZE, face_id, key)
    if size < BASE_SIZE:
        if not base.is_file():
            _write(base, _cut(settings, face, face_id, BASE_SIZE))
        small = pyvips.Image.thumbnail(str(base), size, height=size)
        _write(path, bytes(small.jpegsave_buffer(Q=CROP_QUALITY, strip=True)))
    else:
        _write(path, _cut(settings, face, face_id, size))
    return Crop(path, key, path.stat().st_size)


def _cut(settings: Settings, face: FaceSource, face_id: int, size: int) -> bytes:
    from recognize.jobs.stages.media import media_options, thumbnail_path

    configured = next((m for m in settings.mounts if m.name == face.mount), None)
    root = configured.path if configured is not None else face.location
    if root.startswith(("http://", "https://")):
        source = thumbnail_path(settings.store.data_dir, max(settings.media.thumbnail_sizes),
                                face.photo_id)
    else:
        source = Path(root) / face.path
    try:
        pixels = decode(source, media_options(settings))
    except FileNotFoundError:
        raise MediaError(f"the photo of face {face_id} is not there any more") from None
    return face_crop(pixels, face.box, face.landmarks, size, CROP_QUALITY)


def _write(path: Path, data: bytes) -> None:
    """Atomically, replacing an older crop of the same face and size."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob(f"{path.name.split('-')[0]}-*.jpg"):
        if old != path:
            old.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
