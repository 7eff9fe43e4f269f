"""A classifier tag the user took off a photo stays off when the photo is classified again."""

from __future__ import annotations

import base64

from sqlalchemy import select

from recognize.store import photos as photo_store
from recognize.store import tag_removals
from recognize.store import tags as tag_store
from recognize.store.accounts import viewer
from recognize.store.models import TagRemoval
from tests.conftest import TEST_PASSWORD

AUTH = {"Authorization": "Basic " + base64.b64encode(f"alice:{TEST_PASSWORD}".encode()).decode()}


def classify(store, photo: int) -> set[str]:
    """What the tags stage saves for a photo (recognize/jobs/stages/tags.py's save)."""
    with store.session() as session:
        photo_store.set_tags(session, photo, [("dog", "classifier", 0.9),
                                              ("animal", "classifier", 0.95)],
                             source="classifier", synsets={"dog": ("n02084071", "animal")})
    with store.reading() as session:
        return {t["name"] for t in tag_store.tags_of(session, [photo], viewer(session, 1))[photo]
                if t["kind"] == "classifier"}


def tombstones(session, photo: int) -> set[int]:
    return set(session.scalars(select(TagRemoval.tag_id).where(TagRemoval.photo_id == photo)))


def tag_id(store, name: str) -> int:
    with store.reading() as session:
        return photo_store.tag_id_for(session, name, "classifier")


def test_removed_classifier_tag_never_comes_back(demo_store) -> None:
    from recognize.api import create_app

    settings, store, photo = demo_store
    assert classify(store, photo) == {"dog", "animal"}
    client = create_app(settings, store).test_client()
    dog = tag_id(store, "dog")
    assert client.delete(f"/api/v1/photos/{photo}/tags/{dog}", headers=AUTH).status_code == 204
    assert client.delete(f"/api/v1/photos/{photo}/tags/{dog}", headers=AUTH).status_code == 404
    assert classify(store, photo) == {"animal"}  # classified again: dog stays off
    assert classify(store, photo) == {"animal"}
    # the user tags it again by hand: the tombstone goes, and classifying keeps it
    answer = client.post(f"/api/v1/photos/{photo}/tags", json={"tag_id": dog}, headers=AUTH)
    assert answer.status_code == 201
    with store.reading() as session:
        assert tombstones(session, photo) == set()
    assert classify(store, photo) == {"dog", "animal"}


def test_user_tags_leave_no_tombstone(demo_store) -> None:
    _settings, store, photo = demo_store

    with store.session() as session:
        holiday = tag_store.create_user_tag(session, 1, "holiday")
        tag_removals.tag(session, 1, photo, holiday)
    with store.session() as session:
        assert tag_removals.untag(session, 1, photo, holiday)
        assert not tag_removals.untag(session, 1, photo, holiday)  # already off
        assert tombstones(session, photo) == set()


def test_removed_object_tag_never_comes_back(demo_store) -> None:
    """The objects stage's tags ("dog", "3 people") stick the same way."""
    from recognize.api import create_app

    settings, store, photo = demo_store

    def detect() -> set[str]:  # what the objects stage saves (stages/objects.py)
        with store.session() as session:
            photo_store.set_tags(session, photo, [("dog", "object", 0.8),
                                                  ("3 people", "object", 0.7)], source="objects")
        with store.reading() as session:
            return {t["name"] for t in tag_store.tags_of(session, [photo], viewer(session, 1))[photo]
                    if t["kind"] == "object"}

    assert detect() == {"dog", "3 people"}
    with store.reading() as session:
        people = photo_store.tag_id_for(session, "3 people", "object")
    client = create_app(settings, store).test_client()
    assert client.delete(f"/api/v1/photos/{photo}/tags/{people}", headers=AUTH).status_code == 204
    assert detect() == {"dog"}
