"""A small real world for the API: ImageNet photos, real faces, the demo photos; one scan."""

from __future__ import annotations

import base64
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from recognize import config as config_mod
from recognize.config import Settings
from recognize.demo import write_demo_photos
from recognize.jobs.scan import scan
from recognize.store import Store
from recognize.store.opening import open_store
from tests.conftest import TEST_PASSWORD, shared, write_config

IMAGENET = ("n02099712_Labrador_retriever", "n02106166_Border_collie", "n02111277_Newfoundland",
            "n01560419_bulbul", "n07742313_Granny_Smith", "n09472597_volcano")
PEOPLE = {"angelina_jolie": 4, "compreface_person_a": 4, "barack_obama": 3}


def basic(user: str, password: str = TEST_PASSWORD) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


ALICE = basic("alice")
BOB = basic("bob")


@dataclass
class World:
    folder: Path
    config_path: Path
    settings: Settings
    store: Store

    def client(self, config_path: Path | None = None) -> Any:
        from recognize.api import create_app

        return create_app(self.settings, self.store, config_path).test_client()


def build_world(folder: Path, password_hash: str, things: tuple[str, ...] = IMAGENET,
                people: dict[str, int] | None = None) -> World:
    imagenet = shared("imagenet") / "images"
    identities = shared("faces") / "identities"
    photos = folder / "photos"
    (photos / "things").mkdir(parents=True)
    for stem in things:  # test-time copies, never part of the project
        shutil.copy(imagenet / f"{stem}.JPEG", photos / "things" / f"{stem}.jpg")
    for person, n in (PEOPLE if people is None else people).items():
        (photos / person).mkdir()
        for f in sorted((identities / person).iterdir())[:n]:
            shutil.copy(f, photos / person / f.name)
    write_demo_photos(folder / "demo")
    path = write_config(folder, {"photos": photos, "demo": folder / "demo"}, password_hash)
    settings = config_mod.load(path)
    store = open_store(settings)
    scan(settings, store)
    return World(folder, path, settings, store)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory, password_hash: str) -> World:
    return build_world(tmp_path_factory.mktemp("api-world"), password_hash)


@pytest.fixture
def client(world: World) -> Any:
    return world.client()
