"""The Nextcloud Photos client's requests, replayed against the real server.

Bodies and headers as nextcloud/photos sends them: ``src/services/DavClient.ts`` (every
request carries ``X-Recognize-Api-Key``), ``src/mixins/FetchFacesMixin.ts`` (file URLs from
``nc:realpath``), ``src/services/SystemTags.ts`` (``systemtags-assigned/image``),
``src/services/TaggedImages.ts`` (``REPORT oc:filter-files``), ``src/services/PhotoSearch.ts``
(the timeline's ``SEARCH``), with the properties of @nextcloud/files ``getDavProperties()``
plus those Photos registers (``src/main.ts``). The webdav library sends PROPFIND/REPORT with
``Depth: 1`` and ``Accept: text/plain,application/xml``; SEARCH with ``Content-Type:
application/xml``. Photos' remote is the DAV root (``/dav`` here, ``/remote.php/dav`` there).
On the real library (``real_library``, with ``MORE``): dates, sizes, tags and thumbnails are
what the cascade stored.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from defusedxml import ElementTree

from tests.dav.conftest import Client
from tests.dav.library import Server
from tests.dav.photos_requests import (
    API_KEY,
    PROPFIND,
    TAGS_IN_USE,
    WEBDAV,
    photo_search,
    search,
    tagged_images,
)
from tests.dav.real_library import Real, add, counting
from tests.dav.test_nextcloud import (
    FACES_PROPFIND,
    GROWN,
    LIST,
    NC,
    OC,
    D,
    faces_home,
    ok,
    responses,
    system_tags,
    tags_on,
)

pytestmark = pytest.mark.heavy  # a server over the real library (the cascade runs once per session)


def taken(lib: Real, photo: str) -> int | None:
    """The photo's EXIF date as the cascade stored it, in seconds (UTC as written)."""
    with lib.db() as db:
        (when,) = db.execute("SELECT taken_at FROM photos WHERE id = ?",
                             (lib.photos[photo],)).fetchone()
    return None if when is None else int(datetime.fromisoformat(when).replace(
        tzinfo=UTC).timestamp())


def preview(lib: Real, photo: str, want: int) -> bytes:
    """A preview's bytes: the smallest thumbnail the scan wrote of ``want`` px or more, else the
    original."""
    from recognize import config as config_mod
    from recognize.jobs.stages.media import thumbnail_path

    for size in sorted(config_mod.load(lib.config).media.thumbnail_sizes):
        path = thumbnail_path(lib.folder / "var", size, lib.photos[photo])
        if size >= want and path.is_file():
            return path.read_bytes()
    return lib.original(photo)


def in_mount(lib: Real, mount: str) -> set[str]:
    """The paths of the mount's photos in the store."""
    return {p.split("/", 1)[1] for p in lib.photos if p.split("/", 1)[0] == mount}


def test_realpath_urls_and_previews_resolve_for_every_user_and_mount(
    shared_more: tuple[Real, Server]
) -> None:
    """FetchFacesMixin: filename = realpath with ``/<uid>/files`` → ``/files/<uid>``; Photos
    fetches ``<remote><filename>`` (the viewer, downloads with Range) and previews by id."""
    library, server = shared_more
    users = {"alice": ("photos", "italy.jpg"), "bob": ("bobs", "years/sony.jpg")}  # dated
    for user, (mount, name) in users.items():
        dav = Client(server, user)
        faces = responses(dav("PROPFIND", faces_home(user), FACES_PROPFIND, WEBDAV))
        person = next(h for h in faces if h != faces_home(user))
        listed = responses(dav("PROPFIND", quote(person), FACES_PROPFIND, WEBDAV))
        realpaths = {ok(p, f"{NC}realpath") for h, p in listed.items() if h != person}
        assert realpaths, listed
        for realpath in realpaths:
            filename = realpath.replace(f"/{user}/files", f"/files/{user}", 1)
            original = library.original(filename.split("/", 3)[3])
            got = dav("GET", "/dav" + quote(filename), headers=API_KEY)
            assert got.status == 200 and got.body == original, filename
            part = dav("GET", "/dav" + quote(filename), headers={"Range": "bytes=10-99"})
            assert part.status == 206 and part.body == original[10:100]
        # the file's own properties at that URL: the photo's id, as in the faces tree
        photo = library.photos[f"{mount}/{name}"]
        url = f"/dav/files/{user}/{mount}/{name}"
        stat = responses(dav("PROPFIND", url, '<?xml version="1.0"?><d:propfind xmlns:d="DAV:" '
                             'xmlns:oc="http://owncloud.org/ns"><d:prop><oc:fileid/>'
                             "</d:prop></d:propfind>", {"Depth": "0"} | API_KEY))
        assert ok(stat[url], f"{OC}fileid") == str(photo)
        # fileFetcher.ts: stat with Photos' properties (getPropFind()) at that URL
        fetched = responses(dav("PROPFIND", url, PROPFIND, {"Depth": "0"} | API_KEY))[url]
        assert ok(fetched, f"{NC}metadata-photos-original_date_time") == str(
            taken(library, f"{mount}/{name}"))
        assert ok(fetched, f"{OC}fileid") == str(photo)
        assert ok(fetched, f"{NC}has-preview") == "true"
        assert fetched[f"{NC}metadata-photos-size"][0] == "200"
        # previews: the web root's URLs by file id, the scan's thumbnail of that size at least
        for url, want in ((f"/core/preview?fileId={photo}&x=-1&y=256&a=1", 256),
                          (f"/index.php/core/preview?fileId={photo}&c=abc&x=250&y=250"
                           "&forceIcon=0&a=0", 250),
                          (f"/apps/photos/api/v1/preview/{photo}?x=512&y=512", 512)):
            got = dav("GET", url)
            assert got.status == 200, (url, got.status)
            assert got.body == preview(library, f"{mount}/{name}", want), url
    # a thumbnail is a JPEG, also of a PNG; larger than any thumbnail: the original
    png = library.photos["photos/years/screenshot.png"]
    alice = Client(server)
    got = alice("GET", f"/core/preview?fileId={png}&x=-1&y=256&a=1")
    small = preview(library, "photos/years/screenshot.png", 256)
    assert got.status == 200 and got.body == small != library.original("photos/years/screenshot.png")
    assert got.headers["content-type"] == "image/jpeg"
    assert alice("GET", f"/core/preview?fileId={png}&x=5000&y=5000").body == library.original(
        "photos/years/screenshot.png")
    # nobody reaches another's files, ids or previews
    alice, bob = Client(server), Client(server, "bob")
    bobs = library.photos["bobs/zed_1.jpg"]
    assert alice("GET", f"/core/preview?fileId={bobs}&x=256&y=256").status == 404
    assert alice("GET", "/dav/files/bob/bobs/zed_1.jpg").status == 404
    assert bob("GET", "/dav/files/alice/photos/italy.jpg").status == 404
    assert Client(server, None)("GET", f"/core/preview?fileId={bobs}").status == 401
    assert alice.names("/dav/files/alice/") == ["inbox", "photos"]
    assert "alice" not in alice.names("/dav/files/")  # an alias, not a folder of its own


def in_use(lib: Real, user: str, mount: str, mime: str = "image/%") -> dict[str, tuple[int, int]]:
    """Tag name -> (photos, one photo id) of the tags on the mount's photos of that mime."""
    seen = set(system_tags(lib, user, mount).values())
    with lib.db() as db:
        rows = db.execute(
            "SELECT pt.tag_id, t.name, count(*), group_concat(p.id) FROM photo_tags pt "
            "JOIN tags t ON t.id = pt.tag_id JOIN photos p ON p.id = pt.photo_id "
            "JOIN mounts m ON m.id = p.mount_id WHERE m.name = ? AND p.mime LIKE ? "
            "GROUP BY pt.tag_id", (mount, mime)).fetchall()
    return {name: (count, int(ids.split(",")[0])) for tag, name, count, ids in rows if tag in seen}


def test_tags_in_use_as_photos_lists_them(shared_more: tuple[Real, Server]) -> None:
    """SystemTags.ts: the collection first (no oc:id), then one tag per used tag."""
    library, server = shared_more
    alice, bob = Client(server), Client(server, "bob")
    assert alice("POST", "/dav/systemtags", json.dumps({"name": "someday"}),
                 {"Content-Type": "application/json"}).status == 201  # on no photo
    found = responses(alice("PROPFIND", "/dav/systemtags-assigned/image", TAGS_IN_USE, WEBDAV))
    root = found.pop("/dav/systemtags-assigned/image/")
    assert root[f"{OC}id"][0] == "404"
    tags = {ok(p, f"{OC}display-name"): p for p in found.values()}
    used = in_use(library, "alice", "photos")
    assert set(tags) == set(used) and "someday" not in tags and "secret" not in tags
    dog = tags["dog"]
    assert ok(dog, f"{OC}id") == str(tags_on(library, "photos/dogs.jpg")["dog"])
    assert ok(dog, f"{NC}files-assigned") == "1"
    assert ok(dog, f"{NC}reference-fileid") == str(library.photos["photos/dogs.jpg"])
    for flag in ("user-visible", "user-assignable", "can-assign"):
        assert ok(dog, f"{OC}{flag}") == "true"
    for name, (count, _one) in used.items():
        assert ok(tags[name], f"{NC}files-assigned") == str(count), name
    png = responses(alice("PROPFIND", "/dav/systemtags-assigned/image/png", TAGS_IN_USE, WEBDAV))
    assert {ok(p, f"{OC}display-name") for h, p in png.items()
            if h != "/dav/systemtags-assigned/image/png/"} == set(
        in_use(library, "alice", "photos", "image/png")) == set(
        tags_on(library, "photos/years/screenshot.png"))
    assert alice("PROPFIND", "/dav/systemtags-assigned/image/jpeg/x", TAGS_IN_USE,
                 WEBDAV).status == 404
    mine = {ok(p, f"{OC}display-name"): p for h, p in responses(bob(
        "PROPFIND", "/dav/systemtags-assigned/image", TAGS_IN_USE, WEBDAV)).items()
        if h != "/dav/systemtags-assigned/image/"}
    assert set(mine) == set(in_use(library, "bob", "bobs"))
    assert "secret" in mine and "dog" not in mine and "holiday" not in mine
    assert ok(mine["secret"], f"{NC}reference-fileid") == str(library.photos["bobs/zed_1.jpg"])


def test_tagged_images_report(shared_more: tuple[Real, Server]) -> None:
    """TaggedImages.ts: REPORT on the user's files root lists the photos with that tag."""
    library, server = shared_more
    alice, bob = Client(server), Client(server, "bob")
    dog = tags_on(library, "photos/dogs.jpg")["dog"]
    found = responses(alice("REPORT", "/dav/files/alice", tagged_images(dog), WEBDAV))
    assert list(found) == ["/dav/files/alice/photos/dogs.jpg"]
    props = found["/dav/files/alice/photos/dogs.jpg"]
    assert ok(props, f"{OC}fileid") == str(library.photos["photos/dogs.jpg"])
    assert ok(props, f"{D}getcontenttype") == "image/jpeg"  # Photos filters on it
    assert ok(props, f"{D}getcontentlength") == str(len(library.original("photos/dogs.jpg")))
    assert ok(props, f"{NC}has-preview") == "true"
    got = alice("GET", "/dav/files/alice/photos/dogs.jpg")
    assert got.body == library.original("photos/dogs.jpg")
    # every tag of the file's tags view; bob's tag and bob's request see nothing of the other
    secret = library.tags["bob:secret"]
    assert responses(alice("REPORT", "/dav/files/alice/", tagged_images(secret), WEBDAV)) == {}
    assert responses(bob("REPORT", "/dav/files/bob", tagged_images(dog), WEBDAV)) == {}
    assert list(responses(bob("REPORT", "/dav/files/bob", tagged_images(secret), WEBDAV))) == [
        "/dav/files/bob/bobs/zed_1.jpg"]
    assert bob("REPORT", "/dav/files/alice", tagged_images(dog), WEBDAV).status == 404
    bad = alice("REPORT", "/dav/files/alice", "<oc:filter-files xmlns:oc=\"http://owncloud.org/"
                "ns\"><oc:filter-rules><oc:circle>1</oc:circle></oc:filter-rules>"
                "</oc:filter-files>", WEBDAV)
    assert bad.status == 400 and "circle" in bad.why, (bad.status, bad.text)


def test_timeline_search_by_date_with_metadata_paged(shared_more: tuple[Real, Server]) -> None:
    """PhotoSearch.ts: newest first, Photos' metadata properties, pages of nbResults."""
    library, server = shared_more
    alice, bob = Client(server), Client(server, "bob")
    everything = search(alice, photo_search("alice", ["/photos"]))
    names = [h.removeprefix("/dav/files/alice/photos/") for h in everything]
    assert set(names) == in_mount(library, "photos")
    dates = [d for d in (taken(library, f"photos/{n}") for n in names) if d is not None]
    assert dates == sorted(dates, reverse=True) and len(dates) >= 5  # newest first (EXIF date)
    assert len({datetime.fromtimestamp(d, UTC).year for d in dates}) >= 5  # over the years
    huawei = everything["/dav/files/alice/photos/years/huawei.jpg"]
    assert ok(huawei, f"{NC}metadata-photos-original_date_time") == str(
        taken(library, "photos/years/huawei.jpg"))
    assert ok(huawei, f"{OC}fileid") == str(library.photos["photos/years/huawei.jpg"])
    assert ok(huawei, f"{D}getcontenttype") == "image/jpeg"
    assert huawei[f"{NC}metadata-photos-size"][0] == "200"
    one = alice("SEARCH", "/dav/", photo_search("alice", ["/photos"], count=1),
                {"Content-Type": "application/xml"})
    [size] = ElementTree.fromstring(one.body).iter(f"{NC}metadata-photos-size")
    with library.db() as db:
        width, height = db.execute("SELECT width, height FROM photos WHERE id = ?", (
            library.photos["photos/" + names[0]],)).fetchone()
    assert {c.tag: c.text for c in size} == {"width": str(width), "height": str(height)}
    # pages as Photos asks them (firstResult += nbResults until a short page)
    pages, first = [], 0
    while True:
        page = list(search(alice, photo_search("alice", ["/photos"], first=first, count=3)))
        pages += page
        if len(page) < 3:
            break
        first += 3
    assert pages == list(everything)
    # mime filter (only PNGs), two source folders, the whole home, onThisDay-style dates
    assert list(search(alice, photo_search("alice", ["/photos"], mimes=["image/png"]))) == [
        "/dav/files/alice/photos/years/screenshot.png"]
    assert list(search(alice, photo_search("alice", ["/photos/a", "/photos/b"]))) != []
    assert set(search(alice, photo_search("alice", [""]))) == set(everything)
    day = datetime.fromtimestamp(taken(library, "photos/years/huawei.jpg") or 0, UTC)
    start, end = (int((day + timedelta(days=d)).timestamp()) for d in (-1, 2))
    on_this_day = f"""<d:or><d:and>
\t\t\t\t<d:gt><d:prop><nc:metadata-photos-original_date_time/></d:prop>
\t\t\t\t\t<d:literal>{start}</d:literal></d:gt>
\t\t\t\t<d:lt><d:prop><nc:metadata-photos-original_date_time/></d:prop>
\t\t\t\t\t<d:literal>{end}</d:literal></d:lt>
\t\t\t</d:and></d:or>"""
    assert list(search(alice, photo_search("alice", ["/photos"], extra=on_this_day))) == [
        "/dav/files/alice/photos/years/huawei.jpg"]
    favorites = "<d:eq><d:prop><oc:favorite/></d:prop><d:literal>1</d:literal></d:eq>"
    assert search(alice, photo_search("alice", ["/photos"], extra=favorites)) == {}
    # isolation: bob's timeline is bob's; alice's folders are not his
    assert {h.removeprefix("/dav/files/bob/bobs/") for h in search(
        bob, photo_search("bob", ["/bobs"]))} == in_mount(library, "bobs")
    assert bob("SEARCH", "/dav/", photo_search("alice", ["/photos"]),
               {"Content-Type": "application/xml"}).status == 404
    assert bob("SEARCH", "/dav/", photo_search("bob", ["/photos"]),
               {"Content-Type": "application/xml"}).status == 404
    unknown = alice("SEARCH", "/dav/", photo_search("alice", ["/photos"], extra=(
        "<d:eq><d:prop><oc:owner-id/></d:prop><d:literal>x</d:literal></d:eq>")))
    assert unknown.status == 400 and "owner-id" in unknown.why


def test_recognize_api_key_is_accepted_and_not_needed(shared_more: tuple[Real, Server]) -> None:
    """DavClient.ts sends the key on every request; here the login decides, not the key."""
    server = shared_more[1]
    alice = Client(server)
    with_key = alice("PROPFIND", faces_home(), FACES_PROPFIND, LIST | API_KEY)
    without = alice("PROPFIND", faces_home(), FACES_PROPFIND, LIST)
    assert with_key.status == without.status == 207 and with_key.body == without.body
    assert Client(server, None)("PROPFIND", faces_home(), FACES_PROPFIND,
                                LIST | API_KEY).status == 401
    assert json.loads(ok(responses(with_key)[faces_home() + "Ann/"], f"{NC}face-preview-image"))


def test_timeline_and_tag_view_cost_the_same_queries_for_any_size(
        more_template: Real, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SEARCH and REPORT with Photos' properties: no query per photo (counted in-process)."""
    from recognize import config as config_mod
    from recognize.dav import context
    from recognize.store import Store, accounts, tag_removals

    # users and mounts are cached for 5 s: on a loaded machine the cache could expire
    # between two measured requests and add its refill to one of them
    monkeypatch.setattr(context, "MOUNT_CACHE_SECONDS", 3600.0)
    lib = more_template.copy(tmp_path / "lib")
    dav = counting(lib)
    holiday = lib.tags["alice:holiday"]

    def cost(method: str, path: str, body: str) -> tuple[int, int]:
        sent, reply = dav.cost(method, path, body, WEBDAV)
        return sent, reply.count(b"<ns0:response>")

    def tag_all() -> None:  # as a user tags every photo of theirs
        store = Store(config_mod.load(lib.config).database_url())
        with store.session() as session:
            alice = accounts.user_id(session, "alice") or 0
            for photo in sorted(in_mount(lib, "photos")):
                tag_removals.tag(session, alice, lib.photos[f"photos/{photo}"], holiday)
        store.engine.dispose()

    tag_all()
    timeline_body = photo_search("alice", ["/photos"])
    tag_body = tagged_images(holiday)
    cost("SEARCH", "/", timeline_body)  # fills the cache of users and mounts
    before = (cost("SEARCH", "/", timeline_body), cost("REPORT", "/files/alice", tag_body))
    add(lib, {"photos": GROWN})  # six more real photos, a real scan
    tag_all()
    cost("SEARCH", "/", timeline_body)  # as before the scan: the first request after it
    after = (cost("SEARCH", "/", timeline_body), cost("REPORT", "/files/alice", tag_body))
    grown = len(GROWN)
    assert after[0][1] == before[0][1] + grown and after[1][1] == before[1][1] + grown, (
        before, after)
    assert after[0][0] == before[0][0] and after[1][0] == before[1][0], (before, after)
    assert max(after[0][0], after[1][0]) <= 6, dav.statements


def test_odd_queries_are_refused_saying_why(shared_more: tuple[Real, Server]) -> None:
    alice = Client(shared_more[1])
    xml = {"Content-Type": "application/xml"}
    head = ('<d:searchrequest xmlns:d="DAV:" xmlns:nc="http://nextcloud.org/ns" '
            'xmlns:oc="http://owncloud.org/ns" xmlns:ns="https://github.com/icewind1991/'
            'SearchDAV/ns"><d:basicsearch><d:select><d:prop><oc:fileid/></d:prop></d:select>'
            "<d:from><d:scope><d:href>/files/alice/photos</d:href><d:depth>infinity</d:depth>"
            "</d:scope></d:from>")
    date = "<nc:metadata-photos-original_date_time/>"
    odd = {
        "": 400,
        '<d:searchrequest xmlns:d="DAV:"/>': 400,
        head + f"<d:where><d:gt><d:prop>{date}</d:prop><d:literal>abc</d:literal></d:gt>"
        "</d:where></d:basicsearch></d:searchrequest>": 400,
        head + f"<d:where><d:gt><d:prop>{date}</d:prop><d:literal>1e300</d:literal></d:gt>"
        "</d:where></d:basicsearch></d:searchrequest>": 400,
        head + f"<d:where><d:lt><d:prop>{date}</d:prop><d:literal>nan</d:literal></d:lt>"
        "</d:where></d:basicsearch></d:searchrequest>": 400,
        head + "<d:where><d:lt><d:prop><d:getlastmodified/></d:prop><d:literal>Fri, 31 Dec "
        "9999 23:59:59 GMT</d:literal></d:lt></d:where></d:basicsearch></d:searchrequest>": 207,
        head + "<d:where><d:like><d:prop><oc:size/></d:prop><d:literal>1%</d:literal></d:like>"
        "</d:where></d:basicsearch></d:searchrequest>": 400,
        head + "<d:limit><d:nresults>-1</d:nresults></d:limit></d:basicsearch>"
        "</d:searchrequest>": 400,
        head + "<d:limit><ns:firstresult>" + "9" * 30 + "</ns:firstresult></d:limit>"
        "</d:basicsearch></d:searchrequest>": 400,
        head.replace("/files/alice/photos", "/files/alice/../bob/bobs") +
        "</d:basicsearch></d:searchrequest>": 404,
    }
    for body, status in odd.items():
        reply = alice("SEARCH", "/dav/", body, xml)
        assert reply.status == status, (body[-120:], reply.status, reply.text[:300])
        if status >= 400 and body:
            assert reply.why, body
    for rule in ("<oc:systemtag>" + "9" * 30 + "</oc:systemtag>", "<oc:systemtag>x</oc:systemtag>"):
        reply = alice("REPORT", "/dav/files/alice", '<oc:filter-files xmlns:oc="http://owncloud.'
                      f'org/ns"><oc:filter-rules>{rule}</oc:filter-rules></oc:filter-files>', WEBDAV)
        assert reply.status == 400 and reply.why
    assert alice("REPORT", "/dav/files/alice", '<d:propfind xmlns:d="DAV:"/>', WEBDAV).status == 400
