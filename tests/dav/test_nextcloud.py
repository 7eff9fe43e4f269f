"""Nextcloud clients, unchanged: the exact requests of the systemtags app, Photos and Recognize.

Bodies are copied from nextcloud/server ``apps/systemtags/src/services/api.ts`` and
nextcloud/photos ``src/services/PhotoTagService.ts``, ``src/mixins/FetchFacesMixin.ts``,
``src/services/DavRequest.ts`` (+ @nextcloud/files ``defaultDavProperties``); headers as the
``webdav`` client library sends them (PROPFIND: ``Accept: text/plain``, ``Depth: 1``,
collection URLs end in ``/``; an object body is sent as ``application/json``).
On the real library (``real_library``, with ``MORE``): what is listed is read from the store.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from defusedxml import ElementTree

from recognize.store import persons as person_store
from tests.dav.conftest import Client, Reply
from tests.dav.library import Server
from tests.dav.real_library import Real, add, counting, faces, person_folders, tag_names
from tests.dav.test_clients import store_of

pytestmark = pytest.mark.heavy  # a server over the real library (the cascade runs once per session)

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


def _tags(lib: Real, where: str, args: tuple[object, ...]) -> dict[str, int]:
    """Tag name -> id of the tags ``where`` picks (SQL on t)."""
    with lib.db() as db:
        return dict(db.execute(f"SELECT t.name, t.id FROM tags t WHERE {where}", args))


def system_tags(lib: Real, user: str = "alice", mount: str = "photos") -> dict[str, int]:
    """What systemtags/ shows ``user``: their own tags, and the shared ones on their photos."""
    return _tags(lib, "t.user_id = (SELECT id FROM users WHERE name = ?) OR (t.user_id IS NULL "
                 "AND t.id IN (SELECT pt.tag_id FROM photo_tags pt JOIN photos p ON p.id = "
                 "pt.photo_id JOIN mounts m ON m.id = p.mount_id WHERE m.name = ?))", (user, mount))


def tags_on(lib: Real, photo: str) -> dict[str, int]:
    """The tags on one photo ("<mount>/<path>")."""
    return _tags(lib, "t.id IN (SELECT tag_id FROM photo_tags WHERE photo_id = ?)",
                 (lib.photos[photo],))


def test_systemtags_listing_and_relations(shared_more: tuple[Real, Server]) -> None:
    library, server = shared_more
    alice = Client(server)
    tags = responses(alice("PROPFIND", "/dav/systemtags/", FETCH_TAGS, LIST))
    assert "/dav/systemtags/" in tags
    by_name = {ok(p, f"{OC}display-name"): (href, p) for href, p in tags.items()
               if href != "/dav/systemtags/"}
    seen = system_tags(library)
    assert set(by_name) == set(seen) and "secret" not in seen  # bob's "secret" is not alice's
    holiday = library.tags["alice:holiday"]
    href, props = by_name["holiday"]
    assert href == f"/dav/systemtags/{holiday}"
    assert ok(props, f"{OC}id") == str(holiday)
    for flag in ("user-visible", "user-assignable", "can-assign"):
        assert ok(props, f"{OC}{flag}") == "true"
    on_dogs = tags_on(library, "photos/dogs.jpg")  # what the classifier saw, nothing else
    dog = on_dogs["dog"]
    one = responses(alice("PROPFIND", f"/dav/systemtags/{dog}", FETCH_TAGS, STAT))
    [(href, props)] = one.items()
    assert href == f"/dav/systemtags/{dog}"
    assert ok(props, f"{OC}display-name") == "dog"
    # the tags of one file (Photos' fetchTagsForFile): children hrefs …/files/<fileid>/<tagid>
    dogs = library.photos["photos/dogs.jpg"]
    found = responses(alice("PROPFIND", f"/dav/systemtags-relations/files/{dogs}/",
                            FETCH_TAGS, LIST))
    assert set(found) == {f"/dav/systemtags-relations/files/{dogs}/"} | {
        f"/dav/systemtags-relations/files/{dogs}/{t}" for t in on_dogs.values()}
    # no other user's tags, files or ids; nothing for a photo of bob's
    assert alice("PROPFIND", f"/dav/systemtags/{library.tags['bob:secret']}", FETCH_TAGS,
                 STAT).status == 404
    bobs = library.photos["bobs/zed_1.jpg"]
    assert alice("PROPFIND", f"/dav/systemtags-relations/files/{bobs}/", FETCH_TAGS,
                 LIST).status == 404
    assert alice("PUT", f"/dav/systemtags-relations/files/{bobs}/{dog}",
                 json.dumps({"id": dog}), JSON).status == 409  # Nextcloud: 404


def test_systemtags_create_assign_unassign(fresh_more: tuple[Real, Server]) -> None:
    lib, srv = fresh_more
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
    assert dav("POST", "/dav/systemtags", json.dumps({"name": "dog"}), JSON).status == 409
    assert dav("POST", "/dav/systemtags", body, {"Content-Type": "text/plain"}).status == 415
    assert dav("POST", "/dav/systemtags", json.dumps({"userVisible": True}), JSON).status == 400
    hidden = json.dumps({"name": "hidden", "userVisible": False})
    assert dav("POST", "/dav/systemtags", hidden, JSON).status == 400
    assert Client(srv, None)("POST", "/dav/systemtags", body, JSON).status == 401
    # assign (the systemtags app PUTs the tag as JSON), twice: 409, as Nextcloud answers
    dogs = lib.photos["photos/dogs.jpg"]
    path = f"/dav/systemtags-relations/files/{dogs}/{tag_id}"
    put = json.dumps({"id": tag_id, "name": "best of", "userVisible": True,
                      "userAssignable": True, "canAssign": True})
    assert dav("PUT", path, put, JSON).status == 201
    assert dav("PUT", path, put, JSON).status == 409
    assert dav("PUT", f"/dav/systemtags-relations/files/{dogs}/999999", put, JSON
               ).status == 412
    listed = responses(dav("PROPFIND", f"/dav/systemtags-relations/files/{dogs}/",
                           FETCH_TAGS, LIST))
    assert path in listed and ok(listed[path], f"{OC}display-name") == "best of"
    assert "dogs.jpg" in dav.names("/dav/tags/best%20of/")
    assert dav("DELETE", path).status == 204
    assert dav("DELETE", path).status == 404
    # POST to a file's relations creates the tag and assigns it at once
    made = dav("POST", f"/dav/systemtags-relations/files/{dogs}", json.dumps({"name": "new"}),
               JSON)
    assert made.status == 201 and "/dav/systemtags/" in made.headers["content-location"]
    assert "dogs.jpg" in dav.names("/dav/tags/new/")
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
    dog = tags_on(lib, "photos/dogs.jpg")["dog"]
    assert dav("DELETE", f"/dav/systemtags/{dog}").status == 403  # the classifier's: shared
    assert dav("DELETE", f"/dav/systemtags/{tag_id}").status == 204


def faces_home(user: str = "alice") -> str:
    return f"/dav/recognize/{user}/faces/"


def entry(face: int, photo: str) -> str:
    """A face's name in the faces tree: ``<face id>-<file name>``."""
    return f"{face}-{photo.rsplit('/', 1)[-1]}"


def test_faces_tree_shapes(shared_more: tuple[Real, Server]) -> None:
    library, server = shared_more
    alice = Client(server)
    home = responses(alice("PROPFIND", faces_home(), FACES_PROPFIND, LIST | API_KEY))
    names = {h.rstrip("/").rsplit("/", 1)[-1]: p for h, p in home.items() if h != faces_home()}
    assert set(names) == set(person_folders(library))
    assert f"Person {library.person('cal')}" in names  # the person nobody has named
    ann_faces = faces(library, "s.id = ?", (library.person("ann"),))
    ann = names["Ann"]
    assert ok(ann, f"{NC}nbItems") == str(len(ann_faces))
    assert ok(ann, f"{D}resourcetype") is not None
    cover = json.loads(ok(ann, f"{NC}face-preview-image"))
    assert set(cover) == {"fileid", "detection"}
    assert set(cover["detection"]) == {"id", "userId", "fileId", "x", "y", "height", "width",
                                       "clusterId", "threshold"}
    assert cover["detection"]["clusterId"] == library.person("ann")
    assert cover["detection"]["userId"] == "alice" and cover["fileid"] == cover["detection"]["fileId"]
    # a person's faces: <face id>-<file name>, GET is the photo
    listed = responses(alice("PROPFIND", faces_home() + "Ann/", FACES_PROPFIND, LIST | API_KEY))
    assert set(listed) == {faces_home() + "Ann/"} | {
        f"{faces_home()}Ann/{entry(f.id, f.photo)}" for f in ann_faces}
    [face] = [f for f in ann_faces if f.photo == "photos/couple.jpg"]  # Ann and a stranger
    href = f"{faces_home()}Ann/{entry(face.id, 'couple.jpg')}"
    props = listed[href]
    couple = library.photos["photos/couple.jpg"]
    assert ok(props, f"{OC}fileid") == str(couple)
    named = responses(alice("PROPFIND", quote(href), '<?xml version="1.0"?><d:propfind '
                            'xmlns:d="DAV:" xmlns:nc="http://nextcloud.org/ns"><d:prop>'
                            "<nc:file-name/></d:prop></d:propfind>", STAT))
    assert ok(named[href], f"{NC}file-name") == "couple.jpg"
    assert ok(props, f"{NC}realpath") == "/alice/files/photos/couple.jpg"
    detections = json.loads(ok(props, f"{NC}face-detections"))
    both = faces(library, "p.id = ?", (couple,))
    assert len(both) == 2 and [d["id"] for d in detections] == [f.id for f in both]
    assert [(d["clusterId"], d["title"]) for d in detections] == [
        (f.person or -1, f.name) for f in both] and {f.name for f in both} == {"Ann", None}
    assert set(detections[0]) == {"id", "userId", "fileId", "x", "y", "height", "width",
                                  "clusterId", "title"}
    assert ok(props, f"{D}getcontenttype") == "image/jpeg"
    got = alice("GET", quote(href))
    assert got.status == 200 and got.body == library.original("photos/couple.jpg")
    # unassigned faces: clusterId -1, the count as nbItems (Photos' fetchUnassignedFacesCount)
    free = faces(library, "m.name = 'photos' AND s.id IS NULL")
    root = responses(alice("PROPFIND", "/dav/recognize/alice/unassigned-faces", FACES_PROPFIND,
                           STAT | API_KEY))
    assert ok(root["/dav/recognize/alice/unassigned-faces/"], f"{NC}nbItems") == str(len(free))
    listed = responses(alice("PROPFIND", "/dav/recognize/alice/unassigned-faces/",
                             FACES_PROPFIND, LIST | API_KEY))
    assert set(listed) == {"/dav/recognize/alice/unassigned-faces/"} | {
        f"/dav/recognize/alice/unassigned-faces/{entry(f.id, f.photo)}" for f in free}
    [night, _] = [f for f in free if f.photo == "photos/years/huawei.jpg"]  # two strangers
    marks = json.loads(ok(listed[f"/dav/recognize/alice/unassigned-faces/{entry(night.id, 'huawei.jpg')}"],
                          f"{NC}face-detections"))
    assert len(marks) == 2
    assert {d["clusterId"] for d in marks} == {-1} and {d["title"] for d in marks} == {None}
    # an unnamed person is found by its id too (Recognize's fallback)
    assert alice("PROPFIND", f"{faces_home()}{library.person('cal')}", FACES_PROPFIND,
                 STAT).status == 207


def test_faces_tree_is_private(shared_more: tuple[Real, Server]) -> None:
    library, server = shared_more
    alice, bob = Client(server), Client(server, "bob")
    assert alice("PROPFIND", faces_home("bob"), FACES_PROPFIND, LIST).status == 404
    assert alice("PROPFIND", faces_home("nobody"), FACES_PROPFIND, LIST).status == 404
    assert [n for n in alice.names("/dav/recognize/")] == ["alice"]
    zed = faces(library, "m.name = 'bobs'")[0]
    assert alice("GET", f"{faces_home()}Ann/{entry(zed.id, zed.photo)}").status == 404
    assert bob.names(faces_home("bob")) == sorted(person_folders(library, "bob")) == ["Zed"]
    assert alice("MOVE", faces_home("bob") + "Zed", headers={
        "Destination": f"{server.url}{faces_home('bob')}Zoe"}).status == 404


def test_faces_operations_as_photos_sends_them(fresh_more: tuple[Real, Server]) -> None:
    lib, srv = fresh_more
    dav, base = Client(srv), srv.url + faces_home()
    ann, ben = lib.person("ann"), lib.person("ben")
    ann_1 = lib.photos["photos/ann_1.jpg"]
    [on_ann_1] = faces(lib, "p.id = ?", (ann_1,))
    [on_ann_2] = faces(lib, "p.id = ?", (lib.photos["photos/ann_2.jpg"],))
    stranger = faces(lib, "p.path = 'years/huawei.jpg' AND s.id IS NULL")[-1]
    bens = [entry(f.id, f.photo) for f in faces(lib, "s.id = ?", (ben,))]
    others = _tags(lib, "t.kind != 'person' AND t.id IN (SELECT tag_id FROM photo_tags WHERE "
                   "photo_id = ?)", (ann_1,))
    # moveFilesToFace: from a person, and from unassigned-faces
    moved = entry(on_ann_1.id, "ann_1.jpg")
    assert dav("MOVE", f"{faces_home()}Ann/{moved}", headers={
        "Destination": f"{base}Ben/{moved}"} | API_KEY).status in (201, 204)
    night = entry(stranger.id, "huawei.jpg")
    assert dav("MOVE", f"/dav/recognize/alice/unassigned-faces/{night}", headers={
        "Destination": f"{base}Ben/{night}"} | API_KEY).status in (201, 204)
    tagged = responses(dav("PROPFIND", f"/dav/systemtags-relations/files/{ann_1}/", FETCH_TAGS,
                           LIST))  # person tags follow at once: ann_1.jpg is Ben's, not Ann's
    shown = {ok(p, f"{OC}display-name"): ok(p, f"{OC}can-assign") for h, p in tagged.items()
             if h.rstrip("/") != f"/dav/systemtags-relations/files/{ann_1}"}
    assert shown == {name: "true" for name in others} | {"Ben": "false"}
    assert sorted(dav.names(faces_home() + "Ben/")) == sorted([*bens, moved, night])
    # removeFilesFromFace: DELETE = "not this person"
    sunrise = entry(on_ann_2.id, "ann_2.jpg")
    assert dav("DELETE", f"{faces_home()}Ann/{sunrise}", headers=API_KEY).status == 204
    assert sunrise in dav.names("/dav/recognize/alice/unassigned-faces/")
    assert dav("DELETE", f"/dav/recognize/alice/unassigned-faces/{sunrise}").status == 403
    store = store_of(lib)
    with store.reading() as session:
        words = set(person_store.corrections(session, [on_ann_1.id, on_ann_2.id]))
    store.engine.dispose()
    assert (on_ann_1.id, ann, "cannot") in words
    assert (on_ann_1.id, ben, "must") in words
    assert (on_ann_2.id, ann, "cannot") in words
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


# more real photos: five of Ann, and six strangers on one (faces the cascade adds)
GROWN = {f"grown/ann_{n}.jpg": (f"faces/identities/angelina_jolie/deepface__img{n}.jpg", "ann")
         for n in (1, 2, 4, 7, 10)} | {
    "grown/friends.jpg": ("faces/groups/facenetpt__data_multiface.jpg", "")}


def test_faces_listing_costs_the_same_queries_for_any_size(more_template: Real,
                                                           tmp_path: Path) -> None:
    """PROPFIND Depth 1 with Photos' properties: no query per face (counted in-process)."""
    lib = more_template.copy(tmp_path / "lib")
    dav = counting(lib)
    paths = (faces_home(), faces_home() + "Ann/", "/dav/recognize/alice/unassigned-faces/")

    def cost(path: str) -> tuple[int, int]:
        sent, body = dav.cost("PROPFIND", path.removeprefix("/dav"), FACES_PROPFIND, LIST)
        return sent, body.count(b"<ns0:response>")

    cost(faces_home())  # users and mounts are cached for a few seconds: fill that first
    before = [cost(path) for path in paths]
    add(lib, {"photos": GROWN})
    cost(faces_home())  # the scan outlasts that cache: fill it again
    after = [cost(path) for path in paths]
    assert [a[0] for a in after] == [b[0] for b in before], (before, after)
    assert after[1][1] > before[1][1] and after[2][1] > before[2][1], (before, after)  # grown
    assert max(a[0] for a in after) <= 5, dav.statements


def test_search_folder(shared_more: tuple[Real, Server]) -> None:
    library, server = shared_more
    alice, bob = Client(server), Client(server, "bob")
    assert "dog" in tags_on(library, "photos/dogs.jpg") and "lipstick" in system_tags(library)
    assert alice.names("/dav/search/") == []
    assert alice.names("/dav/search/dog/") == ["dogs.jpg"]
    assert alice.names("/dav/search/Dog/") == ["dogs.jpg"]
    assert alice.names("/dav/search/dog%20lipstick/") == []  # every word must match
    assert alice.names("/dav/search/no-such-word/") == []
    got = alice("GET", "/dav/search/dog/dogs.jpg")
    assert got.status == 200 and got.body == library.original("photos/dogs.jpg")
    props = responses(alice("PROPFIND", "/dav/search/dog/", FACES_PROPFIND, LIST))
    assert ok(props["/dav/search/dog/dogs.jpg"], f"{OC}fileid") == str(
        library.photos["photos/dogs.jpg"])
    assert bob.names("/dav/search/dog/") == []  # tags match, but on none of bob's photos
    assert alice("DELETE", "/dav/search/dog/dogs.jpg").status == 403


def test_photos_carry_their_file_id_everywhere(shared_more: tuple[Real, Server]) -> None:
    library, server = shared_more
    alice = Client(server)
    body = ('<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns">'
            "<d:prop><oc:fileid/><oc:id/></d:prop></d:propfind>")
    italy = library.photos["photos/italy.jpg"]
    with library.db() as db:
        country, city, taken = db.execute(
            "SELECT country, city, taken_at FROM photos WHERE id = ?", (italy,)).fetchone()
    tag = min(set(tags_on(library, "photos/italy.jpg")) & tag_names(library))
    folders = {"/dav/people/Ann/": "photos/a/IMG_1.jpg", f"/dav/tags/{tag}/": "photos/italy.jpg",
               f"/dav/places/{country}/{city}/": "photos/italy.jpg",
               f"/dav/dates/{taken[:4]}/{taken[:7]}/": "photos/italy.jpg"}
    for folder, photo in folders.items():
        found = responses(alice("PROPFIND", quote(folder), body, LIST))
        props = found[folder + photo.rsplit("/", 1)[-1]]
        file_id = str(library.photos[photo])
        assert ok(props, f"{OC}fileid") == file_id, folder
        assert ok(props, f"{OC}id") == f"{int(file_id):08d}rc"
