"""Search ranking on a store of generated rows: the bounded paths (one term's best rows above
a confidence floor, a capped total, terms ordered by capped sizes) give the full ranking."""

from __future__ import annotations

import random

import pytest

from recognize.store import Store, accounts, photos, tag_removals
from recognize.store import search as search_store
from recognize.store.models import Tag
from recognize.store.photos import FoundFile

N_PHOTOS = 120


@pytest.fixture(scope="module")
def ranked_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('ranking') / 's.db'}")
    rng = random.Random(3)
    with store.session() as session:
        mount = accounts.sync(session, [("alice", False)], [("m", "/photos", ["alice"])])["m"]
        ids = photos.add_files(session, mount.id, [FoundFile(f"p/{i}.jpg", 100 + i, 1, f"f{i}")
                                                   for i in range(N_PHOTOS)], ["media"])
        tags = {}
        for name, synset in (("retriever", "n1"), ("collie", "n2"), ("dog", "n3"),
                             ("beach", None), ("bob x", None)):
            tag = Tag(name=name, kind="person" if name == "bob x" else "classifier",
                      synset=synset)
            session.add(tag)
            session.flush()
            tags[name] = tag.id
        for pid in ids:  # confidences on a coarse grid: ties across floors and photos
            for name in ("retriever", "collie", "dog"):
                if rng.random() < 0.7:
                    tag_removals.set_for_everyone(session, pid, tags[name], rng.choice(
                        [0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.4, 0.2, 0.1, 0.05]), "test")
            if rng.random() < 0.5:
                tag_removals.set_for_everyone(session, pid, tags["beach"], 1.0, "test")
            if rng.random() < 0.3:
                tag_removals.set_for_everyone(session, pid, tags["bob x"], 0.9, "test")
        alice = accounts.user_id(session, "alice") or 0
        for pid in ids[::9]:  # alice took some off: her tombstones hide them from her
            tag_removals.untag(session, alice, pid, tags["collie"])
    return store


def _expand(phrase: str) -> set[str]:
    return {"n1", "n2", "n3"} if phrase == "dog" else set()


def _search(store: Store, query: str, **paging: object) -> search_store.SearchResult:
    with store.reading() as session:
        viewer = accounts.viewer(session, accounts.user_id(session, "alice") or 0)
        return search_store.search(session, viewer.owner_ids, viewer.mount_ids, query, _expand,
                                   user_id=viewer.user_id, **paging)  # type: ignore[arg-type]


@pytest.mark.parametrize("query", ["dog", "collie", "beach", "dog beach", "beach dog -bob"])
@pytest.mark.parametrize(("offset", "limit"), [(0, 1), (0, 7), (5, 20), (40, 50), (110, 50)])
def test_pages_are_slices_of_the_full_ranking(ranked_store: Store, query: str, offset: int,
                                              limit: int) -> None:
    full = _search(ranked_store, query)
    assert full.total == len(full.photo_ids) > 0 and not full.total_is_lower_bound
    page = _search(ranked_store, query, offset=offset, limit=limit)
    assert page.photo_ids == full.photo_ids[offset:offset + limit]
    assert page.scores == full.scores[offset:offset + limit]
    assert page.total == full.total and not page.total_is_lower_bound


def test_one_term_total_is_a_lower_bound_past_the_margin(ranked_store: Store) -> None:
    full = _search(ranked_store, "dog")
    assert full.total > 30
    page = _search(ranked_store, "dog", offset=5, limit=10, total_margin=10)
    assert page.photo_ids == full.photo_ids[5:15]
    assert page.total == 25 and page.total_is_lower_bound
    exact = _search(ranked_store, "dog", offset=5, limit=10, total_margin=full.total - 15)
    assert exact.total == full.total and not exact.total_is_lower_bound


@pytest.mark.parametrize("query", ["dog beach", "beach dog -bob", "collie -beach -bob", "dog -bob",
                                   "beach collie retriever"])
def test_checks_from_lists_or_per_candidate_find_the_same(ranked_store: Store, query: str) -> None:
    """The other terms and exclusions are checked from a list of their photos or from each
    candidate's rows, by their size against the driver's: either way, the same ranking."""
    default = _search(ranked_store, query, limit=50)
    assert default.total > 0
    for ratio in (0, 10**6):  # never a list, always a list
        other = _search(ranked_store, query, limit=50, list_ratio=ratio)
        assert (other.photo_ids, other.scores, other.total) == (
            default.photo_ids, default.scores, default.total)
