"""The background cascade: schedules, the time window, job runs, limits, crashes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from recognize import config as config_mod
from recognize.config import Settings
from recognize.demo import write_demo_photos
from recognize.jobs.cascade import Cascade, in_window, trigger_for
from recognize.jobs.crawl import walk
from recognize.media import SUPPORTED_EXTENSIONS
from recognize.store import Store
from recognize.store.opening import open_store
from tests.conftest import exif_sample, shared, wait_for, write_config


@pytest.mark.parametrize(
    ("window", "hour", "allowed"),
    [("", 12, True), ("01:00-06:00", 3, True), ("01:00-06:00", 6, False),
     ("22:00-02:00", 23, True), ("22:00-02:00", 1, True), ("22:00-02:00", 12, False)],
)
def test_time_window(window: str, hour: int, allowed: bool) -> None:
    assert in_window(window, datetime(2026, 1, 1, hour, 0)) is allowed


def test_schedules() -> None:
    assert trigger_for("30m").interval.total_seconds() == 1800  # type: ignore[attr-defined]
    assert "cron" in type(trigger_for("0 3 * * *")).__name__.lower()



def _closed_window() -> str:
    """A one-hour window that does not contain the current local time."""
    start = (datetime.now().hour + 2) % 24
    return f"{start:02d}:00-{(start + 1) % 24:02d}:00"


def demo(tmp_path: Path, password_hash: str, **sections: dict) -> tuple[Settings, Store]:
    """The demo photos in ``tmp_path/photos``, a config with ``sections``, and its store."""
    write_demo_photos(tmp_path / "photos")
    path = write_config(tmp_path, {"demo": tmp_path / "photos"}, password_hash, **sections)
    settings = config_mod.load(path)
    return settings, open_store(settings)


def test_no_batch_starts_outside_the_window(tmp_path: Path, password_hash: str) -> None:
    settings, store = demo(tmp_path, password_hash, jobs={"window": _closed_window()},
                           tags={"enabled": False})
    cascade = Cascade(settings, store)
    cascade.start()
    try:
        db = sqlite3.connect(settings.store.data_dir / "recognize.db")
        assert wait_for(lambda: db.execute("SELECT count(DISTINCT photo_id) FROM queue").fetchone()[0] == 5)
        time.sleep(3)  # the process job ran (every few seconds) and must have claimed nothing
        assert db.execute("SELECT count(*) FROM photo_stages").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM queue WHERE claimed_by IS NOT NULL"
                          ).fetchone()[0] == 0
        runs = db.execute("SELECT name, status FROM job_runs").fetchall()
        assert ("crawl:demo", "ok") in runs
    finally:
        cascade.stop()
    # inside the window the same queue drains
    settings.jobs.window = ""
    cascade = Cascade(settings, store)
    cascade.start()
    try:
        assert wait_for(lambda: db.execute("SELECT count(*) FROM queue").fetchone()[0] == 0)
        assert db.execute("SELECT count(DISTINCT photo_id) FROM photo_stages").fetchone()[0] == 5
    finally:
        cascade.stop()


def test_a_failing_job_is_recorded_and_the_scheduler_goes_on(tmp_path: Path,
                                                             password_hash: str) -> None:
    settings, store = demo(tmp_path, password_hash, tags={"enabled": False})
    cascade = Cascade(settings, store)
    original = cascade._crawl
    calls = {"n": 0}

    def flaky(name: str) -> str | None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk went away")
        return original(name)

    cascade._crawl = flaky  # type: ignore[method-assign]
    cascade.start()
    try:
        cascade.crawl_mount("demo")  # second call succeeds
        db = sqlite3.connect(settings.store.data_dir / "recognize.db")
        assert wait_for(lambda: len(db.execute("SELECT 1 FROM job_runs WHERE name='crawl:demo' "
                                             "AND status != 'running'").fetchall()) >= 2)
        statuses = {s: d for s, d in db.execute(
            "SELECT status, detail FROM job_runs WHERE name='crawl:demo'")}
        assert "disk went away" in statuses["failed"] and "ok" in statuses
        assert cascade.scheduler.running
    finally:
        cascade.stop()


def _worker(config: Path, *extra: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "recognize.cli", "--config", str(config), *extra, "worker"],
        stdout=out, stderr=out,
    )


def test_killed_worker_processes_every_photo_exactly_once(tmp_path: Path,
                                                          password_hash: str) -> None:
    exif = exif_sample(tmp_path / "exif")  # 69 of the 137 photos, killed after 10, 30, 50
    config = write_config(tmp_path, {"exif": exif}, password_hash, jobs={"batch_size": 4})
    files = sum(1 for _ in walk(exif, frozenset(SUPPORTED_EXTENSIONS)))
    db_path = tmp_path / "var" / "recognize.db"
    log = tmp_path / "worker.log"

    def done() -> int:
        try:
            with sqlite3.connect(db_path, timeout=30) as db:
                return int(db.execute("SELECT count(DISTINCT photo_id) FROM photo_stages"
                                      ).fetchone()[0])
        except sqlite3.OperationalError:
            return 0

    kills = 0
    for target in (10, 30, 50):
        proc = _worker(config, "--log-level", "DEBUG", log=log)
        if wait_for(lambda t=target, p=proc: done() >= t or p.poll() is not None, 240) \
                and proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
    assert kills >= 2
    proc = _worker(config, "--log-level", "DEBUG", log=log)
    try:
        def finished() -> bool:
            with sqlite3.connect(db_path, timeout=30) as db:
                queued = db.execute("SELECT count(*) FROM queue").fetchone()[0]
                photos = db.execute("SELECT count(*) FROM photos").fetchone()[0]
            return queued == 0 and photos == files
        assert wait_for(finished, 300)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    with sqlite3.connect(db_path) as db:
        paths = [p for (p,) in db.execute("SELECT path FROM photos")]
        tag_rows = db.execute("SELECT count(*), count(DISTINCT photo_id || '-' || tag_id) "
                              "FROM photo_tags").fetchone()
        statuses = dict(db.execute("SELECT status, count(*) FROM photos GROUP BY status").fetchall())
    assert len(paths) == len(set(paths)) == files
    assert tag_rows[0] == tag_rows[1]
    assert "queued" not in statuses
    saved = [line for line in log.read_text(errors="replace").splitlines() if "saved photo" in line]
    ids = [line.rsplit("saved photo ", 1)[1].split()[0] for line in saved]
    assert len(ids) == len(set(ids)), "a photo was saved twice"


def test_status_json_reports_stages(tmp_path: Path, password_hash: str) -> None:
    write_demo_photos(tmp_path / "photos")
    config = write_config(tmp_path, {"demo": tmp_path / "photos"}, password_hash,
                          tags={"enabled": False})
    subprocess.run([sys.executable, "-m", "recognize.cli", "--config", str(config), "scan"],
                   check=True, capture_output=True)
    result = subprocess.run(
        [sys.executable, "-m", "recognize.cli", "--config", str(config), "status", "--json"],
        check=True, capture_output=True, text=True)
    data = json.loads(result.stdout)
    (media,) = [s for s in data["stages"] if s["stage"] == "media"]
    assert media["total"] == 5 and media["done"] == 5 and media["queued"] == 0


@pytest.mark.postgres
def test_two_workers_share_one_postgres(tmp_path: Path, password_hash: str, fresh_pg: str) -> None:
    exif = shared("exif")
    config = write_config(tmp_path, {"exif": exif}, password_hash, jobs={"batch_size": 2},
                          store={"url": fresh_pg})
    files = sum(1 for _ in walk(exif, frozenset(SUPPORTED_EXTENSIONS)))
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    procs = [_worker(config, "--log-level", "DEBUG", log=log) for log in logs]
    from sqlalchemy import create_engine, text

    engine = create_engine(fresh_pg)

    def finished() -> bool:
        try:
            with engine.connect() as conn:
                queued = conn.execute(text("SELECT count(*) FROM queue")).scalar()
                photos = conn.execute(text("SELECT count(*) FROM photos")).scalar()
        except Exception:
            return False
        return queued == 0 and photos == files

    try:
        assert wait_for(finished, 300)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)
        engine.dispose()
    per_worker = []
    for log in logs:
        lines = [ln for ln in log.read_text(errors="replace").splitlines() if "saved photo" in ln]
        per_worker.append([ln.rsplit("saved photo ", 1)[1].split()[0] for ln in lines])
    everything = per_worker[0] + per_worker[1]
    assert len(everything) == len(set(everything)), "a photo was processed twice"
    assert all(per_worker), f"one worker did nothing: {[len(w) for w in per_worker]}"
    crawls = " ".join(log.read_text(errors="replace") for log in logs)
    assert "Traceback" not in crawls


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.slow
def test_one_inference_thread_uses_about_one_core(tmp_path: Path, password_hash: str) -> None:
    exif = shared("exif")
    config = write_config(tmp_path, {"exif": exif}, password_hash,
                          jobs={"threads": 1, "workers": 1, "batch_size": 4})
    db_path = tmp_path / "var" / "recognize.db"

    def stages_done() -> int:
        try:
            with sqlite3.connect(db_path, timeout=30) as db:
                return int(db.execute("SELECT count(*) FROM photo_stages").fetchone()[0])
        except sqlite3.OperationalError:
            return 0

    proc = _worker(config)
    try:
        assert wait_for(lambda: stages_done() >= 20, 240), "the worker did not start working"
        cpu0, wall0 = _cpu_seconds(proc.pid), time.monotonic()
        time.sleep(8)
        cpu1, wall1 = _cpu_seconds(proc.pid), time.monotonic()
        with sqlite3.connect(db_path, timeout=30) as db:
            still_busy = db.execute("SELECT count(*) FROM queue").fetchone()[0] > 0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    ratio = (cpu1 - cpu0) / (wall1 - wall0)
    assert still_busy, "the worker ran out of work while measuring"
    assert ratio <= 1.2, f"CPU time / wall time = {ratio:.2f} with one thread"


@pytest.mark.clients
def test_remote_webdav_mount(tmp_path: Path, password_hash: str) -> None:
    import shutil

    rclone = shutil.which("rclone")
    if rclone is None:
        pytest.skip("rclone is not installed (Debian package: rclone)")
    from tests.conftest import free_port

    served = tmp_path / "served"
    write_demo_photos(served / "album")
    port = free_port()
    server = subprocess.Popen(
        [rclone, "serve", "webdav", str(served), "--addr", f"127.0.0.1:{port}",
         "--user", "remote", "--pass", "remote-secret", "--dir-cache-time", "0s"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import socket

        assert wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 30)
        config = write_config(tmp_path, {}, password_hash, tags={"enabled": False})
        import tomllib

        import tomli_w

        data = tomllib.loads(config.read_text())
        data["mounts"] = [{"name": "cloud", "path": f"http://127.0.0.1:{port}/",
                           "owners": ["alice"], "username": "remote",
                           "password": "remote-secret"}]
        config.write_text(tomli_w.dumps(data))
        run = [sys.executable, "-m", "recognize.cli", "--config", str(config), "scan", "--json"]
        first = json.loads(subprocess.run(run, check=True, capture_output=True, text=True
                                          ).stdout.splitlines()[-1])
        assert first["mounts"][0]["new"] == 5 and first["failed"] == 0
        assert first["decoded"] == 5
        (served / "album" / "lake.jpg").unlink()
        write_demo_photos(served / "more")
        (served / "more" / "night.jpg").rename(served / "added.jpg")
        shutil.rmtree(served / "more")
        second = json.loads(subprocess.run(run, check=True, capture_output=True, text=True
                                           ).stdout.splitlines()[-1])
        crawl = second["mounts"][0]
        assert (crawl["deleted"], crawl["unchanged"]) == (1, 4)
        assert crawl["new"] + crawl["moved"] == 1 and second["failed"] == 0
        with sqlite3.connect(tmp_path / "var" / "recognize.db") as db:
            paths = sorted(p for (p,) in db.execute("SELECT path FROM photos"))
            makes = db.execute("SELECT count(*) FROM photos WHERE make IS NOT NULL").fetchone()[0]
        assert "added.jpg" in paths and "album/lake.jpg" not in paths and makes == 4
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_watcher_picks_up_new_files_at_once(tmp_path: Path, password_hash: str) -> None:
    photos = tmp_path / "photos"
    write_demo_photos(photos / "first")
    path = write_config(tmp_path, {"demo": photos}, password_hash, tags={"enabled": False},
                        faces={"enabled": False})
    import tomllib

    import tomli_w

    data = tomllib.loads(path.read_text())
    data["mounts"][0].update(watch=True, schedule="1d")  # no crawl would come soon
    path.write_text(tomli_w.dumps(data))
    settings = config_mod.load(path)
    store = open_store(settings)
    cascade = Cascade(settings, store)
    cascade.start()
    db = sqlite3.connect(settings.store.data_dir / "recognize.db")

    def photos_ok() -> set[str]:
        return {p for (p,) in db.execute("SELECT path FROM photos WHERE status = 'ok'")}

    try:
        assert wait_for(lambda: len(photos_ok()) == 5)
        write_demo_photos(photos / "second")  # new files: indexed without a crawl
        (photos / "hidden").mkdir()
        (photos / "hidden" / ".nomedia").touch()
        write_demo_photos(photos / "hidden")  # below a marker: ignored
        assert wait_for(lambda: len(photos_ok()) == 10, 30), photos_ok()
        (photos / "first" / "lake.jpg").rename(photos / "second" / "lake2.jpg")
        (photos / "first" / "night.jpg").unlink()
        assert wait_for(lambda: "second/lake2.jpg" in photos_ok()
                     and "first/night.jpg" not in photos_ok(), 30)
        assert not any(p.startswith("hidden/") for p in photos_ok())
        crawls = db.execute("SELECT count(*) FROM job_runs WHERE name = 'crawl:demo'").fetchone()[0]
        assert crawls == 1  # only the start-up crawl ran
    finally:
        cascade.stop()


def test_a_photo_that_takes_too_long_is_recorded_as_failed(tmp_path: Path,
                                                          password_hash: str) -> None:
    from recognize.jobs.stages import Stage, Work, build_stages
    from recognize.jobs.worker import Worker

    settings, store = demo(tmp_path, password_hash,
                           jobs={"photo_timeout": 1, "max_attempts": 2, "retry_backoff": 0},
                           faces={"enabled": False}, tags={"enabled": False})

    class Stuck(Stage):
        name, version = "stuck", "stuck@1"

        def compute(self, work: Work) -> None:
            if work.claim.path.endswith("lake.jpg"):
                time.sleep(3)  # a decoder stuck on one file

        def save(self, *_: object) -> None:
            pass

    worker = Worker(settings, store, [*build_stages(settings), Stuck()])
    try:
        from recognize.jobs.scan import scan

        started = time.monotonic()
        report = scan(settings, store, worker=worker)
        elapsed = time.monotonic() - started
    finally:
        worker.close()
    db = sqlite3.connect(settings.store.data_dir / "recognize.db")
    rows = dict(db.execute("SELECT path, status || ':' || coalesce(error, '') FROM photos"))
    assert rows["lake.jpg"] == "failed:timed out after 1 s"
    assert all(v == "ok:" for k, v in rows.items() if k != "lake.jpg")
    assert report.counters.photos >= 5 and elapsed < 30
