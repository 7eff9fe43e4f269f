"""``people/<Person>/<photo>`` and ``unassigned/<photo>``: persons as folders of photos.

Renaming a person folder renames the person; MKCOL makes a new empty person; DELETE of a
person marks it deleted. An entry of ``people/A/`` stands for A's face(s) in that photo:
DELETE says "not A" (remembered), MOVE to ``people/B/`` reassigns. An entry of
``unassigned/`` stands for one face; MOVE into ``people/B/`` assigns it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session
from wsgidav import util
from wsgidav.dav_error import HTTP_CONFLICT, DAVError
from wsgidav.dav_provider import _DAVResource

from recognize.dav import names
from recognize.dav.base import PhotoFile, PhotoFolder, VirtualCollection, forbid
from recognize.dav.faces import COVER_NAME, FaceCropFile, OwnPerson, PersonFaces, cover_entry
from recognize.errors import Conflict
from recognize.store import people, persons, review
from recognize.store.rows import Group, PhotoRow, Stat


def person_label(group: Group) -> str:
    return names.safe(group.name) if group.name else f"Person {group.key}"


class PeopleRoot(VirtualCollection):
    """``people/``: one folder per listed person (``folder`` says what a person's folder is)."""

    kind = "people"
    permissions = "CK"

    def folder(self, name: str, stat: Stat | None, person_id: int) -> _DAVResource:
        return PersonFolder(self.child_path(name), self.environ, self.ctx, stat, person_id)

    def list_members(self) -> list[_DAVResource]:
        groups = self.ctx.read("persons", lambda s: people.persons(s, self.ctx.viewer))
        return [self.folder(n, g.stat, g.key) for n, g in names.unique(groups, person_label)]

    def get_member(self, name: str) -> _DAVResource | None:
        if self._members is not None:
            return super().get_member(name)
        groups = self.ctx.read("person_list", lambda s: people.person_list(s, self.ctx.viewer))
        found = names.pick(name, groups, person_label)
        return self.folder(name, None, found.key) if found is not None else None

    def create_collection(self, name: str) -> None:
        self.create_named(name, "person", persons.create_person)


class PersonFolder(OwnPerson):
    kind = "person"
    permissions = "DNVC"

    def query(self, session: Session, names_: Sequence[str] | None) -> list[PhotoRow]:
        return people.person_photos(session, self.person_id, self.ctx.mount_ids, names_)

    def rows_key(self) -> tuple[object, ...] | None:
        return ("person photos", self.person_id)

    def list_members(self) -> list[_DAVResource]:
        members = super().list_members()
        if all(m.name != COVER_NAME for m in members):
            cover = cover_entry(self)
            members += [cover] if cover is not None else []
        return members

    def get_member(self, name: str) -> _DAVResource | None:
        found = super().get_member(name)
        if found is None and name == COVER_NAME and self._members is None:
            return cover_entry(self)
        return found

    def entry_permissions(self) -> str:
        return "DV"

    def handle_move(self, dest_path: str) -> bool:
        """MOVE people/A → people/B renames A (refused when B exists)."""
        if util.get_uri_parent(dest_path).rstrip("/") != "/people":
            raise forbid("a person folder can only be renamed within people/")
        new = util.get_uri_name(dest_path.rstrip("/"))
        if new != names.safe(new):
            raise forbid(f"not a usable person name: {new!r}")
        if new == self.name:
            return True
        if self.provider.get_resource_inst(dest_path, self.environ) is not None:
            raise DAVError(HTTP_CONFLICT, f"a person named {new!r} exists already")
        with self.ctx.change() as session:
            persons.rename_person(session, self.ctx.viewer, self.person_id, new)
        return True

    def entry_faces(self, session: Session, entry: PhotoFile) -> list[int]:
        """DELETE people/A/photo: "this is not A", remembered; the face becomes unassigned."""
        return people.person_faces_in_photo(session, self.person_id, entry.row.id)

    def receive(self, entry: PhotoFile, move: bool) -> None:
        """A photo entry of another person or of unassigned/ arrives: assign its face."""
        if not move:
            raise forbid("a face belongs to one person: MOVE it, do not COPY it")
        source = entry.folder
        try:
            with self.ctx.session() as session:
                if isinstance(source, PersonFolder):
                    if source.person_id == self.person_id:
                        raise forbid("photos in a person folder cannot be renamed")
                    if people.person_faces_in_photo(session, self.person_id, entry.row.id):
                        return  # the person holds this photo already: nothing changes
                    faces = people.person_faces_in_photo(session, source.person_id, entry.row.id)
                    persons.assign_faces(session, self.ctx.viewer, faces, self.person_id,
                                         from_person=source.person_id)
                elif isinstance(source, UnassignedFolder) and entry.row.face_id is not None:
                    persons.assign_faces(session, self.ctx.viewer, [entry.row.face_id],
                                         self.person_id)
                else:
                    raise forbid("only photos from people/ or unassigned/ can be moved to a person")
        except Conflict as exc:
            raise DAVError(HTTP_CONFLICT, str(exc)) from None


class UnassignedFolder(PhotoFolder):
    kind = "unassigned"

    def query(self, session: Session, names_: Sequence[str] | None) -> list[PhotoRow]:
        return people.unassigned(session, self.ctx.viewer,
                                names.entry_stems(names_[0]) if names_ else None)

    def compute_stat(self, session: Session) -> Stat:
        return people.unassigned_stat(session, self.ctx.viewer)

    def base_name(self, row: PhotoRow) -> str:
        """``IMG_1 (face 2).jpg``: always .jpg, since the entry serves the face's crop."""
        return names.split(names.face_name(row.name, row.face_pos))[0] + ".jpg"

    def entry(self, name: str, row: PhotoRow) -> PhotoFile:
        return FaceCropFile(self.child_path(name), self.environ, self, row, name)

    def get_member(self, name: str) -> _DAVResource | None:
        """By name: only the photos whose entries could be called so (one narrow query)."""
        if self._members is not None or not name.endswith(".jpg"):
            return VirtualCollection.get_member(self, name)
        with self.ctx.reading() as session:
            rows = self.query(session, [name])
        row = names.pick(name, rows, self.base_name)
        return self.entry(name, row) if row is not None else None

    def entry_permissions(self) -> str:
        return "DV"

    def delete_entry(self, entry: PhotoFile) -> None:
        """DELETE unassigned/<entry>: "this is not a face" (kept, never clustered or listed
        again; undo through the API: DELETE /api/v1/faces/<id>/ignore)."""
        if entry.row.face_id is None:
            raise forbid("this entry stands for no face")
        with self.ctx.session() as session:
            review.ignore_faces(session, self.ctx.viewer, [entry.row.face_id])


class FacesRoot(PeopleRoot):
    """``faces/``: the persons of ``people/``, each folder listing the person's face crops."""

    kind = "faces"
    permissions = ""

    def folder(self, name: str, stat: Stat | None, person_id: int) -> _DAVResource:
        return PersonFaces(self.child_path(name), self.environ, self.ctx, stat, person_id)

    def create_collection(self, name: str) -> None:
        raise forbid("create persons in people/; faces/ shows their faces")
