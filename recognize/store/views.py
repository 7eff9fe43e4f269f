"""Queries behind the WebDAV tree: persons, faces, tags, places, dates, duplicates, corrections.

Every listing is one query returning plain tuples (no ORM objects), so a folder of 10,000
photos costs one round trip. ``Stat`` aggregates (count, sum of ids, sum of mtimes, bytes)
are what collection etags are made of: cheap to compute and they change when members do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from recognize.errors import Conflict
from recognize.store import naming
from recognize.store.accounts import Viewer
from recognize.store.models import Face, FacePerson, Person, Photo, PhotoTag, Tag
from recognize.store.persons import IGNORED, listed, viewer_place

HIDDEN_TAG_KINDS = ("place", "date", "person")  # they have folders of their own


@dataclass(frozen=True)
class Stat:
    count: int = 0
    id_sum: int = 0
    mtime_sum: int = 0  # milliseconds
    size: int = 0
    mtime_max: int = 0  # nanoseconds

    def key(self) -> str:
        return f"{self.count}-{self.id_sum}-{self.mtime_sum}-{self.size}"


@dataclass(frozen=True)
class PhotoRow:
    id: int
    mount_id: int
    path: str
    size: int
    mtime_ns: int
    mime: str | None
    face_id: int | None = None  # unassigned/: the face this entry stands for
    face_pos: int = 0  # 1-based left-to-right position; 0 when the photo has one face
    face_box: tuple[float, float, float, float] | None = None  # x, y, w, h (fractions)
    face_marks: Any = None  # its 5 landmarks (fractions), for the face crop

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Group:
    key: Any  # person id, tag id, country, year...
    name: str | None
    stat: Stat | None  # None: not computed (a name lookup)
    kind: str = ""


_PHOTO_COLS = (Photo.id, Photo.mount_id, Photo.path, Photo.size, Photo.mtime_ns, Photo.mime)


def _stat_cols(id_col: Any = Photo.id) -> tuple[Any, ...]:
    return (
        func.count(id_col),
        func.coalesce(func.sum(id_col), 0),
        func.coalesce(func.sum(Photo.mtime_ns // 1_000_000), 0),
        func.coalesce(func.sum(Photo.size), 0),
        func.coalesce(func.max(Photo.mtime_ns), 0),
    )


def _stat(row: Any, offset: int = 0) -> Stat:
    return Stat(*(int(row[offset + i] or 0) for i in range(5)))


def _named(query: Any, names: Sequence[str] | None) -> Any:
    """Keep photos whose file name is one of ``names`` (the indexed ``name`` column)."""
    if names is None:
        return query
    return query.where(Photo.name.in_(list(names)))


def _rows(session: Session, query: Any) -> list[PhotoRow]:
    return [PhotoRow(*r) for r in session.execute(query.order_by(Photo.id))]


def _own(mount_ids: Sequence[int]) -> ColumnElement[bool]:
    return Photo.mount_id.in_(list(mount_ids))


# --- persons and faces --------------------------------------------------------------------------
def persons(session: Session, viewer: Viewer, person_id: int | None = None, *,
            hidden: bool = False) -> list[Group]:
    """The viewer's persons with face statistics: those listed (see
    :func:`recognize.store.persons.listed`), or only the hidden ones; one by id whatever
    its state (unless deleted)."""
    faces = (
        select(FacePerson.person_id.label("pid"), *_stat_cols(Face.id))
        .join(Face, Face.id == FacePerson.face_id)
        .join(Photo, Photo.id == Face.photo_id)
        .where(_own(viewer.mount_ids), FacePerson.user_id.in_(viewer.owner_ids),
               FacePerson.person_id.is_not(None))
        .group_by(FacePerson.person_id)
    )
    if person_id is not None:
        faces = faces.where(FacePerson.person_id == person_id)
    sub = faces.subquery()
    query = (
        select(Person.id, Person.name, *(sub.c[i] for i in range(1, 6)), Person.hidden)
        .outerjoin(sub, sub.c.pid == Person.id)
        .where(Person.user_id.in_(viewer.owner_ids), Person.deleted.is_(False))
        .order_by(Person.id)
    )
    if person_id is not None:
        query = query.where(Person.id == person_id)
    else:
        query = query.where(listed(sub.c[1], hidden))
    return [Group(r[0], r[1], _stat(r, 2), kind="hidden" if r[7] else "")
            for r in session.execute(query)]


def person_list(session: Session, viewer: Viewer) -> list[Group]:
    """The viewer's persons without statistics: a cheap lookup by name."""
    rows = session.execute(select(Person.id, Person.name).where(
        Person.user_id.in_(viewer.owner_ids), Person.deleted.is_(False)).order_by(Person.id))
    return [Group(r[0], r[1], None) for r in rows]


def person_photos(
    session: Session, person_id: int, mount_ids: Sequence[int], names: Sequence[str] | None = None
) -> list[PhotoRow]:
    placed = select(Face.photo_id).join(FacePerson, FacePerson.face_id == Face.id).where(
        FacePerson.person_id == person_id)
    query = select(*_PHOTO_COLS).where(_own(mount_ids)).where(Photo.id.in_(placed))
    return _rows(session, _named(query, names))


def _in_no_person(viewer: Viewer) -> Any:
    """SQL: the face is in none of the viewer's persons (and not marked "not a face")."""
    return ~select(FacePerson.face_id).where(
        viewer_place(viewer),
        or_(FacePerson.person_id.is_not(None), FacePerson.assigned_by == IGNORED)).exists()


def unassigned(session: Session, viewer: Viewer, stems: Sequence[str] | None = None
               ) -> list[PhotoRow]:
    """One row per face in no person, with the face's left-to-right position in its photo;
    with ``stems``, only photos named one of them, with or without an extension (a lookup by
    entry name)."""
    position = func.row_number().over(partition_by=Face.photo_id, order_by=(Face.x, Face.id))
    total = func.count().over(partition_by=Face.photo_id)
    ranked = (
        select(Face.id.label("fid"), Face.photo_id, _in_no_person(viewer).label("free"),
               position.label("pos"), total.label("n"), Face.x, Face.y, Face.w, Face.h,
               Face.landmarks)
        .join(Photo, Photo.id == Face.photo_id)
        .where(_own(viewer.mount_ids), *_stems_are(stems))
        .subquery()
    )
    query = (
        select(*_PHOTO_COLS, ranked.c.fid, ranked.c.pos, ranked.c.n, ranked.c.x, ranked.c.y,
               ranked.c.w, ranked.c.h, ranked.c.landmarks)
        .join(ranked, ranked.c.photo_id == Photo.id)
        .where(ranked.c.free)
        .order_by(Photo.id, ranked.c.pos)
    )
    return [PhotoRow(r[0], r[1], r[2], r[3], r[4], r[5], face_id=r[6],
                     face_pos=r[7] if r[8] > 1 else 0, face_box=(r[9], r[10], r[11], r[12]),
                     face_marks=r[13])
            for r in session.execute(query)]


def person_face_rows(session: Session, person_id: int, mount_ids: Sequence[int]
                     ) -> list[PhotoRow]:
    """One row per face of the person (``faces/<Person>/``), with its box for the crop."""
    query = (select(*_PHOTO_COLS, Face.id, Face.x, Face.y, Face.w, Face.h, Face.landmarks)
             .join(Face, Face.photo_id == Photo.id)
             .join(FacePerson, FacePerson.face_id == Face.id)
             .where(_own(mount_ids), FacePerson.person_id == person_id)
             .order_by(Face.id))
    return [PhotoRow(r[0], r[1], r[2], r[3], r[4], r[5], face_id=r[6],
                     face_box=(r[7], r[8], r[9], r[10]), face_marks=r[11])
            for r in session.execute(query)]


def _stems_are(stems: Sequence[str] | None) -> list[Any]:
    """``name == stem`` or ``stem.<ext>``: index ranges ('.' and '/' are neighbours, and no
    file name holds a '/')."""
    if stems is None:
        return []
    return [or_(*(or_(Photo.name == s, and_(Photo.name >= s + ".", Photo.name < s + "/"))
                  for s in stems))]


def unassigned_stat(session: Session, viewer: Viewer) -> Stat:
    row = session.execute(
        select(*_stat_cols(Face.id)).join(Photo, Photo.id == Face.photo_id)
        .where(_own(viewer.mount_ids), _in_no_person(viewer))
    ).one()
    return _stat(row)


def add_face(
    session: Session, photo_id: int, box: tuple[float, float, float, float], score: float,
    *, model: str = "user", person_id: int | None = None, embedding: bytes | None = None,
    assigned_by: str | None = None,
) -> int:
    """A face on a photo; with ``person_id``, placed in that person for its owner."""
    x, y, w, h = box
    face = Face(photo_id=photo_id, x=x, y=y, w=w, h=h, score=score, model=model,
                embedding=embedding)
    session.add(face)
    session.flush()
    if person_id is not None:
        owner = session.scalar(select(Person.user_id).where(Person.id == person_id))
        session.add(FacePerson(face_id=face.id, user_id=owner, person_id=person_id,
                               assigned_by=assigned_by))
        session.flush()
    return face.id


def person_faces_in_photo(session: Session, person_id: int, photo_id: int) -> list[int]:
    return list(session.scalars(
        select(Face.id).join(FacePerson, FacePerson.face_id == Face.id)
        .where(FacePerson.person_id == person_id, Face.photo_id == photo_id).order_by(Face.id)
    ))


def faces_of(session: Session, photo_ids: Sequence[int], viewer: Viewer
             ) -> dict[int, list[dict[str, Any]]]:
    """The faces on these photos with the viewer's person of each (name or "Person N")."""
    out: dict[int, list[dict[str, Any]]] = {p: [] for p in photo_ids}
    rows = session.execute(
        select(Face.id, Face.photo_id, Face.x, Face.y, Face.w, Face.h, Face.score,
               FacePerson.person_id, Person.name)
        .join(Photo, Photo.id == Face.photo_id)
        .outerjoin(FacePerson, viewer_place(viewer))
        .outerjoin(Person, Person.id == FacePerson.person_id)
        .where(Face.photo_id.in_(photo_ids)).order_by(Face.photo_id, Face.x, Face.id)
    )
    for r in rows:
        out[r[1]].append({"id": r[0], "box": [r[2], r[3], r[4], r[5]], "score": r[6],
                          "person_id": r[7],
                          "person": None if r[7] is None else (r[8] or f"Person {r[7]}")})
    return out


# --- tags ------------------------------------------------------------------------------------------
def _visible_tag(user_id: int) -> ColumnElement[bool]:
    return and_(or_(Tag.user_id.is_(None), Tag.user_id == user_id),
                Tag.kind.not_in(HIDDEN_TAG_KINDS))


def tags(
    session: Session, user_id: int, mount_ids: Sequence[int], tag_id: int | None = None
) -> list[Group]:
    """Tags with photos of the user, plus the user's own (possibly empty) tags."""
    counts = (
        select(PhotoTag.tag_id.label("tid"), *_stat_cols())
        .join(Photo, Photo.id == PhotoTag.photo_id).where(_own(mount_ids))
        .group_by(PhotoTag.tag_id).subquery()
    )
    query = (
        select(Tag.id, Tag.name, Tag.kind, *(counts.c[i] for i in range(1, 6)))
        .outerjoin(counts, counts.c.tid == Tag.id)
        .where(_visible_tag(user_id), or_(counts.c.tid.is_not(None), Tag.user_id == user_id))
        .order_by(Tag.id)
    )
    if tag_id is not None:
        query = query.where(Tag.id == tag_id)
    return [Group(r[0], r[1], _stat(r, 3), kind=r[2]) for r in session.execute(query)]


def tag_list(session: Session, user_id: int, mount_ids: Sequence[int]) -> list[Group]:
    """Like :func:`tags` without statistics (a cheap lookup by name)."""
    used = select(PhotoTag.tag_id).join(Photo, Photo.id == PhotoTag.photo_id).where(
        _own(mount_ids), PhotoTag.tag_id == Tag.id).exists()
    rows = session.execute(select(Tag.id, Tag.name, Tag.kind).where(
        _visible_tag(user_id), or_(used, Tag.user_id == user_id)).order_by(Tag.id))
    return [Group(r[0], r[1], None, kind=r[2]) for r in rows]


def tag_photos(
    session: Session, tag_id: int, mount_ids: Sequence[int], names: Sequence[str] | None = None
) -> list[PhotoRow]:
    query = (select(*_PHOTO_COLS).join(PhotoTag, PhotoTag.photo_id == Photo.id)
             .where(_own(mount_ids), PhotoTag.tag_id == tag_id))
    return _rows(session, _named(query, names))


def create_user_tag(session: Session, user_id: int, name: str) -> int:
    name = naming.tag_name(name)
    if session.scalar(select(Tag.id).where(Tag.name == name, _visible_tag(user_id))):
        raise Conflict(f"a tag named {name!r} exists already")
    tag = Tag(name=name, kind="user", user_id=user_id)
    session.add(tag)
    session.flush()
    return tag.id


def rename_user_tag(session: Session, user_id: int, tag_id: int, name: str) -> None:
    name = naming.tag_name(name)
    if session.scalar(select(Tag.id).where(Tag.name == name, _visible_tag(user_id))):
        raise Conflict(f"a tag named {name!r} exists already")
    session.execute(update(Tag).where(Tag.id == tag_id, Tag.user_id == user_id).values(name=name))


def delete_user_tag(session: Session, user_id: int, tag_id: int) -> None:
    session.execute(delete(Tag).where(Tag.id == tag_id, Tag.user_id == user_id))


def tag_photo(session: Session, photo_id: int, tag_id: int, source: str = "user") -> None:
    session.merge(PhotoTag(photo_id=photo_id, tag_id=tag_id, confidence=1.0, source=source))


def tags_of(session: Session, photo_ids: Sequence[int], owner_ids: Sequence[int]
            ) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {p: [] for p in photo_ids}
    rows = session.execute(
        select(PhotoTag.photo_id, Tag.name, Tag.kind, PhotoTag.confidence)
        .join(Tag, Tag.id == PhotoTag.tag_id)
        .where(PhotoTag.photo_id.in_(photo_ids), _seen_by(owner_ids))
        .order_by(PhotoTag.photo_id, PhotoTag.confidence.desc())
    )
    for r in rows:
        out[r[0]].append({"name": r[1], "kind": r[2], "confidence": round(r[3], 4)})
    return out


def photo_by_content(
    session: Session, mount_ids: Sequence[int], size: int, fingerprint: str
) -> int | None:
    return session.scalar(select(Photo.id).where(
        _own(mount_ids), Photo.size == size, Photo.fingerprint == fingerprint
    ).order_by(Photo.id).limit(1))


def photo_by_path(session: Session, mount_id: int, path: str) -> int | None:
    return session.scalar(select(Photo.id).where(Photo.mount_id == mount_id, Photo.path == path))


# --- places and dates --------------------------------------------------------------------------
def _grouped(session: Session, keys: Sequence[Any], where: Sequence[Any]) -> list[Group]:
    query = select(*keys, *_stat_cols()).where(*where).group_by(*keys).order_by(*keys)
    n = len(keys)
    return [Group(tuple(r[:n]) if n > 1 else r[0], None, _stat(r, n))
            for r in session.execute(query)]


def _year() -> Any:
    return func.extract("year", Photo.taken_at)


def _month() -> Any:
    return func.extract("month", Photo.taken_at)


def countries(session: Session, mount_ids: Sequence[int]) -> list[Group]:
    return _grouped(session, [Photo.country], [_own(mount_ids), Photo.country.is_not(None)])


def cities(session: Session, mount_ids: Sequence[int], country: str) -> list[Group]:
    return _grouped(session, [Photo.city], [_own(mount_ids), Photo.country == country])


def place_photos(
    session: Session, mount_ids: Sequence[int], country: str, city: str | None,
    names: Sequence[str] | None = None,
) -> list[PhotoRow]:
    city_is = Photo.city.is_(None) if city is None else Photo.city == city
    query = select(*_PHOTO_COLS).where(_own(mount_ids), Photo.country == country, city_is)
    return _rows(session, _named(query, names))


def years(session: Session, mount_ids: Sequence[int]) -> list[Group]:
    return _grouped(session, [_year()], [_own(mount_ids), Photo.taken_at.is_not(None)])


def months(session: Session, mount_ids: Sequence[int], year: int) -> list[Group]:
    return _grouped(session, [_month()], [_own(mount_ids), _year() == year])


def month_photos(
    session: Session, mount_ids: Sequence[int], year: int, month: int,
    names: Sequence[str] | None = None,
) -> list[PhotoRow]:
    query = select(*_PHOTO_COLS).where(_own(mount_ids), _year() == year, _month() == month)
    return _rows(session, _named(query, names))


def photos_stat(session: Session, where: Sequence[Any]) -> Stat:
    return _stat(session.execute(select(*_stat_cols()).where(*where)).one())


def photos_by_id(session: Session, ids: Sequence[int], names: Sequence[str] | None = None
                 ) -> list[PhotoRow]:
    return _rows(session, _named(select(*_PHOTO_COLS).where(Photo.id.in_(list(ids))), names))


# --- Nextcloud-compatible endpoints: system tags and Recognize's faces ----------------------
@dataclass(frozen=True)
class SystemTag:
    id: int
    name: str
    kind: str
    own: bool  # the user's own tag (kind user or person), not a shared one


@dataclass(frozen=True)
class FaceEntry:
    """One face of a person (or unassigned) with its photo, for ``recognize/<user>/faces``."""

    photo: PhotoRow
    face_id: int
    person_id: int | None
    box: tuple[float, float, float, float]  # x, y, w, h as fractions of the photo


@dataclass(frozen=True)
class Detection:
    """A face on a photo as Recognize reports it (``nc:face-detections``)."""

    id: int
    photo_id: int
    box: tuple[float, float, float, float]
    person_id: int | None
    person_name: str | None


def _seen_by(owner_ids: Sequence[int]) -> ColumnElement[bool]:
    """Tags a viewer may see: shared ones and those of its person owners (itself included)."""
    return or_(Tag.user_id.is_(None), Tag.user_id.in_(list(owner_ids)))


def _seen_tag(viewer: Viewer) -> ColumnElement[bool]:
    """Tags the viewer may see as system tags: their own, or shared ones on their photos."""
    used = select(PhotoTag.tag_id).join(Photo, Photo.id == PhotoTag.photo_id).where(
        _own(viewer.mount_ids), PhotoTag.tag_id == Tag.id).exists()
    return or_(Tag.user_id.in_(viewer.owner_ids), and_(Tag.user_id.is_(None), used))


def system_tags(session: Session, viewer: Viewer,
                tag_ids: Sequence[int] | None = None) -> list[SystemTag]:
    """Every tag the viewer can see (all kinds), in one query."""
    query = select(Tag.id, Tag.name, Tag.kind, Tag.user_id).where(_seen_tag(viewer))
    if tag_ids is not None:
        query = query.where(Tag.id.in_(list(tag_ids)))
    return [SystemTag(r[0], r[1], r[2], r[3] is not None)
            for r in session.execute(query.order_by(Tag.id))]


def photo_system_tags(session: Session, photo_id: int, viewer: Viewer) -> list[SystemTag]:
    """The tags on one photo that the viewer can see (shared ones and their own)."""
    rows = session.execute(
        select(Tag.id, Tag.name, Tag.kind, Tag.user_id).join(PhotoTag, PhotoTag.tag_id == Tag.id)
        .where(PhotoTag.photo_id == photo_id, _seen_by(viewer.owner_ids))
        .order_by(Tag.id))
    return [SystemTag(r[0], r[1], r[2], r[3] is not None) for r in rows]


def own_photo(session: Session, photo_id: int, mount_ids: Sequence[int]) -> bool:
    return session.scalar(select(Photo.id).where(Photo.id == photo_id, _own(mount_ids))) is not None


def _face_entries(session: Session, query: Any) -> list[FaceEntry]:
    return [_face_entry(r) for r in session.execute(query)]


def _face_entry(r: Any) -> FaceEntry:
    photo = PhotoRow(r[0], r[1], r[2], r[3], r[4], r[5], face_id=r[6])
    return FaceEntry(photo, r[6], r[7], (r[8], r[9], r[10], r[11]))


def _face_query(viewer: Viewer) -> Any:
    return (select(*_PHOTO_COLS, Face.id, FacePerson.person_id, Face.x, Face.y, Face.w, Face.h)
            .join(Photo, Photo.id == Face.photo_id).outerjoin(FacePerson, viewer_place(viewer))
            .where(_own(viewer.mount_ids)).order_by(Face.id))


def person_faces(session: Session, person_id: int, viewer: Viewer) -> list[FaceEntry]:
    return _face_entries(session, _face_query(viewer).where(FacePerson.person_id == person_id))


def unassigned_faces(session: Session, viewer: Viewer) -> list[FaceEntry]:
    return _face_entries(session, _face_query(viewer).where(FacePerson.person_id.is_(None)))


def face_entry(session: Session, face_id: int, viewer: Viewer) -> FaceEntry | None:
    found = _face_entries(session, _face_query(viewer).where(Face.id == face_id))
    return found[0] if found else None


def detections(session: Session, photo_ids: Sequence[int], viewer: Viewer
               ) -> dict[int, list[Detection]]:
    """All faces on these photos, one query, each with the viewer's person (never another
    user's)."""
    out: dict[int, list[Detection]] = {p: [] for p in photo_ids}
    rows = session.execute(
        select(Face.id, Face.photo_id, Face.x, Face.y, Face.w, Face.h, FacePerson.person_id,
               Person.name)
        .join(Photo, Photo.id == Face.photo_id)
        .outerjoin(FacePerson, viewer_place(viewer))
        .outerjoin(Person, Person.id == FacePerson.person_id)
        .where(Face.photo_id.in_(list(photo_ids)))
        .order_by(Face.photo_id, Face.id))
    for r in rows:
        out[r[1]].append(Detection(r[0], r[1], (r[2], r[3], r[4], r[5]), r[6], r[7]))
    return out


def preview_faces(session: Session, viewer: Viewer) -> dict[int, FaceEntry]:
    """Per person, the face to show as its cover: the one clustering chose, else Recognize's
    rule (the largest face with a margin of half its size on every side, else the largest);
    for all persons in one query."""
    inside = and_(Face.x - Face.w * 0.5 > 0, Face.y - Face.h * 0.5 > 0,
                  1 - (Face.x + Face.w) - Face.w * 0.5 > 0,
                  1 - (Face.y + Face.h) - Face.h * 0.5 > 0)
    rank = func.row_number().over(
        partition_by=FacePerson.person_id,
        order_by=(case((Face.id == Person.cover_face_id, 0), else_=1), case((inside, 0), else_=1),
                  Face.h.desc(), Face.w.desc(), Face.id))
    ranked = (select(*_PHOTO_COLS, Face.id.label("fid"), FacePerson.person_id.label("pid"),
                     Face.x, Face.y, Face.w, Face.h, rank.label("rank"))
              .join(Photo, Photo.id == Face.photo_id)
              .join(FacePerson, FacePerson.face_id == Face.id)
              .join(Person, Person.id == FacePerson.person_id)
              .where(_own(viewer.mount_ids), Person.user_id.in_(viewer.owner_ids),
                     FacePerson.user_id == Person.user_id, Person.deleted.is_(False))
              .subquery())
    rows = session.execute(select(*ranked.c[:12]).where(ranked.c.rank == 1))
    return {r[7]: _face_entry(r) for r in rows}
