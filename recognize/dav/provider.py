"""The provider: resolves a path to a resource, starting from the user's root every time."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from wsgidav.dav_error import HTTP_BAD_REQUEST, DAVError
from wsgidav.dav_provider import DAVProvider, _DAVResource

from recognize.dav import files
from recognize.dav.base import VirtualCollection, digest
from recognize.dav.browse import DatesRoot, DuplicatesRoot, PlacesRoot
from recognize.dav.context import READ_METHODS, Backend, UserContext, context
from recognize.dav.nextcloud_faces import RecognizeRoot
from recognize.dav.nextcloud_files import PREVIEW_TOP, PreviewRoot
from recognize.dav.nextcloud_tags import AssignedRoot, RelationsRoot, SystemTagsRoot
from recognize.dav.people import FacesRoot, PeopleRoot, UnassignedFolder
from recognize.dav.search import SearchRoot
from recognize.dav.tags import TagsRoot

TOP = {
    "people": PeopleRoot,
    "unassigned": UnassignedFolder,
    "faces": FacesRoot,
    "tags": TagsRoot,
    "places": PlacesRoot,
    "dates": DatesRoot,
    "duplicates": DuplicatesRoot,
    "files": files.FilesRoot,
    # Nextcloud-compatible endpoints (docs/dav.md, "Nextcloud clients")
    "systemtags": SystemTagsRoot,
    "systemtags-relations": RelationsRoot,
    "recognize": RecognizeRoot,
    "systemtags-assigned": AssignedRoot,
    PREVIEW_TOP: PreviewRoot,
    "search": SearchRoot,
}
# reachable by path, not listed in /dav/ (file managers would show them as clutter)
UNLISTED = frozenset({"systemtags", "systemtags-relations", "systemtags-assigned", "recognize",
                      "search", PREVIEW_TOP})


class Root(VirtualCollection):
    kind = "root"

    def list_members(self) -> list[_DAVResource]:
        if not self.ctx.known:
            return []
        return [cls(f"/{name}", self.environ, self.ctx) for name, cls in TOP.items()
                if name not in UNLISTED]

    def get_member(self, name: str) -> _DAVResource | None:
        cls = TOP.get(name) if self.ctx.known else None
        return cls(f"/{name}", self.environ, self.ctx) if cls else None

    def get_etag(self) -> str:
        return digest("root", self.ctx.user, *(m.get_etag() for m in self.get_member_list()))


class RecognizeProvider(DAVProvider):
    """One provider at ``/`` (under the ``/dav`` mount path) serving every user's tree."""

    readonly = False

    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend

    def __repr__(self) -> str:
        return "RecognizeProvider"

    def context(self, environ: dict[str, Any]) -> UserContext:
        return context(self.backend, environ)

    def get_resource_inst(self, path: str | None, environ: dict[str, Any]) -> _DAVResource | None:
        """Resolve ``path``; for reading requests once per request (wsgidav asks twice).
        ``None`` is the parent of ``/`` (wsgidav asks for it): nothing."""
        if path is None:
            return None
        if environ.get("REQUEST_METHOD") not in READ_METHODS:
            return self._resolve(path, environ)
        cache = environ.setdefault("recognize.dav.resolved", {})
        if path not in cache:
            cache[path] = self._resolve(path, environ)
        return cache[path]

    def _resolve(self, path: str, environ: dict[str, Any]) -> _DAVResource | None:
        self._count_get_resource_inst += 1
        ctx = self.context(environ)
        parts = [p for p in path.split("/") if p]
        if any(p in (".", "..") or "\0" in p for p in parts):
            raise DAVError(HTTP_BAD_REQUEST, "invalid path")
        if len(parts) >= 2 and parts[0] == "files" and ctx.known:
            full = "/" + "/".join(parts)
            inner = [p for p in files.home_alias(ctx, full).split("/") if p]
            if len(inner) == 1:  # files/<user>/: Nextcloud's name of the user's files/
                return files.FilesRoot(full, environ, ctx)
            mount = ctx.mount_by_name(inner[1])
            if mount is None or mount.remote:
                return None
            return files.resolve(ctx, full, environ)
        res: _DAVResource | None = Root("/", environ, ctx)
        for part in parts:
            if res is None or not res.is_collection:
                return None
            res = res.get_member(part)
        return res

    def _loc_to_file_path(self, path: str, environ: dict[str, Any] | None = None) -> str:
        """Used by wsgidav's file resources to map a ``/files/…`` path to the real file."""
        return files.file_path(self.context(environ or {}), path)[2]

    def ref_url_to_path(self, ref_url: str) -> str:
        """Invert :meth:`Props.get_ref_url`: drop the ``/~user`` prefix of virtual paths."""
        path = unquote(ref_url)
        if path.startswith("/~"):
            path = "/" + path[2:].partition("/")[2]
        return "/" + path.lstrip("/")
