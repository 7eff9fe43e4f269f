"""Turn a photo's top-k ImageNet predictions into tags, following :class:`TagRules`.

The probabilities are calibrated (the classifier applies its temperature, see
:mod:`recognize.inference.classify`), so a number means how often the tag is right. Every
*node* a class belongs to gets the summed probability of the photo's classes below it:

* the class itself (alias or WordNet name);
* its WordNet hypernyms chosen by :meth:`ClassTable.useful_hypernyms` (dog, animal, vehicle …)
  — five dog breeds at 0.15 each make no breed tag but "dog" at 0.75;
* the category roll-ups of the rules that contain it.

A node becomes a tag when its mass reaches its threshold (``threshold`` for a class or its
per-class override, ``group_threshold`` for hypernyms and categories). With ``fallback`` a
photo none of whose nodes reaches its threshold keeps a tag that describes its most probable
class: of that class and the nodes above it (hypernyms, categories), the one of most mass
(ties go to the one covering the fewest classes) and those of equal mass, so no photo is
left without a tag: "animal" at 0.6 is more use to a search than nothing. A node the most
probable class is not below is never the fallback ("instrument" summed from a scale and an
iron does not tag a swab). Classes with their own (raised) threshold are passed over when
choosing the most probable class. Blocklisted classes are dropped before anything is counted.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class _Node:
    name: str
    synset: str | None
    parent: str | None
    threshold: float
    size: int  # how many of the 1000 classes it covers; the fallback's ties go to the smallest
    fallback_ok: bool  # classes with their own (raised) threshold are never a fallback


def _parent_name(rules: TagRules, synset: str) -> str | None:
    parent = rules.table.nearest_useful_parent(synset)
    return rules.name(parent) if parent else None


_NODES: dict[tuple[int, str], tuple[_Node, ...]] = {}
_SIZES: dict[int, dict[str, int]] = {}


def _sizes(rules: TagRules) -> dict[str, int]:
    """Classes below every synset of the table, and in every category (cached per rules)."""
    sizes = _SIZES.get(id(rules))
    if sizes is None:
        sizes = {}
        for cid in rules.table.classes:
            for h in {cid, *(h for h, _ in rules.table.hypernyms[cid])}:
                sizes[h] = sizes.get(h, 0) + 1
        for cat in rules.categories:
            sizes["category:" + cat.name] = sum(
                rules.in_category(c, cat) for c in rules.table.classes)
        _SIZES.clear()
        _SIZES[id(rules)] = sizes
    return sizes


def nodes_of(rules: TagRules, class_id: str) -> tuple[_Node, ...]:
    """The class, its useful hypernyms (if enabled) and its categories (cached per rules)."""
    key = (id(rules), class_id)
    cached = _NODES.get(key)
    if cached is not None:
        return cached
    sizes = _sizes(rules)
    out = [_Node(rules.name(class_id), class_id, _parent_name(rules, class_id),
                 rules.class_threshold(class_id), 1, class_id not in rules.thresholds)]
    if rules.hypernyms:
        for h in rules.table.useful_hypernyms(class_id):
            out.append(_Node(rules.name(h), h, _parent_name(rules, h), rules.group_threshold,
                             sizes[h], True))
    for cat in rules.categories:
        if rules.in_category(class_id, cat):
            synset = cat.synsets[0] if len(cat.synsets) == 1 else None
            size = sizes[synset] if synset else sizes["category:" + cat.name]
            out.append(_Node(cat.name, synset, cat.parent, cat.threshold, size, True))
    if len(_NODES) > 50_000:
        _NODES.clear()
    _NODES[key] = result = tuple(dict.fromkeys(out))  # a category equal to its hypernym: once
    return result


def _fallback(preds: list[Prediction], mass: dict[_Node, float], rules: TagRules) -> list[_Node]:
    """The nodes of the most probable class (itself and above it) of the most mass."""
    free = [(c, p) for c, p in preds if c not in rules.thresholds]
    if not free:
        return []
    top = max(free, key=lambda cp: cp[1])[0]  # the first of equal ones: predictions are sorted
    candidates = [n for n in nodes_of(rules, top) if n.fallback_ok]
    if not candidates:
        return []
    best = max(candidates, key=lambda n: (round(mass[n], 6), -n.size))
    # with the broader nodes of the same mass (its hypernyms): "race car" at 0.8 is also
    # "car" and "vehicle" at 0.8, which a search for "car" should find
    return [n for n in candidates if mass[n] >= mass[best] - 1e-6]


def tags_for(
    predictions: Sequence[Prediction], rules: TagRules, source: str = "classifier"
) -> list[TagResult]:
    """Tags for one photo from its ``(class id, probability)`` list, strongest first."""
    preds = [(c, p) for c, p in predictions[: rules.top_k] if c not in rules.blocklist]
    mass: dict[_Node, float] = {}
    for cid, p in preds:
        for node in nodes_of(rules, cid):
            mass[node] = mass.get(node, 0.0) + p
    chosen = [n for n, m in mass.items() if m >= n.threshold]
    if not chosen and rules.fallback:
        chosen = _fallback(preds, mass, rules)
    found: dict[str, TagResult] = {}
    for node in chosen:  # one name, several nodes (a category named like its synset): the best
        tag = TagResult(node.name, min(mass[node], 1.0), node.synset, node.parent, source)
        old = found.get(tag.name)
        if old is None or tag.confidence > old.confidence:
            found[tag.name] = tag
    return sorted(found.values(), key=lambda t: (-t.confidence, t.name))
