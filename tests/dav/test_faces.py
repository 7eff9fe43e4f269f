"""Faces in the file manager, on the real library (see ``real_library``): unassigned/ entries
are face crops, people/<P>/folder.jpg is the cover, faces/<P>/ lists P's faces; DELETE in
unassigned/ says "not a face", MOVE from it into a person assigns the face."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import pyvips

from tests.dav.conftest import Client
from tests.dav.library import Server
from tests.dav.real_library import Real
from tests.dav.test_tree import props

pytestmark = pytest.mark.heavy  # servers over the real library


def _jpeg(body: bytes) -> tuple[int, int]:
    assert body[:2] == b"\xff\xd8"
    image = pyvips.Image.new_from_buffer(body, "")
    return image.width, image.height


def _free_face(real: Real) -> int:
    """The one face the cascade put in no person: lone.jpg's (a third identity, seen once)."""
    with real.db() as db:
        (face,) = db.execute("SELECT id FROM faces WHERE photo_id = ?",
                             (real.photos["photos/lone.jpg"],)).fetchone()
    return int(face)


def _assignment(real: Real, face: int) -> tuple[str, int | None]:
    with real.db() as db:
        return db.execute("SELECT assigned_by, person_id FROM face_persons WHERE face_id = ?",
                          (face,)).fetchone()


def test_unassigned_entries_are_face_crops(dav: Client) -> None:
    reply = dav("GET", "/dav/unassigned/lone.jpg")
    assert reply.status == 200 and reply.headers["content-type"] == "image/jpeg"
    assert _jpeg(reply.body) == (256, 256)
    listed = props(dav, "/dav/unassigned/", "1")["/dav/unassigned/lone.jpg"]
    assert int(listed["getcontentlength"]) == len(reply.body)
    assert listed["getcontenttype"] == "image/jpeg"
    assert listed["getetag"].strip('"') == reply.headers["etag"].strip('"')
    assert reply.body != dav("GET", "/dav/people/Ann/folder.jpg").body  # a face of its own


def test_person_folder_offers_its_cover_and_faces_view(dav: Client, real: Real) -> None:
    cover = dav("GET", "/dav/people/Ann/folder.jpg")
    assert cover.status == 200 and _jpeg(cover.body) == (256, 256)
    assert dav("DELETE", "/dav/people/Ann/folder.jpg").status == 403
    assert dav("PUT", "/dav/people/Ann/folder.jpg", b"x").status == 403
    with real.db() as db:
        (count,) = db.execute("SELECT count(*) FROM face_persons WHERE person_id = ?",
                              (real.person("ann"),)).fetchone()
    names = dav.names("/dav/faces/Ann/")
    assert len(names) == count and all(n.endswith(".jpg") and n.split("-")[0].isdigit()
                                       for n in names)
    face = dav("GET", "/dav/faces/Ann/" + quote(names[0]))
    assert face.status == 200 and _jpeg(face.body) == (256, 256)
    assert dav.names("/dav/faces/") == dav.names("/dav/people/")


def test_delete_in_unassigned_means_not_a_face(fresh_real: tuple[Real, Server]) -> None:
    lib, srv = fresh_real
    dav = Client(srv)
    assert dav("DELETE", "/dav/unassigned/lone.jpg").status == 204
    assert dav.names("/dav/unassigned/") == []
    assert _assignment(lib, _free_face(lib)) == ("ignored", None)


def test_move_from_unassigned_into_a_person_assigns_the_face(
        fresh_real: tuple[Real, Server]) -> None:
    lib, srv = fresh_real
    dav = Client(srv)
    assert dav("MOVE", "/dav/unassigned/lone.jpg",
               headers={"Destination": f"{srv.url}/dav/people/Ben/lone.jpg"}).status in (201, 204)
    assert dav.names("/dav/unassigned/") == []
    assert _assignment(lib, _free_face(lib))[1] == lib.person("ben")
    assert "lone.jpg" in dav.names("/dav/people/Ben/")
