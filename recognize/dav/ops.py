"""What COPY, MOVE and PUT of a photo mean between virtual folders (never touching originals)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from wsgidav import util
from wsgidav.dav_error import HTTP_CONFLICT, HTTP_REQUEST_ENTITY_TOO_LARGE, DAVError
from wsgidav.dav_provider import _DAVResource

from recognize.dav.base import PhotoFile, PhotoFolder, forbid
from recognize.jobs.crawl import fingerprint
from recognize.log import get_logger
from recognize.store.rows import photo_by_content

log = get_logger(__name__)
UPLOAD_KEY = "recognize.dav.upload"
MAX_MATCH_UPLOAD = 4 << 30  # a PUT into a tag is only hashed, but not without limit


def destination(res: _DAVResource, dest_path: str) -> _DAVResource | None:
    return res.provider.get_resource_inst(util.get_uri_parent(dest_path), res.environ)


def transfer(entry: PhotoFile, dest_path: str, *, move: bool) -> None:
    """MOVE/COPY of a photo entry to ``dest_path`` (a person or a tag folder)."""
    from recognize.dav.people import PersonFolder
    from recognize.dav.tags import TagFolder

    target = destination(entry, dest_path)
    if isinstance(target, PersonFolder):
        target.receive(entry, move)
    elif isinstance(target, TagFolder):
        if move and not isinstance(entry.folder, TagFolder):
            raise forbid("MOVE would take the photo out of its folder: COPY it into the tag")
        if move and target.tag_id == entry.folder.tag_id:
            raise forbid("photos in a tag folder cannot be renamed")
        target.tag(entry.row.id)
        if move:
            entry.folder.untag(entry.row.id)
    else:
        raise forbid("photos can only be moved to people/<Person>/ or copied to tags/<tag>/")


def tag_by_id(res: _DAVResource, dest_path: str, photo_id: int | None) -> bool:
    """COPY of an original (files/…) into tags/<tag>/: tag it. False: not a tag folder."""
    from recognize.dav.tags import TagFolder

    target = destination(res, dest_path)
    if not isinstance(target, TagFolder):
        return False
    if photo_id is None:
        raise DAVError(HTTP_CONFLICT, "this file is not indexed yet: try again after a scan")
    target.tag(photo_id)
    return True


class UploadSink:
    """Receives a PUT body into a temporary file, to be matched by content and removed."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="put-", dir=folder)
        self.path = Path(name)
        self.file = os.fdopen(fd, "wb")
        self.size = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > MAX_MATCH_UPLOAD:
            raise DAVError(HTTP_REQUEST_ENTITY_TOO_LARGE, "body too large to match a photo")
        self.file.write(data)

    def close(self) -> None:
        self.file.close()

    def discard(self) -> None:
        self.file.close()
        self.path.unlink(missing_ok=True)


def upload_sink(folder: PhotoFolder) -> UploadSink:
    from recognize.dav.tags import TagFolder

    if not isinstance(folder, TagFolder):
        raise forbid("files cannot be written here (only tags/<tag>/ and writable files/ mounts)")
    sink = UploadSink(folder.ctx.backend.data_dir / "tmp")
    folder.environ[UPLOAD_KEY] = sink
    return sink


def finish_upload(folder: PhotoFolder, with_errors: bool) -> None:
    """Match the PUT body to one of the user's photos and tag that photo (the folder's
    upload, if :func:`upload_sink` began one: then the folder is a tag's)."""
    from recognize.dav.tags import TagFolder

    sink: UploadSink | None = folder.environ.pop(UPLOAD_KEY, None)
    if sink is None:
        return
    try:
        sink.close()
        if with_errors or not isinstance(folder, TagFolder):
            return
        print_ = fingerprint(sink.path, sink.size)
        with folder.ctx.session() as session:
            photo_id = photo_by_content(session, folder.ctx.mount_ids, sink.size, print_)
        if photo_id is None:
            raise DAVError(HTTP_CONFLICT, "this file is none of your photos: only photos "
                           "already in a mount can be tagged (copy it into files/ first)")
        folder.tag(photo_id)
    finally:
        sink.discard()
