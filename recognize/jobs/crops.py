"""Face crops for the review page, the API and file managers: made once, cached on disk.

A crop is cut from the analysis-size decode of the photo (the original of a local mount;
the largest thumbnail of a remote one), turned upright by the eyes, and written beside the
thumbnails under ``<data_dir>/crops/<size>/``. Its name carries a key of what it was made
from (face box, photo mtime), so a changed face or photo gets a new file and a new ETag.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from recognize.config import Settings
from recognize.errors import MediaError, NotFound
from recognize.media.crops import face_crop
from recognize.media.decode import decode
from recognize.store import Store
from recognize.store.faces import face_source

CROP_SIZES = (64, 128, 256, 512)  # a request is served at the next size up
CROP_QUALITY = 85


@dataclass(frozen=True)
class Crop:
    path: Path
    etag: str


def crop_size(requested: int) -> int:
    return next((s for s in CROP_SIZES if s >= requested), CROP_SIZES[-1])


def _source(settings: Settings, mount: str, location: str, rel: str, photo_id: int) -> Path:
    from recognize.jobs.worker import thumbnail_path

    configured = next((m for m in settings.mounts if m.name == mount), None)
    path = configured.path if configured is not None else location
    if not path.startswith(("http://", "https://")):
        return Path(path) / rel
    return thumbnail_path(settings.store.data_dir, max(settings.media.thumbnail_sizes), photo_id)


def crop_file(settings: Settings, store: Store, face_id: int, size: int) -> Crop:
    """The cached crop of a face (made now when missing). The caller checks access."""
    size = crop_size(size)
    with store.reading() as session:
        face = face_source(session, face_id)
    if face is None:
        raise NotFound(f"no face {face_id}")
    key = hashlib.sha256(repr((face.box, face.landmarks, face.mtime_ns, size)).encode()
                         ).hexdigest()[:16]
    path = settings.store.data_dir / "crops" / str(size) / f"{face_id % 256:02x}" / \
        f"{face_id}-{key}.jpg"
    if not path.is_file():
        source = _source(settings, face.mount, face.location, face.path, face.photo_id)
        from recognize.jobs.worker import media_options

        try:
            pixels = decode(source, media_options(settings))
        except FileNotFoundError:
            raise MediaError(f"the photo of face {face_id} is not there any more") from None
        _write(path, face_crop(pixels, face.box, face.landmarks, size, CROP_QUALITY))
    return Crop(path, key)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob(f"{path.name.split('-')[0]}-*.jpg"):  # an older crop
        old.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
