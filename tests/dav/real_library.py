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
from tests.dav.library import CountingDav, counting_dav, write_config

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



# More of alice's photos, for the Nextcloud clients' tests: a photo of two faces (Ann and one of
# nobody known), a third identity of three photos that the cascade makes a person nobody has
# named yet, and photos whose EXIF dates span the years (the timeline), one PNG without EXIF
MORE = {
    "couple.jpg": ("faces/groups/deepface__couple.jpg", "ann"),
    "cal_1.jpg": ("faces/identities/george_clooney/deepface__img38.jpg", "cal"),
    "cal_2.jpg": ("faces/identities/george_clooney/deepface__img39.jpg", "cal"),
    "cal_3.jpg": ("faces/identities/george_clooney/deepface__img40.jpg", "cal"),
    "years/kodak.jpg": ("exif/cameras/exif-org_kodak-dc240.jpg", ""),
    "years/iceland.jpg": ("exif/misc/Iceland-sRGB.jpg", ""),
    "years/huawei.jpg": ("exif/gps/huawei-gps-error.jpg", ""),
    "years/thompson.jpg": ("exif/gps/thompson-springs.jpg", ""),
    "years/screenshot.png": ("exif/formats/png/screenshot.png", ""),
}
MORE_BOB = {"years/sony.jpg": ("exif/cameras/exif-org_sony-d700.jpg", "")}  # bob's dated one


def build_more(real: Real, to: Path) -> Real:
    """A copy of ``real`` with ``MORE`` in alice's photos (``MORE_BOB`` in bob's), indexed by a
    second real scan."""
    more = real.copy(to)
    add(more, {"photos": MORE, "bobs": MORE_BOB})
    with more.db() as db:
        cal = {person for name in MORE if name.startswith("cal_") for (person,) in db.execute(
            "SELECT fp.person_id FROM faces f JOIN face_persons fp ON fp.face_id = f.id "
            "WHERE f.photo_id = ?", (more.photos[f"photos/{name}"],))}
    if len(cal) != 1:
        raise RuntimeError(f"the cascade made {len(cal)} persons of cal's three photos")
    more.persons["cal"] = cal.pop()  # nobody has named it
    return more


def add(real: Real, mounts: dict[str, dict[str, tuple[str, str]]]) -> None:
    """Put files (mount -> name -> (file under ../shared/data, identity)) into the mounts and
    index them with a real ``recognize scan``; ``real.photos`` learns their ids."""
    for mount, files in mounts.items():
        _place(real.folder / mount, files)
    scan = subprocess.run([sys.executable, "-m", "recognize.cli", "--config", str(real.config),
                           "scan"], capture_output=True, text=True, timeout=900)
    if scan.returncode != 0:
        raise RuntimeError(f"recognize scan failed: {scan.stderr[-3000:]}")
    with real.db() as db:
        for mount_name, path, photo_id in db.execute(
                "SELECT m.name, p.path, p.id FROM photos p JOIN mounts m ON m.id = p.mount_id"):
            real.photos[f"{mount_name}/{path}"] = photo_id


@dataclass
class Face:
    id: int
    photo: str  # "<mount>/<path>"
    person: int | None
    name: str | None  # the person's


def faces(real: Real, where: str = "1", args: tuple[object, ...] = ()) -> list[Face]:
    """The faces the cascade stored (by id), those ``where`` picks (SQL on f, p, m, s)."""
    with real.db() as db:
        return [Face(face, f"{mount}/{path}", person, name) for face, mount, path, person, name
                in db.execute(
                    "SELECT f.id, m.name, p.path, s.id, s.name FROM faces f "
                    "JOIN photos p ON p.id = f.photo_id JOIN mounts m ON m.id = p.mount_id "
                    "LEFT JOIN face_persons fp ON fp.face_id = f.id "
                    f"LEFT JOIN persons s ON s.id = fp.person_id WHERE {where} ORDER BY f.id",
                    args)]


def counting(real: Real) -> CountingDav:
    """``library.counting_dav`` on a real library (a store of its own on the copy's database)."""
    from recognize import config as config_mod
    from recognize.store import Store

    return counting_dav(real.config, Store(config_mod.load(real.config).database_url()))


def person_folders(real: Real, user: str = "alice") -> dict[str, set[str]]:
    """people/ as ``user`` should see it: folder (the name, or "Person <id>") -> file names."""
    out: dict[str, set[str]] = {}
    for face in faces(real, "s.user_id = (SELECT id FROM users WHERE name = ?) AND NOT s.deleted",
                      (user,)):
        out.setdefault(face.name or f"Person {face.person}", set()).add(
            face.photo.rsplit("/", 1)[-1])
    return out


def unassigned_names(real: Real, mount: str = "photos") -> list[str]:
    """unassigned/ of ``mount``'s owner: a photo's name, "<stem> (face <n>)" where it has more
    faces (n counts all the photo's faces from the left)."""
    out = []
    with real.db() as db:
        for path, pos, count, person in db.execute(
                "SELECT p.path, row_number() OVER (PARTITION BY f.photo_id ORDER BY f.x, f.id), "
                "count(*) OVER (PARTITION BY f.photo_id), fp.person_id FROM faces f "
                "JOIN photos p ON p.id = f.photo_id JOIN mounts m ON m.id = p.mount_id "
                "LEFT JOIN face_persons fp ON fp.face_id = f.id WHERE m.name = ?", (mount,)):
            stem, dot, ext = path.rsplit("/", 1)[-1].rpartition(".")
            if person is None:
                out.append(f"{stem} (face {pos}){dot}{ext}" if count > 1 else f"{stem}{dot}{ext}")
    return sorted(out)


def tag_names(real: Real, mount: str = "photos") -> set[str]:
    """tags/ of ``mount``'s owner: the tags on its photos but those of the kinds with folders of
    their own (places/, dates/, people/)."""
    from recognize.store.tags import HIDDEN_TAG_KINDS

    with real.db() as db:
        return {name for (name,) in db.execute(
            "SELECT DISTINCT t.name FROM tags t JOIN photo_tags pt ON pt.tag_id = t.id "
            "JOIN photos p ON p.id = pt.photo_id JOIN mounts m ON m.id = p.mount_id "
            f"WHERE m.name = ? AND t.kind NOT IN ({','.join('?' * len(HIDDEN_TAG_KINDS))})",
            (mount, *HIDDEN_TAG_KINDS))}
