"""Turn a photo's top-k ImageNet predictions into tags, following :class:`TagRules`.

Three kinds of tag come out, merged by name (the highest confidence wins):

* the class itself (alias or WordNet name) when its probability reaches its threshold;
* WordNet hypernyms chosen by :meth:`ClassTable.useful_hypernyms` (dog, animal, vehicle …),
  whose confidence is the summed probability of the predicted classes below them — five dog
  breeds at 0.15 each make no breed tag but a confident "dog";
* category roll-ups from the rules, scored the same way.

Blocklisted classes are dropped before anything is counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from recognize.inference.classify_rules import TagRules

Prediction = tuple[str, float]  # (class id, probability)


@dataclass(frozen=True)
class TagResult:
    name: str
    confidence: float
    synset: str | None  # WordNet noun id (n0xxxxxxx), None for categories without one
    parent: str | None  # name of the broader tag, if any
    source: str  # "classifier:<model version>"


def _parent_name(rules: TagRules, synset: str) -> str | None:
    parent = rules.table.nearest_useful_parent(synset)
    return rules.name(parent) if parent else None


def tags_for(
    predictions: Sequence[Prediction], rules: TagRules, source: str = "classifier"
) -> list[TagResult]:
    """Tags for one photo from its ``(class id, probability)`` list, strongest first."""
    preds = [(c, p) for c, p in predictions[: rules.top_k] if c not in rules.blocklist]
    found: dict[str, TagResult] = {}

    def add(tag: TagResult) -> None:
        old = found.get(tag.name)
        if old is None or tag.confidence > old.confidence:
            found[tag.name] = tag

    for cid, p in preds:
        if p >= rules.class_threshold(cid):
            add(TagResult(rules.name(cid), p, cid, _parent_name(rules, cid), source))
    if rules.hypernyms:
        mass: dict[str, float] = defaultdict(float)
        for cid, p in preds:
            for h in rules.table.useful_hypernyms(cid):
                mass[h] += p
        for h, p in mass.items():
            if p >= rules.group_threshold:
                add(TagResult(rules.name(h), min(p, 1.0), h, _parent_name(rules, h), source))
    for cat in rules.categories:
        p = sum(prob for cid, prob in preds if rules.in_category(cid, cat))
        if p >= cat.threshold:
            synset = cat.synsets[0] if len(cat.synsets) == 1 else None
            add(TagResult(cat.name, min(p, 1.0), synset, cat.parent, source))
    return sorted(found.values(), key=lambda t: (-t.confidence, t.name))
