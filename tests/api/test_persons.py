"""Persons and faces on real faces (clustered by the real pipeline in the world fixture)."""

from __future__ import annotations

from recognize.store import persons as person_store
from tests.api.conftest import ALICE, BOB


def _persons(client) -> list[dict]:
    return client.get("/api/v1/persons", headers=ALICE).json["items"]


def test_persons_have_counts_and_covers(client) -> None:
    data = client.get("/api/v1/persons", headers=ALICE).json
    assert data["total"] >= 3 and data["total"] == len(data["items"])
    for person in data["items"]:
        assert person["faces"] >= 1 and person["named"] is (person["name"] is not None)
        cover = person["cover"]
        assert cover and len(cover["box"]) == 4 and cover["photo_id"] >= 1
        face = client.get(f"/api/v1/faces/{cover['face_id']}", headers=ALICE).json
        assert face["person_id"] == person["id"] and face["photo_id"] == cover["photo_id"]
    assert client.get("/api/v1/persons", headers=BOB).json["total"] == 0
    first = data["items"][0]["id"]
    assert client.get(f"/api/v1/persons/{first}", headers=BOB).status_code == 404
    faces = client.get(f"/api/v1/persons/{first}/faces", headers=ALICE).json
    assert faces["total"] == data["items"][0]["faces"]


def test_rename_clash_and_search_by_name(client) -> None:
    a, b = _persons(client)[:2]
    done = client.patch(f"/api/v1/persons/{a['id']}", json={"name": "Alice Smith"},
                        headers=ALICE)
    assert done.status_code == 200 and done.json["named"] and done.json["name"] == "Alice Smith"
    clash = client.patch(f"/api/v1/persons/{b['id']}", json={"name": "Alice Smith"},
                         headers=ALICE)
    assert clash.status_code == 409 and clash.json["error"]["code"] == "conflict"
    photos = client.get(f"/api/v1/photos?person={a['id']}&limit=1000", headers=ALICE).json
    assert photos["total"] >= 1
    for q in ("alice", "alice smith"):
        found = client.get(f"/api/v1/search?q={q}", headers=ALICE).json
        assert {i["id"] for i in found["items"]} == {p["id"] for p in photos["items"]}, q
    assert client.get("/api/v1/persons?named=true", headers=ALICE).json["total"] >= 1


def test_reassign_and_reject_record_corrections(world, client) -> None:
    persons = _persons(client)
    source, target = persons[0], persons[1]
    face = client.get(f"/api/v1/persons/{source['id']}/faces", headers=ALICE).json["items"][0]
    moved = client.put(f"/api/v1/faces/{face['id']}/person", json={"person_id": target["id"]},
                       headers=ALICE)
    assert moved.status_code == 200 and moved.json["person_id"] == target["id"]
    assert moved.json["assigned_by"] == "user"
    with world.store.reading() as session:
        words = person_store.corrections(session, [face["id"]])
    assert (face["id"], target["id"], "must") in words
    assert (face["id"], source["id"], "cannot") in words
    rejected = client.post(f"/api/v1/faces/{face['id']}/reject", headers=ALICE)
    assert rejected.status_code == 200 and rejected.json["person_id"] is None
    with world.store.reading() as session:
        assert (face["id"], target["id"], "cannot") in person_store.corrections(
            session, [face["id"]])
    unassigned = client.get("/api/v1/faces/unassigned?limit=1000", headers=ALICE).json
    assert face["id"] in {f["id"] for f in unassigned["items"]}
    assert client.post(f"/api/v1/faces/{face['id']}/reject", headers=ALICE).status_code == 409
    assert client.put(f"/api/v1/faces/{face['id']}/person", json={"person_id": 10**9},
                      headers=ALICE).status_code == 404
    assert client.get(f"/api/v1/faces/{face['id']}", headers=BOB).status_code == 404


def test_split_merge_delete(client) -> None:
    person = max(_persons(client), key=lambda p: p["faces"])
    faces = client.get(f"/api/v1/persons/{person['id']}/faces", headers=ALICE).json["items"]
    split = client.post("/api/v1/persons/split", json={"faces": [faces[0]["id"]],
                                                        "name": "Split Off"}, headers=ALICE)
    assert split.status_code == 201 and split.json["faces"] == 1
    assert split.json["name"] == "Split Off"
    after = client.get(f"/api/v1/persons/{person['id']}", headers=ALICE).json
    assert after["faces"] == person["faces"] - 1
    merged = client.post(f"/api/v1/persons/{person['id']}/merge",
                         json={"other": split.json["id"]}, headers=ALICE)
    assert merged.status_code == 200 and merged.json["faces"] == person["faces"]
    assert client.get(f"/api/v1/persons/{split.json['id']}", headers=ALICE).status_code == 404
    assert client.post(f"/api/v1/persons/{person['id']}/merge", json={"other": person["id"]},
                       headers=ALICE).status_code == 400
    created = client.post("/api/v1/persons", json={"name": "Nobody Yet"}, headers=ALICE)
    assert created.status_code == 201 and created.json["faces"] == 0
    assert client.delete(f"/api/v1/persons/{person['id']}", headers=ALICE).status_code == 204
    assert client.get(f"/api/v1/persons/{person['id']}", headers=ALICE).status_code == 404
    unassigned = {f["id"] for f in client.get("/api/v1/faces/unassigned?limit=1000",
                                              headers=ALICE).json["items"]}
    assert {f["id"] for f in faces} <= unassigned
    assert client.post("/api/v1/persons/split", json={"faces": []},
                       headers=ALICE).status_code == 400
