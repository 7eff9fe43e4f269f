"""The API in-process (Flask test client) and through a real server process on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from recognize import config as config_mod
from recognize.demo import write_demo_photos
from recognize.jobs.scan import scan
from recognize.store.opening import open_store
from tests.conftest import TEST_PASSWORD, free_port, write_config

AUTH = {"Authorization": "Basic " + base64.b64encode(f"alice:{TEST_PASSWORD}".encode()).decode()}
BOB = {"Authorization": "Basic " + base64.b64encode(f"bob:{TEST_PASSWORD}".encode()).decode()}


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, password_hash: str):
    folder = tmp_path_factory.mktemp("api")
    write_demo_photos(folder / "photos")
    path = write_config(folder, {"demo": folder / "photos"}, password_hash)
    settings = config_mod.load(path)
    store = open_store(settings)
    scan(settings, store)
    return path, settings, store


@pytest.fixture
def client(indexed):
    from recognize.api import create_app

    _, settings, store = indexed
    return create_app(settings, store).test_client()


def test_health_is_public(client) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200 and response.json["store"] == "ok"


def test_photos_need_authentication(client) -> None:
    response = client.get("/api/v1/photos")
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"
    assert "Basic" in response.headers["WWW-Authenticate"]
    wrong = {"Authorization": "Basic " + base64.b64encode(b"alice:nope").decode()}
    assert client.get("/api/v1/photos", headers=wrong).status_code == 401


def test_photo_list_and_filters(client) -> None:
    data = client.get("/api/v1/photos", headers=AUTH).json
    assert data["total"] == 5
    by_name = {p["name"]: p for p in data["items"]}
    lake = by_name["lake.jpg"]
    assert lake["camera"] == "NIKON D750" and lake["taken_at"].startswith("2020-08-02T14:30:10")
    assert lake["place"]["country_code"] == "CH"
    assert {"name": "2020", "kind": "date", "confidence": 1.0} in lake["tags"]
    assert client.get("/api/v1/photos?from=2020&to=2021", headers=AUTH).json["total"] == 2
    assert client.get("/api/v1/photos?from=2021-01-01", headers=AUTH).json["total"] == 2
    assert client.get("/api/v1/photos?camera=nikon", headers=AUTH).json["total"] == 1
    assert client.get("/api/v1/photos?country=GB", headers=AUTH).json["total"] == 1
    assert client.get("/api/v1/photos?city=london", headers=AUTH).json["total"] == 1
    assert client.get("/api/v1/photos?mount=demo&limit=2", headers=AUTH).json["items"].__len__() == 2


def test_bad_requests_are_4xx_with_a_message(client) -> None:
    for query, status in (("limit=0", 400), ("limit=x", 400), ("from=yesterday", 400),
                          ("mount=other", 404), ("status=weird", 400)):
        response = client.get(f"/api/v1/photos?{query}", headers=AUTH)
        assert response.status_code == status, query
        assert response.json["error"]["message"]
    assert client.get("/api/v1/photos/999999", headers=AUTH).status_code == 404
    assert client.get("/api/v1/nothing", headers=AUTH).status_code == 404


def test_other_users_see_nothing(client) -> None:
    assert client.get("/api/v1/photos", headers=BOB).json["total"] == 0
    first = client.get("/api/v1/photos", headers=AUTH).json["items"][0]["id"]
    assert client.get(f"/api/v1/photos/{first}", headers=BOB).status_code == 404


def test_thumbnails(client) -> None:
    first = client.get("/api/v1/photos", headers=AUTH).json["items"][0]["id"]
    response = client.get(f"/api/v1/photos/{first}/thumbnail?size=200", headers=AUTH)
    assert response.status_code == 200 and response.data[:2] == b"\xff\xd8"


def test_real_server_process(tmp_path: Path, password_hash: str) -> None:
    write_demo_photos(tmp_path / "photos")
    path = write_config(tmp_path, {"demo": tmp_path / "photos"}, password_hash)
    port = free_port()
    log = (tmp_path / "server.log").open("w")  # a pipe nobody reads would fill and block
    proc = subprocess.Popen(
        [sys.executable, "-m", "recognize.cli", "--config", str(path), "serve", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as r:
                    assert json.load(r)["status"] == "ok"
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.2)
        total = 0
        while time.monotonic() < deadline and total < 5:  # indexing runs in the background
            request = urllib.request.Request(f"{base}/photos", headers=AUTH)
            with urllib.request.urlopen(request, timeout=5) as r:
                total = json.load(r)["total"]
            time.sleep(0.2)
        assert total == 5
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_basic_over_plain_http_only_from_this_machine(client, indexed) -> None:
    _, settings, _ = indexed
    remote = {"REMOTE_ADDR": "192.0.2.7"}  # TEST-NET: never contacted, only named
    assert client.get("/api/v1/photos", headers=AUTH, environ_base=remote).status_code == 401
    assert client.get("/api/v1/photos", headers=AUTH, environ_base=remote,
                      base_url="https://localhost").status_code == 200
    settings.server.allow_basic_over_http = True
    try:
        assert client.get("/api/v1/photos", headers=AUTH, environ_base=remote).status_code == 200
    finally:
        settings.server.allow_basic_over_http = False
