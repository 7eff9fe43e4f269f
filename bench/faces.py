"""Benchmark recognize's face pipeline against dlib's own, on every labelled photo set.

    python bench/faces.py [--data DIR ...] [--json] [--threshold 0.6] [--max-side 1920]

Each DIR has the faces/ layout: labels.csv (file, kind = identity|group|no_face|..., identity,
faces_min, faces_max) and optionally groups.json (per file: boxes_ltwh or nose_points_xy in
original-photo pixels). Default: every folder under ../shared/data whose labels.csv has
identity rows. One row per set:

* detection recall / precision on the annotated group faces, false faces on no-face photos,
  identity photos in which no face was found;
* close-ups: from every identity photo, a square crop around its largest dlib HOG face at
  1.0-1.3x the box, resized to 160-300 px (seeded by the file name, made here in memory,
  never written), and the share of them in which the face is found;
* verification TAR at FAR 1e-3 (largest face of each identity photo, all pairs) with the
  plain descriptor and with the mirror-averaged one;
* speed: ``--timing N`` photos of the set (evenly spaced over labels.csv) timed afresh in
  every run, ours and dlib's alternately on the same decoded pixels, as wall time and as
  process CPU time (robust when other work shares the cores), with ours split into detect /
  align / embed / mirror and the detector tiles per photo; ratio = dlib's time / ours;
  the ceiling is dlib's CPU time / ours for align + embed alone: what the speed-up could be
  with a detector that cost nothing and no mirror pass (a target above it needs a cheaper
  descriptor or alignment, not fewer tiles);
* quality reasons (recognize.inference.faces_quality) per set;
* the machine: CPU model, the SIMD/AI extensions OpenVINO can use, load average. OpenVINO's
  speed depends on them far more than dlib-bin's (AVX-512 VNNI / AMX bf16 vs AVX2 only),
  so a ratio is comparable only on the same kind of CPU.

Ours: BlazeFace tiles → dlib 5 points → OpenVINO ResNet. Reference (dlib-bin): HOG detector
(upsample 1) → the same 5-point predictor → dlib's ResNet. Results are cached under
~/.cache/recognize-bench (keyed by the photo, the analysis size and the source of the
recognize/inference modules), so only what changed is recomputed; --fresh ignores the cache.
Timings are never taken from the cache.
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import json
import os
import pickle
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from recognize.config import FacesSettings, JobsSettings
from recognize.inference.base import Runtime, load_manifest
from recognize.inference.faces import EMBEDDER, LANDMARKS, FaceAnalyzer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.faces_eval import Box, Found, evaluate, pipeline_gap  # noqa: E402
from bench.faces_speed import machine, timing, timing_sample  # noqa: E402
from bench.pixels import thumbnail_rgb  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
CACHE = Path.home() / ".cache" / "recognize-bench" / "faces"
CLOSEUP_FACTOR = (1.0, 1.3)  # crop side / face box side
CLOSEUP_SIZE = (160, 300)  # crop resized to this many pixels (square)


def labelled_sets(root: Path = SHARED) -> list[Path]:
    """Every folder under ``root`` whose labels.csv has at least one identity row."""
    found = []
    for labels in sorted(root.glob("*/labels.csv")):
        with labels.open() as fh:
            if any(r.get("kind") == "identity" and r.get("identity") for r in csv.DictReader(fh)):
                found.append(labels.parent)
    return found


def decode(path: Path, max_side: int) -> tuple[np.ndarray, float]:
    import pyvips

    original = pyvips.Image.new_from_file(str(path))
    pixels = thumbnail_rgb(path, max_side)
    turned = original.get_typeof("orientation") and original.get("orientation") in (5, 6, 7, 8)
    scale = pixels.shape[1] / (original.height if turned else original.width)
    return pixels, scale


def closeup(image: np.ndarray, box: Box, key: str) -> tuple[np.ndarray, Box]:
    """A square close-up of the face ``box`` (x, y, w, h in ``image`` pixels): crop side
    1.0-1.3x the box side, centred on the box (shifted to stay inside the photo, and no larger
    than its shorter side), resized to 160-300 px. ``key`` seeds the factor and the size.
    Returns the pixels and the face box in them."""
    rng = random.Random(hashlib.sha256(key.encode()).digest())
    factor, size = rng.uniform(*CLOSEUP_FACTOR), rng.randint(*CLOSEUP_SIZE)
    height, width = image.shape[:2]
    side = min(max(box[2], box[3]) * factor, width, height)
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    x0 = min(max(cx - side / 2, 0.0), width - side)
    y0 = min(max(cy - side / 2, 0.0), height - side)
    crop = Image.fromarray(image).resize(
        (size, size), Image.Resampling.LANCZOS, box=(x0, y0, x0 + side, y0 + side)
    )
    k = size / side
    return np.asarray(crop), ((box[0] - x0) * k, (box[1] - y0) * k, box[2] * k, box[3] * k)


class Photo:
    """A photo decoded on first use (cached results need no decoding)."""

    def __init__(self, path: Path, max_side: int) -> None:
        self.path = path
        self.max_side = max_side
        self._decoded: tuple[np.ndarray, float] | None = None

    def _decode(self) -> tuple[np.ndarray, float]:
        if self._decoded is None:
            self._decoded = decode(self.path, self.max_side)
        return self._decoded

    def pixels(self) -> np.ndarray:
        return self._decode()[0]

    def scale(self) -> float:
        return self._decode()[1]

    def closeup(self, box: Box, key: str) -> tuple[np.ndarray, Box]:
        return closeup(self.pixels(), box, key)

    def hog_boxes(self) -> list[Box]:
        return hog_boxes(self.pixels())


class Cache:
    """Pickled results in ~/.cache/recognize-bench/faces, one file per (kind, key)."""

    def __init__(self, root: Path, enabled: bool) -> None:
        self.root = root
        self.enabled = enabled

    def get(self, kind: str, key: str, compute: Callable[[], Any]) -> Any:
        path = self.root / kind / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".pkl")
        if self.enabled and path.exists():
            return pickle.loads(path.read_bytes())
        value = compute()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(value))
        tmp.replace(path)
        return value


def code_digest() -> str:
    """Source of everything in recognize/inference: a change there invalidates our results."""
    h = hashlib.sha256()
    for path in sorted((REPO / "recognize" / "inference").glob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


class Reference:
    """dlib's own pipeline, as face_recognition and Nextcloud's facerecognition run it."""

    def __init__(self) -> None:
        import dlib

        specs = load_manifest()
        self.dlib = dlib
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(str(specs[LANDMARKS].path()))
        self.net = dlib.face_recognition_model_v1(str(specs[EMBEDDER].path()))

    def run(self, image: np.ndarray, describe: bool = True) -> tuple[list[Found], float]:
        start = time.perf_counter()
        out = []
        for r in self.detector(image, 1):
            desc = None
            if describe:
                shape = self.predictor(image, r)
                chip = self.dlib.get_face_chip(image, shape, size=150, padding=0.25)
                desc = np.array(self.net.compute_face_descriptor(chip), dtype=np.float32)
            out.append(Found((r.left(), r.top(), r.width(), r.height()), 1.0, desc, None))
        return out, time.perf_counter() - start

    def run_on(self, pixels: Callable[[], np.ndarray]) -> tuple[list[Found], float]:
        return self.run(pixels())


class Ours:
    """recognize's pipeline; times detect + align + embed (+ the mirrored chip when the
    configured default mirrors), and always computes both descriptors for the report."""

    def __init__(self, runtime: Runtime, mirror_default: bool) -> None:
        self.analyzer = FaceAnalyzer.from_specs(runtime)
        self.analyzer.load()
        self.mirror_default = mirror_default

    def run(self, image: np.ndarray, describe: bool = True) -> tuple[list[Found], float]:
        a = self.analyzer
        start = time.perf_counter()
        detections = a.detector.detect(image)
        if not describe:
            return [Found(d.box, d.score, None, None) for d in detections], time.perf_counter() - start
        faces, chips = a.describe_with_chips(image, detections)
        elapsed = time.perf_counter() - start
        t = time.perf_counter()
        flipped = a.embedder.predict(np.ascontiguousarray(chips[:, :, ::-1]))
        if self.mirror_default:
            elapsed += time.perf_counter() - t
        return [
            Found(f.box, f.score, f.embedding, m, f.quality)
            for f, m in zip(faces, flipped, strict=True)
        ], elapsed

    def run_on(self, pixels: Callable[[], np.ndarray]) -> tuple[list[Found], float]:
        return self.run(pixels())


@functools.cache
def _hog() -> Any:
    import dlib

    return dlib.get_frontal_face_detector()


def hog_boxes(image: np.ndarray) -> list[Box]:
    """dlib's HOG faces (upsample 1) as x, y, w, h."""
    return [(r.left(), r.top(), r.width(), r.height()) for r in _hog()(image, 1)]


def run_set(data: Path, args: argparse.Namespace, ours: Ours, reference: Reference | None,
            cache: Cache, digest: str) -> dict[str, Any]:
    with (data / "labels.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["kind"] in ("identity", "group", "no_face")]
    groups_path = data / "groups.json"
    groups = json.loads(groups_path.read_text()) if groups_path.exists() else {}
    ours_results: dict[str, list[Found]] = {}
    ref_results: dict[str, list[Found]] = {}
    ours_close: dict[str, tuple[Box, list[Found]]] = {}
    ref_close: dict[str, tuple[Box, list[Found]]] = {}
    scales: dict[str, float] = {}
    for row in rows:
        path = data / row["file"]
        photo_key = f"{row.get('sha256') or hashlib.sha256(path.read_bytes()).hexdigest()}@{args.max_side}"
        photo = Photo(path, args.max_side)
        scales[row["file"]] = cache.get("scale", photo_key, photo.scale)
        found, _ = cache.get(f"ours-{args.precision}", f"{digest}:{photo_key}",
                             functools.partial(ours.run_on, photo.pixels))
        ours_results[row["file"]] = found
        if reference is not None:
            found, _ = cache.get("dlib", photo_key, functools.partial(reference.run_on, photo.pixels))
            ref_results[row["file"]] = found
        if row["kind"] != "identity":
            continue
        # the close-up's face is dlib's largest HOG face: a box neither pipeline drew itself
        hog = cache.get("dlib-boxes", photo_key, photo.hog_boxes)
        if not hog:
            continue
        box = max(hog, key=lambda b: b[2] * b[3])
        key = f"{photo_key}:closeup:{box}"
        pixels, face_box = cache.get("closeup", key, functools.partial(photo.closeup, box, key))
        found, _ = cache.get(f"ours-{args.precision}", f"{digest}:{key}",
                             functools.partial(ours.run, pixels, describe=False))
        ours_close[row["file"]] = (face_box, found)
        if reference is not None:
            found, _ = cache.get("dlib", key, functools.partial(reference.run, pixels, describe=False))
            ref_close[row["file"]] = (face_box, found)
    report: dict[str, Any] = {
        "set": data.name,
        "photos": len(rows),
        "ours": evaluate(ours_results, ours_close, rows, groups, scales, args.threshold),
        "mirror_default": ours.mirror_default,
    }
    sample = [data / r["file"] for r in timing_sample(rows, args.timing)]
    report["timing"] = timing((decode(p, args.max_side)[0] for p in sample), ours, reference)
    if reference is not None:
        report["reference"] = evaluate(ref_results, ref_close, rows, groups, scales, args.threshold)
        report["descriptor_ours_vs_dlib_largest_face"] = pipeline_gap(ours_results, ref_results, rows)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--data", type=Path, action="append",
                        help="a labelled folder (repeat for several); default: every set under "
                        f"{SHARED} whose labels.csv has identities")
    parser.add_argument("--json", action="store_true", help="one JSON object on the last line")
    parser.add_argument("--threshold", type=float, default=0.6, help="dlib's published 0.6")
    parser.add_argument("--max-side", type=int, default=1920, help="analysis size")
    parser.add_argument("--precision", default="auto", help="OpenVINO precision hint")
    parser.add_argument("--no-reference", action="store_true", help="skip dlib's own pipeline")
    parser.add_argument("--fresh", action="store_true", help="recompute every result")
    parser.add_argument("--timing", type=int, default=30, metavar="N",
                        help="photos per set timed afresh, ours and dlib's alternately (0: none)")
    parser.add_argument("--threads", type=int, default=JobsSettings().threads,
                        help="OpenVINO inference threads (default: a worker's, jobs.threads)")
    args = parser.parse_args()

    sets = args.data or labelled_sets()
    if not sets:
        parser.error(f"no labelled sets under {SHARED}; pass --data")
    cache = Cache(CACHE, enabled=not args.fresh)
    host = machine()
    ours = Ours(Runtime(threads=args.threads, precision=args.precision), FacesSettings().mirror)
    reference = None if args.no_reference else Reference()
    digest = code_digest()
    reports = [run_set(data, args, ours, reference, cache, digest) for data in sets]
    summary = {
        "min_closeup_recall": min(r["ours"]["closeup_recall"] for r in reports),
        "min_tar_plain": min(r["ours"]["verification"]["tar_at_far_1e-3"] for r in reports),
        "min_tar_mirror": min(
            (r["ours"]["verification_mirror"] or {}).get("tar_at_far_1e-3", 0.0) for r in reports
        ),
        "machine": host | {"load_average_end": os.getloadavg()[0], "threads": args.threads},
    }
    print_table(reports, summary)
    if args.json:
        print(json.dumps({"sets": reports, "summary": summary}, default=float))


ROWS: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("group faces recall", lambda e: e["detection_recall"]),
    ("group faces precision", lambda e: e["detection_precision"]),
    ("annotated group faces", lambda e: e["annotated_faces"]),
    ("false faces on no-face photos", lambda e: e["false_faces_no_face_photos"]),
    ("identity photos without a face", lambda e: len(e["identity_photos_without_face"])),
    ("close-up recall", lambda e: e["closeup_recall"]),
    ("close-ups", lambda e: e["closeups"]),
    ("close-up extra faces", lambda e: e["closeup_extra_faces"]),
    ("TAR@FAR1e-3 plain", lambda e: e["verification"]["tar_at_far_1e-3"]),
    ("TAR@FAR1e-3 mirror", lambda e: (e["verification_mirror"] or {}).get("tar_at_far_1e-3")),
    ("verification precision@0.6", lambda e: e["verification"]["precision"]),
    ("verification recall@0.6", lambda e: e["verification"]["recall"]),
]


def print_table(reports: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    header = ["measure"]
    for r in reports:
        header += [f"{r['set']} ours"] + ([f"{r['set']} dlib"] if "reference" in r else [])
    lines = []
    for name, get in ROWS:
        line = [name]
        for r in reports:
            line.append(_fmt(get(r["ours"])))
            if "reference" in r:
                line.append(_fmt(get(r["reference"])) if "mirror" not in name else "-")
        lines.append(line)
    for label, ours_key, ref_key in (("ms per photo (wall)", "ms_per_photo_ours", "ms_per_photo_reference"),
                                     ("CPU ms per photo", "cpu_ms_per_photo_ours",
                                      "cpu_ms_per_photo_reference")):
        speed = [label]
        for r in reports:
            speed.append(_fmt(r["timing"].get(ours_key)))
            if "reference" in r:
                speed.append(_fmt(r["timing"].get(ref_key)))
        lines.append(speed)
    for label, key in (("speed-up over dlib (wall)", "speedup"),
                       ("speed-up over dlib (CPU)", "speedup_cpu"),
                       ("ceiling: detection free, no mirror", "speedup_cpu_ceiling"),
                       ("detector tiles per photo", "tiles_per_photo")):
        ratio = [label]
        for r in reports:
            ratio += [_fmt(r["timing"].get(key)), ""] if "reference" in r else [_fmt(r["timing"].get(key))]
        lines.append(ratio)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines, strict=True)]
    for line in [header, *lines]:
        print("  ".join(str(v).rjust(w) if i else str(v).ljust(w) for i, (v, w) in
                        enumerate(zip(line, widths, strict=True))))
    for r in reports:
        t = r["timing"]
        by_stage = ", ".join(f"{k} {v:.1f}" for k, v in t["cpu_ms_per_photo_ours_by_stage"].items())
        print(f"{r['set']}: ours CPU ms per photo by stage: {by_stage} ({t['photos']} photos timed)")
    m = summary["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, {' '.join(m['extensions']) or 'no AVX2'}, OpenVINO "
          f"{m['openvino']}, {m['threads']} inference thread(s), load {m['load_average']:.1f} -> "
          f"{m['load_average_end']:.1f}")
    for r in reports:
        q = r["ours"]["quality_reasons"]
        print(f"{r['set']}: quality reasons {q}; false faces' reasons {r['ours']['false_faces_quality']}")
    print(f"min over sets: close-up recall {summary['min_closeup_recall']:.3f}, TAR plain "
          f"{summary['min_tar_plain']:.3f}, TAR mirror {summary['min_tar_mirror']:.3f}")


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


if __name__ == "__main__":
    main()
