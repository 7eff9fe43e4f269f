"""Nextcloud clients, unchanged: the exact requests of the systemtags app, Photos and Recognize.

Bodies are copied from nextcloud/server ``apps/systemtags/src/services/api.ts`` and
nextcloud/photos ``src/services/PhotoTagService.ts``, ``src/mixins/FetchFacesMixin.ts``,
``src/services/DavRequest.ts`` (+ @nextcloud/files ``defaultDavProperties``); headers as the
``webdav`` client library sends them (PROPFIND: ``Accept: text/plain``, ``Depth: 1``,
collection URLs end in ``/``; an object body is sent as ``application/json``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote, unquote

from defusedxml import ElementTree

from recognize.store import persons as person_store
from tests.dav.conftest import Client, Reply
from tests.dav.library import Library, Server

OC, NC, D = "{http://owncloud.org/ns}", "{http://nextcloud.org/ns}", "{DAV:}"

FETCH_TAGS = """<?xml version="1.0"?>
<d:propfind  xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns">
\t<d:prop>
\t\t<oc:id />
\t\t<oc:display-name />
\t\t<oc:user-visible />
\t\t<oc:user-assignable />
\t\t<oc:can-assign />
\t</d:prop>
</d:propfind>"""

DEFAULT_PROPS = [
    "d:getcontentlength", "d:getcontenttype", "d:getetag", "d:getlastmodified", "d:creationdate",
    "d:displayname", "d:quota-available-bytes", "d:resourcetype", "nc:has-preview",
    "nc:is-encrypted", "nc:mount-type", "oc:comments-unread", "oc:favorite", "oc:fileid",
    "oc:owner-display-name", "oc:owner-id", "oc:permissions", "oc:size",
]
RECOGNIZE_PROPS = ["<nc:face-detections/>", "<nc:face-preview-image/>", "<nc:realpath/>",
                   "<nc:nbItems/>"]
FACES_PROPFIND = f"""<?xml version="1.0"?>
\t\t\t<d:propfind xmlns:d="DAV:"
\t\t\t\txmlns:oc="http://owncloud.org/ns"
\t\t\t\txmlns:nc="http://nextcloud.org/ns"
\t\t\t\txmlns:ocs="http://open-collaboration-services.org/ns">
\t\t\t\t<d:prop>
\t\t\t\t\t{" ".join(f"<{p} />" for p in DEFAULT_PROPS)}
\t\t\t\t\t{chr(10).join(RECOGNIZE_PROPS)}
\t\t\t\t</d:prop>
\t\t\t</d:propfind>"""
LIST = {"Accept": "text/plain", "Depth": "1"}
STAT = {"Accept": "text/plain", "Depth": "0"}
JSON = {"Content-Type": "application/json"}
API_KEY = {"X-Recognize-Api-Key": "ignored-by-recognize"}


def responses(reply: Reply) -> dict[str, dict[str, tuple[str, str | None]]]:
    """href → {property (Clark) → (status, text)} from a 207 multistatus."""
    assert reply.status == 207, (reply.status, reply.text)
    out: dict[str, dict[str, tuple[str, str | None]]] = {}
    for resp in ElementTree.fromstring(reply.body).iter(f"{D}response"):
        href = unquote(resp.findtext(f"{D}href") or "")
        props = out.setdefault(href, {})
        for stat in resp.iter(f"{D}propstat"):
            status = (stat.findtext(f"{D}status") or "").split(" ")[1]
            for prop in stat.find(f"{D}prop") or []:
                props[prop.tag] = (status, prop.text)
    return out


def ok(props: dict[str, tuple[str, str | None]], name: str) -> str:
    status, text = props[name]
    assert status == "200", (name, status)
    return text or ""


def test_systemtags_listing_and_relations(library: Library, alice: Client) -> None:
    tags = responses(alice("PROPFIND", "/dav/systemtags/", FETCH_TAGS, LIST))
    assert "/dav/systemtags/" in tags
    by_name = {ok(p, f"{OC}display-name"): (href, p) for href, p in tags.items()
               if href != "/dav/systemtags/"}
    assert set(by_name) == {"lake", "sky", "holiday"}  # bob's "secret" is not alice's
    href, props = by_name["holiday"]
    assert href == f"/dav/systemtags/{library.tags['holiday']}"
    assert ok(props, f"{OC}id") == str(library.tags["holiday"])
    for flag in ("user-visible", "user-assignable", "can-assign"):
        assert ok(props, f"{OC}{flag}") == "true"
    one = responses(alice("PROPFIND", f"/dav/systemtags/{library.tags['lake']}", FETCH_TAGS, STAT))
    [(href, props)] = one.items()
    assert href == f"/dav/systemtags/{library.tags['lake']}"
    assert ok(props, f"{OC}display-name") == "lake"
    # the tags of one file (Photos' fetchTagsForFile): children hrefs …/files/<fileid>/<tagid>
    lake = library.ids["photos/lake.jpg"]
    found = responses(alice("PROPFIND", f"/dav/systemtags-relations/files/{lake}/",
                            FETCH_TAGS, LIST))
    assert set(found) == {f"/dav/systemtags-relations/files/{lake}/",
                          f"/dav/systemtags-relations/files/{lake}/{library.tags['lake']}"}
    # no other user's tags, files or ids; nothing for a photo of bob's
    assert alice("PROPFIND", f"/dav/systemtags/{library.tags['bob:secret']}", FETCH_TAGS,
                 STAT).status == 404
    bobs = library.ids["bobs/night.jpg"]
    assert alice("PROPFIND", f"/dav/systemtags-relations/files/{bobs}/", FETCH_TAGS,
                 LIST).status == 404
    assert alice("PUT", f"/dav/systemtags-relations/files/{bobs}/{library.tags['lake']}",
                 json.dumps({"id": library.tags["lake"]}), JSON).status == 409  # Nextcloud: 404


def test_systemtags_create_assign_unassign(fresh: tuple[Library, Server]) -> None:
    lib, srv = fresh
    dav = Client(srv)
    body = json.dumps({"name": "best of", "userVisible": True, "userAssignable": True,
                       "canAssign": True})
    created = dav("POST", "/dav/systemtags", body, JSON)
    assert created.status == 201, created.text
    location = created.headers["content-location"]
    match = re.search(r"/systemtags/(\d+)", location)
    assert match and location.startswith(srv.url + "/dav/systemtags/")
    tag_id = int(match[1])
    assert dav("POST", "/dav/systemtags", body, JSON).status == 409  # exists
    assert dav("POST", "/dav/systemtags", json.dumps({"name": "lake"}), JSON).status == 409
    assert dav("POST", "/dav/systemtags", body, {"Content-Type": "text/plain"}).status == 415
    assert dav("POST", "/dav/systemtags", json.dumps({"userVisible": True}), JSON).status == 400
    hidden = json.dumps({"name": "hidden", "userVisible": False})
    assert dav("POST", "/dav/systemtags", hidden, JSON).status == 400
    assert Client(srv, None)("POST", "/dav/systemtags", body, JSON).status == 401
    # assign (the systemtags app PUTs the tag as JSON), twice: 409, as Nextcloud answers
    sunrise = lib.ids["photos/sunrise.jpg"]
    path = f"/dav/systemtags-relations/files/{sunrise}/{tag_id}"
    put = json.dumps({"id": tag_id, "name": "best of", "userVisible": True,
                      "userAssignable": True, "canAssign": True})
    assert dav("PUT", path, put, JSON).status == 201
    assert dav("PUT", path, put, JSON).status == 409
    assert dav("PUT", f"/dav/systemtags-relations/files/{sunrise}/999999", put, JSON
               ).status == 412
    listed = responses(dav("PROPFIND", f"/dav/systemtags-relations/files/{sunrise}/",
                           FETCH_TAGS, LIST))
    assert path in listed and ok(listed[path], f"{OC}display-name") == "best of"
    assert "sunrise.jpg" in dav.names("/dav/tags/best%20of/")
    assert dav("DELETE", path).status == 204
    assert dav("DELETE", path).status == 404
    # POST to a file's relations creates the tag and assigns it at once
    made = dav("POST", f"/dav/systemtags-relations/files/{sunrise}", json.dumps({"name": "new"}),
               JSON)
    assert made.status == 201 and "/dav/systemtags/" in made.headers["content-location"]
    assert "sunrise.jpg" in dav.names("/dav/tags/new/")
    # rename through PROPPATCH (the systemtags app's updateTag)
    patch = """<?xml version="1.0"?>
\t<d:propertyupdate  xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns">
\t\t<d:set>
\t\t\t<d:prop>
\t\t\t\t<oc:display-name>better</oc:display-name>
\t\t\t\t<oc:user-visible>true</oc:user-visible>
\t\t\t\t<oc:user-assignable>true</oc:user-assignable>
\t\t\t</d:prop>
\t\t</d:set>
\t</d:propertyupdate>"""
    assert dav("PROPPATCH", f"/dav/systemtags/{tag_id}", patch).status == 207
    assert "better" in dav.names("/dav/tags/")
    assert dav("DELETE", f"/dav/systemtags/{lib.tags['lake']}").status == 403  # shared
    assert dav("DELETE", f"/dav/systemtags/{tag_id}").status == 204


def faces_home(user: str = "alice") -> str:
    return f"/dav/recognize/{user}/faces/"


def test_faces_tree_shapes(library: Library, alice: Client) -> None:
    home = responses(alice("PROPFIND", faces_home(), FACES_PROPFIND, LIST | API_KEY))
    names = {h.rstrip("/").rsplit("/", 1)[-1]: p for h, p in home.items() if h != faces_home()}
    assert set(names) == {"Ann", "Ben", f"Person {library.persons['unnamed']}"}
    ann = names["Ann"]
    assert ok(ann, f"{NC}nbItems") == "4"
    assert ok(ann, f"{D}resourcetype") is not None
    cover = json.loads(ok(ann, f"{NC}face-preview-image"))
    assert set(cover) == {"fileid", "detection"}
    assert set(cover["detection"]) == {"id", "userId", "fileId", "x", "y", "height", "width",
                                       "clusterId", "threshold"}
    assert cover["detection"]["clusterId"] == library.persons["Ann"]
    assert cover["detection"]["userId"] == "alice" and cover["fileid"] == cover["detection"]["fileId"]
    # a person's faces: <face id>-<file name>, GET is the photo
    listed = responses(alice("PROPFIND", faces_home() + "Ann/", FACES_PROPFIND, LIST | API_KEY))
    face = library.faces["ann_sunrise"]
    href = f"{faces_home()}Ann/{face}-sunrise.jpg"
    assert href in listed and len(listed) == 5
    props = listed[href]
    assert ok(props, f"{OC}fileid") == str(library.ids["photos/sunrise.jpg"])
    named = responses(alice("PROPFIND", quote(href), '<?xml version="1.0"?><d:propfind '
                            'xmlns:d="DAV:" xmlns:nc="http://nextcloud.org/ns"><d:prop>'
                            "<nc:file-name/></d:prop></d:propfind>", STAT))
    assert ok(named[href], f"{NC}file-name") == "sunrise.jpg"
    assert ok(props, f"{NC}realpath") == "/alice/files/photos/sunrise.jpg"
    detections = json.loads(ok(props, f"{NC}face-detections"))
    assert [d["id"] for d in detections] == sorted([face, library.faces["ben_sunrise"]])
    assert {d["title"] for d in detections} == {"Ann", "Ben"}
    assert set(detections[0]) == {"id", "userId", "fileId", "x", "y", "height", "width",
                                  "clusterId", "title"}
    assert ok(props, f"{D}getcontenttype") == "image/jpeg"
    got = alice("GET", quote(href))
    assert got.status == 200 and got.body == (library.folder / "photos/sunrise.jpg").read_bytes()
    # unassigned faces: clusterId -1, the count as nbItems (Photos' fetchUnassignedFacesCount)
    root = responses(alice("PROPFIND", "/dav/recognize/alice/unassigned-faces", FACES_PROPFIND,
                           STAT | API_KEY))
    assert ok(root["/dav/recognize/alice/unassigned-faces/"], f"{NC}nbItems") == "2"
    free = responses(alice("PROPFIND", "/dav/recognize/alice/unassigned-faces/", FACES_PROPFIND,
                           LIST | API_KEY))
    night = f"/dav/recognize/alice/unassigned-faces/{library.faces['free_night_1']}-night.jpg"
    assert night in free
    marks = json.loads(ok(free[night], f"{NC}face-detections"))
    assert {d["clusterId"] for d in marks} == {-1} and {d["title"] for d in marks} == {None}
    # an unnamed person is found by its id too (Recognize's fallback)
    unnamed = library.persons["unnamed"]
    assert alice("PROPFIND", f"{faces_home()}{unnamed}", FACES_PROPFIND, STAT).status == 207


def test_faces_tree_is_private(library: Library, server: Server) -> None:
    alice, bob = Client(server), Client(server, "bob")
    assert alice("PROPFIND", faces_home("bob"), FACES_PROPFIND, LIST).status == 404
    assert alice("PROPFIND", faces_home("nobody"), FACES_PROPFIND, LIST).status == 404
    assert [n for n in alice.names("/dav/recognize/")] == ["alice"]
    zed = library.faces["bob_zed"]
    assert alice("GET", f"{faces_home()}Ann/{zed}-lake.jpg").status == 404
    assert bob.names(faces_home("bob")) == ["Zed"]
    assert alice("MOVE", faces_home("bob") + "Zed", headers={
        "Destination": f"{server.url}{faces_home('bob')}Zoe"}).status == 404


def test_faces_operations_as_photos_sends_them(fresh: tuple[Library, Server]) -> None:
    lib, srv = fresh
    dav, base = Client(srv), srv.url + faces_home()
    ann, ben = lib.persons["Ann"], lib.persons["Ben"]
    # moveFilesToFace: from a person, and from unassigned-faces
    lake = f"{lib.faces['ann_lake']}-lake.jpg"
    assert dav("MOVE", f"{faces_home()}Ann/{lake}", headers={
        "Destination": f"{base}Ben/{lake}"} | API_KEY).status in (201, 204)
    night = f"{lib.faces['free_night_2']}-night.jpg"
    assert dav("MOVE", f"/dav/recognize/alice/unassigned-faces/{night}", headers={
        "Destination": f"{base}Ben/{night}"} | API_KEY).status in (201, 204)
    lake_id = lib.ids["photos/lake.jpg"]
    tagged = responses(dav("PROPFIND", f"/dav/systemtags-relations/files/{lake_id}/", FETCH_TAGS,
                           LIST))  # person tags follow at once: lake.jpg is Ben's, not Ann's
    shown = {ok(p, f"{OC}display-name"): ok(p, f"{OC}can-assign") for h, p in tagged.items()
             if h.rstrip("/") != f"/dav/systemtags-relations/files/{lake_id}"}
    assert shown == {"lake": "true", "Ben": "false"}
    assert sorted(dav.names(faces_home() + "Ben/")) == sorted(
        [f"{lib.faces['ben_sunrise']}-sunrise.jpg", lake, night])
    # removeFilesFromFace: DELETE = "not this person"
    sunrise = f"{lib.faces['ann_sunrise']}-sunrise.jpg"
    assert dav("DELETE", f"{faces_home()}Ann/{sunrise}", headers=API_KEY).status == 204
    assert sunrise in dav.names("/dav/recognize/alice/unassigned-faces/")
    assert dav("DELETE", f"/dav/recognize/alice/unassigned-faces/{sunrise}").status == 403
    with lib.store.reading() as session:
        words = set(person_store.corrections(session, [lib.faces["ann_lake"],
                                                       lib.faces["ann_sunrise"]]))
    assert (lib.faces["ann_lake"], ann, "cannot") in words
    assert (lib.faces["ann_lake"], ben, "must") in words
    assert (lib.faces["ann_sunrise"], ann, "cannot") in words
    # renameFace = MOVE of the collection; an existing name is refused (403, as Recognize)
    assert dav("MOVE", f"{faces_home()}Ann", headers={"Destination": f"{base}Anna"}
               ).status in (201, 204)
    assert dav("MOVE", f"{faces_home()}Anna", headers={"Destination": f"{base}Ben"}).status == 403
    assert "Anna" in dav.names("/dav/people/")
    # MKCOL = a new person (numbers are ids: refused); DELETE of a person (deleteFace)
    assert dav("MKCOL", f"{faces_home()}Carl").status == 201
    assert dav("MKCOL", f"{faces_home()}1234").status == 403
    assert dav("MKCOL", f"{faces_home()}Carl").status == 405
    assert "Carl" in dav.names("/dav/people/")
    assert dav("DELETE", f"{faces_home()}Anna").status == 204
    assert "Anna" not in dav.names(faces_home())
    # originals untouched, copies refused
    assert dav("COPY", f"{faces_home()}Ben/{night}", headers={
        "Destination": f"{base}Carl/{night}"}).status == 403
    assert dav("PUT", f"{faces_home()}Ben/{night}", b"x").status == 403


def test_faces_listing_costs_the_same_queries_for_any_size(tmp_path: Path,
                                                           password_hash: str) -> None:
    """PROPFIND Depth 1 with Photos' properties: no query per face (counted in-process)."""
    from recognize.store import people
    from tests.dav.library import build, counting_dav

    lib = build(tmp_path, password_hash)
    dav = counting_dav(lib)

    def cost(path: str) -> int:
        return dav.cost("PROPFIND", path.removeprefix("/dav"), FACES_PROPFIND, LIST)[0]

    cost(faces_home())  # users and mounts are cached for a few seconds: fill that first
    before = (cost(faces_home()), cost(faces_home() + "Ann/"),
              cost("/dav/recognize/alice/unassigned-faces/"))
    with lib.store.session() as session:
        for name in ("forest.jpg", "night.jpg", "no_exif.png", "sunrise_small.jpg"):
            for x in (0.05, 0.45):
                people.add_face(session, lib.ids[f"photos/{name}"], (x, 0.4, 0.1, 0.1), 0.9,
                               person_id=lib.persons["Ann"])
                people.add_face(session, lib.ids[f"photos/{name}"], (x + 0.2, 0.4, 0.1, 0.1), 0.9)
    after = (cost(faces_home()), cost(faces_home() + "Ann/"),
             cost("/dav/recognize/alice/unassigned-faces/"))
    assert after == before, (before, after)
    assert max(after) <= 5, dav.statements


def test_search_folder(library: Library, server: Server) -> None:
    alice, bob = Client(server), Client(server, "bob")
    assert alice.names("/dav/search/") == []
    assert alice.names("/dav/search/lake/") == ["lake.jpg"]
    assert alice.names("/dav/search/Lake/") == ["lake.jpg"]
    assert alice.names("/dav/search/lake%20sky/") == []  # every word must match
    assert alice.names("/dav/search/no-such-word/") == []
    got = alice("GET", "/dav/search/lake/lake.jpg")
    assert got.status == 200 and got.body == (library.folder / "photos/lake.jpg").read_bytes()
    props = responses(alice("PROPFIND", "/dav/search/lake/", FACES_PROPFIND, LIST))
    assert ok(props["/dav/search/lake/lake.jpg"], f"{OC}fileid") == str(
        library.ids["photos/lake.jpg"])
    assert bob.names("/dav/search/lake/") == []  # tags match, but on none of bob's photos
    assert alice("DELETE", "/dav/search/lake/lake.jpg").status == 403


def test_photos_carry_their_file_id_everywhere(library: Library, alice: Client) -> None:
    body = ('<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns">'
            "<d:prop><oc:fileid/><oc:id/></d:prop></d:propfind>")
    sunrise = str(library.ids["photos/sunrise.jpg"])
    for folder in ("/dav/people/Ann/", "/dav/tags/sky/", "/dav/places/Italy/Florence/",
                   "/dav/dates/2019/2019-06/"):
        found = responses(alice("PROPFIND", folder, body, LIST))
        props = found[folder + "sunrise.jpg"]
        assert ok(props, f"{OC}fileid") == sunrise, folder
        assert ok(props, f"{OC}id") == f"{int(sunrise):08d}rc"
