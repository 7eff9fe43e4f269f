"""Nextcloud's file URLs and previews, for the Photos client (see docs/dav.md).

Photos turns ``nc:realpath`` (``/<user>/files/<mount>/<path>``) into ``files/<user>/<mount>/
<path>`` under the DAV remote, and asks previews from the web root by file id
(``/core/preview?fileId=<id>&x=&y=``, ``/apps/photos/api/v1/preview/<id>``). Here
``files/<user>/`` is the user's ``files/`` (resolved in :func:`recognize.dav.files.file_path`)
and a preview is the photo's cached thumbnail of at least the asked size, else the original.
Photos found by ``SEARCH``/``REPORT`` are :class:`NcPhoto` entries with Photos' metadata.
"""

from __future__ import annotations

import calendar
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy.orm import Session
from wsgidav.dav_provider import _DAVResource
from wsgidav.xml_tools import etree

from recognize.dav.base import NS_NC, NS_OC, PhotoFile, PhotoFolder, VirtualCollection, digest
from recognize.dav.context import UserContext
from recognize.store import timeline
from recognize.store.rows import PhotoRow, Stat, photo_by_path, photos_by_id

NC_DATE = f"{{{NS_NC}}}metadata-photos-original_date_time"
NC_SIZE = f"{{{NS_NC}}}metadata-photos-size"
NC_GPS = f"{{{NS_NC}}}metadata-photos-gps"
NC_PLACE = f"{{{NS_NC}}}metadata-photos-place"
NC_PREVIEW = f"{{{NS_NC}}}has-preview"
NC_REALPATH = f"{{{NS_NC}}}realpath"
OC_FAVORITE = f"{{{NS_OC}}}favorite"
OC_SIZE = f"{{{NS_OC}}}size"
OC_OWNER = f"{{{NS_OC}}}owner-id"
OC_OWNER_NAME = f"{{{NS_OC}}}owner-display-name"
PREVIEW_TOP = "preview"  # /dav/preview/<file id>, what the web-root preview URLs become
PREVIEW_URLS = (re.compile(r"^(?:/index\.php)?/core/preview(?:\.png)?$"),
                re.compile(r"^(?:/index\.php)?/apps/photos/api/v1/preview/(\d+)$"))


def home_path(user: str, mount: str, rel: str) -> str:
    """The tree path of a photo as Nextcloud names it: ``/files/<user>/<mount>/<rel>``."""
    return f"/files/{user}/{mount}/{rel}".rstrip("/")


def preview_path(path: str, query: str) -> str | None:
    """The tree path a web-root preview URL stands for, or None if ``path`` is none."""
    core, photos = (p.match(path) for p in PREVIEW_URLS)
    if photos:
        return f"/{PREVIEW_TOP}/{photos[1]}"
    if core:
        found = parse_qs(query).get("fileId", [""])[0]
        return f"/{PREVIEW_TOP}/{found}" if found.isdigit() else f"/{PREVIEW_TOP}/-"
    return None


class ResultsFolder(PhotoFolder):
    """The photos a SEARCH or REPORT found; entries are named by their Nextcloud path."""

    kind = "nc-results"

    def __init__(self, environ: dict[str, Any], ctx: UserContext, rows: list[PhotoRow]) -> None:
        super().__init__("/files/" + ctx.user, environ, ctx)
        self.rows = rows
        self._meta: dict[int, timeline.Meta] | None = None
        self._members = [NcPhoto(self, r) for r in rows if r.mount_id in ctx.mounts]

    def meta(self, photo_id: int) -> timeline.Meta | None:
        if self._meta is None:
            with self.ctx.reading() as session:
                self._meta = timeline.metadata(session, [r.id for r in self.rows])
        return self._meta.get(photo_id)

    def query(self, session: Session, names_: Any) -> list[PhotoRow]:
        return self.rows

    def compute_stat(self, session: Session) -> Stat:
        return Stat()


def _children(name: str, values: dict[str, Any]) -> Any:
    """A property with child elements, as Sabre writes a PHP array (Photos reads them so)."""
    el = etree.Element(name)
    for key, value in values.items():
        etree.SubElement(el, key).text = "" if value is None else str(value)
    return el


class NcPhoto(PhotoFile):
    """A photo at ``files/<user>/<mount>/<path>`` with the metadata Photos asks for."""

    folder: ResultsFolder

    def __init__(self, folder: ResultsFolder, row: PhotoRow) -> None:
        mount = folder.ctx.mounts[row.mount_id]
        super().__init__(home_path(folder.ctx.user, mount.name, row.path), folder.environ,
                         folder, row, row.name)

    def extra_property_value(self, name: str) -> Any:
        if name in (NC_DATE, NC_SIZE, NC_GPS, NC_PLACE):
            return self._metadata(name)
        if name == NC_PREVIEW:
            return "true"
        if name == OC_FAVORITE:
            return "0"
        if name == OC_SIZE:
            return str(self.row.size)
        if name in (OC_OWNER, OC_OWNER_NAME):
            return self.ctx.user
        if name == NC_REALPATH:
            return f"/{self.ctx.user}/files/{self.path.split('/', 3)[3]}"
        return super().extra_property_value(name)

    def _metadata(self, name: str) -> Any:
        meta = self.folder.meta(self.row.id)
        if name == NC_DATE:  # Nextcloud: the EXIF date, else the file's time (Unix seconds)
            taken = meta.taken_at if meta else None
            return str(calendar.timegm(taken.timetuple()) if taken else self.row.mtime_ns // 10**9)
        if meta is None:
            return None
        if name == NC_SIZE and meta.width and meta.height:
            return _children(name, {"width": meta.width, "height": meta.height})
        if name == NC_GPS and meta.gps:
            lat, lon, alt = meta.gps
            return _children(name, {"latitude": lat, "longitude": lon, "altitude": alt})
        if name == NC_PLACE and (meta.city or meta.country):
            return meta.city or meta.country
        return None


PHOTO_PROPS = frozenset({NC_DATE, NC_SIZE, NC_GPS, NC_PLACE, NC_PREVIEW, NC_REALPATH,
                         OC_FAVORITE})


def photo_at(environ: dict[str, Any], ctx: UserContext, mount_id: int, rel: str) -> NcPhoto | None:
    """The photo at ``rel`` of a mount as an :class:`NcPhoto` (for the properties Photos asks
    of ``files/<user>/…``), looked up once per request; None if it is no photo."""
    cache = environ.setdefault("recognize.dav.nc-photo", {})
    if (mount_id, rel) not in cache:
        with ctx.reading() as session:
            found = photo_by_path(session, mount_id, rel)
            rows = photos_by_id(session, [found]) if found is not None else []
        members = ResultsFolder(environ, ctx, rows).get_member_list()
        cache[mount_id, rel] = members[0] if members else None
    return cache[mount_id, rel]


class PreviewRoot(VirtualCollection):
    """``/dav/preview/<file id>``: not listed; each member is one of the user's photos."""

    kind = "nc-previews"

    def get_member(self, name: str) -> _DAVResource | None:
        if not name.isdigit():
            return None
        with self.ctx.reading() as session:
            rows = [r for r in photos_by_id(session, [int(name)])
                    if r.mount_id in self.ctx.mount_ids]
        if not rows:
            return None
        folder = ResultsFolder(self.environ, self.ctx, rows)
        return Preview(self.child_path(name), folder, rows[0])

    def get_etag(self) -> str:
        return digest(self.kind, self.path)


class Preview(PhotoFile):
    """The cached thumbnail of at least ``max(x, y)`` pixels, else the original."""

    def __init__(self, path: str, folder: ResultsFolder, row: PhotoRow) -> None:
        super().__init__(path, folder.environ, folder, row, row.name)
        self._thumb = self._thumbnail()

    def _thumbnail(self) -> Path | None:
        from recognize.jobs.stages.media import thumbnail_path

        settings = self.ctx.backend.settings
        query = parse_qs(self.environ.get("QUERY_STRING", ""))
        asked = [int(v) for k in ("x", "y") for v in query.get(k, [])[:1]
                 if v.lstrip("-").isdigit() and int(v) > 0]
        want = max(asked, default=0)
        for size in sorted(settings.media.thumbnail_sizes):
            path = thumbnail_path(settings.store.data_dir, size, self.row.id)
            if size >= want and path.is_file():
                return path
        return None

    def file_path(self) -> Path:
        return self._thumb if self._thumb is not None else super().file_path()

    def get_content_type(self) -> str:
        return "image/jpeg" if self._thumb is not None else super().get_content_type()

    def get_etag(self) -> str:
        return digest(super().get_etag(), str(self._thumb or ""))

    def extra_property_names(self, is_allprop: bool) -> list[str]:
        return []
