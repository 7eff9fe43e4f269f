"""A mount taken out of the config keeps its rows in the store (a config slip loses no
corrections) but is no longer served: the API's photos, tags and search and WebDAV's search/
leave its photos out alike."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from recognize import config as config_mod
from recognize.demo import write_demo_photos
from recognize.jobs.scan import scan
from recognize.store.opening import open_store
from tests.conftest import TEST_PASSWORD, write_config
from tests.dav.inprocess import InProcess

AUTH = {"Authorization": "Basic " + base64.b64encode(f"alice:{TEST_PASSWORD}".encode()).decode()}


def test_a_mount_no_longer_configured_is_not_searched(tmp_path: Path, password_hash: str) -> None:
    from recognize.api import create_app
    from recognize.wsgi import make_app

    for name in ("home", "old"):
        write_demo_photos(tmp_path / name)
    off = {"faces": {"enabled": False}, "tags": {"enabled": False}}
    both = write_config(tmp_path, {"home": tmp_path / "home", "old": tmp_path / "old"},
                        password_hash, **off)
    settings = config_mod.load(both)
    store = open_store(settings)
    scan(settings, store)
    client = create_app(settings, store).test_client()
    photos = client.get("/api/v1/photos", query_string={"limit": 100}, headers=AUTH).get_json()
    by_mount = {p["mount"]: p["id"] for p in photos["items"]}
    assert set(by_mount) == {"home", "old"}
    for photo in by_mount.values():
        reply = client.post(f"/api/v1/photos/{photo}/tags", json={"name": "trip"}, headers=AUTH)
        assert reply.status_code == 201, reply.get_json()
    found = client.get("/api/v1/search", query_string={"q": "trip"}, headers=AUTH).get_json()
    assert {p["id"] for p in found["items"]} == set(by_mount.values())

    # "old" leaves the config: its rows stay in the store, it is no longer served
    settings = config_mod.load(write_config(tmp_path, {"home": tmp_path / "home"},
                                            password_hash, **off))
    settings.server.allow_basic_over_http = True  # in-process calls carry no address
    client = create_app(settings, store).test_client()
    found = client.get("/api/v1/search", query_string={"q": "trip"}, headers=AUTH).get_json()
    assert [p["id"] for p in found["items"]] == [by_mount["home"]]
    assert found["total"] == 1
    listed = client.get("/api/v1/photos", query_string={"limit": 100}, headers=AUTH).get_json()
    assert {p["mount"] for p in listed["items"]} == {"home"}
    assert client.get(f"/api/v1/photos/{by_mount['old']}", headers=AUTH).status_code == 404
    tags = client.get("/api/v1/tags", query_string={"q": "trip"}, headers=AUTH).get_json()
    assert [t["photos"] for t in tags["items"]] == [1]

    dav = InProcess(make_app(settings, store), "alice")
    reply = dav("PROPFIND", "/dav/search/trip/", headers={"Depth": "1"})
    assert reply.status == 207, reply.body[:300]
    assert len(re.findall(rb"<[^/>]*href>", reply.body)) == 2  # the folder and one photo
    store.close()
