"""Every English noun WordNet knows, mapped to the class table's synsets it means.

The class table (``wordnet_table``) holds the 1000 ImageNet classes and their hypernyms, so
"dog" or "vehicle" resolve by going down. A word outside it ("puppy", "pooch", "kitten")
resolves by going up: from each of its common senses, breadth-first through its hypernyms,
to the nearest level that holds synsets of the table that are tags themselves (the table's
``useful`` rule: familiar, not too general), at most ``MAX_LEVELS`` up ("puppy" and "pooch"
-> dog; never further than that first level, so "puppy" is not "mammal"). A word whose
nearest such synset is further up ("kitten": young mammal, then animal) maps to nothing
rather than to everything. Rare
senses are dropped as in the search index (SemCor count below a tenth of the word's most
frequent sense). Scene words that WordNet does not relate to the classes ("beach" is not
above "seashore") come from the rules in ``recognize/data/search_scenes.toml``.

Built once from WordNet (slow: all 82,000 noun synsets) and cached as ``search_words.json``
next to the class table, keyed by the table's own key.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from recognize.inference import cache_files
from recognize.log import get_logger

log = get_logger(__name__)

WORDS_FILE = "search_words.json"
WORDS_FORMAT = 2
RARE_SENSE = 0.1
MAX_LEVELS = 2  # further up, the table synset is a broad class of the word, not the word
SCENES_FILE = Path(__file__).resolve().parents[1] / "data" / "search_scenes.toml"


def _word(lemma: str) -> str:
    return lemma.lower().replace("_", " ")


def nearest_in_table(synset: Any, table_ids: set[str], wnid: Any) -> list[str]:
    """The table synsets at the first level above ``synset`` that holds any."""
    frontier, seen = [synset], {synset}
    for _ in range(MAX_LEVELS):
        frontier = [h for s in frontier for h in s.hypernyms() + s.instance_hypernyms()
                    if h not in seen]
        seen.update(frontier)
        found = sorted({wnid(h) for h in frontier} & table_ids)
        if found or not frontier:
            return found
    return []


def sense_counts(wn: Any) -> dict[str, int]:
    """SemCor counts by sense key (``cntlist.rev``), read once: ``Lemma.count()`` searches the
    file anew for every lemma, which made the 146,000 lookups of a build take ~3 minutes."""
    counts: dict[str, int] = {}
    for line in wn.open("cntlist.rev").read().splitlines():
        parts = line.split()
        if len(parts) == 3:
            counts[parts[0]] = int(parts[2])
    return counts


def build_words(wn: Any, table_ids: set[str], wnid: Any, targets: set[str]
                ) -> dict[str, list[str]]:
    """word -> ``targets`` (table synset ids), for the nouns whose senses are not in the table."""
    counts = sense_counts(wn)
    senses: dict[str, list[Any]] = {}
    for synset in wn.all_synsets("n"):
        for lemma in synset.lemmas():
            senses.setdefault(_word(lemma.name()), []).append((synset, counts.get(lemma.key(), 0)))
    out: dict[str, list[str]] = {}
    for word, found in senses.items():
        top = max(count for _, count in found)
        kept = [s for s, count in found if top == 0 or count >= RARE_SENSE * top]
        if any(wnid(s) in table_ids for s in kept):
            continue  # the table's own index knows this word
        ids = sorted({i for s in kept for i in nearest_in_table(s, targets, wnid)})
        if ids:
            out[word] = ids
    return out


def scene_rules(path: Path = SCENES_FILE) -> dict[str, list[str]]:
    """scene word -> WordNet synset names (``seashore.n.01``) it also finds."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return {_word(k): [str(v) for v in vals] for k, vals in data.get("scenes", {}).items()}


def load_words(cache_dir: Path, table_key: str) -> dict[str, list[str]] | None:
    """The cached map, or None when it is missing or was built for another table."""
    path = Path(cache_dir) / WORDS_FILE
    if not path.is_file():
        return None
    raw = json.loads(path.read_text())
    if raw.get("key") != f"{WORDS_FORMAT}:{table_key}":
        return None
    return {k: list(v) for k, v in raw["words"].items()}


def write_words(cache_dir: Path, table_key: str, words: Mapping[str, Iterable[str]]) -> Path:
    path = Path(cache_dir) / WORDS_FILE
    cache_files.write_text(path, json.dumps({"key": f"{WORDS_FORMAT}:{table_key}",
                                             "words": {k: list(v) for k, v in words.items()}},
                                            separators=(",", ":")))
    return path


def prepare_words(cache_dir: Path, table_key: str) -> dict[str, list[str]]:
    """Load the map, building (and caching) it from WordNet when needed."""
    found = load_words(cache_dir, table_key)
    if found is not None:
        return found
    from recognize.inference.wordnet import open_wordnet
    from recognize.inference.wordnet_table import load_class_table, wnid

    log.info("building the search word map in %s (once)", Path(cache_dir) / WORDS_FILE)
    table = load_class_table(cache_dir)
    wn = open_wordnet(Path(cache_dir))
    words = build_words(wn, set(table.synsets), wnid, {s for s in table.synsets if table.useful(s)})
    write_words(cache_dir, table_key, words)
    return words
