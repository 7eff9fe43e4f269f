"""Nextcloud system tags: ``systemtags/<id>`` and ``systemtags-relations/files/<fileid>/<id>``.

Shapes follow Nextcloud's ``apps/dav/lib/SystemTag`` (SystemTagPlugin, SystemTagsByIdCollection,
SystemTagsObjectMappingCollection, SystemTagMappingNode) and the clients in
``apps/systemtags/src/services`` and Photos' ``PhotoTagService.ts``. A system tag is any tag the
user sees (their own, or a shared one on one of their photos); a file id is a photo id.
Creating a tag is a POST of JSON, answered by :class:`SystemTagsPost` (wsgidav has no POST).
"""

from __future__ import annotations

import io
import json
import re
from typing import Any
from urllib.parse import quote

from wsgidav.dav_error import (
    HTTP_BAD_REQUEST,
    HTTP_CONFLICT,
    HTTP_MEDIATYPE_NOT_SUPPORTED,
    HTTP_NOT_FOUND,
    HTTP_PRECONDITION_FAILED,
    HTTP_REQUEST_ENTITY_TOO_LARGE,
    DAVError,
)
from wsgidav.dav_provider import DAVNonCollection, _DAVResource
from wsgidav.mw.base_mw import BaseMiddleware

from recognize.dav.base import NS_NC, NS_OC, OC_ID, EmptyBody, Props, VirtualCollection, digest, forbid
from recognize.dav.context import UserContext, context
from recognize.errors import BadName, Conflict
from recognize.store import tag_removals, timeline
from recognize.store import tags as tag_store
from recognize.store.rows import own_photo
from recognize.store.system_tags import SystemTag, photo_system_tags, system_tags

OC_DISPLAYNAME = f"{{{NS_OC}}}display-name"
OC_USERVISIBLE = f"{{{NS_OC}}}user-visible"
OC_USERASSIGNABLE = f"{{{NS_OC}}}user-assignable"
OC_CANASSIGN = f"{{{NS_OC}}}can-assign"
NC_FILES_ASSIGNED = f"{{{NS_NC}}}files-assigned"
NC_REFERENCE = f"{{{NS_NC}}}reference-fileid"
TAG_PROPS = (OC_DISPLAYNAME, OC_USERVISIBLE, OC_USERASSIGNABLE, OC_CANASSIGN)
DERIVED_KINDS = ("person",)  # kept in step with persons: not assignable by hand
MAX_POST_BODY = 64 << 10
MAX_TAG_NAME = 256
_POST_PATH = re.compile(r"^/systemtags/?$|^/systemtags-relations/files/(\d+)/?$")


def assignable(tag: SystemTag) -> bool:
    return tag.kind not in DERIVED_KINDS


def _tag_id(name: str) -> int | None:
    return int(name) if name.isdigit() and len(name) < 12 else None


class SystemTagNode(EmptyBody, Props, DAVNonCollection):
    """One tag (``systemtags/<id>``, or a mapping ``…/files/<fileid>/<id>``): no content."""

    def __init__(self, path: str, environ: dict[str, Any], ctx: UserContext,
                 tag: SystemTag) -> None:
        super().__init__(path, environ)
        self.ctx = ctx
        self.tag = tag

    def oc_id(self) -> str:
        return str(self.tag.id)

    def extra_property_names(self, is_allprop: bool) -> list[str]:
        return list(TAG_PROPS)

    def extra_property_value(self, name: str) -> Any:
        values = {
            OC_DISPLAYNAME: self.tag.name,
            OC_USERVISIBLE: "true",
            OC_USERASSIGNABLE: "true" if assignable(self.tag) else "false",
            OC_CANASSIGN: "true" if assignable(self.tag) else "false",
        }
        return values.get(name)

    def get_etag(self) -> str:
        return digest("systemtag", self.tag.id, self.tag.name)

    def support_etag(self) -> bool:
        return True

    def handle_move(self, dest_path: str) -> bool:
        raise forbid("tags cannot be moved (PROPPATCH oc:display-name renames)")

    def handle_copy(self, dest_path: str, *, depth_infinity: bool) -> bool:
        raise forbid("tags cannot be copied")

    def handle_delete(self) -> bool:
        """DELETE systemtags/<id>: only the user's own tags (Nextcloud: only admins)."""
        if self.tag.kind != "user" or not self.tag.own:
            raise forbid(f"no permission to delete tag {self.tag.id}")
        with self.ctx.session() as session:
            tag_store.delete_user_tag(session, self.ctx.user_id, self.tag.id)
        return True

    def delete(self) -> None:
        self.handle_delete()

    def set_property_value(self, name: str, value: Any, dry_run: bool = False) -> None:
        """PROPPATCH: rename one's own tag; visibility and assignability cannot change."""
        text = (value.text or "") if value is not None and hasattr(value, "text") else ""
        if name == OC_DISPLAYNAME:
            if self.tag.kind != "user" or not self.tag.own:
                raise forbid(f"no permission to update tag {self.tag.id}")
            if not text.strip() or len(text) > MAX_TAG_NAME:
                raise DAVError(HTTP_BAD_REQUEST, "not a usable tag name")
            if not dry_run and text != self.tag.name:
                try:
                    with self.ctx.session() as session:
                        tag_store.rename_user_tag(session, self.ctx.user_id, self.tag.id, text)
                except BadName as bad:
                    raise DAVError(HTTP_BAD_REQUEST, str(bad)) from None
                except Conflict as exc:
                    raise DAVError(HTTP_CONFLICT, str(exc)) from None
            return
        if name in (OC_USERVISIBLE, OC_USERASSIGNABLE):
            current = self.extra_property_value(name)
            if text.strip().lower() not in (current, "1" if current == "true" else "0"):
                raise forbid("tag visibility and assignability cannot be changed")
            return
        if name in (OC_CANASSIGN, f"{{{NS_OC}}}id"):
            raise forbid(f"{name} is read-only")
        super().set_property_value(name, value, dry_run=dry_run)


class SystemTagsRoot(VirtualCollection):
    """``systemtags/``: every tag the user can see, named by id."""

    kind = "nc-systemtags"

    def list_members(self) -> list[_DAVResource]:
        with self.ctx.reading() as session:
            tags = system_tags(session, self.ctx.viewer)
        return [SystemTagNode(self.child_path(str(t.id)), self.environ, self.ctx, t) for t in tags]

    def get_member(self, name: str) -> _DAVResource | None:
        tag_id = _tag_id(name)
        if tag_id is None:
            return None
        with self.ctx.reading() as session:
            found = system_tags(session, self.ctx.viewer, [tag_id])
        return SystemTagNode(self.child_path(name), self.environ, self.ctx, found[0]) \
            if found else None


class InUseTag(SystemTagNode):
    """A tag of ``systemtags-assigned/<mime>/``: how many photos carry it, and one of them."""

    def __init__(self, path: str, environ: dict[str, Any], ctx: UserContext,
                 found: timeline.TagInUse) -> None:
        super().__init__(path, environ, ctx, found.tag)
        self.found = found

    def extra_property_names(self, is_allprop: bool) -> list[str]:
        return [*TAG_PROPS, NC_FILES_ASSIGNED, NC_REFERENCE]

    def extra_property_value(self, name: str) -> Any:
        if name == NC_FILES_ASSIGNED:
            return str(self.found.files)
        if name == NC_REFERENCE:
            return str(self.found.reference)
        return super().extra_property_value(name)

    def handle_delete(self) -> bool:
        raise forbid("tags are deleted in systemtags/<id>")

    def set_property_value(self, name: str, value: Any, dry_run: bool = False) -> None:
        raise forbid("tags are changed in systemtags/<id>")


class AssignedRoot(VirtualCollection):
    """``systemtags-assigned/[<type>[/<subtype>]/]``: the tags in use on the user's photos
    (of that type: ``image``, ``image/jpeg``), as Nextcloud's SystemTagsInUseCollection."""

    kind = "nc-assigned"

    def __init__(self, path: str, environ: dict[str, Any], ctx: UserContext,
                 mime: str = "") -> None:
        super().__init__(path, environ, ctx)
        self.mime = mime

    def list_members(self) -> list[_DAVResource]:
        with self.ctx.reading() as session:
            found = timeline.tags_in_use(session, self.ctx.viewer, self.mime)
        return [InUseTag(self.child_path(str(f.tag.id)), self.environ, self.ctx, f)
                for f in found]

    def get_member(self, name: str) -> _DAVResource | None:
        if _tag_id(name) is not None:
            return super().get_member(name)
        if "/" in self.mime or not re.fullmatch(r"[a-z0-9][a-z0-9.+-]{0,62}", name):
            return None
        mime = f"{self.mime}/{name}" if self.mime else name
        return AssignedRoot(self.child_path(name), self.environ, self.ctx, mime)

    def get_property_value(self, name: str) -> Any:
        if name == OC_ID:  # Photos tells the tags from the folder by their oc:id
            raise DAVError(HTTP_NOT_FOUND)
        return super().get_property_value(name)

    def get_etag(self) -> str:
        return digest(self.kind, self.path, *(m.get_etag() for m in self.get_member_list()))


class RelationsRoot(VirtualCollection):
    """``systemtags-relations/``: one object type, ``files``."""

    kind = "nc-relations"

    def list_members(self) -> list[_DAVResource]:
        return [FilesType(self.child_path("files"), self.environ, self.ctx)]

    def get_etag(self) -> str:
        return digest(self.kind, self.path)


class FilesType(VirtualCollection):
    """``systemtags-relations/files/``: object ids are not listed (as in Nextcloud)."""

    kind = "nc-relations-files"

    def get_member(self, name: str) -> _DAVResource | None:
        photo_id = _tag_id(name)
        if photo_id is None:
            return None
        with self.ctx.reading() as session:
            mine = own_photo(session, photo_id, self.ctx.mount_ids)
        return FileTags(self.child_path(name), self.environ, self.ctx, photo_id) if mine else None

    def get_etag(self) -> str:
        return digest(self.kind, self.path)


class FileTags(VirtualCollection):
    """``systemtags-relations/files/<fileid>/``: the photo's tags; PUT assigns, DELETE removes."""

    kind = "nc-file-tags"

    def __init__(self, path: str, environ: dict[str, Any], ctx: UserContext,
                 photo_id: int) -> None:
        super().__init__(path, environ, ctx)
        self.photo_id = photo_id

    def list_members(self) -> list[_DAVResource]:
        with self.ctx.reading() as session:
            tags = photo_system_tags(session, self.photo_id, self.ctx.viewer)
        return [Mapping(self.child_path(str(t.id)), self.environ, self, t) for t in tags]

    def create_empty_resource(self, name: str) -> _DAVResource:
        """PUT of a new mapping: the tag must be visible (else 412) and assignable (403)."""
        tag_id = _tag_id(name)
        with self.ctx.reading() as session:
            found = system_tags(session, self.ctx.viewer, [tag_id]) if tag_id is not None else []
        if not found:
            raise DAVError(HTTP_PRECONDITION_FAILED, f"tag with id {name} does not exist")
        if not assignable(found[0]):
            raise forbid(f"no permission to assign tag {name}")
        return Mapping(self.child_path(name), self.environ, self, found[0], pending=True)

    def assign(self, tag_id: int) -> None:
        with self.ctx.session() as session:
            tag_removals.tag(session, self.ctx.user_id, self.photo_id, tag_id)


class Mapping(SystemTagNode):
    """``…/files/<fileid>/<id>``: PUT on an existing one is 409 (as Sabre answers)."""

    def __init__(self, path: str, environ: dict[str, Any], parent: FileTags, tag: SystemTag,
                 *, pending: bool = False) -> None:
        super().__init__(path, environ, parent.ctx, tag)
        self.parent = parent
        self.pending = pending

    def begin_write(self, *, content_type: str | None = None) -> Any:
        if not self.pending:
            raise DAVError(HTTP_CONFLICT, "the tag is already assigned to this file")
        return io.BytesIO()  # the body (the tag as JSON) is not needed

    def end_write(self, *, with_errors: bool) -> None:
        if self.pending and not with_errors:
            self.parent.assign(self.tag.id)

    def handle_delete(self) -> bool:
        if not assignable(self.tag):
            raise forbid(f"no permission to unassign tag {self.tag.id}")
        with self.ctx.session() as session:
            tag_removals.untag(session, self.ctx.user_id, self.parent.photo_id,
                               self.tag.id)
        return True

    def set_property_value(self, name: str, value: Any, dry_run: bool = False) -> None:
        raise forbid("properties of a tag assignment cannot change")


class SystemTagsPost(BaseMiddleware):
    """POST JSON ``{"name": …}`` to ``systemtags/`` (or ``…/files/<fileid>``, which also
    assigns): 201 with ``Content-Location: …/systemtags/<id>``; 409 when the name exists."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        match = _POST_PATH.match(environ.get("PATH_INFO", ""))
        provider = environ.get("wsgidav.provider")
        if environ.get("REQUEST_METHOD") != "POST" or match is None or provider is None:
            return self.next_app(environ, start_response)
        # a refusal (DAVError) is answered by recognize.dav.errors.ErrorBodies, reason and all
        location = create_tag(context(provider.backend, environ), environ, match[1])
        start_response("201 Created", [("Content-Location", location), ("Content-Length", "0"),
                                       ("Content-Type", "text/plain")])
        return [b""]


def _read_json(environ: dict[str, Any]) -> dict[str, Any]:
    ctype = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise DAVError(HTTP_MEDIATYPE_NOT_SUPPORTED, "send the tag as application/json")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise DAVError(HTTP_BAD_REQUEST, "invalid Content-Length") from None
    if length > MAX_POST_BODY:
        raise DAVError(HTTP_REQUEST_ENTITY_TOO_LARGE, "tag body too large")
    try:
        data = json.loads(environ["wsgi.input"].read(length) or b"null")
    except (ValueError, UnicodeDecodeError):
        raise DAVError(HTTP_BAD_REQUEST, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise DAVError(HTTP_BAD_REQUEST, "the body must be a JSON object")
    return data


def create_tag(ctx: UserContext, environ: dict[str, Any], photo: str | None) -> str:
    if not ctx.known:
        raise DAVError(HTTP_NOT_FOUND)
    data = _read_json(environ)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_TAG_NAME:
        raise DAVError(HTTP_BAD_REQUEST, 'missing or unusable "name" attribute')
    if data.get("userVisible", True) is False or data.get("userAssignable", True) is False:
        raise DAVError(HTTP_BAD_REQUEST, "only user-visible, user-assignable tags exist here")
    uid = ctx.user_id
    try:
        with ctx.session() as session:
            if photo is not None and not own_photo(session, int(photo), ctx.mount_ids):
                raise DAVError(HTTP_NOT_FOUND, "no such file")
            tag_id = tag_store.create_user_tag(session, uid, name.strip())
            if photo is not None:
                tag_removals.tag(session, uid, int(photo), tag_id)
    except BadName as bad:
        raise DAVError(HTTP_BAD_REQUEST, str(bad)) from None
    except Conflict:
        raise DAVError(HTTP_CONFLICT, "tag already exists") from None
    base = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', 'localhost')}"
    root = quote(environ.get("SCRIPT_NAME", "").rstrip("/"))
    return f"{base}{root}/systemtags/{tag_id}"
