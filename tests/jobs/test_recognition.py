"""Faces and tags run on the media stage's decoded image, end to end through a scan."""

from __future__ import annotations

import csv
import shutil
import sqlite3
from pathlib import Path

import pytest

from recognize import config as config_mod
from recognize.jobs.scan import scan
from recognize.store.opening import open_store
from tests.conftest import shared, write_config


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, password_hash: str):
    faces, imagenet = shared("faces"), shared("imagenet")
    folder = tmp_path_factory.mktemp("recognition")
    photos = folder / "photos"
    photos.mkdir()
    rows = list(csv.DictReader((faces / "labels.csv").open()))
    # the selfie is a known miss (faces cut off at the photo's edge; see bench/faces.py)
    groups = [r for r in rows if r["kind"] == "group" and "selfie" not in r["file"]][:4]
    none = [r for r in rows if r["kind"] == "no_faces"][:2]
    expected = {}
    for row in groups + none:
        name = Path(row["file"]).name
        shutil.copy(faces / row["file"], photos / name)  # a test-time copy, not in the project
        expected[name] = (int(row["faces_min"] or 0), int(row["faces_max"] or 0))
    dog = next(r for r in csv.DictReader((imagenet / "labels.csv").open())
               if r["name"] == "Labrador_retriever")
    shutil.copy(imagenet / dog["file"], photos / "dog.jpg")
    path = write_config(folder, {"photos": photos}, password_hash)
    settings = config_mod.load(path)
    store = open_store(settings)
    report = scan(settings, store)
    db = sqlite3.connect(settings.store.data_dir / "recognize.db")
    return settings, store, db, expected, report


def test_face_counts_match_the_labels(indexed) -> None:
    _, _, db, expected, report = indexed
    assert report.counters.failed == 0
    counts = dict(db.execute(
        "SELECT p.path, count(f.id) FROM photos p LEFT JOIN faces f ON f.photo_id = p.id "
        "GROUP BY p.path").fetchall())
    for name, (low, high) in expected.items():
        assert low <= counts[name] <= max(high, low), (name, counts[name], (low, high))


def test_faces_are_stored_relative_with_embeddings(indexed) -> None:
    _, _, db, _, _ = indexed
    for x, y, w, h, emb, landmarks in db.execute(
            "SELECT x, y, w, h, embedding, landmarks FROM faces"):
        assert 0 <= x <= 1 and 0 <= y <= 1 and 0 < w <= 1 and 0 < h <= 1
        assert len(emb) == 128 * 4 and landmarks.count("[") == 6


def test_the_dog_gets_dog_tags(indexed) -> None:
    _, _, db, _, _ = indexed
    tags = {n for (n,) in db.execute(
        "SELECT t.name FROM photo_tags pt JOIN tags t ON t.id = pt.tag_id "
        "JOIN photos p ON p.id = pt.photo_id WHERE p.path = 'dog.jpg' AND t.kind = 'classifier'")}
    assert "dog" in tags, tags


def test_each_photo_was_decoded_once(indexed) -> None:
    _, _, db, _, report = indexed
    photos = db.execute("SELECT count(*) FROM photos").fetchone()[0]
    assert report.counters.decoded == photos
    stages = dict(db.execute("SELECT stage, count(*) FROM photo_stages GROUP BY stage").fetchall())
    assert stages == {"media": photos, "faces": photos, "tags": photos}


def test_a_new_model_version_reruns_only_that_stage_and_keeps_face_rows(indexed) -> None:
    settings, store, db, _, _ = indexed
    before = db.execute("SELECT id, photo_id FROM faces ORDER BY id").fetchall()
    db.execute("UPDATE photo_stages SET version = 'faces@old' WHERE stage = 'faces'")
    db.commit()
    report = scan(settings, store)
    photos = db.execute("SELECT count(*) FROM photos").fetchone()[0]
    assert report.counters.photos == photos and report.counters.decoded == photos
    versions = {v for (v,) in db.execute("SELECT version FROM photo_stages WHERE stage='faces'")}
    assert "faces@old" not in versions
    after = db.execute("SELECT id, photo_id FROM faces ORDER BY id").fetchall()
    assert after == before  # the same rows: persons and corrections stay attached
