"""WordNet 3.0 from Debian's packages, read by NLTK offline, and the precomputed class table."""

from __future__ import annotations

from pathlib import Path

import pytest

from recognize.errors import ModelError
from recognize.inference.wordnet import (
    DEBIAN_WORDNET,
    LEXNAMES,
    WORDNET_FILES,
    lexnames_text,
    prepare_wordnet,
)
from recognize.inference.wordnet_table import ClassTable, imagenet_class_ids, load_class_table

GOLDEN_RETRIEVER, TABBY, GOWN, SPORTS_CAR = "n02099601", "n02123045", "n03450230", "n04285008"


def table_dir(factory: pytest.TempPathFactory) -> Path:
    """One cache directory for the whole run (the first user builds the table, ~6 s)."""
    if not (DEBIAN_WORDNET / "data.noun").is_file():
        pytest.skip(f"WordNet is absent from {DEBIAN_WORDNET} (apt-get install wordnet-base "
                    "wordnet-sense-index)")
    path = factory.getbasetemp() / "wordnet-cache"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> ClassTable:
    return load_class_table(table_dir(tmp_path_factory))


def test_lexnames_is_the_documented_table() -> None:
    lines = lexnames_text().splitlines()
    assert len(lines) == len(LEXNAMES) == 45
    assert lines[0] == "00\tadj.all\t3"
    assert lines[3] == "03\tnoun.Tops\t1"
    assert lines[29] == "29\tverb.body\t2"
    assert lines[44] == "44\tadj.ppl\t3"


def test_prepare_copies_real_files(tmp_path: Path) -> None:
    if not DEBIAN_WORDNET.is_dir():
        pytest.skip(f"{DEBIAN_WORDNET} is absent")
    nltk_data = prepare_wordnet(tmp_path)
    target = nltk_data / "corpora" / "wordnet"
    for name in (*WORDNET_FILES, "lexnames"):
        assert (target / name).is_file() and not (target / name).is_symlink(), name
    stamp = (target / "data.noun").stat().st_mtime_ns
    prepare_wordnet(tmp_path)  # a second call copies nothing
    assert (target / "data.noun").stat().st_mtime_ns == stamp


def test_missing_wordnet_names_the_apt_packages(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="wordnet-base wordnet-sense-index"):
        prepare_wordnet(tmp_path / "data", source=tmp_path / "nowhere")


def test_table_covers_the_1000_classes(table: ClassTable) -> None:
    assert table.classes == imagenet_class_ids()
    assert table.name(GOLDEN_RETRIEVER) == "golden retriever"
    assert table.name(TABBY) == "tabby"
    assert all(table.hypernyms[c] for c in table.classes)


def test_useful_hypernyms(table: ClassTable) -> None:
    def names(cid: str) -> list[str]:
        return [table.name(h) for h in table.useful_hypernyms(cid)]

    assert {"dog", "animal"} <= set(names(GOLDEN_RETRIEVER))
    assert {"cat", "animal"} <= set(names(TABBY))
    assert names(GOWN) == ["dress", "clothing"]
    assert names(SPORTS_CAR) == ["car", "vehicle"]
    everything = {table.name(h) for c in table.classes for h in table.useful_hypernyms(c)}
    for abstract in ("entity", "physical entity", "object", "whole", "organism", "canine",
                     "placental", "chordate", "instrumentality", "container"):
        assert abstract not in everything


def test_parents_form_a_chain(table: ClassTable) -> None:
    chain, node = [], GOLDEN_RETRIEVER
    while (node := table.nearest_useful_parent(node)) is not None:  # type: ignore[assignment]
        chain.append(table.name(node))
    assert chain == ["dog", "animal"]


def test_cached_table_loads_without_wordnet(tmp_path_factory: pytest.TempPathFactory) -> None:
    cache = table_dir(tmp_path_factory)
    load_class_table(cache)  # built by now
    again = load_class_table(cache, source=tmp_path_factory.mktemp("no-wordnet"))
    assert again.name(GOLDEN_RETRIEVER) == "golden retriever"
