"""``tags/<tag>/<photo>``: MKCOL makes a user tag; PUT or COPY a photo in tags it; DELETE untags.

A PUT body is matched to one of the user's photos by content (size + fingerprint, as the
crawl computes it); a body that is no known photo is refused with 409.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session
from wsgidav import util
from wsgidav.dav_provider import DAVNonCollection, _DAVResource

from recognize.dav import names
from recognize.dav.base import (
    EmptyBody,
    PhotoFile,
    PhotoFolder,
    Props,
    VirtualCollection,
    forbid,
)
from recognize.dav.context import UserContext
from recognize.store import tag_removals
from recognize.store import tags as tag_store
from recognize.store.rows import Group, PhotoRow, Stat


def tag_label(group: Group) -> str:
    return names.safe(group.name or "")


class TagsRoot(VirtualCollection):
    kind = "tags"
    permissions = "CK"

    def _folder(self, name: str, group: Group) -> TagFolder:
        return TagFolder(self.child_path(name), self.environ, self.ctx, group.stat, group)

    def list_members(self) -> list[_DAVResource]:
        with self.ctx.reading() as session:
            groups = tag_store.tags(session, self.ctx.user_id, self.ctx.mount_ids)
        return [self._folder(n, g) for n, g in names.unique(groups, tag_label)]

    def get_member(self, name: str) -> _DAVResource | None:
        if self._members is not None:
            return super().get_member(name)
        with self.ctx.reading() as session:
            groups = tag_store.tag_list(session, self.ctx.user_id, self.ctx.mount_ids)
        found = names.pick(name, groups, tag_label)
        return self._folder(name, found) if found is not None else None

    def create_collection(self, name: str) -> None:
        self.create_named(name, "tag", tag_store.create_user_tag)


class TagFolder(PhotoFolder):
    kind = "tag"

    def __init__(self, path: str, environ: dict[str, Any], ctx: UserContext, stat: Stat | None,
                 group: Group) -> None:
        super().__init__(path, environ, ctx, stat)
        self.tag_id = int(group.key)
        self.user_tag = group.kind == "user"
        self.permissions = "CDNV" if self.user_tag else "C"

    def query(self, session: Session, names_: Sequence[str] | None) -> list[PhotoRow]:
        return tag_store.tag_photos(session, self.ctx.user_id, self.tag_id, self.ctx.mount_ids, names_)

    def compute_stat(self, session: Session) -> Stat:
        found = tag_store.tags(session, self.ctx.user_id, self.ctx.mount_ids, self.tag_id)
        return (found[0].stat or Stat()) if found else Stat()

    def entry_permissions(self) -> str:
        return "D"

    def handle_move(self, dest_path: str) -> bool:
        if not self.user_tag:
            raise forbid("only your own tags can be renamed")
        if util.get_uri_parent(dest_path).rstrip("/") != "/tags":
            raise forbid("a tag folder can only be renamed within tags/")
        new = util.get_uri_name(dest_path.rstrip("/"))
        if new != names.safe(new):
            raise forbid(f"not a usable tag name: {new!r}")
        with self.ctx.change() as session:
            tag_store.rename_user_tag(session, self.ctx.user_id, self.tag_id, new)
        return True

    def handle_delete(self) -> bool:
        if not self.user_tag:
            raise forbid("only your own tags can be deleted (untag photos instead)")
        with self.ctx.session() as session:
            tag_store.delete_user_tag(session, self.ctx.user_id, self.tag_id)
        return True

    def delete_entry(self, entry: PhotoFile) -> None:
        self.untag(entry.row.id)

    def tag(self, photo_id: int) -> None:
        with self.ctx.session() as session:
            tag_removals.tag(session, self.ctx.user_id, photo_id, self.tag_id)

    def untag(self, photo_id: int) -> None:
        with self.ctx.session() as session:
            tag_removals.untag(session, self.ctx.user_id, photo_id, self.tag_id)

    def create_empty_resource(self, name: str) -> _DAVResource:
        return PendingUpload(self.child_path(name), self.environ, self, name)


class PendingUpload(EmptyBody, Props, DAVNonCollection):
    """A name in a tag folder being PUT (or LOCKed) before it is known which photo it is."""

    def __init__(self, path: str, environ: dict[str, Any], folder: TagFolder, name: str):
        super().__init__(path, environ)
        self.ctx = folder.ctx
        self.folder = folder
        self.name = name

    def get_etag(self) -> None:
        return None

    def support_etag(self) -> bool:
        return False

    def begin_write(self, *, content_type: str | None = None) -> Any:
        from recognize.dav.ops import upload_sink

        return upload_sink(self.folder)

    def end_write(self, *, with_errors: bool) -> None:
        from recognize.dav.ops import finish_upload

        finish_upload(self.folder, with_errors)

    def delete(self) -> None:
        return None

    def handle_delete(self) -> bool:
        return True
