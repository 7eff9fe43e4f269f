#!/usr/bin/env python3
"""Throughput on real-sized photos: every stage end to end against the decode-only limit.

    python bench/throughput.py [--data ../shared/data] [--count-12mp 200] [--count-48mp 20]
                               [--workers 2] [--stages default|all] [--stage-photos 8] [--json]

Builds once, cached in ~/.cache/recognize-bench/throughput (outside the repo), a library of
real-sized JPEGs made from the shared photos of ``faces/`` and ``imagenet/``: upscaled with
libvips to 12 MP (4000 x 3000 for a 4:3 photo) and to 48 MP, quality 90, with the source's
EXIF orientation, GPS and dates copied by exiftool. Then, in one run, per size:

* decode-only: libvips shrink-on-load to the analysis size (media.analysis_size) in this
  process with one thread: the limit no stage cascade can beat (photos/s);
* end to end: every stage through real ``recognize worker`` processes (one inference thread
  each, ``bench/cascade.py``'s setup) from an empty store, with 1 and with N workers:
  photos/s, seconds until the first photo has every stage done, peak RSS per worker;
* ratios, on the steady rate (first photo done to last, so start-up is not in it; the
  rate including start-up is reported too): end to end with 1 worker / decode-only (aim
  >= 0.7), N workers / 1 worker (aim >= 1.8 for 2). The machine's load average is printed:
  with other work on the cores the worker ratio says little;
* the machine's ceiling for that ratio: the decode-only loop in N processes at once against
  one alone (``decode_scaling``): what the cores give to N independent processes with no
  store, no scheduler and none of our Python;
* per-stage cost: each enabled stage's ``compute`` in this process, one inference thread,
  on ``--stage-photos`` photos of the size at even steps (models loaded beforehand): ms per
  photo. The media stage's figure is the decode of the file (plus EXIF and thumbnails);
  the others run on its decode, as in a worker.
``--stages all`` also enables the stages that are off by default (objects, text) in the
workers, the per-stage cost and the worker start; the default runs the default config.
Worker start is measured apart: seconds from spawning ``recognize worker`` on an empty mount,
over a store created beforehand (creating it is a first start's, once), until the store
records its crawl of that mount (aim <= 1 s). That covers imports, opening the store,
building the stages (in a thread of their own, beside the crawl) and the first crawl;
models that a worker loads lazily on its first photo are not
in it (they are in "first done").
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CACHE = Path.home() / ".cache" / "recognize-bench" / "throughput"
SIZES = {"12mp": 12_000_000, "48mp": 48_000_000}
SOURCES = ("faces", "imagenet")
OPTIONAL_STAGES: dict[str, dict[str, Any]] = {"objects": {"enabled": True},
                                             "text": {"enabled": True}}  # off by default
EXIF_TAGS = ("-Orientation", "-GPS:all", "-DateTimeOriginal", "-CreateDate", "-ModifyDate",
             "-Make", "-Model")


def sources(data: Path) -> list[Path]:
    found: list[Path] = []
    for name in SOURCES:
        found += sorted(p for p in (data / name).rglob("*")
                        if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    return found


def build(data: Path, size: str, count: int) -> list[Path]:
    """``count`` JPEGs of about SIZES[size] pixels, made once and kept in CACHE."""
    import pyvips

    folder = CACHE / size
    folder.mkdir(parents=True, exist_ok=True)
    srcs = sources(data)
    if not srcs:
        raise SystemExit(f"no photos under {data}/{{{','.join(SOURCES)}}}")
    made, todo = [], []
    for i in range(count):
        src = srcs[i % len(srcs)]
        out = folder / f"{i:04d}_{src.stem}.jpg"
        made.append(out)
        if out.exists():
            continue
        image = pyvips.Image.new_from_file(str(src))
        scale = math.sqrt(SIZES[size] / (image.width * image.height))
        if image.bands > 3:
            image = image.flatten()
        tmp = out.with_suffix(".tmp.jpg")
        image.resize(scale, kernel="lanczos3").jpegsave(str(tmp), Q=90, keep="none")
        todo.append((src, tmp, out))
    if todo:
        args = []
        for src, tmp, _ in todo:
            args += ["-overwrite_original", "-TagsFromFile", str(src), *EXIF_TAGS, str(tmp),
                     "-execute"]
        argfile = folder / "exiftool.args"
        argfile.write_text("\n".join(args) + "\n")
        subprocess.run(["exiftool", "-q", "-q", "-@", str(argfile)], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        argfile.unlink()
        for _, tmp, out in todo:
            tmp.replace(out)
    return made


def decode_limit(paths: list[Path], analysis_size: int) -> dict[str, float]:
    """Photos/s of libvips shrink-on-load to the analysis size, one thread."""
    import pyvips

    pyvips.concurrency_set(1)
    pyvips.cache_set_max(0)
    started, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        image = pyvips.Image.thumbnail(str(path), analysis_size, size="down")
        image.write_to_memory()
    elapsed = time.perf_counter() - started
    return {"photos": len(paths), "seconds": round(elapsed, 2),
            "photos_per_s": round(len(paths) / elapsed, 3),
            "cpu_s_per_photo": round((time.process_time() - cpu) / len(paths), 4)}


def decode_scaling(paths: list[Path], analysis_size: int, processes: int,
                   alone: float) -> dict[str, float]:
    """The machine's own ceiling for N workers: the decode-only loop in ``processes``
    processes at once (one thread each, every process on all ``paths``) against ``alone``,
    the photos/s of one process (:func:`decode_limit`, measured just before). Two cores
    that share a physical core, memory bandwidth or a clock that drops when both are busy
    show here, with no store and no Python of ours."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        rates = pool.starmap(decode_limit, [(paths, analysis_size)] * processes)
    together = sum(r["photos_per_s"] for r in rates)
    return {"alone_photos_per_s": alone, "together_photos_per_s": round(together, 3),
            "ratio": round(together / alone, 3)}


def stage_costs(paths: list[Path], cache: Path, sections: dict[str, dict[str, Any]],
                photos: int) -> dict[str, float]:
    """ms per photo of each enabled stage's ``compute``, one inference thread, in this
    process (stages built as a worker builds them, from the same config)."""
    import cascade

    from recognize.config.settings import load
    from recognize.jobs.stages import Work, build_stages
    from recognize.store.queue import Claimed

    with tempfile.TemporaryDirectory() as tmp:
        settings = load(cascade._config(Path(tmp), paths[0].parent, cache, sections))
        stages = build_stages(settings)
        location = settings.mounts[0].path
        spent = dict.fromkeys((s.name for s in stages), 0.0)
        try:
            sample = paths[:: max(1, len(paths) // photos)][:photos]  # both sources
            for i, path in enumerate([sample[0], *sample]):  # the first: loads models
                work = Work(Claimed(i + 1, 1, location, path.name, 0))
                for stage in stages:
                    started = time.perf_counter()
                    work.outputs[stage.name] = stage.compute(work)
                    if i:
                        spent[stage.name] += time.perf_counter() - started
        finally:
            for stage in stages:
                stage.close()
    return {name: round(1000 * t / max(1, len(sample)), 1)
            for name, t in spent.items()}


def completions(db_path: Path, spawned_utc: float) -> dict[str, float | None]:
    """From the store: seconds from spawning the workers until the first photo had its last
    stage done, and the steady rate between the first and the last photo done (start-up
    excluded, as it is from the decode-only limit)."""
    from datetime import datetime

    with sqlite3.connect(db_path, timeout=30) as db:
        first, last, n = db.execute(
            "SELECT min(t), max(t), count(*) FROM (SELECT max(done_at) AS t FROM photo_stages "
            "GROUP BY photo_id)").fetchone()
    if not first:
        return {"first_photo_done_s": None, "steady_photos_per_s": None}
    t0, t1 = datetime.fromisoformat(first), datetime.fromisoformat(last)
    epoch = datetime(1970, 1, 1)
    span = (t1 - t0).total_seconds()
    return {
        "first_photo_done_s": round((t0 - epoch).total_seconds() - spawned_utc, 2),
        "steady_photos_per_s": round((n - 1) / span, 3) if n > 1 and span > 0 else None,
    }


def end_to_end(folder: Path, workers: int, cache: Path,
               sections: dict[str, dict[str, Any]]) -> dict[str, Any]:
    import cascade

    spawned = time.time()
    result = dict(cascade.run(folder, workers, cache, keep=True, sections=sections))
    db_path = Path(str(result.pop("db")))
    result |= completions(db_path, spawned)
    shutil.rmtree(db_path.parents[1], ignore_errors=True)
    return result


def _create_store(config: Path) -> None:
    """The store a worker starts over, created (all migrations) as the first start does."""
    from recognize import config as config_mod
    from recognize.store import Store

    Store(config_mod.load(config).database_url()).close()


def worker_start(cache: Path, sections: dict[str, dict[str, Any]]) -> float:
    """Seconds until a ``recognize worker`` on an empty mount has done its first poll."""
    import cascade

    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty"
        empty.mkdir()
        config = cascade._config(Path(tmp), empty, cache, sections)
        db_path = Path(tmp) / "var" / "recognize.db"
        _create_store(config)  # a worker starts over an existing store; creating it is once
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "recognize.cli", "--config", str(config),
                                 "worker"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while time.perf_counter() - started < 120:
                if proc.poll() is not None:
                    raise RuntimeError("the worker exited early")
                try:
                    with sqlite3.connect(db_path, timeout=1) as db:
                        if db.execute("SELECT count(*) FROM mounts WHERE crawled_at IS NOT NULL"
                                      ).fetchone()[0]:
                            return round(time.perf_counter() - started, 2)
                except sqlite3.Error:
                    pass
                time.sleep(0.02)
            raise RuntimeError("the worker did not start in 120 s")
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--count-12mp", type=int, default=200)
    parser.add_argument("--count-48mp", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--stages", choices=("default", "all"), default="default",
                        help="all: also the stages that are off by default (objects, text)")
    parser.add_argument("--stage-photos", type=int, default=8,
                        help="photos per size for the per-stage cost (0: not measured)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sections = OPTIONAL_STAGES if args.stages == "all" else {}
    import cascade

    from recognize.config import MediaSettings

    analysis = MediaSettings().analysis_size
    counts = {"12mp": args.count_12mp, "48mp": args.count_48mp}
    report: dict[str, Any] = {"load_average_start": os.getloadavg()[0], "stages": args.stages,
                              "sizes": {}}
    with tempfile.TemporaryDirectory() as cache_dir:
        cache = Path(cache_dir)
        cascade.warm(cache, sections)
        report["worker_start_s"] = worker_start(cache, sections)
        for size, count in counts.items():
            if count <= 0:
                continue
            paths = build(args.data, size, count)
            with tempfile.TemporaryDirectory() as tmp:
                library = Path(tmp) / "photos"
                library.mkdir()
                for p in paths:
                    os.link(p, library / p.name)
                limit = decode_limit(paths, analysis)
                scaling = decode_scaling(paths, analysis, args.workers, limit["photos_per_s"])
                costs = (stage_costs(sorted(library.iterdir()), cache, sections,
                                     args.stage_photos) if args.stage_photos > 0 else {})
                one = end_to_end(library, 1, cache, sections)
                many = end_to_end(library, args.workers, cache, sections)
            steady_one = one["steady_photos_per_s"] or one["photos_per_s"]
            steady_many = many["steady_photos_per_s"] or many["photos_per_s"]
            report["sizes"][size] = {
                "photos": len(paths), "decode_only": limit, "one": one, "many": many,
                "e2e_vs_decode": round(steady_one / limit["photos_per_s"], 3),
                "workers_ratio": round(steady_many / steady_one, 3),
                "decode_scaling": scaling,
                "max_peak_rss_mb": max(one["peak_rss_mb"] + many["peak_rss_mb"]),
                "stage_ms_per_photo": costs,
            }
    report["load_average_end"] = os.getloadavg()[0]
    report["targets"] = {
        "worker_start_s<=1": report["worker_start_s"] <= 1.0,
        **{f"{s}_e2e_vs_decode>=0.7": r["e2e_vs_decode"] >= 0.7 for s, r in report["sizes"].items()},
        **{f"{s}_workers_ratio>=1.8": r["workers_ratio"] >= 1.8 for s, r in report["sizes"].items()},
        **({"48mp_peak_rss<=700": report["sizes"]["48mp"]["max_peak_rss_mb"] <= 700}
           if "48mp" in report["sizes"] else {}),
    }
    print_table(report, args.workers)
    if args.json:
        print(json.dumps(report))
    return 0


def print_table(report: dict[str, Any], workers: int) -> None:
    print("photos/s of the workers: steady (first photo done to last); with start-up in brackets;"
          f" ceiling: the decode-only loop in {workers} processes at once / in one")
    print(f"{'size':>5} {'photos':>6} {'decode/s':>9} {'1 worker/s':>16} {'e2e/decode':>10} "
          f"{f'{workers} workers/s':>16} {'ratio':>6} {'ceiling':>7} {'first done s':>12} "
          f"{'peak RSS MB':>11}")
    for size, r in report["sizes"].items():
        print(f"{size:>5} {r['photos']:>6} {r['decode_only']['photos_per_s']:>9} "
              f"{_rate(r['one']):>16} {r['e2e_vs_decode']:>10} "
              f"{_rate(r['many']):>16} {r['workers_ratio']:>6} {r['decode_scaling']['ratio']:>7} "
              f"{r['one']['first_photo_done_s']!s:>12} {r['max_peak_rss_mb']:>11}")
    costs = {s: r["stage_ms_per_photo"] for s, r in report["sizes"].items()
             if r["stage_ms_per_photo"]}
    if costs:
        names = list(next(iter(costs.values())))
        print("ms per photo per stage (one inference thread, in the benchmark process; "
              f"stages: {report['stages']})")
        print(f"{'size':>5} " + " ".join(f"{n:>8}" for n in names) + f" {'sum':>8}")
        for size, row in costs.items():
            print(f"{size:>5} " + " ".join(f"{row[n]:>8}" for n in names)
                  + f" {round(sum(row.values()), 1):>8}")
    print(f"worker start: {report['worker_start_s']} s; load average {report['load_average_start']:.1f}"
          f" -> {report['load_average_end']:.1f} (2 cores: a worker ratio under load says little)")
    print("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}"
                                  for k, v in report["targets"].items()))


def _rate(run: dict[str, Any]) -> str:
    return f"{run['steady_photos_per_s']} ({run['photos_per_s']})"


if __name__ == "__main__":
    sys.exit(main())
