"""Tag rules: thresholds, aliases, category roll-ups and a blocklist (``config/tag_rules.toml``).

The file's shape::

    [defaults]
    threshold = 0.9            # a class becomes a tag at this (calibrated) probability
    group_threshold = 0.9      # a hypernym or category: summed probability of its classes
    top_k = 10                 # how many classes per photo are considered
    hypernyms = true           # emit WordNet hypernym tags (dog, animal, vehicle …)
    fallback = true            # no tag reached its threshold: keep the most probable one

    [thresholds]               # per-class overrides: class id = threshold
    n04005630 = 0.6

    [aliases]                  # class or hypernym synset id = friendlier tag name
    n04037443 = "race car"

    [categories.landscape]     # a roll-up tag: member classes and/or WordNet synsets
    classes = ["n09193705"]    # (any class below a listed synset belongs to it)
    synsets = []
    threshold = 0.4            # optional, else defaults.group_threshold
    parent = "nature"          # optional

    [blocklist]                # classes never emitted nor counted
    classes = ["n04005630"]

Every problem (unknown key, unknown class id, bad value) is reported at once.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recognize.errors import ConfigError
from recognize.inference.wordnet_table import ClassTable

# config/tag_rules.toml, shipped inside the package through the recognize/data symlink
DEFAULT_RULES = Path(__file__).parents[1] / "data" / "tag_rules.toml"
_SECTIONS = {"defaults", "thresholds", "aliases", "categories", "blocklist"}
_DEFAULTS = {
    "threshold": 0.9, "group_threshold": 0.9, "top_k": 10, "hypernyms": True, "fallback": True,
}
_CATEGORY_KEYS = {"classes", "synsets", "threshold", "parent"}


@dataclass(frozen=True)
class Category:
    name: str
    classes: frozenset[str]
    synsets: tuple[str, ...]
    threshold: float
    parent: str | None = None


@dataclass(frozen=True)
class TagRules:
    table: ClassTable
    threshold: float = 0.9
    group_threshold: float = 0.9
    top_k: int = 10
    hypernyms: bool = True
    fallback: bool = True
    thresholds: dict[str, float] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    categories: tuple[Category, ...] = ()
    blocklist: frozenset[str] = frozenset()

    def class_threshold(self, class_id: str) -> float:
        return self.thresholds.get(class_id, self.threshold)

    def name(self, synset: str) -> str:
        return self.aliases.get(synset) or self.table.name(synset)

    def in_category(self, class_id: str, category: Category) -> bool:
        if class_id in category.classes:
            return True
        return any(self.table.is_below(class_id, s) for s in category.synsets)


class _Checker:
    def __init__(self, table: ClassTable) -> None:
        self.table = table
        self.class_set = set(table.classes)
        self.problems: list[str] = []

    def prob(self, where: str, value: Any) -> float:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1
        if not ok:
            self.problems.append(f"{where}: expected a probability between 0 and 1, got {value!r}")
            return 1.0
        return float(value)

    def class_id(self, where: str, cid: Any) -> bool:
        if cid not in self.class_set:
            self.problems.append(f"{where}: {cid!r} is not an ImageNet class id (n0xxxxxxx)")
            return False
        return True

    def synset(self, where: str, sid: Any) -> bool:
        if sid not in self.table.synsets:
            self.problems.append(
                f"{where}: {sid!r} is neither an ImageNet class nor one of their WordNet hypernyms"
            )
            return False
        return True

    def unknown(self, where: str, keys: Any, allowed: set[str]) -> None:
        for key in sorted(set(keys) - allowed):
            self.problems.append(f"{where}: unknown key {key!r} (allowed: {sorted(allowed)})")

    def table_of(self, raw: dict[str, Any], key: str) -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            self.problems.append(f"[{key}] must be a table")
            return {}
        return value


def _defaults(c: _Checker, raw: dict[str, Any]) -> dict[str, Any]:
    d = c.table_of(raw, "defaults")
    c.unknown("[defaults]", d, set(_DEFAULTS))
    out = {**_DEFAULTS, **{k: v for k, v in d.items() if k in _DEFAULTS}}
    for key in ("threshold", "group_threshold"):
        out[key] = c.prob(f"defaults.{key}", out[key])
    if not isinstance(out["top_k"], int) or isinstance(out["top_k"], bool) or out["top_k"] < 1:
        c.problems.append(f"defaults.top_k: expected a positive integer, got {out['top_k']!r}")
        out["top_k"] = 10
    for key in ("hypernyms", "fallback"):
        if not isinstance(out[key], bool):
            c.problems.append(f"defaults.{key}: expected true or false, got {out[key]!r}")
    return out


def _category(c: _Checker, name: str, spec: Any, default: float) -> Category | None:
    where = f"categories.{name}"
    if not isinstance(spec, dict):
        c.problems.append(f"[{where}] must be a table")
        return None
    c.unknown(f"[{where}]", spec, _CATEGORY_KEYS)
    classes, synsets = spec.get("classes", []), spec.get("synsets", [])
    if not isinstance(classes, list) or not isinstance(synsets, list):
        c.problems.append(f"{where}: classes and synsets must be lists of ids")
        return None
    if not classes and not synsets:
        c.problems.append(f"{where}: lists neither classes nor synsets")
    good_classes = [x for x in classes if c.class_id(f"{where}.classes", x)]
    good_synsets = [x for x in synsets if c.synset(f"{where}.synsets", x)]
    parent = spec.get("parent")
    if parent is not None and (not isinstance(parent, str) or not parent.strip()):
        c.problems.append(f"{where}.parent: expected a tag name, got {parent!r}")
        parent = None
    threshold = c.prob(f"{where}.threshold", spec.get("threshold", default))
    return Category(name, frozenset(good_classes), tuple(good_synsets), threshold, parent)


def parse_tag_rules(raw: dict[str, Any], table: ClassTable, source: str = "") -> TagRules:
    c = _Checker(table)
    c.unknown("top level", raw, _SECTIONS)
    d = _defaults(c, raw)
    thresholds = {
        k: c.prob(f"thresholds.{k}", v)
        for k, v in c.table_of(raw, "thresholds").items()
        if c.class_id("[thresholds]", k)
    }
    aliases: dict[str, str] = {}
    for k, v in c.table_of(raw, "aliases").items():
        if not isinstance(v, str) or not v.strip():
            c.problems.append(f"aliases.{k}: expected a tag name, got {v!r}")
        elif c.synset("[aliases]", k):
            aliases[k] = v.strip()
    categories = [
        cat
        for name, spec in c.table_of(raw, "categories").items()
        if (cat := _category(c, name, spec, d["group_threshold"])) is not None
    ]
    block = c.table_of(raw, "blocklist")
    c.unknown("[blocklist]", block, {"classes"})
    blocked = block.get("classes", [])
    if not isinstance(blocked, list):
        c.problems.append("blocklist.classes must be a list of class ids")
        blocked = []
    blocklist = frozenset(x for x in blocked if c.class_id("blocklist.classes", x))
    if c.problems:
        raise ConfigError(c.problems, source)
    return TagRules(
        table, d["threshold"], d["group_threshold"], d["top_k"], d["hypernyms"], d["fallback"],
        thresholds, aliases, tuple(categories), blocklist,
    )


def load_tag_rules(table: ClassTable, path: Path = DEFAULT_RULES) -> TagRules:
    """Read and validate a tag rules file; raises :class:`ConfigError` listing every problem."""
    try:
        with Path(path).open("rb") as fh:
            raw = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError([f"cannot read tag rules: {exc}"], str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"not valid TOML: {exc}"], str(path)) from exc
    return parse_tag_rules(raw, table, str(path))
