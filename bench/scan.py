#!/usr/bin/env python3
"""First scan vs an unchanged re-scan of the same folder, through the real pipeline.

    python bench/scan.py --data DIR [--json]

Prints both times, files/s, how many photos the re-scan decoded (should be 0) and the
speed-up of the re-scan (aim: at least 10x).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.report import emit
from recognize import config as config_mod
from recognize.jobs.scan import scan
from recognize.passwords import hash_password
from recognize.store.opening import open_store


def run(data: Path) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory() as tmp:
        import tomli_w

        cfg = Path(tmp) / "recognize.toml"
        cfg.write_text(tomli_w.dumps({
            "store": {"data_dir": str(Path(tmp) / "var")},
            "users": [{"name": "bench", "password_hash": hash_password("benchmark")}],
            "mounts": [{"name": "data", "path": str(data.resolve()), "owners": ["bench"]}],
        }))
        settings = config_mod.load(cfg)
        store = open_store(settings)
        t0 = time.perf_counter()
        first = scan(settings, store)
        t1 = time.perf_counter()
        second = scan(settings, store)
        t2 = time.perf_counter()
        store.close()
    files = first.crawls[0].seen
    return {
        "files": files,
        "first_s": round(t1 - t0, 3),
        "first_files_per_s": round(files / (t1 - t0), 1),
        "first_decoded": first.counters.decoded,
        "rescan_s": round(t2 - t1, 4),
        "rescan_decoded": second.counters.decoded,
        "speedup": round((t1 - t0) / max(t2 - t1, 1e-9), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/exif"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"no such folder: {args.data}", file=sys.stderr)
        return 2
    result = run(args.data)
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    return emit(result, args.json)


if __name__ == "__main__":
    sys.exit(main())
