"""Search and tags on real classifier output (ImageNet photos), dates, places, cameras."""

from __future__ import annotations

import pytest

from tests.api.conftest import ALICE, BOB
from tests.conftest import TEST_PASSWORD


def _names(data: dict) -> list[str]:
    return [item["name"] for item in data["items"]]


def test_dog_finds_the_dog_breeds_the_classifier_tagged(client) -> None:
    data = client.get("/api/v1/search?q=dog", headers=ALICE).json
    names = _names(data)
    assert "n02099712_Labrador_retriever.jpg" in names and "n02106166_Border_collie.jpg" in names
    assert not any("bulbul" in n or "volcano" in n for n in names)
    scores = [i["score"] for i in data["items"]]
    assert scores == sorted(scores, reverse=True)
    assert any("Labrador" in m or "Border collie" in m for m in data["terms"][0]["matches"])
    assert data["total"] == len(names) and data["total_is_lower_bound"] is False


def test_hypernyms_phrases_plurals_and_and(client) -> None:
    animals = _names(client.get("/api/v1/search?q=animal", headers=ALICE).json)
    assert "n01560419_bulbul.jpg" in animals and "n02111277_Newfoundland.jpg" in animals
    phrase = client.get("/api/v1/search?q=labrador retriever", headers=ALICE).json
    assert _names(phrase) == ["n02099712_Labrador_retriever.jpg"]
    assert phrase["terms"][0]["text"] == "labrador retriever"
    assert set(_names(client.get("/api/v1/search?q=dogs", headers=ALICE).json)) \
        == set(_names(client.get("/api/v1/search?q=dog", headers=ALICE).json))
    both = client.get("/api/v1/search?q=dog bird", headers=ALICE).json
    assert both["total"] == 0 and not both["unknown"]


def test_dates_places_cameras(client) -> None:
    def names(q: str) -> list[str]:
        return _names(client.get(f"/api/v1/search?q={q}", headers=ALICE).json)

    assert names("2020") == ["lake.jpg"]
    assert names("august 2020") == ["lake.jpg"] == names("2020-08") == names("aug")
    assert names("zermatt") == ["lake.jpg"] == names("switzerland 2020")
    assert names("nikon") == ["lake.jpg"]
    assert names("london")


def test_unknown_terms_give_an_empty_result(client) -> None:
    data = client.get("/api/v1/search?q=dog qwertyuiop", headers=ALICE).json
    assert data["unknown"] == ["qwertyuiop"] and data["total"] == 0 and data["items"] == []
    assert client.get("/api/v1/search?q=", headers=ALICE).status_code == 400
    assert client.get("/api/v1/search?q=dog", headers=BOB).json["total"] == 0


def test_minus_excludes_and_seasons_are_dates(client) -> None:
    def names(q: str) -> list[str]:
        return _names(client.get(f"/api/v1/search?q={q}", headers=ALICE).json)

    animals = names("animal")
    without_dogs = names("animal -dog")
    assert "n01560419_bulbul.jpg" in without_dogs
    assert not any("retriever" in n or "collie" in n for n in without_dogs)
    assert set(without_dogs) < set(animals)
    assert names("animal -qwertyuiop") == animals  # an unknown exclusion excludes nothing
    summer, winter = names("summer"), names("winter")
    assert {"sunrise.jpg", "lake.jpg"} <= set(summer)  # 2019-06-21, 2020-08-02
    assert "night.jpg" in winter and "night.jpg" not in summer  # 2022-12-24
    assert "sunrise.jpg" in names("summer 2019") and "lake.jpg" not in names("summer 2019")
    assert names("summer 2020") == ["lake.jpg"]
    assert names("mountain") == ["n09472597_volcano.jpg"]
    data = client.get("/api/v1/search?q=animal -dog", headers=ALICE).json
    assert [t["text"] for t in data["excluded"]] == ["dog"]


def test_dav_search_and_the_api_agree(world) -> None:
    """Both ask recognize.jobs.search.find: the same photos in the same order."""
    from recognize.jobs.search import find, search_photos
    from recognize.store import accounts

    for query in ("dog", "animal -dog", "summer", "zermatt 2020", "mountain"):
        api = search_photos(world.settings, world.store, "alice", query, limit=1000)
        with world.store.reading() as session:
            viewer = accounts.viewer(session, accounts.user_id(session, "alice") or 0)
            dav = find(world.settings, session, viewer, query, limit=1000)
        assert api.photo_ids == dav.photo_ids and api.photo_ids, query


def test_tag_list_counts_and_kinds(client) -> None:
    data = client.get("/api/v1/tags?limit=1000", headers=ALICE).json
    by_name = {t["name"]: t for t in data["items"]}
    assert by_name["dog"]["photos"] >= 2 and by_name["dog"]["kind"] == "classifier"
    assert by_name["dog"]["synset"] == "n02084071" and by_name["dog"]["parent"] == "animal"
    assert data["total"] == len(data["items"])
    dates = client.get("/api/v1/tags?kind=date", headers=ALICE).json["items"]
    assert dates and all(t["kind"] == "date" for t in dates)
    assert client.get("/api/v1/tags?q=do", headers=ALICE).json["items"][0]["name"].lower() \
        .startswith("do")
    assert client.get("/api/v1/tags", headers=BOB).json["total"] == 0
    one = client.get(f"/api/v1/tags/{by_name['dog']['id']}", headers=ALICE).json
    assert one["name"] == "dog"


def test_user_tags_and_read_only_kinds(client) -> None:
    created = client.post("/api/v1/tags", json={"name": "holiday"}, headers=ALICE)
    assert created.status_code == 201 and created.json["editable"] is True
    tag_id = created.json["id"]
    assert client.post("/api/v1/tags", json={"name": "holiday"}, headers=ALICE).status_code == 409
    renamed = client.patch(f"/api/v1/tags/{tag_id}", json={"name": "summer"}, headers=ALICE)
    assert renamed.status_code == 200 and renamed.json["name"] == "summer"
    dog = client.get("/api/v1/tags?q=dog&kind=classifier", headers=ALICE).json["items"][0]
    refused = client.patch(f"/api/v1/tags/{dog['id']}", json={"name": "x"}, headers=ALICE)
    assert refused.status_code == 403 and "classifier" in refused.json["error"]["message"]
    assert client.delete(f"/api/v1/tags/{dog['id']}", headers=ALICE).status_code == 403
    assert client.delete(f"/api/v1/tags/{tag_id}", headers=BOB).status_code == 404
    assert client.delete(f"/api/v1/tags/{tag_id}", headers=ALICE).status_code == 204
    assert client.get(f"/api/v1/tags/{tag_id}", headers=ALICE).status_code == 404
    assert client.post("/api/v1/tags", json={"name": ""}, headers=ALICE).status_code == 400


def test_photo_tags_add_remove_and_search_them(client) -> None:
    volcano = client.get("/api/v1/search?q=volcano", headers=ALICE).json["items"][0]["id"]
    listed = "/api/v1/tags?q=iceland"  # the list is reused until the store changes
    assert client.get(listed, headers=ALICE).json["total"] == 0
    # the words' resolution is reused until the store changes: adding the tag is a change
    assert client.get("/api/v1/search?q=iceland trip", headers=ALICE).json["unknown"]
    added = client.post(f"/api/v1/photos/{volcano}/tags",
                        json={"name": "iceland trip", "confidence": 0.7, "source": "script"},
                        headers=ALICE)
    assert added.status_code == 201
    mine = next(t for t in added.json["items"] if t["name"] == "iceland trip")
    assert mine["confidence"] == 0.7 and mine["source"] == "script" and mine["kind"] == "user"
    found = client.get("/api/v1/search?q=iceland trip", headers=ALICE).json
    assert [i["id"] for i in found["items"]] == [volcano]
    assert client.get(f"/api/v1/photos?tag={mine['id']}", headers=ALICE).json["total"] == 1
    assert [t["photos"] for t in client.get(listed, headers=ALICE).json["items"]] == [1]
    year = client.get("/api/v1/tags?kind=date", headers=ALICE).json["items"][0]["id"]
    assert client.post(f"/api/v1/photos/{volcano}/tags", json={"tag_id": year},
                       headers=ALICE).status_code == 403
    assert client.post(f"/api/v1/photos/{volcano}/tags", json={"name": "x", "confidence": 2},
                       headers=ALICE).status_code == 400
    gone = client.delete(f"/api/v1/photos/{volcano}/tags/{mine['id']}", headers=ALICE)
    assert gone.status_code == 204
    assert [t["photos"] for t in client.get(listed, headers=ALICE).json["items"]] == [0]
    assert client.delete(f"/api/v1/photos/{volcano}/tags/{mine['id']}",
                         headers=ALICE).status_code == 404
    assert client.get(f"/api/v1/photos/{volcano}/tags", headers=BOB).status_code == 404


@pytest.mark.heavy
def test_dav_search_folder_over_http_lists_what_the_api_finds(world) -> None:
    """A real server: PROPFIND of ``/dav/search/<query>/`` lists the API's photos, same order."""
    from urllib.parse import quote

    from tests.dav.conftest import Client
    from tests.dav.library import Server

    server = Server(world.config_path)
    try:
        dav, api = Client(server, "alice", TEST_PASSWORD), world.client()
        found = {}
        for query in ("dog", "animal -dog", "summer", "june 2019", "puppy",
                      "dog beach 2019 -bob", "zermatt 2020", "mountain"):
            data = api.get("/api/v1/search", query_string={"q": query, "limit": 1000},
                           headers=ALICE).json
            found[query] = _names(data)
            assert dav.names(f"/dav/search/{quote(query)}/") == found[query], query
        assert found["dog"] and found["animal -dog"] and found["summer"], found
    finally:
        server.stop()
