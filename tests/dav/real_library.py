"""A library indexed the way a user's is: real photos from ``../shared/data``, run through the
real cascade (``recognize scan``: media, faces, tags, persons) once per test session.

Tests that change things get a copy of it (photos, store, crops) with a server of their own.
What the cascade found is looked up by the photos' labels, never assumed: ``Real.person``
is the person that holds the faces of one labelled identity.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import shared
from tests.dav.library import write_config

# name in the library -> (file under ../shared/data, identity on it or "")
ALICE = {
    "ann_1.jpg": ("faces/identities/angelina_jolie/deepface__img5.jpg", "ann"),
    "ann_2.jpg": ("faces/identities/angelina_jolie/deepface__target.jpg", "ann"),
    "ann_3.jpg": ("faces/identities/angelina_jolie/deepface__img11.jpg", "ann"),
    "a/IMG_1.jpg": ("faces/identities/angelina_jolie/deepface__img6.jpg", "ann"),
    "ben_1.jpg": ("faces/identities/katy_perry/deepface__img46.jpg", "ben"),
    "ben_2.jpg": ("faces/identities/katy_perry/deepface__img44.jpg", "ben"),
    "b/IMG_1.jpg": ("faces/identities/katy_perry/deepface__img43.jpg", "ben"),
    "lone.jpg": ("faces/identities/jeff_bezos/deepface__img21.jpg", ""),  # one face: no person
    "dogs.jpg": ("faces/no_faces/dogs.jpg", ""),
    "italy.jpg": ("exif/gps/DSCN0010.jpg", ""),  # GPS and a date: places/ and dates/
}
BOB = {
    "zed_1.jpg": ("faces/identities/scarlett_johansson/deepface__img51.jpg", "zed"),
    "zed_2.jpg": ("faces/identities/scarlett_johansson/deepface__img50.jpg", "zed"),
}
NAMES = {"ann": "Ann", "ben": "Ben", "zed": "Zed"}  # what the users called their persons
# the users' own tags: alice's "holiday" on both photos called IMG_1.jpg (one folder, two names),
# bob's "secret" on one of his photos (alice never sees it)
USER_TAGS = {("alice", "holiday"): ("photos/a/IMG_1.jpg", "photos/b/IMG_1.jpg"),
             ("bob", "secret"): ("bobs/zed_1.jpg",)}


@dataclass
class Real:
    folder: Path
    config: Path
    password_hash: str
    persons: dict[str, int] = field(default_factory=dict)  # identity -> person id
    photos: dict[str, int] = field(default_factory=dict)  # "<mount>/<path>" -> photo id
    tags: dict[str, int] = field(default_factory=dict)  # "<user>:<name>" -> user tag id

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.folder / "var" / "recognize.db", timeout=30)

    def person(self, identity: str) -> int:
        return self.persons[identity]

    def original(self, name: str) -> bytes:
        return (self.folder / name).read_bytes()

    def copy(self, to: Path) -> Real:
        """An independent copy (photos, store, crops) whose config points at ``to``."""
        shutil.copytree(self.folder, to, dirs_exist_ok=True)
        copy = Real(to, write_config(to, self.password_hash), self.password_hash,
                    dict(self.persons), dict(self.photos), dict(self.tags))
        return copy


def _place(folder: Path, files: dict[str, tuple[str, str]]) -> None:
    for name, (source, _who) in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared(source), target)


def build(folder: Path, password_hash: str) -> Real:
    _place(folder / "photos", ALICE)
    _place(folder / "bobs", BOB)
    (folder / "inbox").mkdir()
    config = write_config(folder, password_hash)
    scan = subprocess.run([sys.executable, "-m", "recognize.cli", "--config", str(config), "scan"],
                          capture_output=True, text=True, timeout=900)
    if scan.returncode != 0:
        raise RuntimeError(f"recognize scan failed: {scan.stderr[-3000:]}")
    real = Real(folder, config, password_hash)
    with real.db() as db:
        for mount, path, photo_id in db.execute(
                "SELECT m.name, p.path, p.id FROM photos p JOIN mounts m ON m.id = p.mount_id"):
            real.photos[f"{mount}/{path}"] = photo_id
        for mount, files in (("photos", ALICE), ("bobs", BOB)):
            for name, (_source, who) in files.items():
                if not who:
                    continue
                found = db.execute(
                    "SELECT fp.person_id FROM faces f JOIN face_persons fp ON fp.face_id = f.id "
                    "WHERE f.photo_id = ?", (real.photos[f"{mount}/{name}"],)).fetchall()
                if found:
                    real.persons.setdefault(who, found[0][0])
        missing = sorted(set(NAMES) - set(real.persons))
        if missing:
            raise RuntimeError(f"the cascade made no person of {missing}")
        for who, person_id in real.persons.items():
            db.execute("UPDATE persons SET name = ? WHERE id = ?", (NAMES[who], person_id))
    _user_tags(real)
    return real


def _user_tags(real: Real) -> None:
    """The users' own tags, written as the API writes them."""
    from recognize import config as config_mod
    from recognize.store import Store, accounts, tag_removals
    from recognize.store import tags as tag_store

    store = Store(config_mod.load(real.config).database_url())
    with store.session() as session:
        for (user, name), photos in USER_TAGS.items():
            uid = accounts.user_id(session, user) or 0
            tag = tag_store.create_user_tag(session, uid, name)
            real.tags[f"{user}:{name}"] = tag
            for photo in photos:
                tag_removals.tag(session, uid, real.photos[photo], tag)
    store.engine.dispose()

