"""The objects stage (one entry of the stage list) on real photos."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from recognize.config import Settings
from recognize.errors import ModelError
from recognize.inference.base import load_manifest
from recognize.inference.objects import ObjectTag, object_tags
from recognize.jobs.stages import STAGES, Work, stage_names
from recognize.jobs.stages.objects import count_tags
from tests.conftest import MODELS_CACHE, shared


def test_objects_is_one_entry_off_by_default() -> None:
    assert "objects" in [e.name for e in STAGES]
    assert "objects" not in stage_names(Settings())
    assert "objects" in stage_names(Settings(objects={"enabled": True}))


def test_people_are_counted_from_two() -> None:
    rows = count_tags([ObjectTag("person", 0.8, 3), ObjectTag("dog", 0.6, 1)])
    assert ("3 people", "object", 0.8) in rows and ("dog", "object", 0.6) in rows
    assert count_tags([ObjectTag("person", 0.7, 1)]) == [("person", "object", 0.7)]


@pytest.mark.heavy
@pytest.mark.slow
def test_the_stage_tags_a_group_photo() -> None:
    import pyvips

    try:
        load_manifest()["nanodet"].verified_path()
    except ModelError as exc:
        pytest.skip(str(exc))
    settings = Settings(objects={"enabled": True}, inference={"cache_dir": str(MODELS_CACHE)})
    stage = next(e for e in STAGES if e.name == "objects").build(settings)
    photo = shared("faces") / "groups/facerec__two_people.jpg"
    pixels = pyvips.Image.thumbnail(str(photo), 1024, size="down").numpy()
    work = Work(claim=SimpleNamespace(photo_id=1))  # type: ignore[arg-type]
    work.outputs["media"] = SimpleNamespace(pixels=pixels)
    rows = count_tags(object_tags(stage.compute(work), stage.min_score))
    assert ("2 people", "object") in [(n, k) for n, k, _ in rows]
    assert "person" in [n for n, _, _ in rows]


@pytest.mark.heavy
@pytest.mark.slow
def test_boxes_are_stored_and_shown_to_owners_only(tmp_path: Any, password_hash: str) -> None:
    """A real scan with the objects stage on a group photo: its person boxes are stored and
    the photo's API answer lists them for alice; bob (not an owner) gets 404."""
    import base64
    import shutil

    from recognize import config as config_mod
    from recognize.api import create_app
    from recognize.jobs.scan import scan
    from recognize.store.opening import open_store
    from tests.conftest import TEST_PASSWORD, write_config

    try:
        load_manifest()["nanodet"].verified_path()
    except ModelError as exc:
        pytest.skip(str(exc))
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(shared("faces") / "groups/facerec__two_people.jpg", photos / "two.jpg")
    path = write_config(tmp_path, {"photos": photos}, password_hash,
                        faces={"enabled": False}, tags={"enabled": False},
                        objects={"enabled": True}, inference={"cache_dir": str(MODELS_CACHE)})
    settings = config_mod.load(path)
    store = open_store(settings)
    scan(settings, store)
    client = create_app(settings, store).test_client()

    def auth(user: str) -> dict[str, str]:
        token = base64.b64encode(f"{user}:{TEST_PASSWORD}".encode()).decode()
        return {"Authorization": "Basic " + token}

    listing = client.get("/api/v1/photos", headers=auth("alice")).get_json()
    photo_id = listing["items"][0]["id"]
    answer = client.get(f"/api/v1/photos/{photo_id}", headers=auth("alice"))
    assert answer.status_code == 200
    objects = answer.get_json()["objects"]
    people = [o for o in objects if o["label"] == "person"]
    assert len(people) >= 2, objects
    for o in objects:
        x0, y0, x1, y1 = o["box"]
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
        assert o["score"] >= settings.objects.min_score
    assert [o["score"] for o in objects] == sorted((o["score"] for o in objects), reverse=True)
    assert "2 people" in [t["name"] for t in answer.get_json()["tags"]]
    assert client.get(f"/api/v1/photos/{photo_id}", headers=auth("bob")).status_code == 404
