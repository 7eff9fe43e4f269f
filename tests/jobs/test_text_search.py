"""Words the text stage saves: found by search (API glue and WebDAV alike), not in tags/."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from recognize import config as config_mod
from recognize.demo import write_demo_photos
from recognize.jobs.scan import scan
from recognize.jobs.search import search_photos
from recognize.jobs.stages import Work
from recognize.jobs.stages.text import TextStage
from recognize.store import photos as photo_store
from recognize.store import tags as tag_store
from recognize.store.opening import open_store
from tests.conftest import write_config


@pytest.fixture
def indexed(tmp_path, password_hash: str):
    write_demo_photos(tmp_path / "photos")
    path = write_config(tmp_path, {"demo": tmp_path / "photos"}, password_hash,
                        faces={"enabled": False}, tags={"enabled": False})
    settings = config_mod.load(path)
    store = open_store(settings)
    scan(settings, store)
    with store.reading() as session:
        photo = photo_store.list_photos(session, photo_store.PhotoFilter(
            mount_ids=[1]), offset=0, limit=1)[1][0].id
    return settings, store, photo


def test_a_read_word_is_searchable_and_not_a_folder(indexed) -> None:
    settings, store, photo = indexed
    stage = object.__new__(TextStage)  # save only: no model is read
    with store.session() as session:
        stage.save(session, Work(claim=SimpleNamespace(photo_id=photo)),  # type: ignore[arg-type]
                   [("coffee", 0.9), ("2019", 0.8)])
    assert search_photos(settings, store, "alice", "coffee").photo_ids == [photo]
    assert search_photos(settings, store, "alice", "Coffee").photo_ids == [photo]
    with store.reading() as session:
        names = {g.name for g in tag_store.tags(session, 1, [1])}
        assert "coffee" not in names
        assert "coffee" not in {g.name for g in tag_store.tag_list(session, 1, [1])}
