#!/usr/bin/env python3
"""End-to-end photos/s through every stage, from an empty store, with 1 and with N workers.

    python bench/cascade.py --data DIR [--workers 2] [--json]

Each worker is a real `recognize worker` process limited to one inference thread
(jobs.threads = 1); all share one store. Reports photos/s for 1 worker and for N workers
in the same run, their ratio (aim >= 1.8x for 2, issue 15), and each worker's peak RSS.
"""

from __future__ import annotations

import argparse
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.report import emit  # noqa: E402


def _config(folder: Path, data: Path, cache: Path,
            sections: dict[str, dict[str, Any]] | None = None) -> Path:
    """``sections``: more config sections (e.g. ``{"text": {"enabled": True}}``)."""
    import tomli_w

    from recognize.passwords import hash_password

    path = folder / "recognize.toml"
    path.write_text(tomli_w.dumps({**(sections or {}),
        "store": {"data_dir": str(folder / "var")},
        "users": [{"name": "bench", "password_hash": hash_password("benchmark")}],
        "mounts": [{"name": "data", "path": str(data.resolve()), "owners": ["bench"]}],
        "jobs": {"threads": 1, "workers": 1, "batch_size": 4, "nice": 0},
        "inference": {"cache_dir": str(cache)},
    }))
    return path


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def warm(cache: Path, sections: dict[str, dict[str, Any]] | None = None) -> None:
    """Build the once-per-installation caches (WordNet tables, converted models) beforehand:
    the benchmark measures photos/s, not the first start of a new installation."""
    import numpy as np

    from recognize.config import Settings
    from recognize.jobs.stages import Work, build_stages
    from recognize.media import MediaResult, Metadata
    from recognize.store.queue import Claimed

    settings = Settings(**(sections or {}))
    settings.inference.cache_dir = str(cache)
    work = Work(Claimed(0, 0, "", "", 0))
    work.outputs["media"] = MediaResult(Metadata(), pixels=np.zeros((256, 256, 3), np.uint8))
    for stage in build_stages(settings):  # builds the tables, converts and caches the models
        if stage.needs:  # the model stages (the media stage reads a file)
            stage.compute(work)
        stage.close()


def run(data: Path, workers: int, cache: Path, keep: bool = False,
        sections: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """``keep``: leave the store in place and return its path as "db" (the caller removes
    the folder two levels above it); ``sections``: more config, as for :func:`_config`."""
    with tempfile.TemporaryDirectory() as scratch:
        tmp = tempfile.mkdtemp(prefix="recognize-bench-") if keep else scratch
        config = _config(Path(tmp), data, cache, sections)
        db_path = Path(tmp) / "var" / "recognize.db"
        started = time.perf_counter()
        procs = [
            subprocess.Popen([sys.executable, "-m", "recognize.cli", "--config", str(config),
                              "worker"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(workers)
        ]
        photos = 0
        try:
            while True:
                time.sleep(0.5)
                if any(p.poll() is not None for p in procs):
                    raise RuntimeError("a worker exited early")
                try:
                    with sqlite3.connect(db_path, timeout=30) as db:
                        photos = db.execute("SELECT count(*) FROM photos").fetchone()[0]
                        queued = db.execute("SELECT count(*) FROM queue").fetchone()[0]
                        crawled = db.execute("SELECT count(*) FROM mounts WHERE crawled_at "
                                             "IS NOT NULL").fetchone()[0]
                except sqlite3.OperationalError:
                    continue
                if crawled and photos and not queued:
                    break
            elapsed = time.perf_counter() - started
            rss = [round(_peak_rss_mb(p.pid), 1) for p in procs]
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                p.wait(timeout=120)
    result: dict[str, Any] = {
        "workers": workers, "photos": photos, "seconds": round(elapsed, 2),
        "photos_per_s": round(photos / elapsed, 2), "peak_rss_mb": rss}
    if keep:
        result["db"] = str(db_path)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/faces"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"no such folder: {args.data}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as cache:
        warm(Path(cache))
        one = run(args.data, 1, Path(cache))
        many = run(args.data, args.workers, Path(cache))
    ratio = round(float(many["photos_per_s"]) / float(one["photos_per_s"]), 2)
    print(f"{'workers':>8} {'photos':>7} {'seconds':>8} {'photos/s':>9}  peak RSS per worker (MB)")
    for r in (one, many):
        print(f"{r['workers']:>8} {r['photos']:>7} {r['seconds']:>8} {r['photos_per_s']:>9}  "
              f"{r['peak_rss_mb']}")
    print(f"speed-up with {args.workers} workers: {ratio}x")
    return emit({"one": one, "many": many, "ratio": ratio}, args.json)


if __name__ == "__main__":
    sys.exit(main())
