"""What DAV operations mean: each change is in the store at once; originals never change."""

from __future__ import annotations

import hashlib

from recognize.store import accounts, views
from recognize.store import persons as person_store
from tests.dav.conftest import Client
from tests.dav.library import Library, Server


def _digest(lib: Library) -> str:
    files = sorted((lib.folder / "photos").rglob("*"))
    return hashlib.sha256(b"".join(p.read_bytes() for p in files if p.is_file())).hexdigest()


def test_person_and_tag_operations(fresh: tuple[Library, Server]) -> None:
    lib, srv = fresh
    dav, base = Client(srv), srv.url
    before = _digest(lib)
    # rename a person = MOVE its folder; refused when the name exists
    assert dav("MOVE", "/dav/people/Ann/", headers={"Destination": f"{base}/dav/people/Anna/"}
               ).status in (201, 204)
    assert dav("MOVE", "/dav/people/Anna/", headers={"Destination": f"{base}/dav/people/Ben/"}
               ).status == 409
    # move a photo from one person to another = reassign that face
    assert dav("MOVE", "/dav/people/Anna/lake.jpg",
               headers={"Destination": f"{base}/dav/people/Ben/lake.jpg"}).status in (201, 204)
    # DELETE in a person = "not this person", remembered; the face becomes unassigned
    assert dav("DELETE", "/dav/people/Anna/sunrise.jpg").status == 204
    # MOVE from unassigned/ into a person = assign
    assert dav("MOVE", "/dav/unassigned/night%20(face%202).jpg",
               headers={"Destination": f"{base}/dav/people/Ben/night.jpg"}).status in (201, 204)
    assert dav("MKCOL", "/dav/people/Carl").status == 201
    assert dav("MKCOL", "/dav/tags/best").status == 201
    assert dav("COPY", "/dav/people/Ben/lake.jpg",
               headers={"Destination": f"{base}/dav/tags/best/lake.jpg"}).status in (201, 204)
    body = (lib.folder / "photos" / "forest.jpg").read_bytes()
    assert dav("PUT", "/dav/tags/best/any-name.jpg", body).status in (201, 204)
    refused = dav("PUT", "/dav/tags/best/random.bin", b"not a photo of yours" * 100)
    assert refused.status == 409 and b"none of your photos" in refused.body
    assert dav("DELETE", "/dav/tags/lake/lake.jpg").status == 204
    # never an original: deleting in places/ or PUT into people/ is refused
    assert dav("DELETE", "/dav/places/Italy/Florence/sunrise.jpg").status == 403
    assert dav("PUT", "/dav/people/Ben/new.jpg", body).status == 403

    assert dav.names("/dav/people/") == ["Anna", "Ben", "Person 3", "Carl"]
    assert sorted(dav.names("/dav/people/Ben/")) == ["folder.jpg", "lake.jpg", "night.jpg",
                                                     "sunrise.jpg"]  # folder.jpg: the cover
    assert "sunrise (face 1).jpg" in dav.names("/dav/unassigned/")
    assert sorted(dav.names("/dav/tags/best/")) == ["forest.jpg", "lake.jpg"]
    assert "lake" not in dav.names("/dav/tags/")  # a classifier tag with no photos left
    assert _digest(lib) == before

    with lib.store.session() as s:  # what the API reads: the store, changed at once
        alice = lib.persons
        persons = {g.key: g.name for g in views.persons(s, accounts.viewer(s, 1))}
        assert persons[alice["Ann"]] == "Anna" and "Carl" in persons.values()
        lake, sunrise = lib.faces["ann_lake"], lib.faces["ann_sunrise"]
        found = person_store.corrections(s, [lake, sunrise, lib.faces["free_night_2"]])
        assert (lake, alice["Ann"], "cannot") in found and (lake, alice["Ben"], "must") in found
        assert (sunrise, alice["Ann"], "cannot") in found
        assert (lib.faces["free_night_2"], alice["Ben"], "must") in found
        assert views.person_faces_in_photo(s, alice["Ben"], lib.ids["photos/lake.jpg"]) == [lake]


def test_collection_etag_changes_with_content(fresh: tuple[Library, Server]) -> None:
    _lib, srv = fresh
    dav = Client(srv)
    query = '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'

    def etag(path: str) -> str:
        return dav("PROPFIND", path, query, {"Depth": "0"}).text.split("getetag>")[1]

    people, ann, tags = etag("/dav/people/"), etag("/dav/people/Ann/"), etag("/dav/tags/")
    assert etag("/dav/people/Ann/") == ann  # stable
    dav("DELETE", "/dav/people/Ann/lake.jpg")
    assert etag("/dav/people/Ann/") != ann and etag("/dav/people/") != people
    dav("MKCOL", "/dav/tags/new")
    assert etag("/dav/tags/") != tags


def test_writable_mount_indexes_new_files(fresh: tuple[Library, Server]) -> None:
    lib, srv = fresh
    dav = Client(srv)
    body = (lib.folder / "photos" / "night.jpg").read_bytes()
    assert dav("MKCOL", "/dav/files/inbox/new").status == 201
    assert dav("PUT", "/dav/files/inbox/new/n.jpg", body).status == 201
    assert (lib.folder / "inbox" / "new" / "n.jpg").read_bytes() == body
    assert dav("MOVE", "/dav/files/inbox/new/n.jpg",
               headers={"Destination": f"{srv.url}/dav/files/inbox/m.jpg"}).status == 201
    with lib.store.session() as s:
        from recognize.store import photos

        known = photos.known_files(s, 2)
        assert list(known) == ["m.jpg"]
        photo_id = known["m.jpg"].id
    assert dav("DELETE", "/dav/files/inbox/m.jpg").status == 204
    with lib.store.session() as s:
        assert photos.known_files(s, 2) == {} and photos.get(s, photo_id) is None
    # the read-only mount refuses every write
    assert dav("PUT", "/dav/files/photos/x.jpg", body).status == 403
    assert dav("DELETE", "/dav/files/photos/lake.jpg").status == 403
    assert (lib.folder / "photos" / "lake.jpg").exists()
