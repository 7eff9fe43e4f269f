"""JPEG thumbnails written from the decoded array (the file is never read again)."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

import numpy as np
import pyvips

from recognize.errors import STORAGE_ERRNOS, MediaError, StorageError
from recognize.media.types import MediaOptions

# the data directory is full, read-only or not ours: work waits, the photo is not to blame
_NOT_THE_PHOTOS_FAULT = STORAGE_ERRNOS | {errno.EACCES, errno.EPERM}


def write_thumbnails(pixels: np.ndarray, opts: MediaOptions, dest: dict[int, Path]) -> dict[int, str]:
    """Write one JPEG per ``size -> path`` (longest side = size, never upscaled).

    Each file is written to a temporary name beside it and renamed into place, so a reader
    never sees half a thumbnail. Returns ``size -> path written``.
    """
    image = pyvips.Image.new_from_array(np.ascontiguousarray(pixels), interpretation="srgb")
    written: dict[int, str] = {}
    for size in sorted(dest, reverse=True):  # largest first: each smaller one from the last
        if max(image.width, image.height) > size:
            image = image.thumbnail_image(size, height=size, size="down").copy_memory()
        written[size] = str(_write_atomic(image, Path(dest[size]), opts.thumbnail_quality))
    return written


def _write_atomic(image: pyvips.Image, path: Path, quality: int) -> Path:
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(image.jpegsave_buffer(Q=quality, strip=True))
        os.replace(tmp, path)
    except (OSError, pyvips.Error) as err:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(err, OSError) and err.errno in _NOT_THE_PHOTOS_FAULT:
            raise StorageError(f"cannot write thumbnails in {path.parent}: "
                               f"{(err.strerror or str(err)).lower()}") from err
        raise MediaError(f"cannot write thumbnail {path}: {err}") from err
    return path
