"""Fixtures of the jobs tests."""

from __future__ import annotations

import pytest

from recognize import config as config_mod
from recognize.demo import write_demo_photos
from recognize.jobs.scan import scan
from recognize.store import photos as photo_store
from recognize.store.opening import open_store
from tests.conftest import write_config


@pytest.fixture
def demo_store(tmp_path, password_hash: str):
    """The demo photos scanned with faces and tags off: (settings, store, first photo id)."""
    write_demo_photos(tmp_path / "photos")
    path = write_config(tmp_path, {"demo": tmp_path / "photos"}, password_hash,
                        faces={"enabled": False}, tags={"enabled": False})
    settings = config_mod.load(path)
    store = open_store(settings)
    scan(settings, store)
    with store.reading() as session:
        photo = photo_store.list_photos(session, photo_store.PhotoFilter(
            user_id=1, mount_ids=[1]), offset=0, limit=1)[1][0].id
    return settings, store, photo
