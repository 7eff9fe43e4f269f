"""Tag rules (config/tag_rules.toml) and turning predictions into tags."""

from __future__ import annotations

from pathlib import Path

import pytest

from recognize.errors import ConfigError
from recognize.inference.classify import tags_for
from recognize.inference.classify_rules import DEFAULT_RULES, TagRules, load_tag_rules
from recognize.inference.wordnet import DEBIAN_WORDNET
from recognize.inference.wordnet_table import ClassTable, load_class_table

GOLDEN_RETRIEVER, LABRADOR, BEAGLE = "n02099601", "n02099712", "n02088364"
TABBY, PRISON, SEASHORE, RACER = "n02123045", "n04005630", "n09428293", "n04037443"


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> ClassTable:
    if not (DEBIAN_WORDNET / "data.noun").is_file():
        pytest.skip(f"WordNet is absent from {DEBIAN_WORDNET}")
    path = tmp_path_factory.getbasetemp() / "wordnet-cache"  # shared with test_wordnet.py
    path.mkdir(exist_ok=True)
    return load_class_table(path)


@pytest.fixture(scope="module")
def rules(table: ClassTable) -> TagRules:
    return load_tag_rules(table)


def names(tags: list) -> list[str]:
    return [t.name for t in tags]


def test_shipped_rules_load(rules: TagRules) -> None:
    assert rules.threshold == 0.9 and rules.group_threshold == 0.9 and rules.fallback
    assert PRISON in rules.blocklist
    assert {c.name for c in rules.categories} >= {"dog", "cat", "food", "vehicle", "landscape"}


def test_golden_retriever_gives_dog_and_animal(rules: TagRules) -> None:
    tags = tags_for([(GOLDEN_RETRIEVER, 0.9), (LABRADOR, 0.05)], rules, "classifier:test")
    by_name = {t.name: t for t in tags}
    assert {"golden retriever", "dog", "animal"} <= set(by_name)
    assert "labrador retriever" not in {n.lower() for n in by_name}  # below its threshold
    gr = by_name["golden retriever"]
    assert gr.synset == GOLDEN_RETRIEVER and gr.parent == "dog" and gr.source == "classifier:test"
    assert by_name["dog"].synset == "n02084071" and by_name["dog"].parent == "animal"
    assert by_name["dog"].confidence == pytest.approx(0.95)


def test_many_uncertain_breeds_still_make_a_dog(rules: TagRules) -> None:
    tags = tags_for([(GOLDEN_RETRIEVER, 0.25), (LABRADOR, 0.2), (BEAGLE, 0.15)], rules)
    assert "dog" in names(tags) and "golden retriever" not in names(tags)


def test_alias_category_and_blocklist(rules: TagRules) -> None:
    racer = tags_for([(RACER, 0.8)], rules)
    assert {"race car", "car", "vehicle"} <= set(names(racer))
    assert "racer" not in names(racer)
    assert {"seashore", "beach", "landscape"} <= set(names(tags_for([(SEASHORE, 0.95)], rules)))
    assert tags_for([(PRISON, 0.99)], rules) == []


def test_tags_are_sorted_and_unique(rules: TagRules) -> None:
    tags = tags_for([(TABBY, 0.6), ("n02123159", 0.3)], rules)  # tabby, tiger cat
    assert len(names(tags)) == len(set(names(tags)))
    assert [t.confidence for t in tags] == sorted((t.confidence for t in tags), reverse=True)
    assert "cat" in names(tags)


def test_uncertain_photo_keeps_its_most_probable_tag(rules: TagRules) -> None:
    # a dog at 0.6 (three breeds) and a race car at 0.3: nothing reaches 0.9, so the most
    # probable node — dog, the narrowest of dog / mammal / animal at 0.6 — is kept, with its
    # hypernyms of the same mass
    preds = [(GOLDEN_RETRIEVER, 0.3), (LABRADOR, 0.2), (RACER, 0.3), (BEAGLE, 0.1)]
    tags = tags_for(preds, rules)
    assert set(names(tags)) == {"dog", "mammal", "animal"}
    assert all(t.confidence == pytest.approx(0.6) for t in tags)
    # mammal and animal add up dog and cat: 0.9 makes them tags, no fallback needed
    both = tags_for([(GOLDEN_RETRIEVER, 0.5), (TABBY, 0.45)], rules)
    assert {"mammal", "animal"} <= set(names(both)) and "dog" not in names(both)


def test_the_fallback_describes_the_most_probable_class(rules: TagRules) -> None:
    # a bow at 0.29 beside a gazelle and an ibex at 0.22 each: "animal" (0.44) has more mass,
    # but the bow is not an animal; the fallback is the bow and the nodes above it
    bow, gazelle, ibex = "n02879718", "n02423022", "n02417914"
    tags = tags_for([(bow, 0.29), (gazelle, 0.22), (ibex, 0.22)], rules)
    assert set(names(tags)) == {"bow", "weapon", "instrument"}
    # a swab (no useful hypernym) before a scale and an iron: the swab, not "instrument"
    swab, scale, iron = "n04367480", "n04141975", "n03584829"
    assert names(tags_for([(swab, 0.38), (scale, 0.36), (iron, 0.14)], rules)) == ["swab"]


def test_a_raised_threshold_is_never_the_fallback(rules: TagRules) -> None:
    window_screen = "n04589890"
    assert rules.class_threshold(window_screen) > rules.threshold
    assert "window screen" not in names(tags_for([(window_screen, 0.8)], rules))


def test_fallback_can_be_switched_off(rules: TagRules) -> None:
    import dataclasses

    off = dataclasses.replace(rules, fallback=False)
    assert tags_for([(GOLDEN_RETRIEVER, 0.3), (TABBY, 0.3)], off) == []


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    return path


def test_every_problem_is_reported_at_once(table: ClassTable, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        colours = 1
        [defaults]
        threshold = 1.5
        top_k = 0
        treshold = 0.2
        [thresholds]
        n99999999 = 0.5
        [aliases]
        n02099601 = ""
        [categories.pets]
        synsets = ["n00000000"]
        size = 3
        [categories.empty]
        [blocklist]
        classes = ["golden retriever"]
        """,
    )
    with pytest.raises(ConfigError) as info:
        load_tag_rules(table, path)
    text = str(info.value)
    for needle in ("'colours'", "defaults.threshold", "defaults.top_k", "'treshold'",
                   "n99999999", "aliases.n02099601", "n00000000", "'size'",
                   "categories.empty", "'golden retriever'"):
        assert needle in text, needle
    assert len(info.value.problems) == 10
    assert str(path) in text


def test_unreadable_rules(table: ClassTable, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_tag_rules(table, write(tmp_path, "[defaults\nthreshold = "))
    with pytest.raises(ConfigError, match="cannot read"):
        load_tag_rules(table, tmp_path / "missing.toml")
    assert DEFAULT_RULES.is_file()
