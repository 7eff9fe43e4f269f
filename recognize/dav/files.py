"""``files/<mount>/…``: the originals. Read-only unless the mount says ``writable = true``;
then PUT, MKCOL, DELETE, MOVE and COPY act on the real folder and the store follows
(:mod:`recognize.jobs.notify`). Paths never leave the mount (symlinks included). A PUT
replaces a file only once its whole body arrived (:mod:`recognize.dav.atomic`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from wsgidav import util
from wsgidav.dav_error import HTTP_FORBIDDEN, DAVError
from wsgidav.dav_provider import DAVNonCollection, _DAVResource
from wsgidav.fs_dav_provider import FileResource, FolderResource

from recognize.dav.atomic import TEMP_PREFIX, AtomicUpload, declared_length, is_temp
from recognize.dav.base import EmptyBody, Props, VirtualCollection, digest, forbid
from recognize.dav.context import MountInfo, UserContext
from recognize.jobs import notify
from recognize.log import get_logger
from recognize.store.rows import photo_by_path

log = get_logger(__name__)


def _stages(ctx: UserContext) -> list[str]:
    """The stages a new photo is queued for: those of the configured pipeline."""
    from recognize.jobs.stages import stage_names

    return stage_names(ctx.backend.settings)


def split_files_path(path: str) -> tuple[str, str]:
    """``/files/<mount>/a/b`` → (mount name, ``a/b``)."""
    parts = path.strip("/").split("/", 2)
    return (parts[1] if len(parts) > 1 else ""), (parts[2] if len(parts) > 2 else "")


def home_alias(ctx: UserContext, path: str) -> str:
    """``/files/<user>/<mount>/…`` (Nextcloud's file URLs, :mod:`recognize.dav.nextcloud_files`)
    → ``/files/<mount>/…``; a mount named like the user keeps its name."""
    parts = path.strip("/").split("/", 2)
    if len(parts) >= 2 and parts[0] == "files" and parts[1] == ctx.user \
            and ctx.mount_by_name(ctx.user) is None:
        return "/files/" + (parts[2] if len(parts) > 2 else "")
    return path


def file_path(ctx: UserContext, path: str) -> tuple[MountInfo, str, str]:
    """Map a DAV path to (mount, relative path, real file path) or refuse it."""
    name, rel = split_files_path(home_alias(ctx, path))
    mount = ctx.mount_by_name(name)
    if mount is None or mount.remote:
        raise DAVError(HTTP_FORBIDDEN, "no such mount")
    parts = [p for p in rel.split("/") if p]
    if any(p in (".", "..") or "\\" in p or "\0" in p for p in parts):
        raise forbid("path leaves the mount")
    if parts and is_temp(parts[-1]):
        raise forbid(f"names like {TEMP_PREFIX}….part are the server's unfinished uploads")
    full = os.path.join(str(mount.root), *parts)
    root_real = os.path.realpath(mount.root)
    real = os.path.realpath(full)
    inside = os.path.commonpath([root_real, real]) == root_real
    if not inside or (not mount.follow_symlinks and parts and _has_link(mount.root, parts)):
        raise forbid("path leaves the mount")
    return mount, "/".join(parts), full


def _has_link(root: Path, parts: list[str]) -> bool:
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink():
            return True
    return False


class _Mounted(Props):
    """Shared by files and folders of a mount: write checks, notifications, own props."""

    mount: MountInfo
    rel: str
    shared_refs = True

    def _writable(self) -> None:
        if not self.mount.writable:
            raise forbid(f"mount {self.mount.name!r} is read-only")

    def check_proppatch(self) -> None:
        self._writable()

    def _notify_added(self, dest_path: str) -> None:
        mount, rel, _ = file_path(self.ctx, dest_path)
        notify.added(self.ctx.backend.store, mount.id, mount.root, rel, _stages(self.ctx))

    def _notify_move(self, dest_path: str) -> None:
        mount, rel, _ = file_path(self.ctx, dest_path)
        store = self.ctx.backend.store
        if mount.id == self.mount.id:
            notify.moved(store, mount.id, self.rel, rel, mount.root, _stages(self.ctx))
        else:
            notify.removed(store, self.mount.id, self.rel)
            notify.added(store, mount.id, mount.root, rel, _stages(self.ctx))

    def move_recursive(self, dest_path: str) -> None:
        super().move_recursive(dest_path)  # type: ignore[misc]
        self._notify_move(dest_path)

    def set_last_modified(self, dest_path: str, time_stamp: Any, *, dry_run: bool) -> bool:
        self._writable()
        return bool(super().set_last_modified(  # type: ignore[misc]
            dest_path, time_stamp, dry_run=dry_run))

    def _target_check(self, dest_path: str) -> None:
        if not dest_path.startswith("/files/"):
            raise forbid("originals can only be copied or moved within files/")
        mount, _, _ = file_path(self.ctx, dest_path)
        if not mount.writable:
            raise forbid(f"mount {mount.name!r} is read-only")


class MountFile(_Mounted, FileResource):
    def __init__(self, path: str, environ: dict[str, Any], ctx: UserContext) -> None:
        self.ctx = ctx
        self.mount, self.rel, full = file_path(ctx, path)
        super().__init__(path, environ, full)
        self.permissions = "DNVW" if self.mount.writable else ""

    def get_etag(self) -> str:
        st = self.file_stat
        return f"{st.st_ino:x}-{st.st_mtime_ns:x}-{st.st_size:x}"

    def _as_photo(self) -> Any:
        """Under Nextcloud's ``files/<user>/``: the photo this file is (None elsewhere)."""
        if self.path == home_alias(self.ctx, self.path):
            return None
        from recognize.dav.nextcloud_files import photo_at

        return photo_at(self.environ, self.ctx, self.mount.id, self.rel)

    def file_id(self) -> str:
        """Under ``files/<user>/``: the photo's id (as in every other folder), looked up only
        when a client asks for ``oc:fileid`` there."""
        photo = self._as_photo()
        return photo.file_id() if photo is not None else super().file_id()

    def extra_property_value(self, name: str) -> Any:
        """Under ``files/<user>/``: Photos' metadata (``nc:metadata-photos-*`` …) too."""
        from recognize.dav.nextcloud_files import PHOTO_PROPS

        if name in PHOTO_PROPS:
            photo = self._as_photo()
            if photo is not None:
                return photo.extra_property_value(name)
        return super().extra_property_value(name)

    def begin_write(self, *, content_type: str | None = None) -> Any:
        self._writable()
        return _begin_upload(self)

    def end_write(self, *, with_errors: bool) -> None:
        _end_upload(self, with_errors)

    def delete(self) -> None:
        self._writable()
        super().delete()
        notify.removed(self.ctx.backend.store, self.mount.id, self.rel)

    def handle_copy(self, dest_path: str, *, depth_infinity: bool) -> bool:
        from recognize.dav.ops import tag_by_id

        with self.ctx.session() as session:
            photo_id = photo_by_path(session, self.mount.id, self.rel)
        if tag_by_id(self, dest_path, photo_id):
            return True
        self._target_check(dest_path)
        return False

    def handle_move(self, dest_path: str) -> bool:
        self._writable()
        self._target_check(dest_path)
        return False

    def copy_move_single(self, dest_path: str, *, is_move: bool) -> None:
        super().copy_move_single(dest_path, is_move=is_move)
        self._notify_added(dest_path)


class NewMountFile(_Mounted, EmptyBody, DAVNonCollection):
    """The target of a PUT that creates a file: nothing exists on disk until the body is in."""

    def __init__(self, path: str, environ: dict[str, Any], ctx: UserContext) -> None:
        super().__init__(path, environ)
        self.ctx = ctx
        self.mount, self.rel, self._file_path = file_path(ctx, path)
        self.permissions = "DNVW"

    def get_etag(self) -> str | None:
        try:
            st = os.stat(self._file_path)
        except OSError:
            return None
        return f"{st.st_ino:x}-{st.st_mtime_ns:x}-{st.st_size:x}"

    def support_etag(self) -> bool:
        return True

    def begin_write(self, *, content_type: str | None = None) -> Any:
        self._writable()
        return _begin_upload(self)

    def end_write(self, *, with_errors: bool) -> None:
        _end_upload(self, with_errors)

    def set_last_modified(self, dest_path: str, time_stamp: Any, *, dry_run: bool) -> bool:
        self._writable()
        if not dry_run and os.path.exists(self._file_path):
            os.utime(self._file_path, (time_stamp, time_stamp))
        return True


UPLOAD_KEY = "recognize.dav.atomic"


def _begin_upload(res: MountFile | NewMountFile) -> AtomicUpload:
    upload = AtomicUpload(res._file_path, declared_length(res.environ))
    res.environ[UPLOAD_KEY] = upload
    return upload


def _end_upload(res: MountFile | NewMountFile, with_errors: bool) -> None:
    upload: AtomicUpload | None = res.environ.pop(UPLOAD_KEY, None)
    if upload is not None and (with_errors or not upload.done):
        upload.discard()
        return
    if not with_errors:
        notify.added(res.ctx.backend.store, res.mount.id, res.mount.root, res.rel,
                     _stages(res.ctx))



class MountFolder(_Mounted, FolderResource):
    def __init__(self, path: str, environ: dict[str, Any], ctx: UserContext) -> None:
        self.ctx = ctx
        self.mount, self.rel, full = file_path(ctx, path)
        super().__init__(path, environ, full)
        self.permissions = "DNVCK" if self.mount.writable else ""
        if not self.rel:
            self.permissions = "CK" if self.mount.writable else ""

    def get_etag(self) -> str:
        st = self.file_stat
        return f"d{st.st_ino:x}-{st.st_mtime_ns:x}"

    def get_member_names(self) -> list[str]:
        out = []
        for entry in os.scandir(self._file_path):
            if (entry.is_symlink() and not self.mount.follow_symlinks) or is_temp(entry.name):
                continue
            if entry.is_dir() or entry.is_file():
                out.append(entry.name)
        return out

    def get_member_list(self) -> list[_DAVResource]:
        members = []
        for name in self.get_member_names():
            try:
                member = self.get_member(name)
            except DAVError:  # e.g. a symlink leaving the mount
                continue
            if member is not None:
                members.append(member)
        return members

    def create_empty_resource(self, name: str) -> Any:
        self._writable()
        if self.environ.get("REQUEST_METHOD") == "PUT":  # created only once the body is in
            return NewMountFile(join(self.path, name), self.environ, self.ctx)
        return super().create_empty_resource(name)  # LOCK of a new name: an empty file

    def create_collection(self, name: str) -> None:
        self._writable()
        super().create_collection(name)

    def delete(self) -> None:
        self._writable()
        if not self.rel:
            raise forbid("a mount's own folder cannot be deleted")
        super().delete()
        notify.removed(self.ctx.backend.store, self.mount.id, self.rel)

    def handle_delete(self) -> bool:
        self._writable()
        if not self.rel:
            raise forbid("a mount's own folder cannot be deleted")
        return False

    def handle_move(self, dest_path: str) -> bool:
        self._writable()
        if not self.rel:
            raise forbid("a mount's own folder cannot be moved")
        self._target_check(dest_path)
        return False

    def handle_copy(self, dest_path: str, *, depth_infinity: bool) -> bool:
        self._target_check(dest_path)
        return False



class FilesRoot(VirtualCollection):
    kind = "files"

    def list_members(self) -> list[_DAVResource]:
        return [MountFolder(self.child_path(m.name), self.environ, self.ctx)
                for m in sorted(self.ctx.mounts.values(), key=lambda m: m.name) if not m.remote]

    def get_member(self, name: str) -> _DAVResource | None:
        mount = self.ctx.mount_by_name(name)
        if mount is None or mount.remote:
            return None
        return MountFolder(self.child_path(name), self.environ, self.ctx)

    def get_etag(self) -> str:
        return digest("files", *(f"{m.name}:{m.get_etag()}" for m in self.get_member_list()))


def resolve(ctx: UserContext, path: str, environ: dict[str, Any]) -> _DAVResource | None:
    """A path below ``/files/<mount>/``: the real file or folder, or None."""
    _mount, _rel, full = file_path(ctx, path)
    if not os.path.lexists(full):
        return None
    if os.path.isdir(full):
        return MountFolder(path, environ, ctx)
    if os.path.isfile(full):
        return MountFile(path, environ, ctx)
    return None


def join(path: str, name: str) -> str:
    return util.join_uri(path, name)
