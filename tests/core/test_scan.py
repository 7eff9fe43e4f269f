"""Scanning real photo folders end to end through the CLI: labels, bad files, kills, re-scans."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from recognize.jobs.crawl import walk
from recognize.media import SUPPORTED_EXTENSIONS
from tests.conftest import exif_sample, shared, write_config

EXT = frozenset(SUPPORTED_EXTENSIONS)


def recognize(config: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "recognize.cli", "--config", str(config), *args],
        capture_output=True, text=True, timeout=600,
    )
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def _db(config: Path) -> sqlite3.Connection:
    return sqlite3.connect(config.parent / "var" / "recognize.db", timeout=60)


def test_scan_exif_folder_then_rescan_decodes_nothing(tmp_path: Path, password_hash: str) -> None:
    exif = exif_sample(tmp_path / "exif")  # every other photo (test_media_exif reads them all)
    config = write_config(tmp_path, {"exif": exif}, password_hash, jobs={"batch_size": 8})
    first = json.loads(recognize(config, "scan", "--json").stdout.strip().splitlines()[-1])
    files = sum(1 for _ in walk(exif, EXT))
    assert first["mounts"][0]["new"] == files
    assert first["photos_processed"] == files
    assert first["decoded"] > files * 0.9
    second = json.loads(recognize(config, "scan", "--json").stdout.strip().splitlines()[-1])
    assert second["decoded"] == 0 and second["photos_processed"] == 0
    assert second["mounts"][0]["unchanged"] == files
    status = json.loads(recognize(config, "status", "--json").stdout)["mounts"][0]
    assert status["files"] == files and status["queued"] == 0
    assert status["done"] + status["partial"] + status["failed"] == files
    with _db(config) as db:
        labels = json.loads((shared("exif") / "labels.json").read_text())
        rows = dict(db.execute("SELECT path, make FROM photos").fetchall())
    entries = labels.items() if isinstance(labels, dict) else [(e["file"], e) for e in labels]
    checked = 0
    for name, entry in entries:
        make = entry.get("exiftool", {}).get("Make")
        if make and name in rows:
            assert (rows[name] or "").strip() == str(make).strip(), name
            checked += 1
    assert checked > 20


def test_bad_files_are_recorded_and_the_batch_goes_on(tmp_path: Path, password_hash: str) -> None:
    bad = shared("bad")
    config = write_config(tmp_path, {"bad": bad}, password_hash, jobs={"batch_size": 8})
    recognize(config, "scan", "--json")
    with _db(config) as db:
        rows = db.execute("SELECT path, status, error FROM photos").fetchall()
        queued = db.execute("SELECT count(*) FROM queue").fetchone()[0]
    assert queued == 0
    assert len(rows) == sum(1 for _ in walk(bad, EXT))
    for path, status, error in rows:
        assert status in {"ok", "partial", "failed"}, path
        if status != "ok":
            assert error and len(error) > 5, path
    by_path = {p: (s, e) for p, s, e in rows}
    assert by_path["png_bomb_16000x16000.png"][0] == "failed"
    assert "bomb" in by_path["png_bomb_16000x16000.png"][1].lower()
    assert by_path["zero_bytes.jpg"][0] == "failed"
    assert by_path["DSCN0010_trunc_header_only.jpg"][0] in {"partial", "failed"}


def test_killed_scan_loses_and_repeats_nothing(tmp_path: Path, password_hash: str) -> None:
    exif = exif_sample(tmp_path / "exif")  # 69 of the 137: 207 stage rows, killed at 10/40/80
    config = write_config(tmp_path, {"exif": exif}, password_hash, jobs={"batch_size": 4})
    files = sum(1 for _ in walk(exif, EXT))
    kills = 0
    for target in (10, 40, 80):
        proc = subprocess.Popen(
            [sys.executable, "-m", "recognize.cli", "--config", str(config), "scan"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with _db(config) as db:
                    done = db.execute("SELECT count(*) FROM photo_stages").fetchone()[0]
            except sqlite3.OperationalError:
                done = 0
            if done >= target:
                os.kill(proc.pid, signal.SIGKILL)
                kills += 1
                break
            time.sleep(0.05)
        proc.wait(timeout=60)
    assert kills >= 2, "the scan finished before it could be killed"
    recognize(config, "scan")
    with _db(config) as db:
        paths = [p for (p,) in db.execute("SELECT path FROM photos")]
        stages = db.execute("SELECT photo_id, stage, count(*) FROM photo_stages "
                            "GROUP BY photo_id, stage HAVING count(*) > 1").fetchall()
        left = db.execute("SELECT count(*) FROM queue").fetchone()[0]
        unfinished = db.execute("SELECT count(*) FROM photos WHERE status='queued'").fetchone()[0]
        tag_rows = db.execute("SELECT count(*), count(DISTINCT photo_id || '-' || tag_id) "
                              "FROM photo_tags").fetchone()
    assert len(paths) == len(set(paths)) == files
    assert stages == [] and left == 0 and unfinished == 0
    assert tag_rows[0] == tag_rows[1]


def test_cli_errors_are_messages_not_tracebacks(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[server]\nprot = 1\n")
    result = recognize(bad, "status", check=False)
    assert result.returncode == 2
    assert "did you mean 'port'" in result.stderr and "Traceback" not in result.stderr
    result = recognize(tmp_path / "missing.toml", "status", check=False)
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_unknown_mount_is_refused(tmp_path: Path, password_hash: str) -> None:
    (tmp_path / "p").mkdir()
    config = write_config(tmp_path, {"photos": tmp_path / "p"}, password_hash)
    result = recognize(config, "scan", "--mount", "photo", check=False)
    assert result.returncode == 2 and "did you mean 'photos'" in result.stderr


@pytest.mark.parametrize("marker", [".nomedia", ".noimage"])
def test_markers_exclude_folders(tmp_path: Path, password_hash: str, marker: str) -> None:
    from recognize.demo import write_demo_photos

    photos = tmp_path / "p"
    write_demo_photos(photos / "keep")
    write_demo_photos(photos / "skip")
    (photos / "skip" / marker).touch()
    config = write_config(tmp_path, {"p": photos}, password_hash)
    summary = json.loads(recognize(config, "scan", "--json").stdout.strip().splitlines()[-1])
    assert summary["mounts"][0]["new"] == 5
