"""`recognize retry`: a failed photo goes back in the queue for every enabled stage."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from recognize import cli
from recognize import config as config_mod
from recognize.jobs.scan import scan
from recognize.store.opening import open_store
from tests.conftest import shared, write_config


def test_retry_queues_every_enabled_stage_of_a_failed_photo(tmp_path: Path,
                                                            password_hash: str) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(shared("bad") / "text_named_as.jpg", photos / "broken.jpg")  # a test-time copy
    path = write_config(tmp_path, {"demo": photos}, password_hash, tags={"enabled": False})
    settings = config_mod.load(path)
    report = scan(settings, open_store(settings))
    assert report.counters.failed == 1
    db = sqlite3.connect(settings.store.data_dir / "recognize.db")
    assert db.execute("SELECT status FROM photos").fetchone() == ("failed",)
    assert db.execute("SELECT count(*) FROM queue").fetchone() == (0,)

    assert cli.main(["--config", str(path), "retry"]) == 0
    assert db.execute("SELECT status, attempts, error FROM photos").fetchone() == ("queued", 0,
                                                                                   None)
    queued = {s for (s,) in db.execute("SELECT stage FROM queue")}
    assert queued == {"media", "faces"}  # not only media; tags is disabled
