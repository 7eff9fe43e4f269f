"""Benchmark the ImageNet classifiers: top-1/top-5 against labels.csv, time per photo, RSS.

    python bench/classify.py --data DIR [--model lite0|lite2|all] [--batch N] [--json]

DIR holds ``labels.csv`` with a ``file`` column (relative to DIR) and a ``wnid`` column
(ImageNet class id such as n01440764) or a ``class_index`` column (0-999 in the standard
order). Photos are decoded once with pyvips (512 px, shrink-on-load, as the pipeline does);
decode time is reported separately from preprocessing + inference. With --json the last
line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.report import emit
from recognize.inference.base import Runtime
from recognize.inference.classify import Classifier, load_classifier
from recognize.inference.wordnet_table import imagenet_class_ids

MODELS = {"lite0": "efficientnet-lite0", "lite2": "efficientnet-lite2"}


def read_labels(data: Path) -> list[tuple[Path, str]]:
    ids = imagenet_class_ids()
    with (data / "labels.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        label = r.get("wnid") or ids[int(r["class_index"])]
        out.append((data / r["file"], label))
    return out


def decode_all(items: list[tuple[Path, str]]) -> tuple[list[np.ndarray], float]:
    import pyvips

    start = time.perf_counter()
    images = [pyvips.Image.thumbnail(str(p), 512, size="down").numpy() for p, _ in items]
    return images, (time.perf_counter() - start) * 1000 / max(len(items), 1)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(model: Classifier, images: list[np.ndarray], labels: list[str], batch: int) -> dict:
    start = time.perf_counter()
    model.load()
    load_s = time.perf_counter() - start
    pre = infer = 0.0
    top1 = top5 = 0
    ids = model.class_ids
    for i in range(0, len(images), batch):
        t0 = time.perf_counter()
        x = np.stack([model.preprocess(a) for a in images[i : i + batch]])
        t1 = time.perf_counter()
        probs = model.probabilities(x)
        t2 = time.perf_counter()
        pre, infer = pre + t1 - t0, infer + t2 - t1
        for row, label in zip(probs, labels[i : i + batch], strict=True):
            top = [ids[j] for j in np.argsort(-row)[:5]]
            top1 += top[0] == label
            top5 += label in top
    n = max(len(images), 1)
    return {
        "model": model.version,
        "photos": len(images),
        "top1": round(top1 / n, 4),
        "top5": round(top5 / n, 4),
        "ms_preprocess": round(pre * 1000 / n, 2),
        "ms_inference": round(infer * 1000 / n, 2),
        "ms_per_photo": round((pre + infer) * 1000 / n, 2),
        "load_s": round(load_s, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def show(results: list[dict[str, Any]], decode_ms: float) -> None:
    cols = ["model", "photos", "top1", "top5", "ms_preprocess", "ms_inference", "ms_per_photo",
            "load_s", "peak_rss_mb"]
    try:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"ImageNet classifiers (decode {decode_ms:.1f} ms/photo, excluded)")
        for c in cols:
            table.add_column(c)
        for r in results:
            table.add_row(*(str(r[c]) for c in cols))
        Console(width=max(Console().width, 130)).print(table)
    except ImportError:
        print(f"decode {decode_ms:.1f} ms/photo (excluded)")
        print("\t".join(cols))
        for r in results:
            print("\t".join(str(r[c]) for c in cols))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--model", choices=[*MODELS, "all"], default="all")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--precision", default="auto", choices=["auto", "f32", "bf16", "f16"])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    items = read_labels(args.data)
    images, decode_ms = decode_all(items)
    labels = [label for _, label in items]
    runtime = Runtime(threads=args.threads, precision=args.precision)
    names = list(MODELS) if args.model == "all" else [args.model]
    results = [run(load_classifier(MODELS[n], runtime), images, labels, args.batch) for n in names]
    show(results, decode_ms)
    return emit({"decode_ms_per_photo": round(decode_ms, 2), "batch": args.batch,
                 "precision": args.precision, "results": results}, args.json)


if __name__ == "__main__":
    sys.exit(main())
