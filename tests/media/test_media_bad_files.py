"""Broken and hostile files (../shared/data/bad): a clean result or a readable refusal each,
in a child process capped at 2 GB of address space, with bounded memory and time."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT, shared

CHILD = textwrap.dedent(
    """
    import json, resource, sys, tempfile, pathlib

    def peak_kb():  # VmHWM: ru_maxrss would carry the forking parent's peak across exec
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    from recognize.errors import MediaError
    from recognize.media import ExifReader, Geocoder, MediaOptions, process
    root = pathlib.Path(sys.argv[1])
    out = {}
    geocoder = Geocoder()
    with ExifReader() as exif, tempfile.TemporaryDirectory() as tmp:
        for path in sorted(root.iterdir()):
            if path.suffix in (".md", ".csv"):
                continue
            dest = {256: pathlib.Path(tmp) / (path.name + ".jpg")}
            before = peak_kb()
            try:
                r = process(path, MediaOptions(), exif, geocoder, dest)
                out[path.name] = ["result", r.decode_error, r.pixels is not None,
                                  r.metadata.taken_at is not None]
            except MediaError as err:
                out[path.name] = ["error", err.reason]
            grew = peak_kb() - before
            if grew > out.get("__peak_growth__", ["", 0])[1]:
                out["__peak_growth__"] = [path.name, grew]
    out["__maxrss_mb__"] = peak_kb() / 1024
    print(json.dumps(out))
    """
)

# what each file must end as; "bomb" = refused as a decompression bomb
EXPECTED_BOMB = {
    "decompression_bomb.gif",
    "decompression_bomb.ico",
    "reallybig.bmp",
    "png_bomb_16000x16000.png",
    "jpeg_sof_65500x65500.jpg",
}


@pytest.fixture(scope="module")
def outcomes() -> dict:
    root = shared("bad")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(root)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def categories() -> dict[str, str]:
    with open(shared("bad") / "labels.csv", newline="") as f:
        return {row["file"]: row["category"] for row in csv.DictReader(f)}


def test_every_file_has_an_outcome_and_memory_stays_bounded(outcomes, categories):
    assert set(categories) <= set(outcomes)
    assert outcomes["__maxrss_mb__"] < 1024, outcomes.get("__peak_growth__")
    for name, outcome in outcomes.items():
        if name.startswith("__"):
            continue
        if outcome[0] == "error":
            reason = outcome[1]
            assert reason and len(reason) < 300 and "Traceback" not in reason, name


def test_outcome_per_category(outcomes, categories):
    for name, category in categories.items():
        kind, *rest = outcomes[name]
        if name in EXPECTED_BOMB:
            assert kind == "error" and rest[0].startswith("decompression bomb"), (name, rest)
        elif category == "decompression_bomb":  # oom_tiff (bad header), extents gif (frame 2)
            assert kind == "error" or rest[1], (name, rest)
        elif category == "not_an_image":
            assert kind == "error" and rest[0].startswith("not an image"), (name, rest)
        elif category == "empty":
            assert (kind, rest[0]) == ("error", "empty file")
        elif category in ("bad_metadata", "wrong_extension", "malformed_header"):
            assert kind == "result" and rest[0] is None and rest[1], (name, rest)
        elif category in ("truncated", "corrupt_data"):
            text = rest[0] if kind == "error" else (rest[0] or "")
            if kind == "result" and rest[1]:
                continue  # decodes cleanly enough (e.g. a damaged but complete scan)
            assert text.startswith(("truncated image data", "corrupt image data", "not an image")), (
                name,
                rest,
            )
        else:
            pytest.fail(f"unknown category {category} for {name}")


def test_broken_pixels_keep_their_metadata(outcomes):
    # EXIF present, scan data gone: a result with decode_error, the date still known
    kind, decode_error, has_pixels, has_date = outcomes["DSCN0010_trunc_header_only.jpg"]
    assert kind == "result" and decode_error.startswith("truncated") and not has_pixels
    assert has_date
    assert outcomes["DSCN0010_trunc50pct.jpg"][0] == "result"
