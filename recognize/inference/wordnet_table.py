"""The 1000 ImageNet classes with their WordNet names and hypernyms, precomputed as JSON.

ImageNet-1k class ids are WordNet 3.0 noun offsets (``n02099601`` = golden retriever); their
order (the model's output order) is timm's ``imagenet_synsets.txt``, read as a data file
without importing timm. Building the table needs WordNet (seconds to load); it is done once
and cached as ``imagenet_wordnet.json`` so that classification never loads WordNet.

Which hypernyms become tags (:func:`ClassTable.useful_hypernyms`) is a fixed, documented rule
applied to the whole closure (every path up to ``entity``):

1. depth: the synset's shortest path to ``entity`` has at least ``MIN_DEPTH`` (4) steps — this
   drops the abstract top (entity, physical entity, object, whole, matter, solid …);
2. familiarity: its lemmas occur at least ``MIN_COUNT`` (3) times in the SemCor sense-tagged
   corpus (WordNet's ``cntlist``) — ordinary words like dog, cat, bird, car, vehicle, food
   pass, taxonomy jargon like canine, placental, chordate, sporting dog or wheeled vehicle
   does not;
3. not one of ``GENERIC``: words that pass 1 and 2 but say nothing about what a photo shows
   (organism, device, container, instrumentality, structure, commodity …).

So golden retriever → dog, mammal, animal; tabby → cat, mammal, animal; sports car → car,
vehicle; gown → dress, clothing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recognize.errors import ModelError
from recognize.inference import cache_files
from recognize.log import get_logger

log = get_logger(__name__)

TABLE_FORMAT = 2
TABLE_FILE = "imagenet_wordnet.json"
MIN_DEPTH = 4
MIN_COUNT = 3
GENERIC = frozenset(
    {
        "organism.n.01", "living_thing.n.01", "artifact.n.01", "instrumentality.n.03",
        "device.n.01", "container.n.01", "conveyance.n.03", "commodity.n.01",
        "structure.n.01", "equipment.n.01", "protective_covering.n.01", "covering.n.02",
        "establishment.n.04", "place_of_business.n.01", "mercantile_establishment.n.01",
        "obstruction.n.01", "barrier.n.01", "piece.n.01", "housing.n.01", "system.n.01",
        "article.n.02", "fluid.n.01", "liquid.n.01", "nutriment.n.01", "game.n.04",
        "point.n.02", "workplace.n.01", "drygoods.n.01", "transducer.n.01",
        "communication_system.n.01", "reflector.n.01", "decoration.n.01", "filter.n.01",
        "trap.n.01", "blind.n.03", "weight.n.02", "shelter.n.02", "memorial.n.03",
        "natural_object.n.01", "geological_formation.n.01", "substance.n.07", "matter.n.03",
    }
)


def imagenet_synsets_file() -> Path:
    """timm's list of the 1000 class ids in model output order (located without importing)."""
    spec = importlib.util.find_spec("timm")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("timm is not installed (pip install --no-deps timm==1.0.31)")
    path = Path(next(iter(spec.submodule_search_locations))) / "data/_info/imagenet_synsets.txt"
    if not path.is_file():
        raise ModelError(f"{path} is missing; reinstall timm==1.0.31")
    return path


def imagenet_class_ids() -> list[str]:
    ids = imagenet_synsets_file().read_text().split()
    if len(ids) != 1000 or len(set(ids)) != 1000:
        raise ModelError(f"{imagenet_synsets_file()}: expected 1000 distinct class ids")
    return ids


def wnid(synset: Any) -> str:
    return f"{synset.pos()}{synset.offset():08d}"


def _entry(synset: Any) -> dict[str, Any]:
    lemmas = [lemma.name().replace("_", " ") for lemma in synset.lemmas()]
    return {
        "id": synset.name(),
        "name": lemmas[0],
        "lemmas": lemmas,
        "depth": synset.min_depth(),
        "count": sum(lemma.count() for lemma in synset.lemmas()),
        "parents": [wnid(h) for h in synset.hypernyms() + synset.instance_hypernyms()],
    }


def build_table(wn: Any, class_ids: list[str]) -> dict[str, Any]:
    """Names and hypernym closures (with distances) of ``class_ids`` from a WordNet reader."""
    synsets: dict[str, dict[str, Any]] = {}
    hypernyms: dict[str, list[tuple[str, int]]] = {}
    for cid in class_ids:
        root = wn.synset_from_pos_and_offset(cid[0], int(cid[1:]))
        synsets[cid] = _entry(root)
        dist: dict[str, int] = {}
        frontier, step = [root], 0
        while frontier:
            step += 1
            frontier = [h for s in frontier for h in s.hypernyms() + s.instance_hypernyms()]
            for h in frontier:
                hid = wnid(h)
                if hid not in dist:
                    dist[hid] = step
                    synsets.setdefault(hid, _entry(h))
        hypernyms[cid] = sorted(dist.items(), key=lambda kv: (kv[1], kv[0]))
    return {"classes": class_ids, "synsets": synsets, "hypernyms": hypernyms}


@dataclass
class ClassTable:
    """Read-only view of the cached table."""

    classes: list[str]
    synsets: dict[str, dict[str, Any]]
    hypernyms: dict[str, list[tuple[str, int]]]

    def name(self, synset: str) -> str:
        return str(self.synsets[synset]["name"])

    def useful(self, synset: str) -> bool:
        s = self.synsets[synset]
        return s["depth"] >= MIN_DEPTH and s["count"] >= MIN_COUNT and s["id"] not in GENERIC

    def useful_hypernyms(self, class_id: str) -> list[str]:
        """Hypernyms that become tags, nearest first (see the module docstring for the rule)."""
        return [h for h, _ in self.hypernyms[class_id] if self.useful(h)]

    def is_below(self, class_id: str, synset: str) -> bool:
        return class_id == synset or any(h == synset for h, _ in self.hypernyms[class_id])

    def nearest_useful_parent(self, synset: str) -> str | None:
        """The closest useful hypernym of any synset in the table (breadth-first)."""
        frontier = list(self.synsets[synset]["parents"])
        seen: set[str] = set()
        while frontier:
            for h in frontier:
                if self.useful(h):
                    return h
            seen.update(frontier)
            frontier = [p for h in frontier for p in self.synsets[h]["parents"] if p not in seen]
        return None


def _source_key(source: Path) -> str:
    digest = hashlib.sha256(imagenet_synsets_file().read_bytes())
    digest.update((source / "data.noun").read_bytes()[:4096])
    return f"{TABLE_FORMAT}:{digest.hexdigest()[:16]}"


def load_class_table(cache_dir: Path, source: Path | None = None) -> ClassTable:
    """Return the table, building and caching it under ``cache_dir`` on first use."""
    from recognize.inference.wordnet import DEBIAN_WORDNET, open_wordnet

    source = source or DEBIAN_WORDNET
    path = Path(cache_dir) / TABLE_FILE
    raw: dict[str, Any] | None = None
    if path.is_file():
        raw = json.loads(path.read_text())
        if (source / "data.noun").is_file() and raw.get("key") != _source_key(source):
            raw = None
    if raw is None:
        log.info("building the ImageNet → WordNet table in %s (once)", path)
        wn = open_wordnet(Path(cache_dir), source)
        raw = build_table(wn, imagenet_class_ids())
        raw["key"] = _source_key(source)
        cache_files.write_text(path, json.dumps(raw, separators=(",", ":")))
    hyp = {k: [(h, int(d)) for h, d in v] for k, v in raw["hypernyms"].items()}
    return ClassTable(list(raw["classes"]), raw["synsets"], hyp)
