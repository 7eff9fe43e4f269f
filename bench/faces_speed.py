"""Speed of the face pipeline against dlib's on the same decoded photos (``bench/faces.py``):
alternately, in wall and CPU time, ours per stage, with the machine's facts the ratio
depends on (CPU extensions, load)."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from recognize.inference.faces_tiles import plan_levels, tile_grid


def machine() -> dict[str, Any]:
    """What the speed ratio depends on: CPU, the extensions OpenVINO's kernels use, load."""
    import openvino

    model, flags = platform.processor(), set()
    try:
        text = Path("/proc/cpuinfo").read_text()
        for line in text.splitlines():
            if line.startswith("model name") and not model:
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    wanted = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16")
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "extensions": [f for f in wanted if f in flags],
        "openvino": openvino.__version__,
        "load_average": os.getloadavg()[0],
    }


STAGES = ("detect", "align", "embed", "mirror")


def timing(images: Iterable[np.ndarray], ours: Any, reference: Any | None) -> dict[str, Any]:
    """Ours and dlib's pipeline on the same decoded photos, alternately (which goes first
    flips per photo, so drifting load hits both alike); wall and CPU seconds per photo."""
    wall = {k: 0.0 for k in (*STAGES, "dlib")}
    cpu = dict(wall)
    tiles = 0
    a = ours.analyzer
    index = -1
    for index, image in enumerate(images):
        s = a.detector.settings
        height, width = image.shape[:2]
        levels = plan_levels(width, height, s.min_face(width, height), s.max_face(width, height))
        tiles += sum(1 for _ in tile_grid(width, height, levels))

        def run_ours(img: np.ndarray = image) -> None:
            marks = [(time.perf_counter(), time.process_time())]
            detections = a.detector.detect(img)
            marks.append((time.perf_counter(), time.process_time()))
            _, chips = a.landmarker.align(img, detections)
            marks.append((time.perf_counter(), time.process_time()))
            a.embedder.predict(chips)
            marks.append((time.perf_counter(), time.process_time()))
            if ours.mirror_default:
                a.embedder.predict(np.ascontiguousarray(chips[:, :, ::-1]))
            marks.append((time.perf_counter(), time.process_time()))
            for stage, (w0, c0), (w1, c1) in zip(STAGES, marks[:-1], marks[1:], strict=True):
                wall[stage] += w1 - w0
                cpu[stage] += c1 - c0

        def run_dlib(img: np.ndarray = image) -> None:
            if reference is None:
                return
            w0, c0 = time.perf_counter(), time.process_time()
            reference.run(img)
            wall["dlib"] += time.perf_counter() - w0
            cpu["dlib"] += time.process_time() - c0

        for run in (run_ours, run_dlib) if index % 2 == 0 else (run_dlib, run_ours):
            run()
    n = max(index + 1, 1)
    ours_wall, ours_cpu = sum(wall[k] for k in STAGES), sum(cpu[k] for k in STAGES)
    out: dict[str, Any] = {
        "photos": index + 1,
        "tiles_per_photo": tiles / n,
        "ms_per_photo_ours": 1000 * ours_wall / n,
        "cpu_ms_per_photo_ours": 1000 * ours_cpu / n,
        "cpu_ms_per_photo_ours_by_stage": {k: 1000 * cpu[k] / n for k in STAGES},
    }
    if reference is not None:
        out |= {
            "ms_per_photo_reference": 1000 * wall["dlib"] / n,
            "cpu_ms_per_photo_reference": 1000 * cpu["dlib"] / n,
            "speedup": wall["dlib"] / max(ours_wall, 1e-9),
            "speedup_cpu": cpu["dlib"] / max(ours_cpu, 1e-9),
            # the most any detector could give: ours with detection free and no mirror pass
            # (dlib's landmarks + ResNet on every face stay), CPU
            "speedup_cpu_ceiling": cpu["dlib"] / max(cpu["align"] + cpu["embed"], 1e-9),
        }
    return out


def timing_sample(rows: list[dict[str, str]], count: int) -> list[dict[str, str]]:
    """``count`` rows evenly spaced over the set (all of them when it has fewer)."""
    if count <= 0 or count >= len(rows):
        return rows if count > 0 else []
    step = len(rows) / count
    return [rows[int(i * step)] for i in range(count)]
