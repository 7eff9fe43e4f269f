"""The building blocks of the tree: properties, virtual folders, and photo entries."""

from __future__ import annotations

import hashlib
import io
import json
import mimetypes
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from sqlalchemy.orm import Session
from wsgidav.dav_error import HTTP_FORBIDDEN, HTTP_NOT_FOUND, DAVError
from wsgidav.dav_provider import DAVCollection, DAVNonCollection, _DAVResource

from recognize.dav import names
from recognize.dav.context import UserContext
from recognize.store import people
from recognize.store import tags as tag_store
from recognize.store.rows import PhotoRow, Stat

NS_OC = "http://owncloud.org/ns"
NS_NC = "http://nextcloud.org/ns"
NS_RC = "urn:recognize:ns"
OC_PERMISSIONS = f"{{{NS_OC}}}permissions"
OC_ID = f"{{{NS_OC}}}id"
OC_FILEID = f"{{{NS_OC}}}fileid"
RC_FACES = f"{{{NS_RC}}}faces"
RC_TAGS = f"{{{NS_RC}}}tags"
RC_PHOTO = f"{{{NS_RC}}}photo-id"
OWN_PROPS = (OC_PERMISSIONS, OC_ID, OC_FILEID)


def forbid(message: str) -> DAVError:
    return DAVError(HTTP_FORBIDDEN, message)


def digest(*parts: object) -> str:
    return hashlib.blake2b("\0".join(map(str, parts)).encode(), digest_size=12).hexdigest()


class Props:
    """Live properties every resource of ours has; dead ones go to the property manager."""

    ctx: UserContext
    permissions = ""  # ownCloud letters: D delete, N rename, V move, W write, C/K create
    shared_refs = False  # True: lock/property keys shared by every owner (real files)

    def oc_id(self) -> str:
        res = cast(_DAVResource, self)
        return digest(self.ctx.user if not self.shared_refs else "", res.path)

    def file_id(self) -> str:
        """``oc:fileid``: a photo's id on photos (as Nextcloud clients expect), else oc:id."""
        return self.oc_id()

    def get_ref_url(self) -> str:  # asked several times per PROPFIND entry: made once
        if "_ref" not in self.__dict__:
            res = cast(_DAVResource, self)
            ref = quote(res.provider.share_path + res.get_preferred_path())
            self.__dict__["_ref"] = ref if self.shared_refs else quote("/~" + self.ctx.user) + ref
        return cast(str, self.__dict__["_ref"])

    def get_property_names(self, *, is_allprop: bool) -> list[str]:
        base: list[str] = super().get_property_names(is_allprop=is_allprop)  # type: ignore[misc]
        return [*base, *OWN_PROPS, *self.extra_property_names(is_allprop)]

    def extra_property_names(self, is_allprop: bool) -> list[str]:
        return []

    def get_property_value(self, name: str) -> Any:
        res = cast(_DAVResource, self)
        if name == "{DAV:}getetag":
            etag = res.get_etag()
            if etag is None:
                raise DAVError(HTTP_NOT_FOUND)
            return f'"{etag}"'
        if name == OC_PERMISSIONS:
            return self.permissions
        if name == OC_ID:
            return self.oc_id()
        if name == OC_FILEID:
            return self.file_id()
        value = self.extra_property_value(name)
        if value is not None:
            return value
        return super().get_property_value(name)  # type: ignore[misc]

    def extra_property_value(self, name: str) -> Any:
        return None

    def check_proppatch(self) -> None:
        """Raise a 403 when this resource's (dead) properties may not be changed."""


class EmptyBody:
    """A non-collection with no bytes of its own (a system tag, a name being uploaded)."""

    def get_content_length(self) -> int:
        return 0

    def get_content_type(self) -> str:
        return "application/octet-stream"

    def get_content(self) -> Any:
        return io.BytesIO(b"")

    def support_ranges(self) -> bool:
        return False


class VirtualCollection(Props, DAVCollection):
    """A folder that exists only in the store; read-only unless a subclass says otherwise."""

    kind = "folder"

    def __init__(self, path: str, environ: dict[str, Any], ctx: UserContext,
                 stat: Stat | None = None) -> None:
        super().__init__(path, environ)
        self.ctx, self._stat = ctx, stat
        self._members: list[_DAVResource] | None = None

    # --- members ---------------------------------------------------------------------
    def list_members(self) -> list[_DAVResource]:
        return []

    def get_member_list(self) -> list[_DAVResource]:
        if self._members is None:
            self._members = self.list_members()
        return self._members

    def get_member_names(self) -> list[str]:
        return [m.name for m in self.get_member_list()]

    def get_member(self, name: str) -> _DAVResource | None:
        return next((m for m in self.get_member_list() if m.name == name), None)

    def child_path(self, name: str) -> str:
        return self.path.rstrip("/") + "/" + name

    # --- properties ------------------------------------------------------------------
    def get_display_name(self) -> str:
        return self.name

    def stat(self) -> Stat | None:
        return self._stat

    def get_etag(self) -> str:
        stat = self.stat()
        if stat is not None:
            return digest(self.kind, self.path, stat.key())
        return digest(self.kind, *(f"{m.name}:{m.get_etag()}" for m in self.get_member_list()))

    def support_etag(self) -> bool:
        return True

    def get_last_modified(self) -> float:
        stat = self.stat()
        if stat is not None:
            return stat.mtime_max / 1e9
        times = [m.get_last_modified() or 0 for m in self.get_member_list()]
        return max(times, default=0)

    def get_used_bytes(self) -> int:
        stat = self.stat()
        return stat.size if stat is not None else 0

    def get_available_bytes(self) -> int:
        return self.ctx.backend.free_bytes()

    def get_creation_date(self) -> None:
        return None

    # --- refused by default ----------------------------------------------------------
    def create_collection(self, name: str) -> None:
        raise forbid(f"cannot create folders in {self.path}")

    def create_empty_resource(self, name: str) -> _DAVResource:
        raise forbid(f"cannot create files in {self.path}")

    def support_recursive_delete(self) -> bool:
        return True

    def handle_delete(self) -> bool:
        raise forbid(f"{self.path} cannot be deleted")

    def handle_move(self, dest_path: str) -> bool:
        raise forbid(f"{self.path} cannot be moved")

    def handle_copy(self, dest_path: str, *, depth_infinity: bool) -> bool:
        raise forbid(f"{self.path} cannot be copied")

    def delete(self) -> None:
        raise forbid(f"{self.path} cannot be deleted")

    def create_named(self, name: str, what: str, make: Callable[[Session, int, str], object],
                     *, usable: bool = True, hint: str = "") -> None:
        """MKCOL of a person or tag folder: ``make(session, user id, name)`` when ``name`` is a
        safe name (and ``usable``), else 403 naming ``what`` (and the ``hint``)."""
        if not usable or name != names.safe(name):
            raise forbid(f"not a usable {what} name: {name!r}{hint}")
        with self.ctx.change() as session:
            make(session, self.ctx.user_id, name)

    def set_last_modified(self, dest_path: str, time_stamp: Any, *, dry_run: bool) -> bool:
        return True


class PhotoFolder(VirtualCollection):
    """A folder of photos: one query lists it, one narrow query finds one entry by name."""

    kind = "photos"

    def query(self, session: Session, names_: Sequence[str] | None) -> list[PhotoRow]:
        raise NotImplementedError

    def compute_stat(self, session: Session) -> Stat:
        raise NotImplementedError

    def base_name(self, row: PhotoRow) -> str:
        return row.name

    def stat(self) -> Stat:
        if self._stat is None:
            with self.ctx.reading() as session:
                self._stat = self.compute_stat(session)
        return self._stat

    def entry(self, name: str, row: PhotoRow) -> PhotoFile:
        return PhotoFile(self.child_path(name), self.environ, self, row, name)

    def rows_key(self) -> tuple[object, ...] | None:
        """What the rows depend on beside user and mounts (``UserContext.memo``); None: no reuse."""
        return None

    def rows_for(self, wanted: Sequence[str] | None) -> list[PhotoRow]:
        key = self.rows_key()
        memo_key = None if key is None else (*key, None if wanted is None else tuple(wanted))
        return self.ctx.read(memo_key, lambda session: self.query(session, wanted))

    def list_members(self) -> list[_DAVResource]:
        return [self.entry(n, r) for n, r in names.unique(self.rows_for(None), self.base_name)]

    def by_name(self) -> dict[str, PhotoRow] | None:
        """Entries by name, when a request listed the folder at this generation."""
        key = self.rows_key()
        if key is None or (listing := self.ctx.peek((*key, None))) is None:
            return None
        return self.ctx.memo((*key, "by name"), lambda: dict(names.unique(listing, self.base_name)))

    def get_member(self, name: str) -> _DAVResource | None:
        wanted = names.candidates(name)
        if wanted is None or self._members is not None:
            return super().get_member(name)
        index = self.by_name()
        row = index.get(name) if index is not None else names.pick(
            name, self.rows_for(wanted), self.base_name)
        return self.entry(name, row) if row is not None else None

    # --- what operations on entries mean (overridden per folder kind) -----------------
    def delete_entry(self, entry: PhotoFile) -> None:
        raise forbid(f"photos cannot be deleted from {self.path}: originals are never changed")

    def entry_permissions(self) -> str:
        return ""

    # --- our own properties, loaded for every listed photo in one query --------------
    def photo_props(self, kind: str, photo_id: int) -> str:
        key = ("props", kind)
        cached = self.environ.setdefault("recognize.dav.props", {})
        if key not in cached:
            ids = ([m.row.id for m in self._members if isinstance(m, PhotoFile)]
                   if self._members else [photo_id])
            with self.ctx.reading() as session:
                cached[key] = self._load_props(session, kind, ids)
        value = cached[key].get(photo_id)
        if value is None:  # an entry not in the batch (resolved by name)
            with self.ctx.reading() as session:
                value = self._load_props(session, kind, [photo_id]).get(photo_id, [])
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def _load_props(self, session: Session, kind: str, ids: list[int]) -> dict[int, Any]:
        if kind == "tags":
            return tag_store.tags_of(session, ids, self.ctx.viewer)
        return people.faces_of(session, ids, self.ctx.viewer)


class PhotoFile(Props, DAVNonCollection):
    """One photo as seen in a virtual folder: reads stream the original, never change it."""

    def __init__(self, path: str, environ: dict[str, Any], folder: PhotoFolder,
                 row: PhotoRow, name: str) -> None:
        super().__init__(path, environ)
        self.ctx = folder.ctx
        self.folder = folder
        self.row = row
        self.name = name
        self.permissions = folder.entry_permissions()

    def oc_id(self) -> str:
        return f"{self.row.id:08d}rc"

    def file_id(self) -> str:
        return str(self.row.id)

    def file_path(self) -> Path:
        mount = self.ctx.mounts.get(self.row.mount_id)
        if mount is None or mount.remote:
            raise DAVError(HTTP_NOT_FOUND, "the original is not on this machine")
        path = mount.root / self.row.path
        real = Path(os.path.realpath(path))
        if not mount.follow_symlinks and not real.is_relative_to(os.path.realpath(mount.root)):
            raise forbid("the photo's file leaves its mount")
        return real

    def _live_size(self) -> int:
        if self.environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            try:
                return self.file_path().stat().st_size
            except OSError:
                raise DAVError(HTTP_NOT_FOUND, "the original is gone") from None
        return self.row.size

    def get_content_length(self) -> int:
        return self._live_size()

    def get_content_type(self) -> str:
        return self.row.mime or mimetypes.guess_type(self.name)[0] or "application/octet-stream"

    def get_etag(self) -> str:
        return f"{self.row.id:x}-{self.row.mtime_ns:x}-{self.row.size:x}"

    def get_last_modified(self) -> float:
        return self.row.mtime_ns / 1e9

    def get_display_name(self) -> str:
        return self.name

    def get_creation_date(self) -> None:
        return None

    def support_etag(self) -> bool:
        return True

    def support_ranges(self) -> bool:
        return True

    def get_content(self) -> Any:
        try:
            return self.file_path().open("rb", buffering=0)
        except OSError:
            raise DAVError(HTTP_NOT_FOUND, "the original is gone") from None

    def extra_property_names(self, is_allprop: bool) -> list[str]:
        return [] if is_allprop else [RC_FACES, RC_TAGS, RC_PHOTO]

    def extra_property_value(self, name: str) -> Any:
        if name == RC_FACES:
            return self.folder.photo_props("faces", self.row.id)
        if name == RC_TAGS:
            return self.folder.photo_props("tags", self.row.id)
        if name == RC_PHOTO:
            return str(self.row.id)
        return None

    # --- operations: what they mean depends on the folder ------------------------------
    def handle_delete(self) -> bool:
        self.folder.delete_entry(self)
        return True

    def handle_move(self, dest_path: str) -> bool:
        from recognize.dav.ops import transfer

        transfer(self, dest_path, move=True)
        return True

    def handle_copy(self, dest_path: str, *, depth_infinity: bool) -> bool:
        from recognize.dav.ops import transfer

        transfer(self, dest_path, move=False)
        return True

    def begin_write(self, *, content_type: str | None = None) -> Any:
        from recognize.dav.ops import upload_sink

        return upload_sink(self.folder)

    def end_write(self, *, with_errors: bool) -> None:
        from recognize.dav.ops import finish_upload

        finish_upload(self.folder, with_errors)

    def delete(self) -> None:
        self.folder.delete_entry(self)

    def set_last_modified(self, dest_path: str, time_stamp: Any, *, dry_run: bool) -> bool:
        return True
