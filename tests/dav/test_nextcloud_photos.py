"""The Nextcloud Photos client's requests, replayed against the real server.

Bodies and headers as nextcloud/photos sends them: ``src/services/DavClient.ts`` (every
request carries ``X-Recognize-Api-Key``), ``src/mixins/FetchFacesMixin.ts`` (file URLs from
``nc:realpath``), ``src/services/SystemTags.ts`` (``systemtags-assigned/image``),
``src/services/TaggedImages.ts`` (``REPORT oc:filter-files``), ``src/services/PhotoSearch.ts``
(the timeline's ``SEARCH``), with the properties of @nextcloud/files ``getDavProperties()``
plus those Photos registers (``src/main.ts``). The webdav library sends PROPFIND/REPORT with
``Depth: 1`` and ``Accept: text/plain,application/xml``; SEARCH with ``Content-Type:
application/xml``. Photos' remote is the DAV root (``/dav`` here, ``/remote.php/dav`` there).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from defusedxml import ElementTree

from tests.dav.conftest import Client
from tests.dav.library import DATES, Library, Server
from tests.dav.photos_requests import (
    API_KEY,
    PROPFIND,
    TAGS_IN_USE,
    WEBDAV,
    photo_search,
    search,
    tagged_images,
)
from tests.dav.test_nextcloud import (
    FACES_PROPFIND,
    LIST,
    NC,
    OC,
    D,
    faces_home,
    ok,
    responses,
)


def test_realpath_urls_and_previews_resolve_for_every_user_and_mount(
    library: Library, server: Server
) -> None:
    """FetchFacesMixin: filename = realpath with ``/<uid>/files`` → ``/files/<uid>``; Photos
    fetches ``<remote><filename>`` (the viewer, downloads with Range) and previews by id."""
    users = {"alice": ("photos", "sunrise.jpg"), "bob": ("bobs", "lake.jpg")}
    for user, (mount, name) in users.items():
        dav = Client(server, user)
        faces = responses(dav("PROPFIND", faces_home(user), FACES_PROPFIND, WEBDAV))
        person = next(h for h in faces if h != faces_home(user))
        listed = responses(dav("PROPFIND", quote(person), FACES_PROPFIND, WEBDAV))
        realpaths = {ok(p, f"{NC}realpath") for h, p in listed.items() if h != person}
        assert realpaths, listed
        for realpath in realpaths:
            filename = realpath.replace(f"/{user}/files", f"/files/{user}", 1)
            original = library.folder / filename.split("/", 3)[3]
            got = dav("GET", "/dav" + quote(filename), headers=API_KEY)
            assert got.status == 200 and got.body == original.read_bytes(), filename
            part = dav("GET", "/dav" + quote(filename), headers={"Range": "bytes=10-99"})
            assert part.status == 206 and part.body == original.read_bytes()[10:100]
        # the file's own properties at that URL: the photo's id, as in the faces tree
        photo = library.ids[f"{mount}/{name}"]
        stat = responses(dav("PROPFIND", f"/dav/files/{user}/{mount}/{name}",
                             '<?xml version="1.0"?><d:propfind xmlns:d="DAV:" '
                             'xmlns:oc="http://owncloud.org/ns"><d:prop><oc:fileid/>'
                             "</d:prop></d:propfind>", {"Depth": "0"} | API_KEY))
        assert ok(stat[f"/dav/files/{user}/{mount}/{name}"], f"{OC}fileid") == str(photo)
        # fileFetcher.ts: stat with Photos' properties (getPropFind()) at that URL
        fetched = responses(dav("PROPFIND", f"/dav/files/{user}/{mount}/{name}", PROPFIND,
                                {"Depth": "0"} | API_KEY))[f"/dav/files/{user}/{mount}/{name}"]
        when = datetime.fromisoformat(DATES[name]).replace(tzinfo=UTC)
        assert ok(fetched, f"{NC}metadata-photos-original_date_time") == str(int(when.timestamp()))
        assert ok(fetched, f"{OC}fileid") == str(photo)
        assert ok(fetched, f"{NC}has-preview") == "true"
        assert fetched[f"{NC}metadata-photos-size"][0] == "200"
        # previews: the web root's URLs by file id (no thumbnails cached: the original)
        for url in (f"/core/preview?fileId={photo}&x=-1&y=256&a=1",
                    f"/index.php/core/preview?fileId={photo}&c=abc&x=250&y=250&forceIcon=0&a=0",
                    f"/apps/photos/api/v1/preview/{photo}?x=512&y=512"):
            got = dav("GET", url)
            assert got.status == 200, (url, got.status)
            assert got.body == (library.folder / mount / name).read_bytes()
    # a cached thumbnail (the worker's) is served when it is large enough, else the original
    from recognize.jobs.stages.media import thumbnail_path

    night = library.ids["photos/night.jpg"]
    small = thumbnail_path(library.folder / "var", 256, night)
    small.parent.mkdir(parents=True, exist_ok=True)
    small.write_bytes(b"\xff\xd8 a 256 px thumbnail")
    alice = Client(server)
    got = alice("GET", f"/core/preview?fileId={night}&x=-1&y=256&a=1")
    assert got.status == 200 and got.body == small.read_bytes()
    assert got.headers["content-type"] == "image/jpeg"
    assert alice("GET", f"/core/preview?fileId={night}&x=2000&y=2000").body == (
        library.folder / "photos/night.jpg").read_bytes()
    # nobody reaches another's files, ids or previews
    alice, bob = Client(server), Client(server, "bob")
    bobs = library.ids["bobs/lake.jpg"]
    assert alice("GET", f"/core/preview?fileId={bobs}&x=256&y=256").status == 404
    assert alice("GET", "/dav/files/bob/bobs/lake.jpg").status == 404
    assert bob("GET", "/dav/files/alice/photos/sunrise.jpg").status == 404
    assert Client(server, None)("GET", f"/core/preview?fileId={bobs}").status == 401
    assert alice.names("/dav/files/alice/") == ["inbox", "photos"]
    assert "alice" not in alice.names("/dav/files/")  # an alias, not a folder of its own


def test_tags_in_use_as_photos_lists_them(library: Library, server: Server) -> None:
    """SystemTags.ts: the collection first (no oc:id), then one tag per used tag."""
    alice, bob = Client(server), Client(server, "bob")
    found = responses(alice("PROPFIND", "/dav/systemtags-assigned/image", TAGS_IN_USE, WEBDAV))
    root = found.pop("/dav/systemtags-assigned/image/")
    assert root[f"{OC}id"][0] == "404"
    tags = {ok(p, f"{OC}display-name"): p for p in found.values()}
    assert set(tags) >= {"lake", "sky"} and "holiday" not in tags  # holiday is on no photo
    assert "secret" not in tags
    lake = tags["lake"]
    assert ok(lake, f"{OC}id") == str(library.tags["lake"])
    assert ok(lake, f"{NC}files-assigned") == "1"
    assert ok(lake, f"{NC}reference-fileid") == str(library.ids["photos/lake.jpg"])
    for flag in ("user-visible", "user-assignable", "can-assign"):
        assert ok(lake, f"{OC}{flag}") == "true"
    assert set(responses(alice("PROPFIND", "/dav/systemtags-assigned/image/png", TAGS_IN_USE,
                               WEBDAV))) == {"/dav/systemtags-assigned/image/png/"}
    assert alice("PROPFIND", "/dav/systemtags-assigned/image/jpeg/x", TAGS_IN_USE,
                 WEBDAV).status == 404
    mine = {ok(p, f"{OC}display-name"): p for h, p in responses(bob(
        "PROPFIND", "/dav/systemtags-assigned/image", TAGS_IN_USE, WEBDAV)).items()
        if h != "/dav/systemtags-assigned/image/"}
    assert set(mine) >= {"secret"} and "sky" not in mine and "holiday" not in mine
    assert ok(mine["secret"], f"{NC}reference-fileid") == str(library.ids["bobs/night.jpg"])


def test_tagged_images_report(library: Library, server: Server) -> None:
    """TaggedImages.ts: REPORT on the user's files root lists the photos with that tag."""
    alice, bob = Client(server), Client(server, "bob")
    lake_tag = library.tags["lake"]
    found = responses(alice("REPORT", "/dav/files/alice", tagged_images(lake_tag), WEBDAV))
    assert list(found) == ["/dav/files/alice/photos/lake.jpg"]
    props = found["/dav/files/alice/photos/lake.jpg"]
    assert ok(props, f"{OC}fileid") == str(library.ids["photos/lake.jpg"])
    assert ok(props, f"{D}getcontenttype") == "image/jpeg"  # Photos filters on it
    assert ok(props, f"{D}getcontentlength") == str(
        (library.folder / "photos/lake.jpg").stat().st_size)
    assert ok(props, f"{NC}has-preview") == "true"
    got = alice("GET", "/dav/files/alice/photos/lake.jpg")
    assert got.body == (library.folder / "photos/lake.jpg").read_bytes()
    # every tag of the file's tags view; bob's tag and bob's request see nothing of the other
    sky = responses(alice("REPORT", "/dav/files/alice/", tagged_images(library.tags["bob:secret"]),
                          WEBDAV))
    assert sky == {}
    assert responses(bob("REPORT", "/dav/files/bob", tagged_images(lake_tag), WEBDAV)) == {}
    assert list(responses(bob("REPORT", "/dav/files/bob", tagged_images(
        library.tags["bob:secret"]), WEBDAV))) == ["/dav/files/bob/bobs/night.jpg"]
    assert bob("REPORT", "/dav/files/alice", tagged_images(lake_tag), WEBDAV).status == 404
    bad = alice("REPORT", "/dav/files/alice", "<oc:filter-files xmlns:oc=\"http://owncloud.org/"
                "ns\"><oc:filter-rules><oc:circle>1</oc:circle></oc:filter-rules>"
                "</oc:filter-files>", WEBDAV)
    assert bad.status == 400 and "circle" in bad.why, (bad.status, bad.text)


def test_timeline_search_by_date_with_metadata_paged(library: Library, server: Server) -> None:
    """PhotoSearch.ts: newest first, Photos' metadata properties, pages of nbResults."""
    alice, bob = Client(server), Client(server, "bob")
    everything = search(alice, photo_search("alice", ["/photos"]))
    names = [h.removeprefix("/dav/files/alice/photos/") for h in everything]
    dates = [DATES[n] for n in names if n in DATES]
    assert dates == sorted(dates, reverse=True) and len(dates) == 5  # newest first (EXIF date)
    assert set(names) == {"forest.jpg", "lake.jpg", "night.jpg", "no_exif.png", "sunrise.jpg",
                          "sunrise_small.jpg", "a/IMG_1.jpg", "b/IMG_1.jpg"}
    night = everything["/dav/files/alice/photos/night.jpg"]
    when = datetime.fromisoformat(DATES["night.jpg"]).replace(tzinfo=UTC)
    assert ok(night, f"{NC}metadata-photos-original_date_time") == str(int(when.timestamp()))
    assert ok(night, f"{OC}fileid") == str(library.ids["photos/night.jpg"])
    assert ok(night, f"{D}getcontenttype") == "image/jpeg"
    assert night[f"{NC}metadata-photos-size"][0] == "200"
    one = alice("SEARCH", "/dav/", photo_search("alice", ["/photos"], count=1),
                {"Content-Type": "application/xml"})
    [size] = ElementTree.fromstring(one.body).iter(f"{NC}metadata-photos-size")
    assert {c.tag: c.text for c in size} == {"width": "640", "height": "480"}  # as Sabre writes
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
        "/dav/files/alice/photos/no_exif.png"]
    assert list(search(alice, photo_search("alice", ["/photos/a", "/photos/b"]))) != []
    assert set(search(alice, photo_search("alice", [""]))) == set(everything)
    start, end = (int(datetime(2020, 8, d, tzinfo=UTC).timestamp()) for d in (1, 4))
    on_this_day = f"""<d:or><d:and>
\t\t\t\t<d:gt><d:prop><nc:metadata-photos-original_date_time/></d:prop>
\t\t\t\t\t<d:literal>{start}</d:literal></d:gt>
\t\t\t\t<d:lt><d:prop><nc:metadata-photos-original_date_time/></d:prop>
\t\t\t\t\t<d:literal>{end}</d:literal></d:lt>
\t\t\t</d:and></d:or>"""
    assert list(search(alice, photo_search("alice", ["/photos"], extra=on_this_day))) == [
        "/dav/files/alice/photos/lake.jpg"]
    favorites = "<d:eq><d:prop><oc:favorite/></d:prop><d:literal>1</d:literal></d:eq>"
    assert search(alice, photo_search("alice", ["/photos"], extra=favorites)) == {}
    # isolation: bob's timeline is bob's; alice's folders are not his
    assert {h.rsplit("/", 1)[-1] for h in search(bob, photo_search("bob", ["/bobs"]))} == {
        "forest.jpg", "lake.jpg", "night.jpg", "no_exif.png", "sunrise.jpg"}
    assert bob("SEARCH", "/dav/", photo_search("alice", ["/photos"]),
               {"Content-Type": "application/xml"}).status == 404
    assert bob("SEARCH", "/dav/", photo_search("bob", ["/photos"]),
               {"Content-Type": "application/xml"}).status == 404
    unknown = alice("SEARCH", "/dav/", photo_search("alice", ["/photos"], extra=(
        "<d:eq><d:prop><oc:owner-id/></d:prop><d:literal>x</d:literal></d:eq>")))
    assert unknown.status == 400 and "owner-id" in unknown.why


def test_recognize_api_key_is_accepted_and_not_needed(library: Library, server: Server) -> None:
    """DavClient.ts sends the key on every request; here the login decides, not the key."""
    alice = Client(server)
    with_key = alice("PROPFIND", faces_home(), FACES_PROPFIND, LIST | API_KEY)
    without = alice("PROPFIND", faces_home(), FACES_PROPFIND, LIST)
    assert with_key.status == without.status == 207 and with_key.body == without.body
    assert Client(server, None)("PROPFIND", faces_home(), FACES_PROPFIND,
                                LIST | API_KEY).status == 401
    assert json.loads(ok(responses(with_key)[faces_home() + "Ann/"], f"{NC}face-preview-image"))


def test_timeline_and_tag_view_cost_the_same_queries_for_any_size(tmp_path: Path,
                                                                  password_hash: str) -> None:
    """SEARCH and REPORT with Photos' properties: no query per photo (counted in-process)."""
    from recognize import config as config_mod
    from recognize.jobs.crawl import crawl
    from recognize.jobs.sources import LocalSource
    from recognize.media.sniff import SUPPORTED_EXTENSIONS
    from recognize.store import accounts, tag_removals
    from recognize.store import photos as photo_store
    from tests.dav.library import _media, build, counting_dav, write_demo_photos

    lib = build(tmp_path, password_hash)
    dav = counting_dav(lib)

    def cost(method: str, path: str, body: str) -> tuple[int, int]:
        sent, reply = dav.cost(method, path, body, WEBDAV)
        return sent, reply.count(b"<ns0:response>")

    def tag_all() -> None:  # with the media columns the media stage writes (mime, date)
        with lib.store.session() as session:
            for path, known in photo_store.known_files(session, refs["photos"].id).items():
                if path.startswith("more/"):
                    _media(session, known.id, tmp_path / "photos" / path)
                tag_removals.tag(session, 1, known.id, lib.tags["holiday"])

    settings = config_mod.load(lib.config)
    with lib.store.session() as session:
        refs = accounts.sync(session, [(u.name, u.admin) for u in settings.users],
                             [(m.name, m.path, m.owners) for m in settings.mounts])
    tag_all()
    timeline_body = photo_search("alice", ["/photos"])
    tag_body = tagged_images(lib.tags["holiday"])
    cost("SEARCH", "/", timeline_body)  # users and mounts are cached for a few seconds
    before = (cost("SEARCH", "/", timeline_body), cost("REPORT", "/files/alice", tag_body))
    write_demo_photos(tmp_path / "photos" / "more")
    crawl(lib.store, refs["photos"], ["media"],
          LocalSource(Path(refs["photos"].location), SUPPORTED_EXTENSIONS))
    tag_all()
    after = (cost("SEARCH", "/", timeline_body), cost("REPORT", "/files/alice", tag_body))
    assert after[0][1] == before[0][1] + 5 and after[1][1] == before[1][1] + 5, (before, after)
    assert after[0][0] == before[0][0] and after[1][0] == before[1][0], (before, after)
    assert max(after[0][0], after[1][0]) <= 6, dav.statements


def test_odd_queries_are_refused_saying_why(library: Library, server: Server) -> None:
    alice = Client(server)
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
