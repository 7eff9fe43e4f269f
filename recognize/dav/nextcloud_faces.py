"""Recognize's faces tree for Nextcloud clients: ``recognize/<user>/faces/<name>/<face>-<file>``.

Shapes follow the Recognize app (``lib/Dav/Faces``) and the Nextcloud Photos client that
calls it (``src/mixins/FetchFacesMixin.ts``, ``src/store/faces.ts``); see docs/dav.md for
where we differ. A person collection lists one entry per face; its GET returns the photo.
MOVE of a person renames it, MOVE of a face into another person assigns it (must + cannot),
DELETE of a face says "not this person", MKCOL in ``faces/`` creates a person.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session
from wsgidav import util
from wsgidav.dav_error import HTTP_BAD_REQUEST, HTTP_CONFLICT, DAVError
from wsgidav.dav_provider import _DAVResource

from recognize.dav import names
from recognize.dav.base import NS_NC, PhotoFile, PhotoFolder, VirtualCollection, digest, forbid
from recognize.dav.faces import OwnPerson
from recognize.dav.people import person_label
from recognize.errors import BadName, Conflict, NotFound
from recognize.store import face_entries, people, persons
from recognize.store.face_entries import FaceEntry
from recognize.store.rows import Group, PhotoRow, Stat

NC_DETECTIONS = f"{{{NS_NC}}}face-detections"
NC_PREVIEW = f"{{{NS_NC}}}face-preview-image"
NC_NBITEMS = f"{{{NS_NC}}}nbItems"
NC_REALPATH = f"{{{NS_NC}}}realpath"
NC_FILENAME = f"{{{NS_NC}}}file-name"
UNASSIGNED_CLUSTER = -1  # Recognize's cluster id of faces shown in unassigned-faces/
CACHE_KEY = "recognize.dav.nextcloud"


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _cache(environ: dict[str, Any]) -> dict[Any, Any]:
    return environ.setdefault(CACHE_KEY, {})


def detection_json(user: str, face_id: int, photo_id: int, box: Sequence[float],
                   cluster: int, **extra: Any) -> dict[str, Any]:
    """One face detection in Recognize's ``FaceDetection::toArray`` shape."""
    x, y, w, h = box
    return {"id": face_id, "userId": user, "fileId": photo_id, "x": x, "y": y,
            "height": h, "width": w, "clusterId": cluster, **extra}


class RecognizeRoot(VirtualCollection):
    """``/recognize/``: holds only the authenticated user's home (others: 404)."""

    kind = "nc-recognize"

    def list_members(self) -> list[_DAVResource]:
        return [UserHome(self.child_path(self.ctx.user), self.environ, self.ctx)]

    def get_member(self, name: str) -> _DAVResource | None:
        return UserHome(self.child_path(name), self.environ, self.ctx) if name == self.ctx.user \
            else None


class UserHome(VirtualCollection):
    kind = "nc-home"

    def list_members(self) -> list[_DAVResource]:
        return [FacesHome(self.child_path("faces"), self.environ, self.ctx),
                UnassignedFaces(self.child_path("unassigned-faces"), self.environ, self.ctx)]

    def get_etag(self) -> str:
        return digest(self.kind, self.path)


class FacesHome(VirtualCollection):
    """``faces/``: one collection per person that has faces, named like ``people/``."""

    kind = "nc-faces"
    permissions = "CK"

    def _root(self, name: str, group: Group) -> FaceRoot:
        return FaceRoot(self.child_path(name), self.environ, self.ctx, group.stat, group.key)

    def list_members(self) -> list[_DAVResource]:
        with self.ctx.reading() as session:
            groups = people.persons(session, self.ctx.viewer)
        shown = [g for g in groups if g.stat is not None and g.stat.count]
        return [self._root(n, g) for n, g in names.unique(shown, person_label)]

    def get_member(self, name: str) -> _DAVResource | None:
        if self._members is not None:
            return super().get_member(name)
        cache = _cache(self.environ)
        if "persons" not in cache:  # a request resolves its path more than once
            with self.ctx.reading() as session:
                cache["persons"] = people.person_list(session, self.ctx.viewer)
        groups = cache["persons"]
        found = names.pick(name, groups, person_label)
        if found is None and name.isdigit():  # Recognize also finds a cluster by its id
            found = next((g for g in groups if str(g.key) == name), None)
        return self._root(name, Group(found.key, found.name, None)) if found else None

    def get_etag(self) -> str:
        return digest(self.kind, *(f"{m.name}:{m.get_etag()}" for m in self.get_member_list()))

    def create_collection(self, name: str) -> None:
        self.create_named(name, "person", persons.create_person, usable=not name.isdigit(),
                          hint=" (numbers are ids)")


class FaceFolder(PhotoFolder):
    """A folder of face entries ``<face id>-<file name>`` (each stands for one face)."""

    def faces(self, session: Session) -> list[FaceEntry]:
        raise NotImplementedError

    def holds(self, entry: FaceEntry) -> bool:
        raise NotImplementedError

    def query(self, session: Session, names_: Sequence[str] | None) -> list[PhotoRow]:
        return [f.photo for f in self.faces(session)]

    def base_name(self, row: PhotoRow) -> str:
        return f"{row.face_id}-{row.name}"

    def face_entry(self, name: str, entry: FaceEntry) -> FacePhoto:
        return FacePhoto(self.child_path(name), self.environ, self, entry.photo, name, entry)

    def list_members(self) -> list[_DAVResource]:
        with self.ctx.reading() as session:
            found = self.faces(session)
        return [self.face_entry(self.base_name(f.photo), f) for f in found]

    def get_member(self, name: str) -> _DAVResource | None:
        if self._members is not None:
            return VirtualCollection.get_member(self, name)
        head = name.partition("-")[0]
        if not head.isdigit():
            return None
        with self.ctx.reading() as session:
            found = face_entries.face_entry(session, int(head), self.ctx.viewer)
        if found is None or not self.holds(found) or self.base_name(found.photo) != name:
            return None
        return self.face_entry(name, found)

    def nb_items(self) -> str:
        return str(self.stat().count)

    def extra_property_value(self, name: str) -> Any:
        return self.nb_items() if name == NC_NBITEMS else None

    def detections(self, photo_id: int) -> str:
        """``nc:face-detections`` of a photo, loaded for every listed photo in one query."""
        cache = _cache(self.environ)
        key = ("detections", self.path)
        if key not in cache:
            ids = [m.row.id for m in self._members] if self._members else [photo_id]
            cache[key] = self._load_detections(ids)
        if photo_id not in cache[key]:
            cache[key].update(self._load_detections([photo_id]))
        return cache[key][photo_id]

    def _load_detections(self, photo_ids: list[int]) -> dict[int, str]:
        with self.ctx.reading() as session:
            found = face_entries.detections(session, photo_ids, self.ctx.viewer)
        out = {}
        for photo_id, faces in found.items():
            out[photo_id] = _json([detection_json(
                self.ctx.user, d.id, d.photo_id, d.box,
                d.person_id if d.person_id is not None else UNASSIGNED_CLUSTER,
                title=(person_label(Group(d.person_id, d.person_name, None))
                       if d.person_id is not None else None),
            ) for d in faces])
        return out


class FaceRoot(OwnPerson, FaceFolder):
    """``faces/<name>/``: a person's faces."""

    kind = "nc-person"
    permissions = "DNVC"

    def faces(self, session: Session) -> list[FaceEntry]:
        return face_entries.person_faces(session, self.person_id, self.ctx.viewer)

    def holds(self, entry: FaceEntry) -> bool:
        return entry.person_id == self.person_id

    def entry_permissions(self) -> str:
        return "DV"

    def extra_property_value(self, name: str) -> Any:
        if name == NC_PREVIEW:
            return self.preview()
        return super().extra_property_value(name)

    def preview(self) -> str:
        """Recognize's cover: ``{"fileid": …, "detection": {…}}``; none for an empty person."""
        cache = _cache(self.environ)
        if "previews" not in cache:  # every person's cover in one query
            with self.ctx.reading() as session:
                cache["previews"] = face_entries.preview_faces(session, self.ctx.viewer)
        face: FaceEntry | None = cache["previews"].get(self.person_id)
        if face is None:
            raise DAVError(404, "this person has no face to show")
        return _json({"fileid": face.photo.id, "detection": detection_json(
            self.ctx.user, face.face_id, face.photo.id, face.box, self.person_id,
            threshold=None)})

    def handle_move(self, dest_path: str) -> bool:
        """MOVE faces/A → faces/B renames A; refused (403, as Recognize) when B exists."""
        if util.get_uri_parent(dest_path).rstrip("/") != util.get_uri_parent(self.path).rstrip("/"):
            raise forbid("a person can only be renamed within faces/")
        new = util.get_uri_name(dest_path.rstrip("/"))
        if new != names.safe(new) or new.isdigit():
            raise forbid(f"not a usable person name: {new!r}")
        if new == self.name:
            return True
        if self.provider.get_resource_inst(dest_path, self.environ) is not None:
            raise forbid("the target node already exists and cannot be overwritten")
        try:
            with self.ctx.session() as session:
                persons.rename_person(session, self.ctx.viewer, self.person_id, new)
        except BadName as bad:
            raise DAVError(HTTP_BAD_REQUEST, str(bad)) from None
        except Conflict as exc:
            raise forbid(str(exc)) from None
        except NotFound as exc:
            raise DAVError(404, str(exc)) from None
        return True

    def entry_faces(self, session: Session, entry: PhotoFile) -> list[int]:
        """DELETE faces/A/<face>: "this face is not A" (remembered); it becomes unassigned."""
        return [_face_id(entry)]

    def receive(self, entry: FacePhoto) -> None:
        """A face of another person or of unassigned-faces/ arrives: it is this person."""
        if entry.folder is self or entry.face.person_id == self.person_id:
            raise forbid("face entries cannot be renamed")
        try:
            with self.ctx.session() as session:
                persons.assign_faces(session, self.ctx.viewer, [entry.face.face_id],
                                     self.person_id, from_person=entry.face.person_id)
        except Conflict as exc:
            raise DAVError(HTTP_CONFLICT, str(exc)) from None


class UnassignedFaces(FaceFolder):
    """``unassigned-faces/``: faces in no person; MOVE one into ``faces/<name>/`` assigns it."""

    kind = "nc-unassigned"

    def faces(self, session: Session) -> list[FaceEntry]:
        return face_entries.unassigned_faces(session, self.ctx.viewer)

    def holds(self, entry: FaceEntry) -> bool:
        return entry.person_id is None

    def compute_stat(self, session: Session) -> Stat:
        return people.unassigned_stat(session, self.ctx.viewer)

    def entry_permissions(self) -> str:
        return "V"

    def delete_entry(self, entry: PhotoFile) -> None:
        raise forbid("cannot delete unassigned faces: MOVE them into faces/<name>/")


def _face_id(entry: PhotoFile) -> int:
    return entry.row.face_id or 0


class FacePhoto(PhotoFile):
    """One face as a file: GET streams the photo; properties as Recognize's ``FacePhoto``."""

    folder: FaceFolder

    def __init__(self, path: str, environ: dict[str, Any], folder: FaceFolder, row: PhotoRow,
                 name: str, face: FaceEntry) -> None:
        super().__init__(path, environ, folder, row, name)
        self.face = face

    def extra_property_value(self, name: str) -> Any:
        if name == NC_DETECTIONS:
            return self.folder.detections(self.row.id)
        if name == NC_FILENAME:
            return self.row.name
        if name == NC_REALPATH:
            mount = self.ctx.mounts.get(self.row.mount_id)
            return f"/{self.ctx.user}/files/{mount.name if mount else ''}/{self.row.path}"
        return super().extra_property_value(name)

    def handle_move(self, dest_path: str) -> bool:
        target = self.provider.get_resource_inst(util.get_uri_parent(dest_path), self.environ)
        if not isinstance(target, FaceRoot):
            raise forbid("faces can only be moved into recognize/<user>/faces/<name>/")
        target.receive(self)
        return True

    def handle_copy(self, dest_path: str, *, depth_infinity: bool) -> bool:
        raise forbid("a face belongs to one person: MOVE it, do not COPY it")

    def begin_write(self, *, content_type: str | None = None) -> Any:
        raise forbid("photos cannot be written through the faces tree")
