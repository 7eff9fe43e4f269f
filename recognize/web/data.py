"""What the review page shows, read through the store as the API reads it (the same store
functions and the same viewer, so page and API never disagree)."""

from __future__ import annotations

from dataclasses import dataclass

from recognize.config import Settings
from recognize.store import Store, accounts, face_info, people, review
from recognize.store.accounts import Viewer
from recognize.store.face_info import FaceInfo

PAGE_SIZE = 120  # faces per page


@dataclass(frozen=True)
class PersonCard:
    id: int
    name: str | None
    faces: int
    cover_face: int | None
    hidden: bool = False


@dataclass(frozen=True)
class Counts:
    unassigned: int
    hidden: int
    ignored: int


def viewer_of(settings: Settings, store: Store, user: str) -> Viewer | None:
    """The user's view of persons and faces (in the served mounts), or None while they have
    no data yet."""
    with store.reading() as session:
        served = {m.id for m in accounts.served_mounts(session, user, settings.mount_owners())}
        uid = accounts.user_id(session, user)
        return None if uid is None else accounts.viewer(session, uid, served)


def persons(store: Store, seen: Viewer, *, hidden: bool = False,
            person_id: int | None = None) -> list[PersonCard]:
    """Listed (or hidden) persons, most faces first; or the one ``person_id``."""
    with store.reading() as session:
        groups = people.persons(session, seen, person_id, hidden=hidden)
        covers = face_info.covers(session, seen, [g.key for g in groups])
    cards = [PersonCard(g.key, g.name, g.stat.count if g.stat else 0,
                        covers[g.key].id if g.key in covers else None, g.kind == "hidden")
             for g in groups]
    cards.sort(key=lambda c: (-c.faces, c.id))
    return cards


def person(store: Store, seen: Viewer, person_id: int) -> PersonCard | None:
    found = persons(store, seen, person_id=person_id)
    return found[0] if found else None


def faces(store: Store, seen: Viewer, *, person_id: int | None = None,
          offset: int = 0) -> tuple[int, list[FaceInfo]]:
    """A page of a person's faces, or of the unassigned ones (``person_id`` None)."""
    with store.reading() as session:
        return face_info.faces_info(session, seen, person_id=person_id,
                                       unassigned=person_id is None, offset=offset,
                                       limit=PAGE_SIZE)


def ignored(store: Store, seen: Viewer) -> list[FaceInfo]:
    with store.reading() as session:
        ids = review.ignored_faces(session, seen)
        return face_info.faces_info(session, seen, face_ids=ids)[1]


def suggestions(settings: Settings, store: Store, seen: Viewer,
                person_id: int) -> list[tuple[review.Suggestion, int | None]]:
    """Persons most likely the same as ``person_id``, best first, each with its cover face."""
    with store.reading() as session:
        found = review.suggestions(session, seen, person_id, settings.persons.suggest_distance)
        covers = face_info.covers(session, seen, [s.person_id for s in found])
    return [(s, covers[s.person_id].id if s.person_id in covers else None) for s in found]


def counts(store: Store, seen: Viewer) -> Counts:
    with store.reading() as session:
        unassigned = face_info.faces_info(session, seen, unassigned=True, limit=0)[0]
        hidden = len(people.persons(session, seen, hidden=True))
        ignored_n = len(review.ignored_faces(session, seen))
    return Counts(unassigned, hidden, ignored_n)


def all_names(store: Store, seen: Viewer) -> list[tuple[int, str]]:
    """Every named person (hidden ones too): what a typed name can mean."""
    with store.reading() as session:
        return [(g.key, g.name) for g in people.person_list(session, seen) if g.name]
