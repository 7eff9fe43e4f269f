"""Config (admin only, validated PATCH, persisted, re-clustering), API tokens, /metrics."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

import pytest
import tomli_w

from recognize import config as config_mod
from recognize.store import state
from recognize.store.opening import open_store
from tests.api.conftest import ALICE, BOB
from tests.conftest import write_config


@pytest.fixture
def admin_app(tmp_path: Path, password_hash: str):
    from recognize.api import create_app

    (tmp_path / "photos").mkdir()
    path = write_config(tmp_path, {"photos": tmp_path / "photos"}, password_hash)
    data = tomllib.loads(path.read_text())
    data["users"][0]["admin"] = True
    path.write_text(tomli_w.dumps(data))
    settings = config_mod.load(path)
    store = open_store(settings)
    return path, settings, store, create_app(settings, store, path).test_client()


def test_config_is_for_admins_and_redacted(admin_app, client) -> None:
    _, _, _, app = admin_app
    assert client.get("/api/v1/config", headers=ALICE).status_code == 403  # not admin there
    assert app.get("/api/v1/config", headers=BOB).status_code == 403
    data = app.get("/api/v1/config", headers=ALICE).json
    assert data["persons"]["min_cluster_size"] == 2
    assert "argon2" not in str(data) and "*" in data["users"][0]["password_hash"]


def test_patch_validates_everything_at_once(admin_app) -> None:
    _, settings, _, app = admin_app
    bad = app.patch("/api/v1/config", headers=ALICE, json={
        "persons": {"min_cluster_size": 1, "min_samples": "x"},
        "faces": {"max_faces": 3, "min_score": 2},
        "tags": {"model": "nope"}, "server": {"port": 1}})
    assert bad.status_code == 422
    details = bad.json["error"]["details"]
    for where in ("persons.min_cluster_size", "persons.min_samples", "faces.max_faces",
                  "faces.min_score", "tags.model", "server"):
        assert any(d.startswith(where) for d in details), (where, details)
    assert settings.persons.min_cluster_size == 2
    assert app.patch("/api/v1/config", headers=ALICE, data="[]",
                     content_type="application/json").status_code == 422


def test_patch_applies_persists_and_reclusters(admin_app) -> None:
    path, settings, store, app = admin_app
    before = settings.persons
    done = app.patch("/api/v1/config", headers=ALICE, json={
        "persons": {"min_cluster_size": 3}, "faces": {"min_score": 0.6}})
    assert done.status_code == 200, done.json
    assert done.json["changed"] == {"persons": {"min_cluster_size": 3},
                                    "faces": {"min_score": 0.6}}
    assert done.json["persisted"] and done.json["reclustering"] == ["alice"]
    assert done.json["restaging"] == ["faces"]
    assert settings.persons is before and settings.persons.min_cluster_size == 3
    saved = tomllib.loads(path.read_text())
    assert saved["persons"]["min_cluster_size"] == 3 and saved["faces"]["min_score"] == 0.6
    assert config_mod.load(path).persons.min_cluster_size == 3
    from recognize.clustering.params import ClusterParams
    from recognize.jobs.persons import params_digest

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the background re-clustering records its digest
        with store.reading() as session:
            if state.get_state(session, "cluster-params:alice") == params_digest(
                    ClusterParams.from_settings(settings.persons)):
                break
        time.sleep(0.1)
    else:
        pytest.fail("re-clustering did not run")


def test_faces_stage_version_follows_detector_settings(admin_app) -> None:
    from recognize.jobs.stages.faces import detector_suffix

    _, settings, _, _ = admin_app
    assert detector_suffix(settings) == ""
    settings.faces.min_score = 0.7
    assert detector_suffix(settings).startswith("+det@")


def test_tokens_create_use_list_revoke(client) -> None:
    made = client.post("/api/v1/tokens", json={"name": "backup script"}, headers=ALICE)
    assert made.status_code == 201 and made.json["token"].startswith(made.json["prefix"])
    bearer = {"Authorization": f"Bearer {made.json['token']}"}
    assert client.get("/api/v1/photos", headers=bearer).json["total"] > 0
    listed = client.get("/api/v1/tokens", headers=ALICE).json["items"]
    mine = next(t for t in listed if t["id"] == made.json["id"])
    assert "token" not in mine and mine["last_used_at"] is not None
    theirs = client.get("/api/v1/tokens", headers=BOB).json["items"]
    assert all(t["id"] != made.json["id"] for t in theirs)
    assert client.delete(f"/api/v1/tokens/{made.json['id']}", headers=BOB).status_code == 404
    assert client.delete(f"/api/v1/tokens/{made.json['id']}", headers=bearer).status_code == 204
    assert client.get("/api/v1/photos", headers=bearer).status_code == 401
    wrong = {"Authorization": "Bearer rcg_not-a-token"}
    assert client.get("/api/v1/photos", headers=wrong).status_code == 401


def test_metrics(client) -> None:
    assert client.get("/metrics").status_code == 401
    client.get("/api/v1/photos", headers=ALICE)
    response = client.get("/metrics", headers=ALICE)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert 'recognize_photos{mount="photos",status="ok"}' in text
    # library-wide totals span every user's mounts: admins only (tests/api/test_hardening.py)
    assert "recognize_faces " not in text and "recognize_persons " not in text
    assert 'recognize_http_requests_total{endpoint="/api/v1/photos",method="GET",status="200"}' \
        in text
    assert 'recognize_http_request_duration_seconds_bucket{endpoint="/api/v1/photos",le="+Inf"}' \
        in text
    for line in text.splitlines():  # every sample line: name{labels} number
        if not line.startswith("#"):
            float(line.rsplit(" ", 1)[1])


def test_patch_with_an_old_key_says_what_replaced_it(admin_app) -> None:
    _, _, _, app = admin_app
    bad = app.patch("/api/v1/config", headers=ALICE,
                    json={"persons": {"min_detector_score": 0.6}})
    assert bad.status_code == 422
    assert bad.json["error"]["details"] == [
        "persons.min_detector_score: renamed: use faces.min_score (faces below it are not kept, "
        "so never clustered)"]
