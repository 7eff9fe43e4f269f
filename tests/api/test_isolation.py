"""Two users on one server: alice and bob, a mount each, a ``family`` mount owned by both and a
``together`` mount whose owners share persons. One user never sees or changes another's
persons, names, tags or corrections (issue 10, items 1, 2 and 4)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from recognize import config as config_mod
from recognize.jobs.persons import cluster_user
from recognize.jobs.scan import scan
from recognize.store.opening import open_store
from tests.api.conftest import ALICE, BOB, World
from tests.conftest import MODELS_CACHE, shared

pytestmark = pytest.mark.slow  # real models or real server processes: make test runs it

FAMILY = {"angelina_jolie": 4, "compreface_person_a": 4}


def _copy(identities: Path, folder: Path, people: dict[str, int]) -> None:
    for person, n in people.items():
        (folder / person).mkdir(parents=True)
        for f in sorted((identities / person).iterdir())[:n]:
            shutil.copy(f, folder / person / f.name)  # a test-time copy, not in the project


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory, password_hash: str) -> World:
    identities = shared("faces") / "identities"
    folder = tmp_path_factory.mktemp("two-users")
    _copy(identities, folder / "alice", {"barack_obama": 2})
    _copy(identities, folder / "bob", {"mark_zuckerberg": 2})
    _copy(identities, folder / "family", FAMILY)
    _copy(identities, folder / "together", {"jennifer_aniston": 3})
    users = [{"name": n, "password_hash": password_hash} for n in ("alice", "bob")]
    mounts = [{"name": "alice", "path": str(folder / "alice"), "owners": ["alice"]},
              {"name": "bob", "path": str(folder / "bob"), "owners": ["bob"]},
              {"name": "family", "path": str(folder / "family"), "owners": ["alice", "bob"]},
              {"name": "together", "path": str(folder / "together"), "owners": ["alice", "bob"],
               "share_persons": True}]
    path = folder / "recognize.toml"
    path.write_text(tomli_w.dumps({
        "store": {"data_dir": str(folder / "var")},
        "inference": {"cache_dir": str(MODELS_CACHE)}, "users": users, "mounts": mounts,
        "tags": {"enabled": False}}))
    settings = config_mod.load(path)
    store = open_store(settings)
    scan(settings, store)
    return World(folder, path, settings, store)


def _get(client: Any, url: str, who: dict[str, str]) -> Any:
    response = client.get(url, headers=who)
    assert response.status_code == 200, (url, response.json)
    return response.json


def _biggest_person(client: Any, who: dict[str, str], mount: str) -> dict[str, Any]:
    """The person with most faces among ``mount``'s photos, in ``who``'s eyes."""
    photos = {p["id"] for p in _get(client, f"/api/v1/photos?mount={mount}&limit=1000",
                                    who)["items"]}
    persons = _get(client, "/api/v1/persons?limit=1000", who)["items"]
    best = max((p for p in persons if p["cover"] and p["cover"]["photo_id"] in photos),
               key=lambda p: p["faces"])
    return best


def _faces_of(client: Any, who: dict[str, str], person_id: int) -> set[int]:
    items = _get(client, f"/api/v1/persons/{person_id}/faces?limit=1000", who)["items"]
    return {f["id"] for f in items}


def test_each_owner_clusters_their_own_persons(two: World) -> None:
    client = two.client()
    bobs = _biggest_person(client, BOB, "family")
    named = client.patch(f"/api/v1/persons/{bobs['id']}", json={"name": "Auntie"}, headers=BOB)
    assert named.status_code == 200
    faces = _faces_of(client, BOB, bobs["id"])
    bob_ids = {p["id"] for p in _get(client, "/api/v1/persons?limit=1000", BOB)["items"]}
    for full in (True, False):  # alice clusters (today: took every face of bob's)
        cluster_user(two.settings, two.store, "alice", full=full)
        assert _faces_of(client, BOB, bobs["id"]) == faces
        assert {p["id"] for p in _get(client, "/api/v1/persons?limit=1000", BOB)["items"]} \
            == bob_ids
    cluster_user(two.settings, two.store, "bob", full=True)
    assert _get(client, f"/api/v1/persons/{bobs['id']}", BOB)["name"] == "Auntie"
    assert _faces_of(client, BOB, bobs["id"]) == faces
    # alice sees the same faces in a person of her own, unnamed by bob's word
    alices = _biggest_person(client, ALICE, "family")
    assert alices["id"] != bobs["id"] and alices["name"] != "Auntie"
    assert _faces_of(client, ALICE, alices["id"]) == faces
    # alice's correction stays hers
    face = min(faces)
    out = client.post(f"/api/v1/faces/{face}/reject", headers=ALICE)
    assert out.status_code == 200 and out.json["person_id"] is None
    assert face in _faces_of(client, BOB, bobs["id"])
    assert _get(client, f"/api/v1/faces/{face}", BOB)["person_id"] == bobs["id"]


def test_other_users_names_and_tags_do_not_leak(two: World) -> None:
    client = two.client()
    bobs = _biggest_person(client, BOB, "family")
    client.patch(f"/api/v1/persons/{bobs['id']}", json={"name": "Auntie"}, headers=BOB)
    photo = next(iter(_get(client, "/api/v1/photos?mount=family", ALICE)["items"]))["id"]
    tagged = client.post(f"/api/v1/photos/{photo}/tags", json={"name": "bobs-secret"},
                         headers=BOB)
    assert tagged.status_code == 201
    bob_tag = next(t["id"] for t in tagged.json["items"] if t["name"] == "bobs-secret")
    seen_by_bob = {t["name"] for t in _get(client, f"/api/v1/photos/{photo}", BOB)["tags"]}
    assert "bobs-secret" in seen_by_bob
    for url in (f"/api/v1/photos/{photo}", f"/api/v1/photos/{photo}/tags"):
        body = client.get(url, headers=ALICE).get_data(as_text=True)
        assert "bobs-secret" not in body and "Auntie" not in body, url
    listing = client.get("/api/v1/photos?limit=1000", headers=ALICE).get_data(as_text=True)
    assert "bobs-secret" not in listing and "Auntie" not in listing
    for query in ("bobs-secret", "auntie"):
        found = _get(client, f"/api/v1/search?q={query}", ALICE)
        assert found["total"] == 0 and found["unknown"], query
    assert _get(client, "/api/v1/search?q=auntie", BOB)["total"] > 0
    # another user's ids as filters reveal nothing
    assert client.get(f"/api/v1/photos?tag={bob_tag}", headers=ALICE).status_code == 404
    assert client.get(f"/api/v1/photos?person={bobs['id']}", headers=ALICE).status_code == 404
    assert client.get(f"/api/v1/persons/{bobs['id']}", headers=ALICE).status_code == 404


def _bob_state(two: World) -> tuple[Any, ...]:
    import sqlite3

    db = sqlite3.connect(two.settings.store.data_dir / "recognize.db")
    try:
        bob = db.execute("SELECT id FROM users WHERE name = 'bob'").fetchone()[0]
        return (
            db.execute("SELECT id, name, deleted, user_id FROM persons WHERE user_id = ? "
                       "ORDER BY id", (bob,)).fetchall(),
            db.execute("SELECT face_id, person_id, assigned_by FROM face_persons WHERE "
                       "user_id = ? ORDER BY face_id", (bob,)).fetchall(),
            db.execute("SELECT c.face_id, c.person_id, c.kind FROM face_corrections c JOIN "
                       "persons p ON p.id = c.person_id WHERE p.user_id = ? ORDER BY c.id",
                       (bob,)).fetchall(),
            db.execute("SELECT id, name FROM tags WHERE user_id = ? ORDER BY id", (bob,)).fetchall(),
            db.execute("SELECT photo_id, tag_id FROM photo_tags ORDER BY photo_id, tag_id")
            .fetchall(),
        )
    finally:
        db.close()


def test_every_write_route_refuses_another_users_ids(two: World) -> None:
    client = two.client()
    bob_persons = _get(client, "/api/v1/persons?limit=1000", BOB)["items"]
    bobs = _biggest_person(client, BOB, "bob")  # a person of bob's own mount
    family = _biggest_person(client, BOB, "family")
    bob_face = min(_faces_of(client, BOB, bobs["id"]))  # a face alice cannot see
    family_face = min(_faces_of(client, BOB, family["id"]))  # a face both see
    bob_photo = next(iter(_get(client, "/api/v1/photos?mount=bob", BOB)["items"]))["id"]
    alice_photo = next(iter(_get(client, "/api/v1/photos?mount=alice", ALICE)["items"]))["id"]
    bob_tag = client.post("/api/v1/tags", json={"name": "bob-only"}, headers=BOB).json["id"]
    alice_person = _biggest_person(client, ALICE, "alice")["id"]
    assert bob_persons and bob_face and bob_tag
    before = _bob_state(two)
    attempts = [
        ("put", f"/api/v1/faces/{family_face}/person", {"person_id": family["id"]}),
        ("put", f"/api/v1/faces/{bob_face}/person", {"person_id": alice_person}),
        ("post", f"/api/v1/faces/{family_face}/reject", {"person_id": family["id"]}),
        ("post", f"/api/v1/faces/{bob_face}/reject", {}),
        ("patch", f"/api/v1/persons/{family['id']}", {"name": "Mine now"}),
        ("delete", f"/api/v1/persons/{family['id']}", None),
        ("post", f"/api/v1/persons/{alice_person}/merge", {"other": family["id"]}),
        ("post", f"/api/v1/persons/{family['id']}/merge", {"other": alice_person}),
        ("post", "/api/v1/persons/split", {"faces": [bob_face]}),
        ("patch", f"/api/v1/tags/{bob_tag}", {"name": "stolen"}),
        ("delete", f"/api/v1/tags/{bob_tag}", None),
        ("post", f"/api/v1/photos/{bob_photo}/tags", {"name": "mine"}),
        ("post", f"/api/v1/photos/{alice_photo}/tags", {"tag_id": bob_tag}),
        ("delete", f"/api/v1/photos/{bob_photo}/tags/{bob_tag}", None),
    ]
    for method, url, data in attempts:
        kwargs = {"json": data} if data is not None else {}
        response = getattr(client, method)(url, headers=ALICE, **kwargs)
        assert response.status_code in (403, 404), (method, url, response.status_code,
                                                     response.json)
    assert _bob_state(two) == before


def test_a_mount_can_share_its_persons(two: World) -> None:
    client = two.client()
    alices = _biggest_person(client, ALICE, "together")
    bobs = _biggest_person(client, BOB, "together")
    assert alices["id"] == bobs["id"]  # one set of persons for both owners
    assert client.patch(f"/api/v1/persons/{alices['id']}", json={"name": "Jen"},
                        headers=ALICE).status_code == 200
    assert _get(client, f"/api/v1/persons/{bobs['id']}", BOB)["name"] == "Jen"
    assert _get(client, "/api/v1/search?q=jen", BOB)["total"] > 0
    # its faces never go into a person of alice's own mounts
    face = min(_faces_of(client, ALICE, alices["id"]))
    own = _biggest_person(client, ALICE, "alice")["id"]
    moved = client.put(f"/api/v1/faces/{face}/person", json={"person_id": own}, headers=ALICE)
    assert moved.status_code == 409 and "share" in moved.json["error"]["message"]
