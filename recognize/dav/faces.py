"""Faces themselves in the file manager: crop entries, person covers, ``faces/<Person>/``.

- An entry of ``unassigned/`` serves its face's crop (a square JPEG, the face upright with a
  margin), so a file manager's thumbnails show the face meant; its size, ETag and type are
  the crop's. MOVE into ``people/<P>/`` still assigns that face.
- ``people/<P>/folder.jpg`` is P's cover face (read-only), for file managers that show a
  folder picture (Windows Explorer, some Linux file managers); a real photo of that name
  wins over it.
- ``faces/<P>/<face id>-<photo>.jpg`` lists P's faces as crops; DELETE there says "this face
  is not P" (as in ``people/<P>/``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session
from wsgidav.dav_provider import DAVNonCollection, _DAVResource

from recognize.dav import names
from recognize.dav.base import PhotoFile, PhotoFolder, Props, VirtualCollection, forbid
from recognize.dav.context import UserContext
from recognize.jobs.crops import BASE_SIZE, Crop, cached_crop, crop_file
from recognize.store import face_info, people, persons
from recognize.store.rows import PhotoRow, Stat

COVER_NAME = "folder.jpg"


def _crop(ctx: UserContext, face_id: int, box: Any, marks: Any) -> Crop:
    settings = ctx.backend.settings
    found = cached_crop(settings, face_id, box, marks) if box is not None else None
    return found or crop_file(settings, ctx.backend.store, face_id, BASE_SIZE)


class CropContent:
    """A non-collection whose bytes are a face crop (made once, then read from the cache)."""

    ctx: UserContext

    def crop(self) -> Crop:
        raise NotImplementedError

    def _cached(self) -> Crop:
        found: Crop | None = getattr(self, "_crop_found", None)
        if found is None:
            found = self.crop()
            self._crop_found = found
        return found

    def get_content_length(self) -> int:
        return self._cached().size

    def get_content_type(self) -> str:
        return "image/jpeg"

    def get_etag(self) -> str:
        return f"crop-{self._cached().etag}"

    def get_content(self) -> Any:
        return self._cached().path.open("rb")

    def support_ranges(self) -> bool:
        return True


class FaceCropFile(CropContent, PhotoFile):
    """A photo entry that stands for one face and serves that face's crop."""

    def crop(self) -> Crop:
        if self.row.face_id is None:
            raise forbid("this entry stands for no face")
        return _crop(self.ctx, self.row.face_id, self.row.face_box, self.row.face_marks)


class CoverFile(CropContent, Props, DAVNonCollection):
    """``people/<P>/folder.jpg``: P's cover face, read-only."""

    permissions = ""

    def __init__(self, path: str, environ: dict[str, Any], ctx: UserContext, face_id: int) -> None:
        DAVNonCollection.__init__(self, path, environ)
        self.ctx, self.face_id = ctx, face_id
        self.name = COVER_NAME

    def crop(self) -> Crop:
        return _crop(self.ctx, self.face_id, None, None)

    def support_etag(self) -> bool:
        return True

    def get_display_name(self) -> str:
        return self.name

    def get_creation_date(self) -> None:
        return None

    def get_last_modified(self) -> float:
        return self._cached().path.stat().st_mtime

    def handle_delete(self) -> bool:
        raise forbid("folder.jpg is the person's cover face: it cannot be deleted")

    def handle_move(self, dest_path: str) -> bool:
        raise forbid("folder.jpg is the person's cover face: it cannot be moved")

    def handle_copy(self, dest_path: str, *, depth_infinity: bool) -> bool:
        raise forbid("folder.jpg is the person's cover face: it cannot be copied")

    def delete(self) -> None:
        raise forbid("folder.jpg is the person's cover face: it cannot be deleted")

    def begin_write(self, *, content_type: str | None = None) -> Any:
        raise forbid("folder.jpg is the person's cover face: it is read-only")


class PersonScoped(PhotoFolder):
    """A folder of one person's photos or faces (``people/<P>/``, ``faces/<P>/``): its
    statistics are the person's."""

    def __init__(self, path: str, environ: dict[str, Any], ctx: UserContext, stat: Stat | None,
                 person_id: int) -> None:
        super().__init__(path, environ, ctx, stat)
        self.person_id = person_id

    def compute_stat(self, session: Session) -> Stat:
        found = people.persons(session, self.ctx.viewer, self.person_id)
        return (found[0].stat or Stat()) if found else Stat()


class OwnPerson(PersonScoped):
    """A person folder the user edits (``people/<P>/``, Nextcloud's ``faces/<P>/``): DELETE
    removes the person; DELETE of an entry says "not this person" for its faces."""

    def entry_faces(self, session: Session, entry: PhotoFile) -> list[int]:
        raise NotImplementedError

    def handle_delete(self) -> bool:
        with self.ctx.session() as session:
            persons.delete_person(session, self.ctx.viewer, self.person_id)
        return True

    def delete_entry(self, entry: PhotoFile) -> None:
        with self.ctx.session() as session:
            persons.reject_faces(session, self.ctx.viewer, self.entry_faces(session, entry),
                                 self.person_id)


def cover_entry(folder: PersonScoped) -> CoverFile | None:
    """The cover entry of a person folder (None for a person with no face)."""
    with folder.ctx.reading() as session:
        found = face_info.covers(session, folder.ctx.viewer, [folder.person_id])
    cover = found.get(folder.person_id)
    if cover is None:
        return None
    return CoverFile(folder.child_path(COVER_NAME), folder.environ, folder.ctx, cover.id)


class PersonFaces(PersonScoped):
    """``faces/<P>/``: P's faces as crops, ``<face id>-<photo stem>.jpg``."""

    kind = "person-faces"

    def query(self, session: Session, names_: Sequence[str] | None) -> list[PhotoRow]:
        return people.person_face_rows(session, self.person_id, self.ctx.mount_ids)

    def base_name(self, row: PhotoRow) -> str:
        return f"{row.face_id}-{names.split(row.name)[0]}.jpg"

    def entry(self, name: str, row: PhotoRow) -> PhotoFile:
        return FaceCropFile(self.child_path(name), self.environ, self, row, name)

    def get_member(self, name: str) -> _DAVResource | None:
        return VirtualCollection.get_member(self, name)

    def entry_permissions(self) -> str:
        return "D"

    def delete_entry(self, entry: PhotoFile) -> None:
        """DELETE faces/P/<face>: "this face is not P", as in people/P/."""
        if entry.row.face_id is None:
            raise forbid("this entry stands for no face")
        with self.ctx.session() as session:
            persons.reject_faces(session, self.ctx.viewer, [entry.row.face_id], self.person_id)
