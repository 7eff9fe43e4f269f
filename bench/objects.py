"""Benchmark the object detector (NanoDet, COCO 80 classes) on photos with known content.

    python bench/objects.py [--faces DIR] [--imagenet DIR] [--json]

* person counts on the group photos of ``faces/`` (``groups.json``: faces_min..faces_max):
  the share counted within the range and the mean absolute error, per score threshold;
* object presence on the ``imagenet/`` photos whose class lies below the WordNet synset of a
  COCO class (dog breeds → "dog", sports car → "car" …): the share where that class is found;
* ms per photo (decode excluded) and its ratio to EfficientNet-Lite0's (the tags stage's
  classifier) in the same run; peak RSS.

Each set is split into halves by the first byte of sha256(file name) (even: A). The
detector's default ``min_score`` is chosen on faces/ half A (the threshold with most counts
in range, ties to the higher threshold) and confirmed on half B and on imagenet/. With
--json the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recognize.inference.base import Runtime
from recognize.inference.objects import Detection, load_object_detector
from recognize.inference.wordnet_table import imagenet_class_ids, load_class_table

ROOT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
# COCO class -> WordNet 3.0 synsets whose ImageNet classes show it
COCO_WORDNET = {
    "person": ["person.n.01"], "bicycle": ["bicycle.n.01"], "car": ["car.n.01"],
    "motorcycle": ["motorcycle.n.01"], "airplane": ["airplane.n.01"], "bus": ["bus.n.01"],
    "train": ["train.n.01", "locomotive.n.01"], "truck": ["truck.n.01"],
    "boat": ["boat.n.01", "ship.n.01"], "traffic light": ["traffic_light.n.01"],
    "parking meter": ["parking_meter.n.01"], "bench": ["bench.n.01"], "bird": ["bird.n.01"],
    "cat": ["domestic_cat.n.01"], "dog": ["dog.n.01"], "horse": ["horse.n.01"],
    "sheep": ["sheep.n.01"], "cow": ["cattle.n.01"], "elephant": ["elephant.n.01"],
    "bear": ["bear.n.01"], "zebra": ["zebra.n.01"], "backpack": ["backpack.n.01"],
    "umbrella": ["umbrella.n.01"], "tie": ["necktie.n.01"], "skis": ["ski.n.01"],
    "sports ball": ["ball.n.01"], "tennis racket": ["racket.n.04"], "bottle": ["bottle.n.01"],
    "banana": ["banana.n.02"], "orange": ["orange.n.01"], "broccoli": ["broccoli.n.02"],
    "pizza": ["pizza.n.01"], "hot dog": ["hotdog.n.02"], "chair": ["chair.n.01"],
    "couch": ["sofa.n.01"], "bed": ["bed.n.01"], "dining table": ["dining_table.n.01"],
    "tv": ["television_receiver.n.01"], "laptop": ["laptop.n.01"], "mouse": ["mouse.n.04"],
    "remote": ["remote_control.n.01"], "keyboard": ["computer_keyboard.n.01"],
    "cell phone": ["cellular_telephone.n.01"], "microwave": ["microwave.n.02"],
    "toaster": ["toaster.n.02"], "refrigerator": ["electric_refrigerator.n.01"],
    "clock": ["clock.n.01"], "vase": ["vase.n.01"], "teddy bear": ["teddy.n.01"],
    "hair drier": ["hand_blower.n.01"],
}


def half_of(name: str) -> str:
    return "A" if hashlib.sha256(name.encode()).digest()[0] % 2 == 0 else "B"


def decode(path: Path) -> np.ndarray:
    import pyvips

    return pyvips.Image.thumbnail(str(path), 1024, size="down").numpy()


def coco_of_imagenet(cache: Path) -> dict[str, str]:
    table = load_class_table(cache)
    by_name = {s["id"]: wnid for wnid, s in table.synsets.items()}
    out: dict[str, str] = {}
    for coco, names in COCO_WORDNET.items():
        targets = [by_name[n] for n in names if n in by_name]
        for cid in table.classes:
            if any(table.is_below(cid, t) for t in targets):
                out.setdefault(cid, coco)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faces", type=Path, default=ROOT / "faces")
    ap.add_argument("--imagenet", type=Path, default=ROOT / "imagenet")
    ap.add_argument("--cache", type=Path, help="WordNet table cache (default: a temp dir)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    cache = args.cache or Path(tempfile.mkdtemp(prefix="bench-objects-"))
    det = load_object_detector("nanodet", Runtime(cache_dir=cache))
    t0 = time.perf_counter()
    det.load()
    load_s = time.perf_counter() - t0
    low = min(THRESHOLDS)
    times: list[float] = []

    def run(path: Path) -> list[Detection]:
        image = decode(path)
        t = time.perf_counter()
        found = det.detect(image, low)
        times.append(time.perf_counter() - t)
        return found

    groups = json.loads((args.faces / "groups.json").read_text())
    counted = {f: run(args.faces / f) for f in groups}
    rows: list[dict[str, Any]] = []
    for th in THRESHOLDS:
        for part in ("A", "B", "all"):
            files = [f for f in groups if part in ("all", half_of(f))]
            n = [sum(d.label == "person" and d.score >= th for d in counted[f]) for f in files]
            inside = [groups[f]["faces_min"] <= k <= groups[f]["faces_max"]
                      for f, k in zip(files, n, strict=True)]
            err = [max(groups[f]["faces_min"] - k, k - groups[f]["faces_max"], 0)
                   for f, k in zip(files, n, strict=True)]
            rows.append({"set": "faces/groups", "min_score": th, "half": part,
                         "photos": len(files), "count_in_range": round(float(np.mean(inside)), 3),
                         "count_mae": round(float(np.mean(err)), 2)})
    a_rows = [r for r in rows if r["half"] == "A"]
    chosen = max(a_rows, key=lambda r: (r["count_in_range"], r["min_score"]))["min_score"]

    mapping = coco_of_imagenet(cache)
    ids = imagenet_class_ids()
    with (args.imagenet / "labels.csv").open(newline="") as fh:
        labelled = [(r["file"], r.get("wnid") or ids[int(r["class_index"])])
                    for r in csv.DictReader(fh)]
    mapped = [(f, mapping[w]) for f, w in labelled if w in mapping]
    found = {f: run(args.imagenet / f) for f, _ in mapped}
    for th in THRESHOLDS:
        for part in ("A", "B", "all"):
            sel = [(f, c) for f, c in mapped if part in ("all", half_of(f))]
            hit = [any(d.label == c and d.score >= th for d in found[f]) for f, c in sel]
            tags = [len({d.label for d in found[f] if d.score >= th}) for f, _ in sel]
            rows.append({"set": "imagenet/coco", "min_score": th, "half": part,
                         "photos": len(sel), "present": round(float(np.mean(hit)), 3),
                         "median_classes": float(np.median(tags))})
    from recognize.inference.classify import load_classifier

    classifier = load_classifier("efficientnet-lite0", Runtime(cache_dir=cache))
    base_times = []
    for f in list(groups)[:12]:
        image = decode(args.faces / f)
        t = time.perf_counter()
        classifier.predict([image], top_k=1)
        base_times.append(time.perf_counter() - t)
    ms, base_ms = 1000 * float(np.median(times)), 1000 * float(np.median(base_times[1:]))
    summary = {
        "chosen_min_score": chosen,
        "ms_per_photo": round(ms, 1),
        "classifier_ms_per_photo": round(base_ms, 1),
        "x_classifier": round(ms / base_ms, 2),
        "load_s": round(load_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "imagenet_photos_mapped": len(mapped),
    }
    cols = ["set", "min_score", "half", "photos", "count_in_range", "count_mae", "present",
            "median_classes"]
    print("\t".join(cols))
    for r in rows:
        print("\t".join(str(r.get(c, "")) for c in cols))
    print(json.dumps(summary) if not args.json else "")
    if args.json:
        print(json.dumps({**summary, "results": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
