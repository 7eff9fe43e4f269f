"""Media-stage throughput: decode alone vs. the whole media stage, on any photo folder.

    python bench/ingest.py --data DIR [--json] [--analysis-size N] [--repeat N] [--batch N]

(1) ``decode_only`` on every image file under DIR, (2) ``process`` on the same files (exif
read in batches, read ahead in a thread, + decode + hashes + thumbnails into a temp dir +
place + tags). The two passes alternate ``--repeat`` times (A B, B A, ...) and the best
pass of each is reported, which keeps page-cache and CPU-frequency effects out of the
ratio. Failed files are counted.
With --json the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.report import emit
from recognize.errors import MediaError
from recognize.media import (
    SUPPORTED_EXTENSIONS,
    ExifReader,
    Geocoder,
    MediaOptions,
    decode_only,
    process,
)


def image_files(root: Path) -> list[Path]:
    files = [
        p for p in root.rglob("*") if p.is_file() and p.suffix.lower().lstrip(".") in SUPPORTED_EXTENSIONS
    ]
    return sorted(files)


def decode_pass(files: list[Path], opts: MediaOptions) -> tuple[float, int]:
    failed = 0
    start = time.perf_counter()
    for path in files:
        try:
            decode_only(path, opts)
        except MediaError:
            failed += 1
    return time.perf_counter() - start, failed


def stage_pass(
    files: list[Path],
    opts: MediaOptions,
    exif: ExifReader,
    geocoder: Geocoder,
    batch: int,
    thumbs: Path,
) -> tuple[float, int]:
    failed = 0
    start = time.perf_counter()
    for i, (path, meta) in enumerate(exif.read_ahead(files, batch)):
        dest = {s: thumbs / f"{i}_{s}.jpg" for s in opts.thumbnail_sizes}
        known = None if isinstance(meta, MediaError) else meta
        try:
            result = process(path, opts, exif, geocoder, dest, meta=known)
        except MediaError:
            failed += 1
            continue
        failed += result.decode_error is not None
    return time.perf_counter() - start, failed


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run(args: argparse.Namespace) -> dict[str, object]:
    files = image_files(Path(args.data))
    if not files:
        raise SystemExit(f"no image files under {args.data}")
    opts = MediaOptions(analysis_size=args.analysis_size)
    geocoder = Geocoder()
    geocoder.load()  # start-up cost, not per photo
    decode_times: list[float] = []
    stage_times: list[float] = []
    decode_failed = stage_failed = 0
    with ExifReader() as exif, tempfile.TemporaryDirectory() as tmp:
        exif.read_many(files[:1])  # start exiftool before timing
        for rep in range(args.repeat):
            order = ("decode", "stage") if rep % 2 == 0 else ("stage", "decode")
            for mode in order:
                if mode == "decode":
                    seconds, decode_failed = decode_pass(files, opts)
                    decode_times.append(seconds)
                else:
                    seconds, stage_failed = stage_pass(files, opts, exif, geocoder, args.batch, Path(tmp))
                    stage_times.append(seconds)
    decode_fps = len(files) / min(decode_times)
    stage_fps = len(files) / min(stage_times)
    return {
        "data": str(args.data),
        "files": len(files),
        "analysis_size": args.analysis_size,
        "repeat": args.repeat,
        "decode_files_per_s": round(decode_fps, 2),
        "stage_files_per_s": round(stage_fps, 2),
        "stage_over_decode": round(stage_fps / decode_fps, 3),
        "decode_failed": decode_failed,
        "stage_failed": stage_failed,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "cpu_count": os.cpu_count(),
    }


def show(result: dict[str, object]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        for key, value in result.items():
            print(f"{key:22s} {value}")
        return
    table = Table(title="media stage throughput")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in result.items():
        table.add_row(key, str(value))
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="folder of photos (searched recursively)")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument("--analysis-size", type=int, default=MediaOptions().analysis_size)
    parser.add_argument("--repeat", type=int, default=2, help="alternating passes per mode")
    parser.add_argument("--batch", type=int, default=32, help="files per exiftool call")
    args = parser.parse_args()
    result = run(args)
    show(result)
    emit(result, args.json)


if __name__ == "__main__":
    main()
