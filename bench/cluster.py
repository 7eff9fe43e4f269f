"""Benchmark face clustering: quality on every labelled photo set, stability, and scale.

    python bench/cluster.py [--data DIR ...] [--all-faces] [--bw 0.5] [--json]
    python bench/cluster.py --incremental [--data DIR ...] [--seeds 3] [--batches 5] [--json]
    python bench/cluster.py --synthetic 100000 [1000000 ...] [--json]
    python bench/cluster.py --embeddings FILE.npz [--json]   arrays `embeddings`, `labels`

Quality (default): for each folder in the faces/ layout (default: every folder under
../shared/data whose labels.csv names identities) the project's own face pipeline embeds the
identity photos (cached under ~/.cache/recognize-bench; the first run takes minutes), and the
labelled face of each photo (its largest) is clustered by ours with the default settings and
by the baselines: plain HDBSCAN (min_cluster_size 2, min_samples 2), Chinese Whispers at 0.5
and 0.6 (as dlib runs it), DBSCAN (eps 0.5, min_samples 3). One row per set and method, then
each method's worst BCubed F1 over the sets. ``--all-faces`` clusters every face found in
the photos (with their photo ids: two faces of one photo are never one person) and scores
the labelled ones; ``--bw F`` adds, per set, a variant where a fraction F of each set's photos
is shown in black and white (a robustness check, not a tuning target).

Incremental: the photos arrive in batches in random order (per seed) through
``update_persons`` with the previous result as ``current``, in one run for two user
behaviours: nobody names anything (the persons are the system's own: the final BCubed F1
should be within 0.02 of clustering everything at once), and the user names every person
after every batch (named persons must lose no face; F1 reported too). Reports, per set,
behaviour and seed, the F1, how many faces named persons lost and how many faces moved
between batches, and which target each behaviour meets.

Synthetic: dlib-like embeddings (bench/clustering_eval/synthetic.py); each size runs in a
fresh process that reports the clustering time, its peak memory (VmHWM, embeddings
included), quality against the generator's identities, and the time to assign 1,000 new
faces to the persons found. With --json the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.clustering_eval import incremental, photos  # noqa: E402
from bench.clustering_eval.baselines import chinese_whispers, dbscan  # noqa: E402
from bench.clustering_eval.metrics import evaluate  # noqa: E402
from bench.clustering_eval.synthetic import distance_percentiles, generate  # noqa: E402
from bench.report import emit  # noqa: E402
from recognize.clustering import ClusterParams, KnownFaces, assign, cluster  # noqa: E402

SHARED = Path(os.environ.get("RECOGNIZE_TEST_DATA", REPO.parent / "shared" / "data"))
OURS = "ours (defaults)"
Method = Callable[[np.ndarray, np.ndarray | None], np.ndarray]


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def methods(n: int, cw_max: int) -> dict[str, Method]:
    """Ours and the baselines; the second argument is the faces' photo ids (ours only)."""
    table: dict[str, Method] = {
        OURS: lambda x, p: cluster(x, ClusterParams(), photo_ids=p),
        "DBSCAN eps 0.5 ms 3": lambda x, p: dbscan(x, 0.5, 3),
    }
    if n <= cw_max:
        import hdbscan

        table["HDBSCAN mcs 2 ms 2"] = lambda x, p: hdbscan.HDBSCAN(
            min_cluster_size=2, min_samples=2).fit_predict(x.astype(np.float64))
        table["Chinese Whispers 0.5"] = lambda x, p: chinese_whispers(x, 0.5)
        table["Chinese Whispers 0.6"] = lambda x, p: chinese_whispers(x, 0.6)
    return table


def compare(x: np.ndarray, truth: np.ndarray, photo: np.ndarray | None, scored: np.ndarray,
            cw_max: int) -> list[dict[str, Any]]:
    """Every method on the same faces; metrics over the ``scored`` rows."""
    rows = []
    for name, run in methods(len(x), cw_max).items():
        start = time.perf_counter()
        predicted = np.asarray(run(x, photo))
        seconds = time.perf_counter() - start
        quality = evaluate(predicted[scored], truth[scored]).as_dict()
        rows.append({"method": name, "seconds": round(seconds, 3), **quality})
    return rows


def print_table(title: str, rows: list[dict[str, Any]]) -> None:
    print(title)
    print(f"  {'method':24} {'BCubed P':>8} {'R':>6} {'F1':>6} {'pair P':>7} {'pair R':>7} "
          f"{'persons':>8} {'ids':>5} {'unassigned':>10} {'s':>7}")
    for r in rows:
        print(f"  {r['method']:24} {r['bcubed_precision']:8.3f} {r['bcubed_recall']:6.3f} "
              f"{r['bcubed_f1']:6.3f} {r['pairwise_precision']:7.3f} {r['pairwise_recall']:7.3f} "
              f"{r['persons_found']:8d} {r['identities']:5d} {r['unassigned']:10d} "
              f"{r['seconds']:7.2f}")


def face_set(folder: Path, variant: str, refresh: bool) -> photos.FaceSet:
    started = time.perf_counter()
    found = photos.load(folder, variant=variant, refresh=refresh)
    how = "cache" if found.cached else "pipeline"
    print(f"{found.name}: {len(found.embeddings)} faces in {found.photos} photos "
          f"({found.photos_without_face} without a face), from the {how} in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    return found


def bw_mix(colour: photos.FaceSet, gray: photos.FaceSet, fraction: float,
           seed: int = 0) -> photos.FaceSet:
    """``colour`` with a random ``fraction`` of its photos replaced by their gray version."""
    rng = np.random.default_rng(seed)
    chosen = {int(p) for p in np.unique(colour.photo) if rng.random() < fraction}
    chosen &= {int(p) for p in np.unique(gray.photo)}  # gray photos with a face only
    take_c = ~np.isin(colour.photo, list(chosen))
    take_g = np.isin(gray.photo, list(chosen))

    def cat(field: str) -> np.ndarray:
        return np.concatenate([getattr(colour, field)[take_c], getattr(gray, field)[take_g]])

    return photos.FaceSet(
        name=f"{colour.name}+bw{round(fraction * 100)}%", embeddings=cat("embeddings"),
        photo=cat("photo"), labelled=cat("labelled"), identity=cat("identity"),
        box_px=cat("box_px"), score=cat("score"), photos=colour.photos,
        photos_without_face=colour.photos_without_face, seconds=0.0, cached=True)


def quality(folders: list[Path], args: argparse.Namespace) -> dict[str, Any]:
    sets = []
    for folder in folders:
        colour = face_set(folder, "photo", args.refresh)
        sets.append(colour)
        if args.bw:
            sets.append(bw_mix(colour, face_set(folder, "gray", args.refresh), args.bw))
    report: dict[str, Any] = {"mode": "all faces" if args.all_faces else "labelled faces",
                              "params": ClusterParams().digest_fields(), "sets": []}
    for found in sets:
        rows = np.arange(len(found.embeddings)) if args.all_faces else found.labelled_rows()
        x, truth = found.embeddings[rows], found.identity[rows]
        scored = np.flatnonzero(found.labelled[rows])
        photo = found.photo[rows] if args.all_faces else None
        table = compare(x, truth, photo, scored, args.cw_max)
        entry = {"set": found.name, "faces": len(x), "labelled": len(scored),
                 "photos": found.photos, "photos_without_face": found.photos_without_face,
                 "distances": distance_percentiles(x[scored], truth[scored]), "rows": table}
        report["sets"].append(entry)
        print_table(f"{found.name}: {len(scored)} labelled faces of "
                    f"{len(np.unique(truth[scored]))} people ({len(x)} faces clustered)", table)
    report["min_f1"] = _min_f1([s for s in report["sets"] if "+bw" not in s["set"]])
    print("worst BCubed F1 over " + ", ".join(s["set"] for s in report["sets"]
                                             if "+bw" not in s["set"]) + ":")
    for name, value in report["min_f1"].items():
        print(f"  {name:24} {value:.3f}")
    if args.bw:
        report["min_f1_bw"] = _min_f1([s for s in report["sets"] if "+bw" in s["set"]])
    return report


def _min_f1(sets: list[dict[str, Any]]) -> dict[str, float]:
    names = dict.fromkeys(r["method"] for s in sets for r in s["rows"])
    return {name: round(min(r["bcubed_f1"] for s in sets for r in s["rows"]
                            if r["method"] == name), 4) for name in names}


MAX_F1_DROP = 0.02
"""Issue 11's stability target: arriving in batches costs at most this much BCubed F1."""


def incremental_report(folders: list[Path], args: argparse.Namespace) -> dict[str, Any]:
    """Per set, per user behaviour (``incremental.NAMING``), per seed: the final F1 against
    one batch and the faces named persons lost; which target each behaviour meets."""
    report: dict[str, Any] = {"mode": "incremental", "batches": args.batches,
                              "max_f1_drop": MAX_F1_DROP, "sets": []}
    for folder in folders:
        found = face_set(folder, "photo", args.refresh)
        rows = np.arange(len(found.embeddings)) if args.all_faces else found.labelled_rows()
        x, truth, photo = found.embeddings[rows], found.identity[rows], found.photo[rows]
        scored = np.flatnonzero(found.labelled[rows])
        reference = incremental.one_batch_f1(x, truth, photo, scored=scored)
        entry: dict[str, Any] = {"set": found.name, "one_batch_f1": reference, "naming": {}}
        print(f"{found.name}: {args.batches} batches, one batch F1 {reference:.3f}")
        for naming in incremental.NAMING:
            runs = [incremental.simulate(x, truth, photo, batches=args.batches, seed=seed,
                                         scored=scored, naming=naming, reference=reference)
                    for seed in range(args.seeds)]
            worst = max(r.f1_drop for r in runs)
            lost = sum(r.named_faces_lost for r in runs)
            entry["naming"][naming] = {
                "runs": [r.as_dict() for r in runs], "worst_f1_drop": round(worst, 4),
                "named_faces_lost": lost, "f1_target_met": worst <= MAX_F1_DROP,
                "no_named_face_lost": lost == 0}
            who = "nothing" if naming == "nobody" else "every person after every batch"
            print(f"  the user names {who}:")
            for r in runs:
                print(f"    seed {r.seed}: F1 {r.bcubed_f1:.3f} ({r.bcubed_f1 - r.one_batch_f1:+.3f}; P "
                      f"{r.bcubed_precision:.3f} R {r.bcubed_recall:.3f}), named faces lost "
                      f"{r.named_faces_lost}, faces moved {r.faces_moved}, {r.persons} persons,"
                      f" {r.seconds:.2f} s")
            print(f"    worst drop {worst:.3f} (target <= {MAX_F1_DROP}: "
                  f"{'met' if worst <= MAX_F1_DROP else 'NOT met'}), named faces lost {lost} "
                  f"(target 0: {'met' if lost == 0 else 'NOT met'})")
        report["sets"].append(entry)
    return report


def synthetic_child(n: int, seed: int) -> dict[str, Any]:
    """One size, in this (fresh) process: cluster, then assign 1,000 new faces."""
    x, y = _synthetic(n + 1000, seed)
    x, y, new = x[:n], y[:n], x[n:]
    before = peak_rss_mb()
    start = time.perf_counter()
    labels = cluster(x)
    seconds = time.perf_counter() - start
    peak = peak_rss_mb()
    q = evaluate(labels, y)
    inside = labels >= 0
    start = time.perf_counter()
    known = KnownFaces(x[inside], labels[inside].tolist())
    built = time.perf_counter()
    joined = assign(new, known)
    done = time.perf_counter()
    return {"faces": n, "cluster_seconds": round(seconds, 2), "peak_rss_mb": round(peak),
            "rss_before_cluster_mb": round(before), "bcubed_precision": round(q.bcubed_precision, 4),
            "bcubed_recall": round(q.bcubed_recall, 4), "bcubed_f1": round(q.bcubed_f1, 4),
            "identities": q.identities, "persons": q.persons_found, "unassigned": q.unassigned,
            "known_index_seconds": round(built - start, 3),
            "assign_1000_seconds": round(done - built, 3),
            "assigned": sum(p is not None for p in joined), "known_persons": len(known.persons)}


def _synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    path = photos.CACHE / f"synthetic-{n}-{seed}.npz"
    if path.exists():
        data = np.load(path)
        return data["x"], data["y"]
    x, y = generate(n, seed=seed)
    photos.CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, x=x, y=y)
    return x, y


def synthetic_report(sizes: list[int], seed: int) -> dict[str, Any]:
    runs = []
    for n in sizes:
        _synthetic(n + 1000, seed)  # generated here, so the child's peak is the clustering's
        out = subprocess.run([sys.executable, __file__, "--synthetic-child", str(n),
                              "--seed", str(seed)], capture_output=True, text=True, check=True)
        run = json.loads(out.stdout.strip().splitlines()[-1])
        runs.append(run)
        print(f"synthetic N={n}: cluster {run['cluster_seconds']} s, peak {run['peak_rss_mb']} MB"
              f" (embeddings loaded: {run['rss_before_cluster_mb']} MB), BCubed P "
              f"{run['bcubed_precision']} R {run['bcubed_recall']}; 1,000 new faces to "
              f"{run['known_persons']} persons: {run['assign_1000_seconds']} s "
              f"(summaries {run['known_index_seconds']} s), {run['assigned']} joined")
    return {"mode": "synthetic", "seed": seed, "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, action="append",
                        help="a folder in the faces/ layout (repeatable; default: every "
                             "labelled folder under ../shared/data)")
    parser.add_argument("--all-faces", action="store_true",
                        help="cluster every face of the photos, score the labelled ones")
    parser.add_argument("--bw", type=float, default=0.0, metavar="F",
                        help="add a variant per set with a fraction F of photos in b/w")
    parser.add_argument("--incremental", action="store_true")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--synthetic", type=int, nargs="+", metavar="N")
    parser.add_argument("--synthetic-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--embeddings", type=Path, metavar="FILE.npz")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cw-max", type=int, default=20_000,
                        help="skip Chinese Whispers and plain HDBSCAN above this many faces")
    parser.add_argument("--refresh", action="store_true", help="recompute cached embeddings")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.synthetic_child:
        print(json.dumps(synthetic_child(args.synthetic_child, args.seed)))
        return 0
    if args.synthetic:
        report = synthetic_report(args.synthetic, args.seed)
    elif args.embeddings:
        data = np.load(args.embeddings, allow_pickle=False)
        x, y = data["embeddings"].astype(np.float32), data["labels"]
        rows = compare(x, y, None, np.arange(len(x)), args.cw_max)
        print_table(str(args.embeddings), rows)
        report = {"mode": "embeddings", "source": str(args.embeddings), "rows": rows}
    else:
        folders = args.data or photos.labelled_folders(SHARED)
        if not folders:
            parser.error(f"no labelled folders under {SHARED}; give --data")
        report = incremental_report(folders, args) if args.incremental else quality(folders, args)
    report["peak_rss_mb"] = round(peak_rss_mb())
    return emit(report, args.json, default=float)


if __name__ == "__main__":
    raise SystemExit(main())
