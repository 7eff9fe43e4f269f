"""A small real library for the DAV tests: real JPEG files, crawled into a real store.

Media columns (date, place, perceptual hashes) are written with the store's own
``save_media`` as the media stage would (and the duplicates job groups them); persons,
faces and tags with ``store.people`` and ``store.tags``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w
from PIL import Image

from recognize.jobs.crawl import crawl
from recognize.jobs.duplicates import find_duplicates
from recognize.jobs.sources import LocalSource
from recognize.media.hashing import all_hashes
from recognize.media.sniff import SUPPORTED_EXTENSIONS
from recognize.store import Store, accounts, people, tag_removals
from recognize.store import persons as person_store
from recognize.store import photos as photo_store
from recognize.store import tags as tag_store
from tests.conftest import MODELS_CACHE, TEST_PASSWORD, free_port

PASSWORD = TEST_PASSWORD


@dataclass
class Library:
    folder: Path
    config: Path
    store: Store
    ids: dict[str, int] = field(default_factory=dict)  # relative path → photo id
    persons: dict[str, int] = field(default_factory=dict)
    faces: dict[str, int] = field(default_factory=dict)
    tags: dict[str, int] = field(default_factory=dict)


COLOURS = {"sunrise.jpg": (250, 170, 60), "lake.jpg": (40, 110, 190),
           "forest.jpg": (30, 120, 50), "night.jpg": (10, 10, 30), "no_exif.png": (200, 200, 200)}


def write_demo_photos(folder: Path) -> None:
    """A few real photos-like JPEG/PNG files (gradients, waves, noise and a shape each)."""
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    for i, (name, colour) in enumerate(COLOURS.items()):
        gradient = np.linspace(0.5, 1.3, 480)[:, None, None] * np.linspace(1.2, 0.6, 640)[None, :, None]
        # a layout of its own (waves of another count and direction): photos that differ
        # only in colour would be near-duplicates, as their structure is the same
        y, x = np.mgrid[0:480, 0:640]
        waves = 1 + 0.35 * np.sin(2 * np.pi * ((i + 1) * x / 640 + (i % 3) * y / 480))
        pixels = (np.array(colour)[None, None, :] * gradient * waves[:, :, None]
                  + rng.normal(0, 6, (480, 640, 3)))
        pixels[100 + 40 * i: 220 + 40 * i, 80 * i: 80 * i + 160] = 255 - np.array(colour)
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(folder / name, quality=90)


def write_photos(folder: Path) -> None:
    demo = folder / "photos"
    write_demo_photos(demo)
    for sub in ("a", "b"):  # two different photos with the same name
        (demo / sub).mkdir()
        shutil.copy(demo / ("lake.jpg" if sub == "a" else "forest.jpg"), demo / sub / "IMG_1.jpg")
    near = Image.open(demo / "sunrise.jpg").convert("RGB")
    near.resize((600, 450)).save(demo / "sunrise_small.jpg", quality=80)  # a near-duplicate
    (folder / "inbox").mkdir()
    (folder / "bobs").mkdir()
    write_demo_photos(folder / "bobs")


def write_config(folder: Path, password_hash: str, **server: object) -> Path:
    data = {
        "server": dict(server),
        "store": {"data_dir": str(folder / "var")},
        "inference": {"cache_dir": str(MODELS_CACHE)},
        "users": [{"name": "alice", "password_hash": password_hash},
                  {"name": "bob", "password_hash": password_hash}],
        "mounts": [
            {"name": "photos", "path": str(folder / "photos"), "owners": ["alice"]},
            {"name": "inbox", "path": str(folder / "inbox"), "owners": ["alice"],
             "writable": True},
            {"name": "bobs", "path": str(folder / "bobs"), "owners": ["bob"]},
        ],
    }
    path = folder / "recognize.toml"
    path.write_text(tomli_w.dumps(data))
    return path


PLACES = {"sunrise.jpg": ("Italy", "Florence"), "lake.jpg": ("Switzerland", "Zermatt"),
          "forest.jpg": ("Germany", "Munich"), "night.jpg": ("United Kingdom", "London"),
          "sunrise_small.jpg": ("Italy", "Florence")}
DATES = {"sunrise.jpg": "2019-06-21T05:12:00", "lake.jpg": "2020-08-02T14:30:10",
         "forest.jpg": "2021-10-10T11:03:45", "night.jpg": "2022-12-24T23:40:00",
         "sunrise_small.jpg": "2019-06-21T05:12:00"}


def build(folder: Path, password_hash: str) -> Library:
    from recognize import config as config_mod

    write_photos(folder)
    cfg = write_config(folder, password_hash)
    settings = config_mod.load(cfg)
    store = Store(settings.database_url())
    with store.session() as session:
        refs = accounts.sync(session, [(u.name, u.admin) for u in settings.users],
                             [(m.name, m.path, m.owners) for m in settings.mounts])
        alice = accounts.user_id(session, "alice") or 0
        bob = accounts.user_id(session, "bob") or 0
    for ref in refs.values():
        crawl(store, ref, ["media"], LocalSource(Path(ref.location), SUPPORTED_EXTENSIONS))
    lib = Library(folder, cfg, store)
    with store.session() as session:
        for mount in ("photos", "bobs"):
            for path, known in photo_store.known_files(session, refs[mount].id).items():
                lib.ids[f"{mount}/{path}"] = known.id
                _media(session, known.id, folder / mount / path)
        p = lib.ids
        lib.persons["Ann"] = person_store.create_person(session, alice, "Ann")
        lib.persons["Ben"] = person_store.create_person(session, alice, "Ben")
        lib.persons["unnamed"] = person_store.create_person(session, alice, None)
        lib.persons["bob:Zed"] = person_store.create_person(session, bob, "Zed")
        add = people.add_face
        lib.faces["ann_sunrise"] = add(session, p["photos/sunrise.jpg"], (0.1, 0.1, 0.2, 0.2),
                                       0.99, person_id=lib.persons["Ann"])
        lib.faces["ben_sunrise"] = add(session, p["photos/sunrise.jpg"], (0.6, 0.1, 0.2, 0.2),
                                       0.97, person_id=lib.persons["Ben"])
        lib.faces["ann_lake"] = add(session, p["photos/lake.jpg"], (0.3, 0.3, 0.2, 0.2), 0.95,
                                    person_id=lib.persons["Ann"])
        lib.faces["ann_a"] = add(session, p["photos/a/IMG_1.jpg"], (0.3, 0.3, 0.2, 0.2), 0.9,
                                 person_id=lib.persons["Ann"])
        lib.faces["ann_b"] = add(session, p["photos/b/IMG_1.jpg"], (0.3, 0.3, 0.2, 0.2), 0.9,
                                 person_id=lib.persons["Ann"])
        lib.faces["x_forest"] = add(session, p["photos/forest.jpg"], (0.2, 0.2, 0.1, 0.1), 0.9,
                                    person_id=lib.persons["unnamed"])
        lib.faces["free_night_1"] = add(session, p["photos/night.jpg"], (0.1, 0.5, 0.1, 0.1), 0.8)
        lib.faces["free_night_2"] = add(session, p["photos/night.jpg"], (0.7, 0.5, 0.1, 0.1), 0.8)
        lib.faces["bob_zed"] = add(session, p["bobs/lake.jpg"], (0.3, 0.3, 0.2, 0.2), 0.9,
                                   person_id=lib.persons["bob:Zed"])
        photo_store.set_tags(session, p["photos/lake.jpg"], [("lake", "classifier", 0.91)],
                             "classifier")
        photo_store.set_tags(session, p["photos/sunrise.jpg"], [("sky", "classifier", 0.8)],
                             "classifier")
        lib.tags["lake"] = photo_store.tag_id_for(session, "lake", "classifier")
        lib.tags["holiday"] = tag_store.create_user_tag(session, alice, "holiday")
        lib.tags["bob:secret"] = tag_store.create_user_tag(session, bob, "secret")
        tag_removals.tag(session, bob, p["bobs/night.jpg"], lib.tags["bob:secret"])
    find_duplicates(settings, store)  # as the cascade does after the media stage
    return lib


def _media(session: object, photo_id: int, path: Path) -> None:
    image = Image.open(path)
    phash, dhash, code = all_hashes(np.asarray(image.convert("RGB")))
    place = PLACES.get(path.name)
    taken = DATES.get(path.name)
    photo_store.save_media(session, photo_id, {  # type: ignore[arg-type]
        "mime": "image/png" if path.suffix == ".png" else "image/jpeg",
        "width": image.width, "height": image.height,
        "taken_at": datetime.fromisoformat(taken) if taken else None,
        "country": place[0] if place else None, "city": place[1] if place else None,
        "phash": phash, "dhash": dhash, "near_code": code,
    }, None)


class Server:
    """``recognize serve --no-worker`` as a real process on 127.0.0.1 (tests index the
    library themselves)."""

    def __init__(self, config: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        root = Path(__file__).resolve().parents[2]
        self.log = open(config.parent / "server.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "recognize.cli", "--config", str(config), "serve",
             "--no-worker", "--port", str(self.port)],
            cwd=root, stdout=self.log, stderr=subprocess.STDOUT,
        )
        import socket

        deadline = time.monotonic() + 90  # a loaded machine imports slowly
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()  # never leave a half-started server behind
        raise RuntimeError(f"server did not start: {(config.parent / 'server.log').read_text()}")

    def logs(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@dataclass
class CountingDav:
    """The WebDAV app called in-process, every SQL statement it sends counted (tests that a
    listing costs the same queries for any number of entries)."""

    app: Any
    statements: list[str]
    auth: dict[str, str]

    def cost(self, method: str, path: str, body: str, headers: dict[str, str]) -> tuple[int, bytes]:
        """``path`` below ``/dav``; the statements sent (transaction control not counted) and
        the 207 body."""
        self.statements.clear()
        reply = self.app.open(path, "http://localhost/dav", method=method, data=body,
                              headers=headers | self.auth,
                              environ_overrides={"REMOTE_ADDR": "127.0.0.1"})
        assert reply.status_code == 207, reply.get_data(as_text=True)
        sent = [q for q in self.statements if q.upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]
        return len(sent), reply.get_data()


def counting_dav(lib: Library) -> CountingDav:
    import base64

    from sqlalchemy import event
    from werkzeug.test import Client as WerkzeugClient

    from recognize import config as config_mod
    from recognize.dav import make_dav_app

    app = WerkzeugClient(make_dav_app(config_mod.load(lib.config), lib.store))
    statements: list[str] = []
    for engine in {lib.store.engine, lib.store._reader}:
        event.listen(engine, "before_cursor_execute",
                     lambda *args: statements.append(str(args[2]).strip()))
    token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    return CountingDav(app, statements, {"Authorization": f"Basic {token}"})

