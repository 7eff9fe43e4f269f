"""Benchmark recognize's face pipeline against dlib's own, on the same photos.

    python bench/faces.py --data DIR [--json] [--threshold 0.6] [--max-side 1920]

DIR has the faces/ layout: labels.csv (file, kind = identity|group|no_face|..., identity,
faces_min, faces_max) and optionally groups.json (per file: boxes_ltwh or nose_points_xy in
original-photo pixels). Ours: BlazeFace tiles → dlib 5 points → OpenVINO ResNet.
Reference (dlib-bin): HOG detector (upsample 1) → the same 5-point predictor → dlib's ResNet.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

from recognize.inference.base import Runtime, load_manifest
from recognize.inference.dlib_resnet import FaceEmbedder
from recognize.inference.faces import EMBEDDER, LANDMARKS, FaceAnalyzer

Box = tuple[float, float, float, float]  # x, y, w, h


def decode(path: Path, max_side: int) -> tuple[np.ndarray, float]:
    import pyvips

    original = pyvips.Image.new_from_file(str(path))
    image = pyvips.Image.thumbnail(str(path), max_side, size="down")
    if image.bands < 3:
        image = image.colourspace("srgb")
    pixels = np.ndarray(
        buffer=image.write_to_memory(),
        dtype=np.uint8,
        shape=(image.height, image.width, image.bands),
    )
    turned = original.get_typeof("orientation") and original.get("orientation") in (5, 6, 7, 8)
    scale = image.width / (original.height if turned else original.width)
    return np.ascontiguousarray(pixels[..., :3]), scale


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Reference:
    """dlib's own pipeline, as face_recognition and Nextcloud's facerecognition run it."""

    def __init__(self) -> None:
        import dlib

        specs = load_manifest()
        self.dlib = dlib
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(str(specs[LANDMARKS].path()))
        self.net = dlib.face_recognition_model_v1(str(specs[EMBEDDER].path()))

    def run(self, image: np.ndarray) -> list[tuple[Box, np.ndarray]]:
        out = []
        for r in self.detector(image, 1):
            shape = self.predictor(image, r)
            chip = self.dlib.get_face_chip(image, shape, size=150, padding=0.25)
            desc = np.array(self.net.compute_face_descriptor(chip), dtype=np.float32)
            out.append(((r.left(), r.top(), r.width(), r.height()), desc))
        return out


def iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / max(a[2] * a[3] + b[2] * b[3] - inter, 1e-9)


def _ltwh(box: Any) -> list[float]:
    if isinstance(box, dict):
        return [float(box[k]) for k in ("left", "top", "width", "height")]
    return [float(v) for v in box]


def match_count(found: list[Box], truth: dict[str, Any], scale: float) -> tuple[int, int]:
    """Greedy one-to-one matches (IoU >= 0.3, or nose point inside) and the truth count."""
    used: set[int] = set()
    matched = 0
    boxes = [tuple(v * scale for v in _ltwh(b)) for b in truth.get("boxes_ltwh", [])]
    noses = [(x * scale, y * scale) for x, y in truth.get("nose_points_xy", [])]
    for gt in boxes:
        best = max(((iou(f, gt), i) for i, f in enumerate(found) if i not in used), default=None)
        if best and best[0] >= 0.3:
            used.add(best[1])
            matched += 1
    for x, y in noses:
        for i, f in enumerate(found):
            if i not in used and f[0] <= x <= f[0] + f[2] and f[1] <= y <= f[1] + f[3]:
                used.add(i)
                matched += 1
                break
    return matched, len(boxes) + len(noses)


def verification(vectors: dict[str, tuple[str, np.ndarray]], threshold: float) -> dict[str, Any]:
    same, diff = [], []
    for (_, (pa, va)), (_, (pb, vb)) in itertools.combinations(vectors.items(), 2):
        (same if pa == pb else diff).append(float(np.linalg.norm(va - vb)))
    s, d = np.array(same), np.array(diff)
    tp, fp = int((s < threshold).sum()), int((d < threshold).sum())
    far_threshold = float(np.quantile(d, 0.001)) if len(d) else 0.0
    return {
        "pairs_same": len(s),
        "pairs_different": len(d),
        "precision": tp / max(tp + fp, 1),
        "recall": tp / max(len(s), 1),
        "tar_at_far_1e-3": float((s < far_threshold).mean()) if len(s) else 0.0,
        "threshold_at_far_1e-3": far_threshold,
        "closest_different": float(d.min()) if len(d) else None,
    }


def evaluate(
    name: str,
    results: dict[str, list[tuple[Box, np.ndarray]]],
    rows: list[dict[str, str]],
    groups: dict[str, Any],
    scales: dict[str, float],
    threshold: float,
) -> dict[str, Any]:
    matched = truth = detections = 0
    in_range, off = 0, []
    identity_vectors: dict[str, tuple[str, np.ndarray]] = {}
    missing, false_faces, false_photos = [], 0, 0
    for row in rows:
        faces = results[row["file"]]
        if row["kind"] == "group":
            lo, hi = int(row["faces_min"]), int(row["faces_max"])
            if lo <= len(faces) <= hi:
                in_range += 1
            else:
                off.append(f"{row['file']}: {len(faces)} not in {lo}-{hi}")
            truth_row = groups.get(row["file"], {})
            if truth_row.get("boxes_ltwh") or truth_row.get("nose_points_xy"):
                m, t = match_count([b for b, _ in faces], truth_row, scales[row["file"]])
                matched, truth, detections = matched + m, truth + t, detections + len(faces)
        elif row["kind"] == "identity":
            if not faces:
                missing.append(row["file"])
                continue
            biggest = max(faces, key=lambda f: f[0][2] * f[0][3])
            identity_vectors[row["file"]] = (row["identity"], biggest[1])
        elif row["kind"] == "no_face":
            false_faces += len(faces)
            false_photos += bool(faces)
    n_groups = sum(r["kind"] == "group" for r in rows)
    return {
        "pipeline": name,
        "detection_recall": matched / max(truth, 1),
        "detection_precision": matched / max(detections, 1),
        "annotated_faces": truth,
        "groups_in_range": f"{in_range}/{n_groups}",
        "groups_off": off,
        "identity_photos_without_face": missing,
        "false_faces_no_face_photos": false_faces,
        "no_face_photos_with_faces": false_photos,
        "verification": verification(identity_vectors, threshold),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--threshold", type=float, default=0.6, help="dlib's published 0.6")
    parser.add_argument("--max-side", type=int, default=1920, help="analysis size")
    parser.add_argument("--precision", default="auto", help="OpenVINO precision hint")
    args = parser.parse_args()

    with (args.data / "labels.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["kind"] in ("identity", "group", "no_face")]
    groups_path = args.data / "groups.json"
    groups = json.loads(groups_path.read_text()) if groups_path.exists() else {}
    images, scales = {}, {}
    for row in rows:
        images[row["file"]], scales[row["file"]] = decode(args.data / row["file"], args.max_side)

    runtime = Runtime(precision=args.precision)
    ours = FaceAnalyzer.from_specs(runtime)
    mirrored = FaceEmbedder(load_manifest()[EMBEDDER], runtime, mirror=True)
    ours.load()
    mirrored.load()
    rss_before = rss_mb()
    ours_results, mirror_results, ours_time = {}, {}, 0.0
    for row in rows:
        image = images[row["file"]]
        start = time.perf_counter()
        faces = ours.analyze(image)
        ours_time += time.perf_counter() - start
        ours_results[row["file"]] = [(f.box, f.embedding) for f in faces]
        if row["kind"] == "identity" and faces:
            _, chips = ours.landmarker.align(image, [f.detection for f in faces])
            mirror_results[row["file"]] = list(
                zip([f.box for f in faces], mirrored.predict(chips), strict=True)
            )
        else:
            mirror_results[row["file"]] = ours_results[row["file"]]
    rss_ours = rss_mb()

    reference = Reference()
    ref_results, ref_time = {}, 0.0
    for row in rows:
        start = time.perf_counter()
        ref_results[row["file"]] = reference.run(images[row["file"]])
        ref_time += time.perf_counter() - start
    rss_all = rss_mb()

    report: dict[str, Any] = {
        "photos": len(rows),
        "ours": evaluate("ours", ours_results, rows, groups, scales, args.threshold),
        "ours_mirror": evaluate("ours+mirror", mirror_results, rows, groups, scales, args.threshold)[
            "verification"
        ],
        "reference": evaluate("dlib", ref_results, rows, groups, scales, args.threshold),
        "ms_per_photo_ours": 1000 * ours_time / len(rows),
        "ms_per_photo_reference": 1000 * ref_time / len(rows),
        "speedup": ref_time / max(ours_time, 1e-9),
        "peak_rss_mb_before_models_run": rss_before,
        "peak_rss_mb_after_ours": rss_ours,
        "peak_rss_mb_after_reference": rss_all,
        "descriptor_ours_vs_dlib_largest_face": _pipeline_gap(ours_results, ref_results, rows),
    }
    print_table(report)
    if args.json:
        print(json.dumps(report, default=float))


def _pipeline_gap(ours: dict[str, Any], ref: dict[str, Any], rows: list[dict[str, str]]) -> Any:
    gaps = []
    for row in rows:
        if row["kind"] == "identity" and ours[row["file"]] and ref[row["file"]]:
            a = max(ours[row["file"]], key=lambda f: f[0][2] * f[0][3])[1]
            b = max(ref[row["file"]], key=lambda f: f[0][2] * f[0][3])[1]
            gaps.append(float(np.linalg.norm(a - b)))
    if not gaps:
        return None
    return {
        "median": float(np.median(gaps)),
        "p90": float(np.quantile(gaps, 0.9)),
        "max": float(np.max(gaps)),
        "faces": len(gaps),
    }


def print_table(report: dict[str, Any]) -> None:
    o, r = report["ours"], report["reference"]
    lines = [
        ("detection recall (annotated groups)", o["detection_recall"], r["detection_recall"]),
        ("detection precision", o["detection_precision"], r["detection_precision"]),
        ("group photos with count in range", o["groups_in_range"], r["groups_in_range"]),
        (
            "identity photos with no face",
            len(o["identity_photos_without_face"]),
            len(r["identity_photos_without_face"]),
        ),
        (
            "false faces on no-face photos",
            o["false_faces_no_face_photos"],
            r["false_faces_no_face_photos"],
        ),
    ]
    for key in ("precision", "recall", "tar_at_far_1e-3", "closest_different"):
        lines.append((f"verification {key}", o["verification"][key], r["verification"][key]))
    lines.append(
        (
            "ms per photo (detect+align+embed)",
            report["ms_per_photo_ours"],
            report["ms_per_photo_reference"],
        )
    )
    try:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"faces: {report['photos']} photos, speed-up {report['speedup']:.1f}x")
        for col in ("measure", "ours", "dlib"):
            table.add_column(col)
        for name, a, b in lines:
            table.add_row(name, _fmt(a), _fmt(b))
        Console().print(table)
    except ImportError:
        for name, a, b in lines:
            print(f"{name:40} {_fmt(a):>10} {_fmt(b):>10}")
    m = report["ours_mirror"]
    print(
        f"ours+mirror: precision {m['precision']:.3f} recall {m['recall']:.3f} "
        f"TAR@FAR1e-3 {m['tar_at_far_1e-3']:.3f}; peak RSS {report['peak_rss_mb_after_ours']:.0f}"
        f" MB after ours, {report['peak_rss_mb_after_reference']:.0f} MB after dlib"
    )


def _fmt(v: Any) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


if __name__ == "__main__":
    main()
