"""The tree as a client sees it: folders, names, properties, etags."""

from __future__ import annotations

import json

from defusedxml import ElementTree

from tests.dav.conftest import Client
from tests.dav.library import Library

NINE = (
    '<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" '
    'xmlns:r="urn:recognize:ns"><d:prop><d:getlastmodified/><d:getcontentlength/>'
    "<d:getcontenttype/><oc:permissions/><d:resourcetype/><d:getetag/>"
    "<d:quota-available-bytes/><d:quota-used-bytes/><oc:id/>{extra}</d:prop></d:propfind>"
)


def props(client: Client, path: str, depth: str = "0", extra: str = "") -> dict[str, dict]:
    reply = client("PROPFIND", path, NINE.format(extra=extra), {"Depth": depth})
    assert reply.status == 207, reply.text
    out = {}
    for resp in ElementTree.fromstring(reply.body).iter("{DAV:}response"):
        href = resp.findtext("{DAV:}href")
        values = {}
        for stat in resp.iter("{DAV:}propstat"):
            if "200" in (stat.findtext("{DAV:}status") or ""):
                for prop in stat.find("{DAV:}prop"):
                    values[prop.tag.split("}")[1]] = prop.text
        out[href] = values
    return out


def test_top_level_and_people(alice: Client) -> None:
    assert alice.names("/dav/") == ["people", "unassigned", "faces", "tags", "places", "dates",
                                    "duplicates", "files"]
    assert alice.names("/dav/people/") == ["Ann", "Ben", "Person 3"]
    # two photos called IMG_1.jpg: unique names, stable by photo id; folder.jpg: the cover
    assert sorted(alice.names("/dav/people/Ann/")) == ["IMG_1 (2).jpg", "IMG_1.jpg",
                                                       "folder.jpg", "lake.jpg", "sunrise.jpg"]
    assert alice.names("/dav/unassigned/") == ["night (face 1).jpg", "night (face 2).jpg"]


def test_tags_places_dates_duplicates_files(alice: Client) -> None:
    assert alice.names("/dav/tags/") == ["lake", "sky", "holiday"]
    assert alice.names("/dav/tags/lake/") == ["lake.jpg"]
    assert alice.names("/dav/places/") == ["Germany", "Italy", "Switzerland", "United Kingdom"]
    assert alice.names("/dav/places/Italy/Florence/") == ["sunrise.jpg", "sunrise_small.jpg"]
    assert alice.names("/dav/dates/2019/") == ["2019-06"]
    assert alice.names("/dav/dates/2019/2019-06/") == ["sunrise.jpg", "sunrise_small.jpg"]
    # exact copies (a/IMG_1 = lake, b/IMG_1 = forest) and a resized sunrise are near-duplicates
    assert alice.names("/dav/duplicates/") == ["forest", "lake", "sunrise"]
    assert sorted(alice.names("/dav/duplicates/sunrise/")) == ["sunrise.jpg", "sunrise_small.jpg"]
    assert alice.names("/dav/files/") == ["inbox", "photos"]


def test_get_streams_the_original_with_ranges(alice: Client, library: Library) -> None:
    original = (library.folder / "photos" / "lake.jpg").read_bytes()
    reply = alice("GET", "/dav/people/Ann/lake.jpg")
    assert reply.status == 200 and reply.body == original
    assert reply.headers["etag"].startswith('"') and "last-modified" in reply.headers
    part = alice("GET", "/dav/tags/lake/lake.jpg", headers={"Range": "bytes=10-19"})
    assert part.status == 206 and part.body == original[10:20]
    second = alice("GET", "/dav/people/Ann/IMG_1%20(2).jpg")
    assert second.body == (library.folder / "photos" / "a" / "IMG_1.jpg").read_bytes()


def test_nextcloud_properties(alice: Client) -> None:
    found = props(alice, "/dav/people/Ann/", "1", "<r:faces/><r:tags/>")
    folder = found["/dav/people/Ann/"]
    assert folder["getetag"].startswith('"') and folder["permissions"] == "DNVC"
    assert int(folder["quota-available-bytes"]) > 0 and int(folder["quota-used-bytes"]) > 0
    lake = found["/dav/people/Ann/lake.jpg"]
    assert lake["permissions"] == "DV" and lake["getcontenttype"] == "image/jpeg"
    faces = json.loads(lake["faces"])
    assert faces == [{"id": faces[0]["id"], "box": [0.3, 0.3, 0.2, 0.2], "score": 0.95,
                      "person_id": faces[0]["person_id"], "person": "Ann"}]
    assert json.loads(lake["tags"]) == [{"name": "lake", "kind": "classifier",
                                         "confidence": 0.91}]
    places = props(alice, "/dav/places/Italy/Florence/", "1")
    assert {p["permissions"] or "" for p in places.values()} == {""}  # read-only everywhere
    # the etag a listing shows for a folder is the one the folder shows for itself
    listed = props(alice, "/dav/people/", "1")["/dav/people/Ann/"]["getetag"]
    assert listed == folder["getetag"]


def test_depth_infinity_refused_and_root_answers(alice: Client) -> None:
    reply = alice("PROPFIND", "/dav/", headers={"Depth": "infinity"})
    assert reply.status == 403 and b"propfind-finite-depth" in reply.body
    assert alice("PROPFIND", "/dav/").status == 403  # no Depth means infinity
    anon = Client(alice.server, None)
    options = anon("OPTIONS", "/")
    assert options.status == 200 and "2" in options.headers["dav"]
    assert anon("OPTIONS", "/dav/people/").status == 200
    root = anon("PROPFIND", "/", headers={"Depth": "1"})
    assert root.status == 207 and b"/dav/" in root.body
    assert "2" in alice("OPTIONS", "/dav/files/inbox/").headers["dav"]
