"""What ``bench/faces.py`` measures on a labelled set: detection against the annotated group
faces, close-up recall, false faces on no-face photos, and verification (TAR at a FAR)
with and without the mirrored descriptor."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

Box = tuple[float, float, float, float]  # x, y, w, h


@dataclass
class Found:
    """One face as a pipeline found it."""

    box: Box
    score: float
    embedding: np.ndarray | None  # plain descriptor
    mirrored: np.ndarray | None  # descriptor of the mirrored chip (ours only)
    quality: str | None = None


def iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / max(a[2] * a[3] + b[2] * b[3] - inter, 1e-9)


def _ltwh(box: Any) -> list[float]:
    if isinstance(box, dict):
        return [float(box[k]) for k in ("left", "top", "width", "height")]
    return [float(v) for v in box]


def _scaled(box: list[float], scale: float) -> Box:
    return (box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale)


def match_count(found: list[Box], truth: dict[str, Any], scale: float) -> tuple[int, int]:
    """Greedy one-to-one matches (IoU >= 0.3, or nose point inside) and the truth count."""
    used: set[int] = set()
    matched = 0
    boxes = [_scaled(_ltwh(b), scale) for b in truth.get("boxes_ltwh", [])]
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
    same: list[float] = []
    diff: list[float] = []
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


def _largest(faces: list[Found]) -> Found:
    return max(faces, key=lambda f: f.box[2] * f.box[3])


def evaluate(
    results: dict[str, list[Found]],
    closeups: dict[str, tuple[Box, list[Found]]],
    rows: list[dict[str, str]],
    groups: dict[str, Any],
    scales: dict[str, float],
    threshold: float,
) -> dict[str, Any]:
    matched = truth = detections = 0
    in_range, off = 0, []
    plain: dict[str, tuple[str, np.ndarray]] = {}
    mirrored: dict[str, tuple[str, np.ndarray]] = {}
    missing, false_faces, false_photos = [], 0, 0
    quality: Counter[str] = Counter()
    false_quality: list[str | None] = []
    for row in rows:
        faces = results[row["file"]]
        quality.update(str(f.quality) for f in faces)
        if row["kind"] == "group":
            lo, hi = int(row["faces_min"]), int(row["faces_max"])
            if lo <= len(faces) <= hi:
                in_range += 1
            else:
                off.append(f"{row['file']}: {len(faces)} not in {lo}-{hi}")
            truth_row = groups.get(row["file"], {})
            if truth_row.get("boxes_ltwh") or truth_row.get("nose_points_xy"):
                m, t = match_count([f.box for f in faces], truth_row, scales[row["file"]])
                matched, truth, detections = matched + m, truth + t, detections + len(faces)
        elif row["kind"] == "identity":
            if not faces:
                missing.append(row["file"])
                continue
            biggest = _largest(faces)
            if biggest.embedding is not None:
                plain[row["file"]] = (row["identity"], biggest.embedding)
            if biggest.mirrored is not None and biggest.embedding is not None:
                mirrored[row["file"]] = (row["identity"], (biggest.embedding + biggest.mirrored) / 2)
        elif row["kind"] == "no_face":
            false_faces += len(faces)
            false_photos += bool(faces)
            false_quality += [f.quality for f in faces]
    hits = extra = 0
    missed_closeups = []
    for file, (face_box, found) in closeups.items():
        hit = [i for i, f in enumerate(found) if iou(f.box, face_box) >= 0.3]
        hits += bool(hit)
        extra += len(found) - min(len(hit), 1)
        if not hit:
            missed_closeups.append(file)
    n_groups = sum(r["kind"] == "group" for r in rows)
    return {
        "detection_recall": matched / max(truth, 1) if truth else None,
        "detection_precision": matched / max(detections, 1) if truth else None,
        "annotated_faces": truth,
        "groups_in_range": f"{in_range}/{n_groups}",
        "groups_off": off,
        "identity_photos": sum(r["kind"] == "identity" for r in rows),
        "identity_photos_without_face": missing,
        "no_face_photos": sum(r["kind"] == "no_face" for r in rows),
        "false_faces_no_face_photos": false_faces,
        "no_face_photos_with_faces": false_photos,
        "false_faces_quality": false_quality,
        "closeups": len(closeups),
        "closeup_recall": hits / max(len(closeups), 1),
        "closeup_extra_faces": extra,
        "closeups_missed": missed_closeups,
        "quality_reasons": dict(quality),
        "verification": verification(plain, threshold),
        "verification_mirror": verification(mirrored, threshold) if mirrored else None,
    }


def pipeline_gap(
    ours: dict[str, list[Found]], ref: dict[str, list[Found]], rows: list[dict[str, str]]
) -> Any:
    gaps = []
    for row in rows:
        a, b = ours[row["file"]], ref[row["file"]]
        if row["kind"] == "identity" and a and b:
            ea, eb = _largest(a).embedding, _largest(b).embedding
            if ea is not None and eb is not None:
                gaps.append(float(np.linalg.norm(ea - eb)))
    if not gaps:
        return None
    return {
        "median": float(np.median(gaps)),
        "p90": float(np.quantile(gaps, 0.9)),
        "max": float(np.max(gaps)),
        "faces": len(gaps),
    }
