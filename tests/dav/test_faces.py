"""Faces in the file manager: unassigned/ entries are face crops, people/<P>/folder.jpg is the
cover, faces/<P>/ lists P's faces; DELETE in unassigned/ says "not a face"."""

from __future__ import annotations

import sqlite3
from urllib.parse import quote

import pyvips

from tests.dav.conftest import Client
from tests.dav.test_tree import props


def _jpeg(body: bytes) -> tuple[int, int]:
    assert body[:2] == b"\xff\xd8"
    image = pyvips.Image.new_from_buffer(body, "")
    return image.width, image.height


def test_unassigned_entries_are_face_crops(alice: Client) -> None:
    path = "/dav/unassigned/" + quote("night (face 2).jpg")
    reply = alice("GET", path)
    assert reply.status == 200 and reply.headers["content-type"] == "image/jpeg"
    assert _jpeg(reply.body) == (256, 256)
    listed = props(alice, "/dav/unassigned/", "1")["/dav/unassigned/night%20(face%202).jpg"]
    assert int(listed["getcontentlength"]) == len(reply.body)
    assert listed["getcontenttype"] == "image/jpeg"
    assert listed["getetag"].strip('"') == reply.headers["etag"].strip('"')
    other = alice("GET", "/dav/unassigned/" + quote("night (face 1).jpg")).body
    assert other != reply.body  # each entry is its own face


def test_person_folder_offers_its_cover_and_faces_view(alice: Client) -> None:
    cover = alice("GET", "/dav/people/Ann/folder.jpg")
    assert cover.status == 200 and _jpeg(cover.body) == (256, 256)
    assert alice("DELETE", "/dav/people/Ann/folder.jpg").status == 403
    assert alice("PUT", "/dav/people/Ann/folder.jpg", b"x").status == 403
    names = alice.names("/dav/faces/Ann/")
    assert len(names) == 4 and all(n.endswith(".jpg") and n.split("-")[0].isdigit()
                                   for n in names)
    face = alice("GET", "/dav/faces/Ann/" + quote(names[0]))
    assert face.status == 200 and _jpeg(face.body) == (256, 256)
    assert alice.names("/dav/faces/") == alice.names("/dav/people/")


def test_delete_in_unassigned_means_not_a_face(fresh) -> None:
    lib, srv = fresh
    dav = Client(srv)
    assert dav("DELETE", "/dav/unassigned/" + quote("night (face 1).jpg")).status == 204
    # the other face keeps its name (faces are counted from the left, all of them)
    assert dav.names("/dav/unassigned/") == ["night (face 2).jpg"]
    db = sqlite3.connect(lib.folder / "var" / "recognize.db")
    try:
        row = db.execute("SELECT assigned_by, person_id FROM face_persons WHERE face_id = ?",
                         (lib.faces["free_night_1"],)).fetchone()
    finally:
        db.close()
    assert row == ("ignored", None)
    # MOVE into a person still assigns the face an entry stands for
    assert dav("MOVE", "/dav/unassigned/" + quote("night (face 2).jpg"),
               headers={"Destination": f"{srv.url}/dav/people/Ben/night.jpg"}).status in (201, 204)
    assert dav.names("/dav/unassigned/") == []
