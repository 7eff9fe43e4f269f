"""Persons from real faces: identities apart, names kept, corrections and deletions respected."""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from recognize import config as config_mod
from recognize.jobs.persons import cluster_user
from recognize.jobs.scan import scan
from recognize.store import accounts, face_info
from recognize.store import persons as person_store
from recognize.store.opening import open_store
from tests.conftest import shared, write_config

# faces with alice's (user 1) person of each, as the old faces.person_id column read
FACES = ("(SELECT faces.*, fp.person_id AS person_id FROM faces LEFT JOIN face_persons fp "
         "ON fp.face_id = faces.id AND fp.user_id = 1)")
PEOPLE = ("angelina_jolie", "barack_obama", "compreface_person_a", "mark_zuckerberg",
          "jennifer_aniston")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, password_hash: str):
    identities = shared("faces") / "identities"
    folder = tmp_path_factory.mktemp("persons")
    photos = folder / "photos"
    later = folder / "later"  # photos that arrive after the first clustering
    for person in PEOPLE:
        files = sorted((identities / person).iterdir())
        (photos / person).mkdir(parents=True)
        for f in files[:-1]:
            shutil.copy(f, photos / person / f.name)  # a test-time copy, not in the project
        (later / person).mkdir(parents=True)
        shutil.copy(files[-1], later / person / files[-1].name)
    path = write_config(folder, {"photos": photos}, password_hash, tags={"enabled": False})
    settings = config_mod.load(path)
    store = open_store(settings)
    report = scan(settings, store)
    db = sqlite3.connect(settings.store.data_dir / "recognize.db", isolation_level=None)
    return settings, store, db, photos, later, report


def alice(session) -> accounts.Viewer:
    return accounts.viewer(session, 1)


def persons_by_identity(db: sqlite3.Connection) -> dict[str, Counter[int | None]]:
    """For each identity (its folder), how many of its largest faces sit in each person."""
    rows = db.execute(
        f"SELECT p.path, f.person_id, f.w * f.h FROM {FACES} f JOIN photos p ON p.id = f.photo_id"
    ).fetchall()
    largest: dict[str, tuple[float, int | None]] = {}
    for path, person, area in rows:
        if path not in largest or area > largest[path][0]:
            largest[path] = (area, person)
    out: dict[str, Counter[int | None]] = defaultdict(Counter)
    for path, (_, person) in largest.items():
        out[path.split("/")[0]][person] += 1
    return out


def test_identities_come_out_as_separate_persons(world) -> None:
    _, _, db, _, _, report = world
    assert report.clusters and report.clusters[0].persons >= 3
    found = persons_by_identity(db)
    owners: dict[int, str] = {}
    for identity, counts in found.items():
        for person in counts:
            if person is not None:
                assert owners.setdefault(person, identity) == identity, \
                    f"person {person} mixes {owners[person]} and {identity}"
    for identity in ("angelina_jolie", "compreface_person_a"):  # enough photos to form a person
        main, n = found[identity].most_common(1)[0]
        assert main is not None and n >= sum(found[identity].values()) - 1, found[identity]
    covers = db.execute("SELECT count(*) FROM persons WHERE cover_face_id IS NULL "
                        "AND deleted = 0").fetchone()[0]
    assert covers == 0


def test_named_person_keeps_its_name_and_gets_new_photos(world) -> None:
    settings, store, db, photos, later, _ = world
    jolie = persons_by_identity(db)["angelina_jolie"].most_common(1)[0][0]
    with store.session() as session:
        person_store.rename_person(session, alice(session), jolie, "Angelina")
    tags = db.execute("SELECT count(*) FROM photo_tags pt JOIN tags t ON t.id = pt.tag_id "
                      "WHERE t.kind = 'person' AND t.name = 'Angelina'").fetchone()[0]
    assert tags == sum(persons_by_identity(db)["angelina_jolie"].values())
    for person in PEOPLE:  # new photos arrive
        for f in (later / person).iterdir():
            shutil.copy(f, photos / person / f"new_{f.name}")
    report = scan(settings, store)
    assert report.counters.photos == len(PEOPLE)
    assert db.execute("SELECT name FROM persons WHERE id = ?", (jolie,)).fetchone()[0] == "Angelina"
    new_face = db.execute(
        f"SELECT f.person_id FROM {FACES} f JOIN photos p ON p.id = f.photo_id "
        "WHERE p.path LIKE 'angelina_jolie/new_%' ORDER BY f.w * f.h DESC LIMIT 1").fetchone()[0]
    assert new_face == jolie
    # a full re-clustering (e.g. after a threshold changed) keeps the name too
    cluster_user(settings, store, "alice", full=True)
    assert db.execute("SELECT name FROM persons WHERE id = ?", (jolie,)).fetchone()[0] == "Angelina"


def test_corrections_survive_reclustering(world) -> None:
    settings, store, db, _, _, _ = world
    found = persons_by_identity(db)
    obama = found["barack_obama"].most_common(1)[0][0]
    zuck = found["compreface_person_a"].most_common(1)[0][0]
    assert obama is not None and zuck is not None
    rejected = db.execute(f"SELECT id FROM {FACES} f WHERE person_id = ? LIMIT 1", (obama,)).fetchone()[0]
    moved = db.execute(f"SELECT id FROM {FACES} f WHERE person_id = ? LIMIT 1", (zuck,)).fetchone()[0]
    with store.session() as session:
        me = alice(session)
        person_store.reject_faces(session, me, [rejected], obama)  # "this face is not X"
        person_store.assign_faces(session, me, [moved], obama, from_person=zuck)  # "this face is X"
    for full in (False, True):
        cluster_user(settings, store, "alice", full=full)
        assert db.execute(f"SELECT person_id FROM {FACES} f WHERE id = ?", (rejected,)).fetchone()[0] \
            != obama
        assert db.execute(f"SELECT person_id FROM {FACES} f WHERE id = ?", (moved,)).fetchone()[0] \
            == obama


def test_a_deleted_persons_faces_do_not_rejoin(world) -> None:
    settings, store, db, _, _, _ = world
    aniston = persons_by_identity(db)["jennifer_aniston"].most_common(1)[0][0]
    if aniston is None:
        pytest.skip("jennifer_aniston formed no person in this subset")
    faces = [f for (f,) in db.execute(f"SELECT id FROM {FACES} f WHERE person_id = ?", (aniston,))]
    with store.session() as session:
        person_store.delete_person(session, alice(session), aniston)
    for full in (False, True):
        cluster_user(settings, store, "alice", full=full)
        placed = db.execute(
            f"SELECT count(*) FROM {FACES} f WHERE id IN ({','.join('?' * len(faces))}) "
            "AND person_id IS NOT NULL", faces).fetchone()[0]
        assert placed == 0
        assert db.execute("SELECT deleted FROM persons WHERE id = ?", (aniston,)).fetchone()[0]


def test_changed_settings_trigger_a_full_reclustering(world) -> None:
    settings, store, db, _, _, _ = world
    named_before = dict(db.execute("SELECT id, name FROM persons WHERE name IS NOT NULL"))
    assert not cluster_user(settings, store, "alice").full
    assert not cluster_user(settings, store, "alice").full  # unchanged: incremental
    settings.persons.condition_shift = 0.2
    try:
        assert cluster_user(settings, store, "alice").full
    finally:
        settings.persons.condition_shift = 0.25
    assert cluster_user(settings, store, "alice").full  # changed back: full again
    settings.persons.debounce = 5  # not a clustering setting
    try:
        assert not cluster_user(settings, store, "alice").full
    finally:
        settings.persons.debounce = 60
    assert dict(db.execute("SELECT id, name FROM persons WHERE name IS NOT NULL")) == named_before


def test_cluster_command(world, tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    settings, _, _, _, _, _ = world
    config = settings.store.data_dir.parent / "recognize.toml"
    result = subprocess.run([sys.executable, "-m", "recognize.cli", "--config", str(config),
                             "cluster", "--user", "alice", "--json"],
                            capture_output=True, text=True, check=True)
    (summary,) = json.loads(result.stdout)
    assert summary["user"] == "alice" and summary["faces"] > 20
    bad = subprocess.run([sys.executable, "-m", "recognize.cli", "--config", str(config),
                          "cluster", "--user", "alicia"], capture_output=True, text=True)
    assert bad.returncode == 2 and "did you mean 'alice'" in bad.stderr


def test_poor_faces_are_kept_out_of_persons_with_their_reason(world) -> None:
    settings, store, db, _, _, _ = world
    obama = persons_by_identity(db)["barack_obama"].most_common(1)[0][0]
    face = db.execute(f"SELECT id FROM {FACES} f WHERE person_id = ? AND id NOT IN "
                      "(SELECT face_id FROM face_persons WHERE assigned_by = 'user') LIMIT 1",
                      (obama,)).fetchone()[0]
    db.execute("UPDATE faces SET quality = 'blurred' WHERE id = ?", (face,))
    try:
        for full in (False, True):
            cluster_user(settings, store, "alice", full=full)
            assert db.execute(f"SELECT person_id FROM {FACES} f WHERE id = ?",
                              (face,)).fetchone()[0] is None
        with store.reading() as session:
            _, (info,) = face_info.faces_info(session, alice(session), face_ids=[face])
        assert info.quality == "blurred" and info.person_id is None
    finally:
        db.execute("UPDATE faces SET quality = NULL WHERE id = ?", (face,))
        cluster_user(settings, store, "alice", full=True)


def test_clustering_held_by_another_node_is_a_conflict(tmp_path: Path, password_hash: str) -> None:
    from recognize.errors import Conflict
    from recognize.store import leases

    settings = config_mod.load(write_config(tmp_path, {}, password_hash))
    store = open_store(settings)
    with store.session() as session:
        assert leases.acquire(session, "cluster:alice", "other-node", 3600)
    with pytest.raises(Conflict, match="running on another node"):
        cluster_user(settings, store, "alice")
    with store.session() as session:  # the other node's lease is left alone
        assert not leases.acquire(session, "cluster:alice", "cli", 3600)
