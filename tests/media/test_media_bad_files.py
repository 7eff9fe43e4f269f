"""Broken and hostile files (../shared/data/bad): a clean result or a readable refusal each,
in a child process capped at 2 GB of address space, with bounded memory and time."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import textwrap
from pathlib import Path

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


# --- bombs are recorded, in the config's words -------------------------------------------------
def test_bombs_are_recorded_and_cite_the_config_key(tmp_path, password_hash) -> None:
    """decompression_bomb.ico was never crawled (".ico" was not a photo extension although
    Pillow decodes ICO); the GIF bomb's reason named Pillow's limit, not media.max_pixels."""
    import shutil
    import sqlite3

    from tests.conftest import write_config

    bad = shared("bad")
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("decompression_bomb.ico", "decompression_bomb.gif", "reallybig.bmp"):
        shutil.copy(bad / name, photos / name)  # a copy in the test's own folder
    config = write_config(tmp_path, {"bad": photos}, password_hash,
                          faces={"enabled": False}, tags={"enabled": False},
                          inference={"cache_dir": str(tmp_path / "models")})
    done = subprocess.run([sys.executable, "-m", "recognize.cli", "--config", str(config),
                           "scan", "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    with sqlite3.connect(tmp_path / "var" / "recognize.db") as db:
        rows = {p: (s, e) for p, s, e in db.execute("SELECT path, status, error FROM photos")}
    assert set(rows) == {"decompression_bomb.ico", "decompression_bomb.gif", "reallybig.bmp"}
    for name, (status, error) in rows.items():
        assert status == "failed", name
        assert error.startswith("decompression bomb: ") and "media.max_pixels (200,000,000)" \
            in error, (name, error)
        assert "could be decompression bomb DOS attack" not in error  # Pillow's wording
    assert rows["decompression_bomb.ico"][1] == (
        "decompression bomb: 4,294,836,225 pixels is above media.max_pixels (200,000,000)")


def test_the_reason_follows_media_max_pixels() -> None:
    """Pillow's limit is set from media.max_pixels (it checks sizes inside its plugins too,
    before our header check can): the refusal names whatever the config says."""
    from PIL import Image

    from recognize.errors import MediaError
    from recognize.media import MediaOptions
    from recognize.media.decode import check_pixels
    from recognize.media.pillow_decode import decode_with_pillow

    gif = str(shared("bad") / "decompression_bomb.gif")
    for limit in (1_000_000, 3_000_000_001):
        with pytest.raises(MediaError) as info:
            decode_with_pillow(gif, MediaOptions(max_pixels=limit), "gif", check_pixels)
        assert info.value.reason == (
            f"decompression bomb: 4,364,696,535 pixels is above media.max_pixels ({limit:,})")
        assert limit <= Image.MAX_IMAGE_PIXELS * 2  # Pillow never refuses below the key


# --- exiftool exits with its parent ------------------------------------------------------------
def _children(pid: int) -> list[int]:
    import os

    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"exiftool" in cmdline and b"-stay_open" in cmdline:
            found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_killed_server_leaves_no_exiftool(tmp_path, password_hash) -> None:
    import contextlib
    import os
    import signal
    import sqlite3
    import time

    from recognize.demo import write_demo_photos
    from tests.conftest import free_port, write_config

    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux-only")
    write_demo_photos(tmp_path / "photos")
    config = write_config(tmp_path, {"demo": tmp_path / "photos"}, password_hash,
                          faces={"enabled": False}, tags={"enabled": False},
                          inference={"cache_dir": str(tmp_path / "models")})
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "recognize.cli", "--config", str(config),
                               "serve", "--port", str(free_port())],
                              stdout=log, stderr=subprocess.STDOUT)
    exiftool: list[int] = []
    try:
        deadline = time.monotonic() + 90
        db = tmp_path / "var" / "recognize.db"
        while time.monotonic() < deadline and server.poll() is None:  # indexed: exiftool ran
            time.sleep(0.2)
            with contextlib.suppress(sqlite3.Error), sqlite3.connect(db, timeout=5) as conn:
                if conn.execute("SELECT count(*) FROM photos WHERE status = 'ok'"
                                ).fetchone()[0] == 5:
                    break
        time.sleep(1)
        exiftool = [p for p in _children(server.pid) if _alive(p)]  # the long-lived one(s)
        assert exiftool, (tmp_path / "server.log").read_text()[-2000:]
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(p) for p in exiftool):
            time.sleep(0.1)
        assert not any(_alive(p) for p in exiftool), "exiftool outlived its killed parent"
    finally:
        if server.poll() is None:
            server.kill()
        for pid in exiftool:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        log.close()


def test_exiftool_outlives_the_thread_that_started_it() -> None:
    """The kernel's "parent" for PR_SET_PDEATHSIG is the forking thread: exiftool is forked
    by one long-lived thread, so a job thread's end does not kill a healthy exiftool."""
    import threading
    import time

    from recognize.media import ExifReader

    photo = shared("bad") / "hopper_bad_exif.jpg"
    with ExifReader() as reader:
        thread = threading.Thread(target=reader.read, args=[photo])
        thread.start()
        thread.join()
        process = reader._process
        assert process is not None
        time.sleep(0.5)
        assert process.running
        assert reader.read(photo).width is not None
        assert reader._process is process  # the same process, not a restarted one
