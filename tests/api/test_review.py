"""The face review's API: crops, "not a face", hidden persons, merge suggestions."""

from __future__ import annotations

from typing import Any

import pytest
import pyvips

from tests.api.conftest import ALICE, World, build_world

pytestmark = pytest.mark.slow  # real models or real server processes: make test runs it


@pytest.fixture(scope="module")
def review_world(tmp_path_factory: pytest.TempPathFactory, password_hash: str) -> World:
    return build_world(tmp_path_factory.mktemp("review"), password_hash, things=(),
                       people={"angelina_jolie": 4, "compreface_person_a": 4})


@pytest.fixture
def api(review_world: World) -> Any:
    return review_world.client()


def _persons(api: Any, **args: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return api.get(f"/api/v1/persons?{query}", headers=ALICE).json["items"]


def _faces(api: Any, person: int) -> list[int]:
    return [f["id"] for f in api.get(f"/api/v1/persons/{person}/faces",
                                     headers=ALICE).json["items"]]


def test_face_crop_is_a_cached_square_jpeg(api: Any) -> None:
    person = _persons(api)[0]
    face = person["cover"]["face_id"]
    first = api.get(f"/api/v1/faces/{face}/crop?size=100", headers=ALICE)
    assert first.status_code == 200 and first.mimetype == "image/jpeg"
    image = pyvips.Image.new_from_buffer(first.data, "")
    assert (image.width, image.height) == (128, 128)  # served at the next size up
    assert "private" in first.headers["Cache-Control"]  # never in a shared cache
    etag = first.headers["ETag"]
    again = api.get(f"/api/v1/faces/{face}/crop?size=100", headers={**ALICE,
                                                                     "If-None-Match": etag})
    assert again.status_code == 304
    cover = api.get(f"/api/v1/persons/{person['id']}/cover?size=64", headers=ALICE)
    assert cover.status_code == 200 and cover.data[:2] == b"\xff\xd8"
    assert api.get("/api/v1/faces/999999/crop", headers=ALICE).status_code == 404
    assert api.get(f"/api/v1/faces/{face}/crop?size=5000", headers=ALICE).status_code == 400


def test_not_a_face_is_kept_out_and_can_be_undone(api: Any) -> None:
    person = _persons(api)[0]
    face = _faces(api, person["id"])[-1]
    out = api.post(f"/api/v1/faces/{face}/ignore", headers=ALICE)
    assert out.status_code == 200 and out.json["assigned_by"] == "ignored"
    assert out.json["person_id"] is None
    assert face not in _faces(api, person["id"])
    free = api.get("/api/v1/faces/unassigned?limit=1000", headers=ALICE).json["items"]
    assert face not in {f["id"] for f in free}
    listed = api.get("/api/v1/faces/ignored", headers=ALICE).json["items"]
    assert face in {f["id"] for f in listed}
    back = api.delete(f"/api/v1/faces/{face}/ignore", headers=ALICE)
    assert back.status_code == 200 and back.json["assigned_by"] is None
    free = api.get("/api/v1/faces/unassigned?limit=1000", headers=ALICE).json["items"]
    assert face in {f["id"] for f in free}
    # put it back where it was, for the tests below
    assert api.put(f"/api/v1/faces/{face}/person", json={"person_id": person["id"]},
                   headers=ALICE).status_code == 200


def test_hidden_persons_are_not_listed_and_come_back(api: Any) -> None:
    person = _persons(api)[0]
    hid = api.patch(f"/api/v1/persons/{person['id']}", json={"hidden": True}, headers=ALICE)
    assert hid.status_code == 200 and hid.json["hidden"] is True
    assert person["id"] not in {p["id"] for p in _persons(api)}
    assert person["id"] in {p["id"] for p in _persons(api, hidden="true")}
    shown = api.patch(f"/api/v1/persons/{person['id']}", json={"hidden": False}, headers=ALICE)
    assert shown.status_code == 200 and shown.json["hidden"] is False
    assert person["id"] in {p["id"] for p in _persons(api)}
    assert api.patch(f"/api/v1/persons/{person['id']}", json={}, headers=ALICE).status_code == 400


def test_a_person_emptied_by_corrections_is_not_listed(api: Any) -> None:
    person = _persons(api)[0]
    faces = _faces(api, person["id"])
    split = api.post("/api/v1/persons/split", json={"faces": faces[:1]}, headers=ALICE)
    assert split.status_code == 201
    lone = split.json["id"]
    assert api.post(f"/api/v1/faces/{faces[0]}/reject", headers=ALICE).status_code == 200
    assert lone not in {p["id"] for p in _persons(api)}  # 0 faces: not listed
    assert api.get(f"/api/v1/persons/{lone}", headers=ALICE).json["faces"] == 0
    fresh = api.post("/api/v1/persons", json={"name": "Newcomer"}, headers=ALICE).json
    assert fresh["id"] in {p["id"] for p in _persons(api)}  # new: listed, awaiting faces
    assert api.put(f"/api/v1/faces/{faces[0]}/person", json={"person_id": person["id"]},
                   headers=ALICE).status_code == 200


def test_cover_follows_its_face(api: Any) -> None:
    person = _persons(api)[0]
    cover = person["cover"]["face_id"]
    other = next(p for p in _persons(api) if p["id"] != person["id"] and p["faces"])
    assert api.put(f"/api/v1/faces/{cover}/person", json={"person_id": other["id"]},
                   headers=ALICE).status_code == 200
    now = api.get(f"/api/v1/persons/{person['id']}", headers=ALICE).json
    assert now["cover"] is None or now["cover"]["face_id"] != cover
    assert now["cover"]["face_id"] in _faces(api, person["id"])
    assert api.put(f"/api/v1/faces/{cover}/person", json={"person_id": person["id"]},
                   headers=ALICE).status_code == 200


def test_suggestions_accept_and_reject(api: Any) -> None:
    person = max(_persons(api), key=lambda p: p["faces"])
    faces = _faces(api, person["id"])
    assert len(faces) >= 3
    half = api.post("/api/v1/persons/split", json={"faces": faces[:2]}, headers=ALICE).json
    found = api.get(f"/api/v1/persons/{person['id']}/suggestions", headers=ALICE).json["items"]
    assert found and found[0]["person_id"] == half["id"], found  # the same person, best first
    assert found[0]["distance"] < 0.6
    rejected = api.post(f"/api/v1/persons/{person['id']}/suggestions/{half['id']}/reject",
                        headers=ALICE)
    assert rejected.status_code == 204
    for a, b in ((person["id"], half["id"]), (half["id"], person["id"])):
        again = api.get(f"/api/v1/persons/{a}/suggestions", headers=ALICE).json["items"]
        assert b not in {s["person_id"] for s in again}
    # another split of the same person is suggested; accepting merges it back
    third = api.post("/api/v1/persons/split", json={"faces": faces[2:3]}, headers=ALICE).json
    found = api.get(f"/api/v1/persons/{person['id']}/suggestions", headers=ALICE).json["items"]
    assert third["id"] in {s["person_id"] for s in found}
    merged = api.post(f"/api/v1/persons/{person['id']}/suggestions/{third['id']}/accept",
                      headers=ALICE)
    assert merged.status_code == 200 and faces[2] in _faces(api, person["id"])
    assert api.post(f"/api/v1/persons/{person['id']}/suggestions/{person['id']}/accept",
                    headers=ALICE).status_code == 400
