"""Names users give to persons and tags: NFC, one path segment, never an automatic label."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from tests.api.conftest import ALICE


@pytest.mark.parametrize("name", [".", "..", "Person 7", "person 12", "a\u0000b", "\ud800x"])
def test_unusable_person_names_are_refused(client: Any, name: str) -> None:
    created = client.post("/api/v1/persons", json={"name": name}, headers=ALICE)
    assert created.status_code == 400, created.json
    assert created.json["error"]["message"]


def test_person_and_tag_names_are_stored_nfc(client: Any) -> None:
    decomposed = "Jose\u0301 Mari\u0301a"  # as macOS types it
    person = client.post("/api/v1/persons", json={"name": decomposed}, headers=ALICE)
    assert person.status_code == 201
    assert person.json["name"] == unicodedata.normalize("NFC", decomposed) == "José María"
    again = client.post("/api/v1/persons", json={"name": "José María"}, headers=ALICE)
    assert again.status_code == 409  # the same name, however it was typed
    renamed = client.patch(f"/api/v1/persons/{person.json['id']}", json={"name": "Person 3"},
                           headers=ALICE)
    assert renamed.status_code == 400
    tag = client.post("/api/v1/tags", json={"name": "Cafe\u0301"}, headers=ALICE)
    assert tag.status_code == 201 and tag.json["name"] == "Café"
    assert client.post("/api/v1/tags", json={"name": ".."}, headers=ALICE).status_code == 400
    assert client.delete(f"/api/v1/persons/{person.json['id']}", headers=ALICE).status_code == 204
    assert client.delete(f"/api/v1/tags/{tag.json['id']}", headers=ALICE).status_code == 204
