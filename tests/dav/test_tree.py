"""The tree as a client sees it: folders, names, properties, etags, on the real library (see
``real_library``): what each folder lists is what the cascade stored, looked up by label."""

from __future__ import annotations

import json

import pytest
from defusedxml import ElementTree

from tests.dav.conftest import Client
from tests.dav.real_library import ALICE, Real

pytestmark = pytest.mark.heavy  # a server over the real library (the cascade runs once per session)

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


def _photos_of(real: Real, person: str) -> set[str]:
    """The file names of alice's photos with a face of the person called ``person``."""
    with real.db() as db:
        return {path.rsplit("/", 1)[-1] for (path,) in db.execute(
            "SELECT DISTINCT p.path FROM photos p JOIN faces f ON f.photo_id = p.id "
            "JOIN face_persons fp ON fp.face_id = f.id JOIN persons s ON s.id = fp.person_id "
            "WHERE s.name = ?", (person,))}


def _tagged(real: Real, kinds: tuple[str, ...]) -> dict[str, set[str]]:
    """Tag name -> file names of alice's photos that carry it, for tags of ``kinds``."""
    out: dict[str, set[str]] = {}
    with real.db() as db:
        for name, path in db.execute(
                "SELECT t.name, p.path FROM tags t JOIN photo_tags pt ON pt.tag_id = t.id "
                "JOIN photos p ON p.id = pt.photo_id JOIN mounts m ON m.id = p.mount_id "
                f"WHERE m.name = 'photos' AND t.kind IN ({','.join('?' * len(kinds))})", kinds):
            out.setdefault(name, set()).add(path.rsplit("/", 1)[-1])
    return out


def test_top_level(dav: Client) -> None:
    assert dav.names("/dav/") == ["people", "unassigned", "faces", "tags", "places", "dates",
                                  "duplicates", "files"]
    assert dav.names("/dav/files/") == ["inbox", "photos"]
    assert set(dav.names("/dav/files/photos/")) == {n.split("/")[0] for n in ALICE}


def test_people_list_the_persons_photos_and_a_cover(dav: Client, real: Real) -> None:
    with real.db() as db:
        named = [n for (n,) in db.execute(
            "SELECT name FROM persons WHERE NOT deleted AND user_id = "
            "(SELECT id FROM users WHERE name = 'alice') ORDER BY id")]
    assert named == ["Ann", "Ben"]  # lone.jpg's single face makes no person
    assert dav.names("/dav/people/") == named
    for person in named:
        listed = dav.names(f"/dav/people/{person}/")
        assert "folder.jpg" in listed
        assert sorted(n for n in listed if n != "folder.jpg") == sorted(_photos_of(real, person))


def test_unassigned_lists_the_faces_of_no_person(dav: Client, real: Real) -> None:
    with real.db() as db:
        free = sorted(path for (path,) in db.execute(
            "SELECT p.path FROM faces f JOIN photos p ON p.id = f.photo_id "
            "JOIN mounts m ON m.id = p.mount_id LEFT JOIN face_persons fp ON fp.face_id = f.id "
            "WHERE m.name = 'photos' AND fp.person_id IS NULL"))
    assert free == ["lone.jpg"]  # the one face of a third identity
    assert dav.names("/dav/unassigned/") == free


def test_tags_list_what_the_cascade_and_the_user_tagged(dav: Client, real: Real) -> None:
    tagged = _tagged(real, ("classifier", "camera", "lens", "user"))
    assert tagged["holiday"] == {"IMG_1.jpg"}  # two photos of that name, one folder
    assert sorted(dav.names("/dav/tags/")) == sorted(tagged)
    assert "secret" not in tagged  # bob's tag, on bob's photo
    for name, files in tagged.items():
        listed = dav.names("/dav/tags/" + name.replace(" ", "%20") + "/")
        if name == "holiday":  # two photos called IMG_1.jpg: unique names, stable by photo id
            assert listed == ["IMG_1.jpg", "IMG_1 (2).jpg"]
        else:
            assert set(listed) == files, name


def test_places_and_dates_come_from_exif(dav: Client, real: Real) -> None:
    with real.db() as db:
        country, city, taken = db.execute(
            "SELECT country, city, taken_at FROM photos WHERE id = ?",
            (real.photos["photos/italy.jpg"],)).fetchone()
    assert (country, taken[:7]) == ("Italy", "2008-10")  # DSCN0010: GPS in Tuscany, 2008-10-22
    assert dav.names("/dav/places/") == [country]
    assert dav.names(f"/dav/places/{country}/{city}/") == ["italy.jpg"]
    assert dav.names("/dav/dates/") == [taken[:4]]
    assert dav.names(f"/dav/dates/{taken[:4]}/") == [taken[:7]]
    assert dav.names(f"/dav/dates/{taken[:4]}/{taken[:7]}/") == ["italy.jpg"]


def test_duplicates_list_the_groups_the_job_found(dav: Client, real: Real) -> None:
    with real.db() as db:
        groups: dict[int, set[str]] = {}
        for group, path in db.execute(
                "SELECT d.group_id, p.path FROM duplicate_members d JOIN photos p "
                "ON p.id = d.photo_id JOIN mounts m ON m.id = p.mount_id WHERE m.name = 'photos'"):
            groups.setdefault(group, set()).add(path.rsplit("/", 1)[-1])
    folders = dav.names("/dav/duplicates/")
    assert len(folders) == len(groups)
    assert sorted(sorted(dav.names(f"/dav/duplicates/{f}/")) for f in folders) == sorted(
        sorted(g) for g in groups.values())


def test_get_streams_the_original_with_ranges(dav: Client, real: Real) -> None:
    original = real.original("photos/ann_1.jpg")
    reply = dav("GET", "/dav/people/Ann/ann_1.jpg")
    assert reply.status == 200 and reply.body == original
    assert reply.headers["etag"].startswith('"') and "last-modified" in reply.headers
    part = dav("GET", "/dav/people/Ann/ann_1.jpg", headers={"Range": "bytes=10-19"})
    assert part.status == 206 and part.body == original[10:20]
    second = dav("GET", "/dav/tags/holiday/IMG_1%20(2).jpg")
    assert second.body in (real.original("photos/a/IMG_1.jpg"),
                           real.original("photos/b/IMG_1.jpg"))
    assert second.body != dav("GET", "/dav/tags/holiday/IMG_1.jpg").body


def test_nextcloud_properties(dav: Client, real: Real) -> None:
    found = props(dav, "/dav/people/Ann/", "1", "<r:faces/><r:tags/>")
    folder = found["/dav/people/Ann/"]
    assert folder["getetag"].startswith('"') and folder["permissions"] == "DNVC"
    assert int(folder["quota-available-bytes"]) > 0 and int(folder["quota-used-bytes"]) > 0
    photo = found["/dav/people/Ann/ann_1.jpg"]
    assert photo["permissions"] == "DV" and photo["getcontenttype"] == "image/jpeg"
    with real.db() as db:
        stored = db.execute(
            "SELECT f.id, f.x, f.y, f.w, f.h, f.score, fp.person_id FROM faces f "
            "JOIN face_persons fp ON fp.face_id = f.id WHERE f.photo_id = ?",
            (real.photos["photos/ann_1.jpg"],)).fetchall()
        tags = sorted(n for (n,) in db.execute(
            "SELECT t.name FROM tags t JOIN photo_tags pt ON pt.tag_id = t.id "
            "WHERE pt.photo_id = ?", (real.photos["photos/ann_1.jpg"],)))
    faces = json.loads(photo["faces"])
    assert [(f["id"], f["person_id"], f["person"]) for f in faces] == [
        (s[0], s[6], "Ann") for s in stored]
    for face, row in zip(faces, stored, strict=True):
        assert face["box"] == pytest.approx(list(row[1:5]), abs=1e-3)
        assert face["score"] == pytest.approx(row[5], abs=1e-3)
    assert sorted(t["name"] for t in json.loads(photo["tags"])) == tags
    places = props(dav, "/dav/places/Italy/", "1")
    assert {p["permissions"] or "" for p in places.values()} == {""}  # read-only everywhere
    # the etag a listing shows for a folder is the one the folder shows for itself
    listed = props(dav, "/dav/people/", "1")["/dav/people/Ann/"]["getetag"]
    assert listed == folder["getetag"]


def test_depth_infinity_refused_and_root_answers(dav: Client) -> None:
    reply = dav("PROPFIND", "/dav/", headers={"Depth": "infinity"})
    assert reply.status == 403 and b"propfind-finite-depth" in reply.body
    assert dav("PROPFIND", "/dav/").status == 403  # no Depth means infinity
    anon = Client(dav.server, None)
    options = anon("OPTIONS", "/")
    assert options.status == 200 and "2" in options.headers["dav"]
    assert anon("OPTIONS", "/dav/people/").status == 200
    root = anon("PROPFIND", "/", headers={"Depth": "1"})
    assert root.status == 207 and b"/dav/" in root.body
    assert "2" in dav("OPTIONS", "/dav/files/inbox/").headers["dav"]
