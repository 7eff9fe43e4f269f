"""Benchmark near-duplicate grouping on labelled pairs: precision and recall per difficulty.

    python bench/duplicates.py [--data DIR] [--json] [--scale N]

DIR (default ../shared/data/duplicates) holds ``pairs.csv`` (file_a, file_b,
is_near_duplicate, difficulty, relation). Every file of the pairs is decoded as the media
stage does (pyvips, analysis size, EXIF orientation), hashed, and all of them are grouped
together by the configured rule (``[duplicates]`` defaults); a pair counts as grouped when
both files end in one group. The old rule (plain dHash <= 4 and pHash <= 8 of the whole
photo) runs on the same photos as the baseline. The pairs are also split in two halves
(alternate pairs of each difficulty and label): the default comes from hash geometry (see
recognize/clustering/duplicates.py), the halves show it holds on both, and the smallest
distance of a negative pair shows the margin. ``--scale N`` also times the grouping of N
random codes (exact all-pairs comparison) against the old rule's on N random hashes, and the
incremental run after 100 new photos (what the job does after a batch) against the full one.
With --json the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recognize.clustering.duplicates import distance, groups, regroup  # noqa: E402
from recognize.config import Settings  # noqa: E402
from recognize.jobs.duplicates import duplicate_params  # noqa: E402
from recognize.media import MediaOptions, decode_only, hashes  # noqa: E402
from recognize.media.hashing import all_hashes  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "duplicates"


def old_groups(items: list[tuple[int, str, str]]) -> list[list[int]]:
    """Yesterday's rule (dHash <= 4 bits and pHash <= 8 bits, whole photo), for comparison."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rows, cols = [], []
    for i, (_, pa, da) in enumerate(items):
        for j, (_, pb, db) in enumerate(items[:i]):
            if (int(da, 16) ^ int(db, 16)).bit_count() <= 4 and \
                    (int(pa, 16) ^ int(pb, 16)).bit_count() <= 8:
                rows.append(i)
                cols.append(j)
    n = len(items)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    found: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        found[int(label)].append(items[i][0])
    return [g for g in found.values() if len(g) > 1]


def score(pairs: list[dict[str, str]], index: dict[str, int], found: list[list[int]]
          ) -> dict[str, Any]:
    group_of = {pid: n for n, g in enumerate(found) for pid in g}

    def together(p: dict[str, str]) -> bool:
        a, b = index[p["file_a"]], index[p["file_b"]]
        return a in group_of and group_of.get(a) == group_of.get(b)

    out: dict[str, Any] = {}
    positives = [p for p in pairs if p["is_near_duplicate"] == "1"]
    negatives = [p for p in pairs if p["is_near_duplicate"] == "0"]
    for level in ("easy", "medium", "hard", "all"):
        pos = [p for p in positives if level in ("all", p["difficulty"])]
        hit = [p for p in pos if together(p)]
        out[level] = {"positives": len(pos), "found": len(hit),
                      "recall": round(len(hit) / len(pos), 3) if pos else None,
                      "missed": [f"{p['relation']}: {Path(p['file_b']).name}"
                                 for p in pos if not together(p)]}
    grouped_neg = [p for p in negatives if together(p)]
    out["negatives"] = len(negatives)
    out["negatives_grouped"] = len(grouped_neg)
    found_pos = out["all"]["found"]
    out["precision"] = round(found_pos / (found_pos + len(grouped_neg)), 3) if found_pos else None
    return out


def scale(n: int, params: Any) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    codes = ["".join(f"{b:02x}" for b in rng.integers(0, 256, 64)) for _ in range(n)]
    start = time.perf_counter()
    found = groups(list(enumerate(codes, 1)), params)
    new_s = time.perf_counter() - start
    small = [(i, c[:16], c[16:32]) for i, c in enumerate(codes[:min(n, 2000)], 1)]
    start = time.perf_counter()
    old_groups(small)
    old_s = (time.perf_counter() - start) * (n / len(small)) ** 2  # all pairs: quadratic
    items = list(enumerate(codes, 1))  # then a batch of 100 new photos: what a run costs now
    batch = [(n + i, "".join(f"{b:02x}" for b in rng.integers(0, 256, 64))) for i in range(1, 101)]
    start = time.perf_counter()
    again = regroup(dict(items), found, items + batch, params)
    step_s = time.perf_counter() - start
    assert again == groups(items + batch, params)
    return {"photos": n, "seconds": round(new_s, 2), "chance_groups": len(found),
            "incremental_100_new_seconds": round(step_s, 3),
            "incremental_vs_full": round(step_s / new_s, 4) if new_s else None,
            "old_rule_pure_python_seconds_extrapolated": round(old_s, 1),
            "speed_ratio_vs_old": round(old_s / new_s, 1) if new_s else None}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--scale", type=int, default=0, help="also time N random codes")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with (args.data / "pairs.csv").open(newline="") as fh:
        pairs = list(csv.DictReader(fh))
    files = sorted({p["file_a"] for p in pairs} | {p["file_b"] for p in pairs})
    index = {f: n for n, f in enumerate(files, 1)}
    opts, params = MediaOptions(), duplicate_params(Settings())
    codes: dict[int, str] = {}
    old: list[tuple[int, str, str]] = []
    hash_s = old_s = 0.0
    for f in files:
        pixels = decode_only(args.data / f, opts)
        start = time.perf_counter()
        codes[index[f]] = all_hashes(pixels)[2]
        hash_s += time.perf_counter() - start
        start = time.perf_counter()
        ph, dh = hashes(pixels)
        old_s += time.perf_counter() - start
        old.append((index[f], ph, dh))
    start = time.perf_counter()
    found = groups(sorted(codes.items()), params)
    group_ms = (time.perf_counter() - start) * 1000
    result: dict[str, Any] = {
        "photos": len(files), "pairs": len(pairs),
        "rule": {"max_distance": params.max_distance, "mirrored": params.mirrored},
        "hash_ms_per_photo": round(hash_s * 1000 / len(files), 2),
        "hash_time_ratio_vs_old_two": round(hash_s / old_s, 2) if old_s else None,
        "group_ms": round(group_ms, 1),
        "now": score(pairs, index, found),
        "old_rule": score(pairs, index, old_groups(old)),
    }
    classes: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for p in pairs:
        classes[(p["difficulty"], p["is_near_duplicate"])].append(p)
    for half in (0, 1):  # alternate pairs of each (difficulty, label): both halves hold all
        part = [p for members in classes.values() for p in members[half::2]]
        dists = [(p, distance(codes[index[p["file_a"]]], codes[index[p["file_b"]]],
                              params.mirrored)) for p in part]
        result[f"half_{'ab'[half]}"] = {
            **{k: v for k, v in score(part, index, found).items()},
            "max_positive_distance": {lvl: max((d for p, d in dists if p["difficulty"] == lvl
                                                and p["is_near_duplicate"] == "1"), default=None)
                                      for lvl in ("easy", "medium", "hard")},
            "min_negative_distance": min((d for p, d in dists if p["is_near_duplicate"] == "0"),
                                         default=None),
        }
    if args.scale:
        result["scale"] = scale(args.scale, params)
    if not args.json:
        _table(result)
    print(json.dumps(result) if args.json else "")
    return 0


def _table(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"near-duplicates on {result['photos']} photos, {result['pairs']} pairs "
                        f"(max_distance {result['rule']['max_distance']} of 256)")
    for col in ("rule", "set", "easy", "medium", "hard", "all", "precision", "neg grouped"):
        table.add_column(col)
    for name in ("old_rule", "now", "half_a", "half_b"):
        r = result[name]
        table.add_row(name, "all" if name in ("old_rule", "now") else name[-1],
                      *(f"{r[k]['found']}/{r[k]['positives']} = {r[k]['recall']}"
                        for k in ("easy", "medium", "hard", "all")),
                      str(r["precision"]), f"{r['negatives_grouped']}/{r['negatives']}")
    console = Console(width=max(Console().width, 130))
    console.print(table)
    for name in ("half_a", "half_b"):
        r = result[name]
        console.print(f"{name}: largest positive distance {r['max_positive_distance']}, "
                      f"smallest negative {r['min_negative_distance']}")
    console.print("missed: " + "; ".join(result["now"]["all"]["missed"]))
    console.print(f"hashing {result['hash_ms_per_photo']} ms/photo "
                  f"({result['hash_time_ratio_vs_old_two']}x the time of the old two hashes alone); "
                  f"grouping {result['group_ms']} ms")
    if "scale" in result:
        console.print(f"scale: {result['scale']}")


if __name__ == "__main__":
    raise SystemExit(main())
