"""Crawl: incremental by size + mtime; new, changed, moved, deleted; marker files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from recognize.jobs.crawl import crawl as crawl_source
from recognize.jobs.sources import LocalSource
from recognize.store import Store, accounts
from recognize.store.models import Photo, QueueItem

EXT = frozenset({"jpg", "png"})


def crawl(store, ref, stages, ext, follow_symlinks=False):
    return crawl_source(store, ref, stages, LocalSource(Path(ref.location), ext, follow_symlinks))


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Store, accounts.MountRef, Path]:
    photos = tmp_path / "photos"
    (photos / "a").mkdir(parents=True)
    for i in range(4):
        (photos / "a" / f"{i}.jpg").write_bytes(os.urandom(1000 + i))
    (photos / "b.PNG").write_bytes(os.urandom(500))
    (photos / "notes.txt").write_text("not a photo")
    (photos / ".hidden.jpg").write_bytes(b"x")
    (photos / "skip").mkdir()
    (photos / "skip" / ".nomedia").touch()
    (photos / "skip" / "x.jpg").write_bytes(b"x")
    (photos / "skip" / "deeper").mkdir()
    (photos / "skip" / "deeper" / "y.jpg").write_bytes(b"y")
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    with store.session() as session:
        ref = accounts.sync(session, [("alice", False)], [("m", str(photos), ["alice"])])["m"]
    return store, ref, photos


def _paths(store: Store) -> dict[str, int]:
    with store.session() as session:
        return dict(session.execute(select(Photo.path, Photo.id)).all())


def test_first_crawl_finds_photos_only(setup) -> None:
    store, ref, _ = setup
    result = crawl(store, ref, ["media"], EXT)
    assert (result.seen, result.new) == (5, 5)
    assert sorted(_paths(store)) == ["a/0.jpg", "a/1.jpg", "a/2.jpg", "a/3.jpg", "b.PNG"]
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(QueueItem)) == 5


def test_second_crawl_is_incremental(setup) -> None:
    store, ref, photos = setup
    crawl(store, ref, ["media"], EXT)
    before = _paths(store)
    with store.session() as session:
        session.execute(QueueItem.__table__.delete())  # pretend everything was processed
    (photos / "a" / "0.jpg").write_bytes(os.urandom(2000))  # changed content
    (photos / "a" / "1.jpg").rename(photos / "moved.jpg")  # moved
    (photos / "a" / "2.jpg").unlink()  # deleted
    os.utime(photos / "a" / "3.jpg", ns=(1, 1))  # touched, same content
    (photos / "new.jpg").write_bytes(os.urandom(700))  # new
    result = crawl(store, ref, ["media"], EXT)
    assert (result.new, result.changed, result.moved, result.deleted) == (1, 1, 1, 1)
    after = _paths(store)
    assert after["moved.jpg"] == before["a/1.jpg"]  # same row: faces and tags survive
    assert after["a/0.jpg"] == before["a/0.jpg"] and after["a/3.jpg"] == before["a/3.jpg"]
    assert "a/2.jpg" not in after
    with store.session() as session:
        queued = set(session.scalars(select(QueueItem.photo_id)))
    assert queued == {after["a/0.jpg"], after["new.jpg"]}  # only changed + new are queued
    result = crawl(store, ref, ["media"], EXT)
    assert (result.new, result.changed, result.moved, result.deleted, result.unchanged) == (
        0, 0, 0, 0, 5)


def test_marker_added_later_removes_the_folder(setup) -> None:
    store, ref, photos = setup
    crawl(store, ref, ["media"], EXT)
    (photos / "a" / ".noimage").touch()
    result = crawl(store, ref, ["media"], EXT)
    assert result.deleted == 4 and sorted(_paths(store)) == ["b.PNG"]


def test_symlinks_never_leave_the_mount(setup, tmp_path: Path) -> None:
    store, ref, photos = setup
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.jpg").write_bytes(b"s")
    (photos / "link").symlink_to(outside)
    (photos / "inside_link.jpg").symlink_to(photos / "b.PNG")
    crawl(store, ref, ["media"], EXT, follow_symlinks=True)
    paths = _paths(store)
    assert "link/secret.jpg" not in paths and "inside_link.jpg" in paths
