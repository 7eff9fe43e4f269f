"""A store that stops taking writes while running: /api/v1/health says so (503 + reason),
the background work pauses with growing waits and one log line, then resumes by itself.
The disk is a real tmpfs filled to the last byte (see tests/core/test_startup.py)."""

from __future__ import annotations

import logging
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from recognize import config as config_mod
from recognize.demo import write_demo_photos
from recognize.jobs.backoff import StoreBackoff
from recognize.jobs.cascade import Cascade
from recognize.store.opening import open_store
from tests.conftest import wait_for, write_config
from tests.core.test_startup import fill, mounted

pytestmark = pytest.mark.slow  # real models or real server processes: make test runs it


def _unfill(folder: Path) -> None:
    for path in folder.glob("filler*"):
        path.unlink()


def _settings(tmp_path: Path, password_hash: str) -> config_mod.Settings:
    (tmp_path / "photos").mkdir(exist_ok=True)
    path = write_config(tmp_path, {"demo": tmp_path / "photos"}, password_hash,
                        faces={"enabled": False}, tags={"enabled": False},
                        inference={"cache_dir": str(tmp_path / "models")})
    return config_mod.load(path)


def test_health_reports_a_store_that_cannot_write(tmp_path: Path, password_hash: str) -> None:
    from recognize.api import create_app

    var = tmp_path / "var"
    with mounted(var, "-t", "tmpfs", "-o", "size=4m", "tmpfs"):
        settings = _settings(tmp_path, password_hash)
        store = open_store(settings)
        client = create_app(settings, store).test_client()
        try:
            ok = client.get("/api/v1/health")
            assert ok.status_code == 200 and ok.json["store"] == "ok", ok.json
            assert "reason" not in ok.json
            fill(var)
            full = client.get("/api/v1/health")
            assert full.status_code == 503, full.json
            assert full.json["status"] == "degraded"
            assert full.json["reason"] == (
                f"cannot write the data directory {var}: no space left on device")
            assert full.json["store"] == f"error: {full.json['reason']}"
            _unfill(var)
            again = client.get("/api/v1/health")
            assert again.status_code == 200 and again.json["store"] == "ok"
            with sqlite3.connect(var / "recognize.db") as db:  # the probe really wrote
                (value,) = db.execute("SELECT value FROM state WHERE key = "
                                      "'health.write_probe'").fetchone()
            assert (datetime.now(UTC) - datetime.fromisoformat(value)).total_seconds() < 60
        finally:
            store.close()


def test_database_write_failure_is_named(tmp_path: Path, password_hash: str) -> None:
    """The database itself refusing a write (not the data directory) is reported too."""
    from recognize.store import health

    var = tmp_path / "var"
    with mounted(var, "-t", "tmpfs", "-o", "size=4m", "tmpfs"):
        settings = _settings(tmp_path, password_hash)
        store = open_store(settings)
        try:
            assert health.write_probe(store, var) is None
            fill(var)
            assert health.write_probe(store, var) == "cannot write the store: no space left on device"
        finally:
            store.close()


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)



def _count(db_path: Path, sql: str) -> int:
    try:
        with sqlite3.connect(db_path, timeout=5) as db:
            return int(db.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return -1


def test_worker_backs_off_while_the_disk_is_full_then_recovers(
        tmp_path: Path, password_hash: str) -> None:
    var = tmp_path / "var"
    handler = Records()
    loggers = [logging.getLogger("recognize"), logging.getLogger("apscheduler")]
    with mounted(var, "-t", "tmpfs", "-o", "size=8m", "tmpfs"):
        settings = _settings(tmp_path, password_hash)
        store = open_store(settings)
        cascade = Cascade(settings, store)
        cascade.backoff = StoreBackoff(first_s=0.2, cap_s=1.0)  # the real one, quicker
        db = var / "recognize.db"
        levels = [logger.level for logger in loggers]
        for logger in loggers:
            logger.addHandler(handler)
            logger.setLevel(logging.DEBUG)
        try:
            cascade.start()
            assert wait_for(lambda: _count(db, "SELECT count(*) FROM job_runs WHERE "
                                            "name = 'crawl:demo' AND status = 'ok'") == 1, 30)
            fill(var)
            write_demo_photos(tmp_path / "photos")  # new photos while the disk is full
            cascade.scheduler.modify_job("crawl:demo", next_run_time=datetime.now(UTC))
            assert wait_for(lambda: cascade.backoff.failing, 20)
            time.sleep(5)  # the process job ticks every second; the pauses grow to 1 s
            failures = cascade.backoff.failures
            assert 2 <= failures <= 12, failures  # not one try per tick of every job
            assert cascade.backoff.reason is not None
            assert "no space left on device" in cascade.backoff.reason
            _unfill(var)
            assert wait_for(lambda: _count(db, "SELECT count(*) FROM photos "
                                            "WHERE status = 'ok'") == 5, 60), \
                _count(db, "SELECT count(*) FROM photos")
            assert not cascade.backoff.failing
        finally:
            cascade.stop()
            store.close()
            for logger, level in zip(loggers, levels, strict=True):
                logger.removeHandler(handler)
                logger.setLevel(level)
    traced = [r for r in handler.records if r.exc_info]
    assert not traced, [f"{r.name}: {r.getMessage()}" for r in traced]
    errors = [r.getMessage() for r in handler.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].startswith("the store cannot be written: "), errors
    resumed = [r for r in handler.records if "background work resumed" in r.getMessage()]
    assert len(resumed) == 1


def test_backoff_grows_caps_and_logs_once_per_change_of_state(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    backoff = StoreBackoff(first_s=1.0, cap_s=60.0, clock=lambda: now[0])
    caplog.set_level(logging.DEBUG, logger="recognize.jobs.backoff")
    assert backoff.ready() and not backoff.failing
    waits = []
    for reason in ["disk full"] * 4 + ["read-only"] * 5:
        waits.append(backoff.failed(reason))
        assert not backoff.ready()
        now[0] += waits[-1]
        assert backoff.ready()
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    backoff.recovered()
    backoff.recovered()
    assert backoff.ready() and not backoff.failing and backoff.delay() == 1
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) == 2, loud
    assert loud[0].startswith("the store cannot be written: disk full;")
    assert loud[1] == "the store takes writes again after 243 s: background work resumed"
