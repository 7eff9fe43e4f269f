"""Benchmark face clustering: quality (BCubed, pairwise) and speed against baselines.

    python bench/cluster.py --synthetic 30000 [--json]      synthetic dlib-like embeddings
    python bench/cluster.py --embeddings FILE.npz [--json]  arrays `embeddings`, `labels`

Compares ours (recognize.clustering.cluster with default ClusterParams) with Chinese Whispers
at 0.5 and 0.6 (skipped above --cw-max faces: pure-Python, O(iterations * edges)), DBSCAN
(eps 0.5, min_samples 3) and plain HDBSCAN (min_cluster_size 2, min_samples 2; skipped above
--cw-max too). Synthetic mode also times assigning 1,000 new faces to the clustered ones.
Prints a table; with --json the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recognize.clustering import ClusterParams, KnownFaces, assign, cluster
from recognize.clustering.baselines import chinese_whispers, dbscan
from recognize.clustering.metrics import evaluate
from recognize.clustering.synthetic import distance_percentiles, generate


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def methods(n: int, cw_max: int) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    table: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "ours (defaults)": lambda x: cluster(x, ClusterParams()),
        "DBSCAN eps 0.5 ms 3": lambda x: dbscan(x, 0.5, 3),
    }
    if n <= cw_max:
        import hdbscan

        table["Chinese Whispers 0.5"] = lambda x: chinese_whispers(x, 0.5)
        table["Chinese Whispers 0.6"] = lambda x: chinese_whispers(x, 0.6)
        table["HDBSCAN mcs 2 ms 2"] = lambda x: hdbscan.HDBSCAN(
            min_cluster_size=2, min_samples=2).fit_predict(x.astype(np.float64))
    return table


def compare(embeddings: np.ndarray, labels: np.ndarray, cw_max: int) -> list[dict[str, Any]]:
    """Run every method on the same embeddings; one row of metrics per method."""
    rows = []
    for name, run in methods(len(embeddings), cw_max).items():
        start = time.perf_counter()
        predicted = run(embeddings)
        seconds = time.perf_counter() - start
        quality = evaluate(predicted, labels).as_dict()
        rows.append({"method": name, "seconds": round(seconds, 2), **quality,
                     "peak_rss_mb": round(peak_rss_mb())})
    return rows


def time_assign(embeddings: np.ndarray, new: np.ndarray) -> dict[str, float]:
    """Cluster ``embeddings``, then time assigning ``new`` faces to the persons found."""
    labels = cluster(embeddings)
    inside = labels >= 0
    start = time.perf_counter()
    known = KnownFaces(embeddings[inside], labels[inside].tolist())
    built = time.perf_counter()
    joined = assign(new, known)
    done = time.perf_counter()
    return {"index_seconds": round(built - start, 3), "assign_seconds": round(done - built, 3),
            "new_faces": len(new), "assigned": sum(p is not None for p in joined)}


def print_table(rows: list[dict[str, Any]], title: str) -> None:
    """The metrics table (also the entry point for a future real-photo `--data DIR` mode)."""
    print(title)
    head = f"{'method':24} {'BCubed P':>8} {'R':>6} {'F1':>6} {'pair P':>7} {'pair R':>7} " \
           f"{'persons':>8} {'ids':>6} {'unassigned':>10} {'s':>8}"
    print(head)
    for r in rows:
        print(f"{r['method']:24} {r['bcubed_precision']:8.3f} {r['bcubed_recall']:6.3f} "
              f"{r['bcubed_f1']:6.3f} {r['pairwise_precision']:7.3f} {r['pairwise_recall']:7.3f} "
              f"{r['persons_found']:8d} {r['identities']:6d} {r['unassigned']:10d} "
              f"{r['seconds']:8.2f}")


def evaluate_embeddings(embeddings: np.ndarray, labels: np.ndarray, source: str,
                        cw_max: int) -> dict[str, Any]:
    """Embeddings + identity labels -> the report (and the printed table). A future
    ``--data DIR`` mode computes embeddings with the project's face pipeline and calls this."""
    report: dict[str, Any] = {"source": source, "distances": distance_percentiles(embeddings,
                                                                                  labels)}
    report["rows"] = compare(embeddings, labels, cw_max)
    print_table(report["rows"], f"{source}: {len(embeddings)} faces, "
                f"{len(np.unique(labels))} identities")
    print(f"distance percentiles 1/5/25/50/75/95/99: {report['distances']}")
    return report


def embed_folder(data: Path) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Run the project's face pipeline (decode at the analysis size, detect, align, embed) on
    the identity photos of a folder in the faces/ layout (labels.csv: file, kind, identity).
    Returns the largest face of each photo with its identity, and context figures."""
    import csv

    from recognize.config import Settings
    from recognize.inference.faces import FaceAnalyzer
    from recognize.jobs.recognition import runtime
    from recognize.jobs.worker import media_options
    from recognize.media import decode

    settings = Settings()
    analyzer = FaceAnalyzer.from_specs(runtime(settings))
    options = media_options(settings)
    rows = [r for r in csv.DictReader((data / "labels.csv").open()) if r["kind"] == "identity"]
    embeddings, labels, missed, faces_total = [], [], 0, 0
    start = time.perf_counter()
    for row in rows:
        pixels = decode(data / row["file"], options, None)
        faces = analyzer.analyze(pixels)
        faces_total += len(faces)
        if not faces:
            missed += 1
            continue
        largest = max(faces, key=lambda f: f.box[2] * f.box[3])
        embeddings.append(largest.embedding)
        labels.append(row["identity"])
    context = {"photos": len(rows), "photos_without_face": missed, "faces_detected": faces_total,
               "pipeline_seconds": round(time.perf_counter() - start, 2)}
    names = sorted(set(labels))
    y = np.array([names.index(label) for label in labels])
    return np.array(embeddings, dtype=np.float32), y, context


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--synthetic", type=int, metavar="N", help="N synthetic faces")
    source.add_argument("--embeddings", type=Path, metavar="FILE.npz",
                        help="real embeddings: arrays `embeddings` (N, 128) and `labels` (N,)")
    source.add_argument("--data", type=Path, metavar="DIR",
                        help="a folder in the faces/ layout: run detect, embed and cluster")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cw-max", type=int, default=20_000,
                        help="skip Chinese Whispers and plain HDBSCAN above this many faces")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.synthetic:
        x, y = generate(args.synthetic + 1000, seed=args.seed)
        x, y, new = x[:-1000], y[:-1000], x[-1000:]
        source = f"synthetic N={args.synthetic} seed={args.seed}"
    elif args.data:
        x, y, context = embed_folder(args.data)
        new = None
        source = f"{args.data} (largest face of each identity photo)"
        print(f"pipeline: {context}")
    else:
        data = np.load(args.embeddings, allow_pickle=False)
        x, y, new = data["embeddings"].astype(np.float32), data["labels"], None
        source = str(args.embeddings)
    timing = time_assign(x, new) if new is not None else None  # first: baselines' OpenMP
    report = evaluate_embeddings(x, y, source, args.cw_max)  # thread pools can slow faiss
    if timing is not None:
        report["assign"] = timing
        print(f"assign (cluster, then 1,000 new faces): {timing}")
    if args.data:
        report["pipeline"] = context
    report["peak_rss_mb"] = round(peak_rss_mb())
    print(f"peak RSS {report['peak_rss_mb']} MB")
    if args.json:
        print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
