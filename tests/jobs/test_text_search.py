"""Words the text stage saves: found by search (API glue and WebDAV alike), not in tags/."""

from __future__ import annotations

from types import SimpleNamespace

from recognize.jobs.search import search_photos
from recognize.jobs.stages import Work
from recognize.jobs.stages.text import TextStage
from recognize.store import tags as tag_store


def test_a_read_word_is_searchable_and_not_a_folder(demo_store) -> None:
    settings, store, photo = demo_store
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
