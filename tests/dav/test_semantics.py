"""What each DAV verb means, one test per verb, on a library the real cascade indexed from real
photos: each change is in the store at once, and no original ever changes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from tests.dav.conftest import Client
from tests.dav.library import Server
from tests.dav.real_library import Real

pytestmark = pytest.mark.slow  # the template runs the real cascade once per session


def _originals(real: Real) -> str:
    files = sorted(p for mount in ("photos", "bobs") for p in (real.folder / mount).rglob("*"))
    return hashlib.sha256(b"".join(p.read_bytes() for p in files if p.is_file())).hexdigest()


@pytest.fixture
def own(fresh_real: tuple[Real, Server]) -> Iterator[tuple[Real, Client]]:
    """A copy of the real library with a server of its own (conftest ``fresh_real``) and
    alice's client; its originals never change."""
    lib, srv = fresh_real
    before = _originals(lib)
    yield lib, Client(srv)
    assert _originals(lib) == before


def _to(dav: Client, path: str) -> dict[str, str]:
    return {"Destination": f"http://127.0.0.1:{dav.server.port}{path}"}


def _name_of(lib: Real, dav: Client, folder: str, photo: str) -> str:
    """The entry of ``folder`` that is the photo ``photo`` (its bytes are the original's)."""
    original = lib.original(f"photos/{photo}")
    for name in dav.names(folder):
        reply = dav("GET", f"{folder}{name}")
        if reply.status == 200 and reply.body == original:
            return name
    raise AssertionError(f"{photo} is not in {folder}: {dav.names(folder)}")


def _corrections(lib: Real, photo: str) -> set[tuple[int, str]]:
    with lib.db() as db:
        return set(db.execute(
            "SELECT c.person_id, c.kind FROM face_corrections c JOIN faces f ON f.id = c.face_id "
            "WHERE f.photo_id = ?", (lib.photos[f"photos/{photo}"],)))


def _person_names(lib: Real) -> dict[int, str | None]:
    with lib.db() as db:
        return dict(db.execute("SELECT id, name FROM persons WHERE NOT deleted"))


def _tags_of(lib: Real, photo: str) -> set[str]:
    """The tags alice sees on the photo: everyone's (user_id 0) and her own, less those she
    took off (store/tag_removals.seen_by)."""
    with lib.db() as db:
        return {n for (n,) in db.execute(
            "SELECT t.name FROM photo_tags pt JOIN tags t ON t.id = pt.tag_id "
            "JOIN users u ON u.name = 'alice' WHERE pt.photo_id = ? AND pt.user_id IN (0, u.id) "
            "AND NOT EXISTS (SELECT 1 FROM tag_removals r WHERE r.photo_id = pt.photo_id "
            "AND r.tag_id = pt.tag_id AND r.user_id = u.id)", (lib.photos[f"photos/{photo}"],))}


def test_the_cascade_made_the_persons_each_user_sees(own: tuple[Real, Client]) -> None:
    lib, dav = own
    assert {"Ann", "Ben"} <= set(dav.names("/dav/people/"))
    assert "Zed" not in dav.names("/dav/people/")  # bob's
    assert Client(dav.server, "bob").names("/dav/people/") == ["Zed"]
    ann = dav.names("/dav/people/Ann/")
    assert "folder.jpg" in ann  # the cover
    assert _name_of(lib, dav, "/dav/people/Ann/", "ann_1.jpg") == "ann_1.jpg"
    assert any(name.startswith("lone") for name in dav.names("/dav/unassigned/"))


def test_move_of_a_person_folder_renames_the_person(own: tuple[Real, Client]) -> None:
    lib, dav = own
    reply = dav("MOVE", "/dav/people/Ann/", headers=_to(dav, "/dav/people/Anna/"))
    assert reply.status in (201, 204), reply.text
    assert _person_names(lib)[lib.person("ann")] == "Anna"
    assert "Anna" in dav.names("/dav/people/") and "Ann" not in dav.names("/dav/people/")


def test_rename_onto_a_name_in_use_is_refused_with_the_reason(own: tuple[Real, Client]) -> None:
    lib, dav = own
    reply = dav("MOVE", "/dav/people/Ann/", headers=_to(dav, "/dav/people/Ben/"))
    assert reply.status == 409 and reply.why
    assert _person_names(lib)[lib.person("ann")] == "Ann"


def test_move_of_a_photo_to_another_person_reassigns_its_face(own: tuple[Real, Client]) -> None:
    lib, dav = own
    name = _name_of(lib, dav, "/dav/people/Ann/", "ann_2.jpg")
    reply = dav("MOVE", f"/dav/people/Ann/{name}", headers=_to(dav, f"/dav/people/Ben/{name}"))
    assert reply.status in (201, 204), reply.text
    found = _corrections(lib, "ann_2.jpg")
    assert (lib.person("ann"), "cannot") in found and (lib.person("ben"), "must") in found
    assert name in dav.names("/dav/people/Ben/") and name not in dav.names("/dav/people/Ann/")


def test_delete_in_a_person_means_not_this_person(own: tuple[Real, Client]) -> None:
    lib, dav = own
    name = _name_of(lib, dav, "/dav/people/Ann/", "ann_3.jpg")
    assert dav("DELETE", f"/dav/people/Ann/{name}").status == 204
    assert (lib.person("ann"), "cannot") in _corrections(lib, "ann_3.jpg")
    assert name not in dav.names("/dav/people/Ann/")
    assert any(n.startswith("ann_3") for n in dav.names("/dav/unassigned/"))


def test_move_from_unassigned_into_a_person_assigns(own: tuple[Real, Client]) -> None:
    lib, dav = own
    lone = next(n for n in dav.names("/dav/unassigned/") if n.startswith("lone"))
    reply = dav("MOVE", f"/dav/unassigned/{lone}", headers=_to(dav, "/dav/people/Ben/lone.jpg"))
    assert reply.status in (201, 204), reply.text
    assert (lib.person("ben"), "must") in _corrections(lib, "lone.jpg")
    assert "lone.jpg" in dav.names("/dav/people/Ben/")


def test_mkcol_in_people_creates_an_empty_person(own: tuple[Real, Client]) -> None:
    lib, dav = own
    assert dav("MKCOL", "/dav/people/Carl").status == 201
    assert "Carl" in _person_names(lib).values() and "Carl" in dav.names("/dav/people/")
    assert dav("MKCOL", "/dav/people/Carl").status == 405  # exists


def test_copy_into_a_tag_folder_tags_the_photo(own: tuple[Real, Client]) -> None:
    lib, dav = own
    assert dav("MKCOL", "/dav/tags/best").status == 201
    reply = dav("COPY", "/dav/people/Ben/ben_1.jpg", headers=_to(dav, "/dav/tags/best/ben_1.jpg"))
    assert reply.status in (201, 204), reply.text
    assert "best" in _tags_of(lib, "ben_1.jpg")
    assert dav.names("/dav/tags/best/") == ["ben_1.jpg"]


def test_put_of_a_known_photo_into_a_tag_folder_tags_it(own: tuple[Real, Client]) -> None:
    lib, dav = own
    assert dav("MKCOL", "/dav/tags/best").status == 201
    reply = dav("PUT", "/dav/tags/best/any-name.jpg", lib.original("photos/dogs.jpg"))
    assert reply.status in (201, 204), reply.text
    assert "best" in _tags_of(lib, "dogs.jpg") and dav.names("/dav/tags/best/") == ["dogs.jpg"]


def test_put_of_unknown_bytes_into_a_tag_folder_is_refused(own: tuple[Real, Client]) -> None:
    _lib, dav = own
    assert dav("MKCOL", "/dav/tags/best").status == 201
    refused = dav("PUT", "/dav/tags/best/random.bin", b"not a photo of yours" * 100)
    assert refused.status == 409 and "none of your photos" in refused.why
    assert dav.names("/dav/tags/best/") == []


def test_delete_in_a_tag_folder_untags(own: tuple[Real, Client]) -> None:
    lib, dav = own
    with lib.db() as db:  # a tag the classifier gave
        photo, tag = db.execute(
            "SELECT p.path, t.name FROM photo_tags pt JOIN tags t ON t.id = pt.tag_id JOIN photos p "
            "ON p.id = pt.photo_id JOIN mounts m ON m.id = p.mount_id WHERE m.name = 'photos' "
            "AND t.kind = 'classifier' ORDER BY p.path, t.name").fetchone()
    name = _name_of(lib, dav, f"/dav/tags/{tag}/", photo)
    assert dav("DELETE", f"/dav/tags/{tag}/{name}").status == 204
    assert tag not in _tags_of(lib, photo)
    assert tag not in dav.names("/dav/tags/") or name not in dav.names(f"/dav/tags/{tag}/")


def test_places_dates_and_people_never_write_an_original(own: tuple[Real, Client]) -> None:
    lib, dav = own
    with lib.db() as db:
        country, city = db.execute("SELECT country, city FROM photos WHERE id = ?",
                                   (lib.photos["photos/italy.jpg"],)).fetchone()
    assert country and city, "the cascade placed italy.jpg nowhere"
    assert "italy.jpg" in dav.names(f"/dav/places/{country}/{city}/")
    assert dav("DELETE", f"/dav/places/{country}/{city}/italy.jpg").status == 403
    assert dav("PUT", "/dav/people/Ben/new.jpg", lib.original("photos/dogs.jpg")).status == 403
    assert dav("GET", "/dav/people/Ann/ann_1.jpg").body == lib.original("photos/ann_1.jpg")


def test_collection_etag_changes_with_content(own: tuple[Real, Client]) -> None:
    _lib, dav = own
    query = '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'

    def etag(path: str) -> str:
        return dav("PROPFIND", path, query, {"Depth": "0"}).text.split("getetag>")[1]

    people, ann, tags = etag("/dav/people/"), etag("/dav/people/Ann/"), etag("/dav/tags/")
    assert etag("/dav/people/Ann/") == ann  # stable
    dav("DELETE", "/dav/people/Ann/ann_1.jpg")
    assert etag("/dav/people/Ann/") != ann and etag("/dav/people/") != people
    dav("MKCOL", "/dav/tags/new")
    assert etag("/dav/tags/") != tags


def test_writable_mount_indexes_new_files(own: tuple[Real, Client]) -> None:
    lib, dav = own
    body = lib.original("photos/dogs.jpg")
    assert dav("MKCOL", "/dav/files/inbox/new").status == 201
    assert dav("PUT", "/dav/files/inbox/new/n.jpg", body).status == 201
    assert (lib.folder / "inbox" / "new" / "n.jpg").read_bytes() == body
    assert dav("MOVE", "/dav/files/inbox/new/n.jpg",
               headers=_to(dav, "/dav/files/inbox/m.jpg")).status == 201
    with lib.db() as db:
        rows = db.execute("SELECT p.path FROM photos p JOIN mounts m ON m.id = p.mount_id "
                          "WHERE m.name = 'inbox'").fetchall()
    assert rows == [("m.jpg",)]
    assert dav("DELETE", "/dav/files/inbox/m.jpg").status == 204
    with lib.db() as db:
        assert db.execute("SELECT count(*) FROM photos p JOIN mounts m ON m.id = p.mount_id "
                          "WHERE m.name = 'inbox'").fetchone() == (0,)
    # the read-only mount refuses every write
    assert dav("PUT", "/dav/files/photos/x.jpg", body).status == 403
    assert dav("DELETE", "/dav/files/photos/ann_1.jpg").status == 403
