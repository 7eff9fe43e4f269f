"""Search words: nouns outside the class table go up to it, scene rules, the real map."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recognize.inference.wordnet_words import load_words, scene_rules, write_words
from recognize.jobs.search import WordIndex

SYNSETS = {  # a toy class table: animal > dog > {labrador, collie}; seashore
    "n1": {"id": "animal.n.01", "lemmas": ["animal"], "count": 9, "parents": []},
    "n2": {"id": "dog.n.01", "lemmas": ["dog"], "count": 9, "parents": ["n1"]},
    "n3": {"id": "labrador.n.01", "lemmas": ["labrador"], "count": 1, "parents": ["n2"]},
    "n4": {"id": "collie.n.01", "lemmas": ["collie"], "count": 1, "parents": ["n2"]},
    "n5": {"id": "seashore.n.01", "lemmas": ["seashore"], "count": 3, "parents": []},
}


def test_nouns_go_up_to_the_table_then_down() -> None:
    index = WordIndex(SYNSETS, {"puppy": ["n2"], "dog": ["n1"]}, {"beach": ["seashore.n.01"]})
    assert index.expand("puppy") == {"n2", "n3", "n4"}  # puppy -> dog -> every dog
    assert index.expand("dog") == {"n2", "n3", "n4"}  # the table's own sense wins
    assert index.expand("beach") == {"n5"}
    assert index.expand("qwerty") == frozenset()


def test_scene_rules_name_real_synsets() -> None:
    rules = scene_rules()
    assert {"seashore.n.01", "sandbar.n.01"} <= set(rules["beach"])
    assert {"alp.n.01", "volcano.n.02", "valley.n.01"} <= set(rules["mountain"])
    assert {"ski.n.01", "snowmobile.n.01"} <= set(rules["snow"])


def test_cached_map_is_keyed_by_its_table(tmp_path: Path) -> None:
    write_words(tmp_path, "k1", {"puppy": ["n2"]})
    assert load_words(tmp_path, "k1") == {"puppy": ["n2"]}
    assert load_words(tmp_path, "k2") is None  # another table: built again
    assert json.loads((tmp_path / "search_words.json").read_text())["key"].endswith("k1")


@pytest.mark.slow
def test_real_wordnet_nouns() -> None:
    """The real map from Debian's WordNet (half a minute or more to build: in the session's
    model cache, so the search tests read the same map)."""
    from recognize.inference.wordnet_table import load_class_table
    from recognize.inference.wordnet_words import prepare_words
    from recognize.jobs.search import table_key
    from tests.conftest import MODELS_CACHE

    models = MODELS_CACHE
    try:
        table = load_class_table(models)
    except Exception as exc:  # pragma: no cover - needs wordnet-base and timm's class list
        pytest.skip(f"no WordNet class table here: {exc}")
    words = prepare_words(models, table_key(models))
    index = WordIndex(table.synsets, words, scene_rules())
    dogs = index.expand("dog")
    assert dogs and index.expand("puppy") == dogs and index.expand("pooch") == dogs
    assert index.expand("automobile") == index.expand("car") != frozenset()
    assert index.expand("doggy") == dogs
    seashore = {k for k, v in table.synsets.items() if v["id"] == "seashore.n.01"}
    assert seashore <= index.expand("beach")


@pytest.mark.slow
def test_search_builds_the_map_apart_then_finds_the_nouns(tmp_path: Path) -> None:
    """A models folder with the class table but no word map: search starts without the nouns,
    a child process builds the map (so the requests keep the interpreter), and the next
    search after it has them."""
    import shutil
    import time

    from recognize.inference.wordnet_table import TABLE_FILE, load_class_table
    from recognize.jobs.search import word_index
    from tests.conftest import MODELS_CACHE

    try:
        load_class_table(MODELS_CACHE)
    except Exception as exc:  # pragma: no cover - needs wordnet-base and timm's class list
        pytest.skip(f"no WordNet class table here: {exc}")
    shutil.copy(MODELS_CACHE / TABLE_FILE, tmp_path / TABLE_FILE)
    first = word_index(tmp_path)
    assert first is not None and first.expand("dog") and not first.expand("puppy")
    deadline = time.monotonic() + 600
    index = first
    while index is first and time.monotonic() < deadline:
        time.sleep(0.5)
        index = word_index(tmp_path)
    assert index is not None and index is not first
    assert index.expand("puppy") == index.expand("dog")
    assert (tmp_path / "search_words.json").is_file()
