"""Benchmark tag quality: the shipped tag rules on labelled photo sets.

    python bench/tags.py [--data DIR ...] [--model lite0|lite2|all] [--json]

Each DIR holds ``labels.csv`` with a ``file`` column and a ``wnid`` (ImageNet class id) or
``class_index`` column (default: ``../shared/data/imagenet``). Per set and model, the share
of photos with no tag, with at least one correct tag (a tag is correct when it names the
photo's class or a WordNet hypernym of it, or is a category of the rules containing it),
with at least one wrong tag, the median number of tags and the time per photo.

Photos are split into two halves by the first byte of sha256(file name) (even: A, odd: B).
The classifier's temperature (models/manifest.toml) was fitted on half A of imagenet/ (the
log-loss minimum printed as ``fitted_T``); half B confirms. Rows:

* ``shipped``: the shipped rules with the calibrated probabilities (what the tags stage does);
* ``before``: the rules as they were before calibration (T = 1, thresholds 0.3 / 0.5, top 10,
  no fallback, no mirror image) — the baseline of the same run (``x_before``: time ratio).

Decoding (pyvips, 512 px, as the pipeline) is excluded from the times. With --json the last
line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recognize.inference.base import Runtime
from recognize.inference.classify import Classifier, load_classifier
from recognize.inference.classify_rules import TagRules, load_tag_rules
from recognize.inference.classify_tags import TagResult, tags_for
from recognize.inference.wordnet_table import ClassTable, imagenet_class_ids, load_class_table

MODELS = {"lite0": "efficientnet-lite0", "lite2": "efficientnet-lite2"}
DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "imagenet"


def read_set(data: Path) -> tuple[list[Path], list[str], np.ndarray]:
    ids = imagenet_class_ids()
    with (data / "labels.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    files = [data / r["file"] for r in rows]
    labels = [r.get("wnid") or ids[int(r["class_index"])] for r in rows]
    half = np.array([hashlib.sha256(r["file"].encode()).digest()[0] % 2 for r in rows])
    return files, labels, half


def decode(files: list[Path]) -> list[np.ndarray]:
    import pyvips

    return [pyvips.Image.thumbnail(str(p), 512, size="down").numpy() for p in files]


def is_correct(tag: TagResult, label: str, rules: TagRules) -> bool:
    if tag.synset and rules.table.is_below(label, tag.synset):
        return True
    return any(c.name == tag.name and rules.in_category(label, c) for c in rules.categories)


def quality(tagsets: list[list[TagResult]], labels: list[str], rules: TagRules,
            sel: np.ndarray) -> dict[str, Any]:
    picked = [i for i in range(len(labels)) if sel[i]]
    n = max(len(picked), 1)
    good = [any(is_correct(t, labels[i], rules) for t in tagsets[i]) for i in picked]
    bad = [any(not is_correct(t, labels[i], rules) for t in tagsets[i]) for i in picked]
    return {
        "photos": len(picked),
        "no_tag": round(sum(not tagsets[i] for i in picked) / n, 3),
        "correct": round(sum(good) / n, 3),
        "wrong": round(sum(bad) / n, 3),
        "median_tags": statistics.median([len(tagsets[i]) for i in picked]) if picked else 0,
    }


def fitted_temperature(raw: np.ndarray, labels: list[str], sel: np.ndarray) -> float:
    """The temperature minimising the log-loss of the labels on ``sel`` (0.05 steps)."""
    ids = {c: i for i, c in enumerate(imagenet_class_ids())}
    lab = np.array([ids[x] for x in labels])[sel]
    logp = np.log(np.clip(raw[sel].astype(np.float64), 1e-30, None))
    best: tuple[float, float] | None = None
    for t in np.arange(0.30, 2.001, 0.05):
        z = logp / t
        z -= z.max(axis=1, keepdims=True)
        nll = float(-(z[np.arange(len(lab)), lab] - np.log(np.exp(z).sum(axis=1))).mean())
        if best is None or nll < best[0]:
            best = (nll, round(float(t), 2))
    return best[1] if best else 1.0


def before_rules(rules: TagRules) -> TagRules:
    old = {k: 0.6 for k in rules.thresholds}  # the raised thresholds as they were
    return dataclasses.replace(rules, threshold=0.3, group_threshold=0.5, top_k=10,
                               fallback=False, thresholds=old)


def run(model: Classifier, images: list[np.ndarray], labels: list[str], half: np.ndarray,
        rules: TagRules, name: str) -> list[dict[str, Any]]:
    model.load()
    ids = model.class_ids

    def probabilities(mirror: bool) -> tuple[np.ndarray, float]:
        shipped, model.mirror = model.mirror, mirror
        t0 = time.perf_counter()
        raw = np.concatenate([model.probabilities(np.stack([model.preprocess(a) for a in
                                                            images[i : i + 8]]))
                              for i in range(0, len(images), 8)])
        model.mirror = shipped
        return raw, (time.perf_counter() - t0) * 1000 / max(len(images), 1)

    raw, infer_ms = probabilities(model.mirror)
    plain, plain_ms = probabilities(False)
    out = []
    for rule_name, r, probs, ms in (("shipped", rules, model.calibrated(raw), infer_ms),
                                    ("before", before_rules(rules), plain, plain_ms)):
        t1 = time.perf_counter()
        tagsets = []
        for row in probs:
            top = np.argsort(-row)[: r.top_k]
            tagsets.append(tags_for([(ids[j], float(row[j])) for j in top], r))
        rule_ms = (time.perf_counter() - t1) * 1000 / max(len(images), 1)
        for part, sel in (("A", half == 0), ("B", half == 1), ("all", half >= 0)):
            out.append({"set": name, "model": model.spec.name, "rule": rule_name, "half": part,
                        **quality(tagsets, labels, r, sel),
                        "ms_per_photo": round(ms + rule_ms, 2),
                        "x_before": round((ms + rule_ms) / (plain_ms + rule_ms), 2),
                        "mirror": model.mirror if rule_name == "shipped" else False,
                        "ms_rule": round(rule_ms, 3),
                        "temperature": model.temperature if rule_name == "shipped" else 1.0,
                        "fitted_T": fitted_temperature(raw, labels, half == 0)})
    return out


def show(rows: list[dict[str, Any]]) -> None:
    cols = ["set", "model", "rule", "half", "photos", "no_tag", "correct", "wrong",
            "median_tags", "ms_per_photo", "x_before", "mirror", "temperature", "fitted_T"]
    print("\t".join(cols))
    for r in rows:
        print("\t".join(str(r[c]) for c in cols))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, action="append")
    ap.add_argument("--model", choices=[*MODELS, "all"], default="all")
    ap.add_argument("--cache", type=Path, help="WordNet table cache (default: a temp dir)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    cache = args.cache or Path(tempfile.mkdtemp(prefix="bench-tags-"))
    table: ClassTable = load_class_table(cache)
    rules = load_tag_rules(table)
    names = list(MODELS) if args.model == "all" else [args.model]
    rows: list[dict[str, Any]] = []
    for data in args.data or [DEFAULT_DATA]:
        files, labels, half = read_set(data)
        images = decode(files)
        for n in names:
            rows += run(load_classifier(MODELS[n], Runtime()), images, labels, half, rules,
                        data.resolve().name)
    show(rows)
    if args.json:
        targets = {"no_tag": 0.01, "correct": 0.97, "wrong": 0.05}
        print(json.dumps({"targets": targets, "results": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
