"""On a mount two users own, one user's tag corrections are that user's alone: a tag alice
takes off stays on for bob (and off for her when the real tags stage runs again), and a tag
she puts on by hand is hers. Read through the API (photo tags, tag counts, search) and
WebDAV's tags/ folders."""

from __future__ import annotations

import base64
import re
import shutil
import tomllib
from urllib.parse import quote, unquote

import pytest
import tomli_w

from recognize import config as config_mod
from recognize.inference.classify_rules import DEFAULT_RULES
from recognize.jobs.scan import scan
from recognize.store.opening import open_store
from tests.conftest import TEST_PASSWORD, shared, write_config

PHOTOS = ("images/n02099712_Labrador_retriever.JPEG", "images/n01440764_tench.JPEG")


def auth(user: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{TEST_PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class Family:
    """The shared mount, scanned by the real cascade (tags on, faces off), and its API."""

    def __init__(self, folder, password_hash: str) -> None:
        photos = folder / "photos"
        photos.mkdir()
        for name in PHOTOS:
            shutil.copy(shared("imagenet") / name, photos)
        self.path = write_config(folder, {"family": photos}, password_hash,
                                 faces={"enabled": False})
        data = tomllib.loads(self.path.read_text())
        data["mounts"][0]["owners"] = ["alice", "bob"]
        self.path.write_text(tomli_w.dumps(data))
        self.scan()

    def scan(self) -> None:
        from recognize.api import create_app

        self.settings = config_mod.load(self.path)
        self.store = open_store(self.settings)
        scan(self.settings, self.store)
        self.client = create_app(self.settings, self.store).test_client()

    def retag(self, folder) -> None:
        """New tag rules (same content, another digest): the tags stage runs again for real."""
        rules = folder / "rules.toml"
        rules.write_text(DEFAULT_RULES.read_text() + "\n# the same rules, read again\n")
        data = tomllib.loads(self.path.read_text())
        data.setdefault("tags", {})["rules"] = str(rules)
        self.path.write_text(tomli_w.dumps(data))
        before = self.tagged_at()
        self.scan()
        assert self.tagged_at() != before, "the tags stage did not run again"

    def tagged_at(self) -> list[tuple[int, str, object]]:
        from sqlalchemy import select

        from recognize.store.models import PhotoStage

        with self.store.reading() as session:
            return [tuple(r) for r in session.execute(
                select(PhotoStage.photo_id, PhotoStage.version, PhotoStage.done_at)
                .where(PhotoStage.stage == "tags").order_by(PhotoStage.photo_id))]

    def photo(self, name: str) -> int:
        items = self.client.get("/api/v1/photos", headers=auth("alice")).get_json()["items"]
        return next(p["id"] for p in items if p["path"].endswith(name.rsplit("/", 1)[-1]))

    def tags(self, user: str, photo: int) -> dict[str, int]:
        reply = self.client.get(f"/api/v1/photos/{photo}/tags", headers=auth(user))
        assert reply.status_code == 200, reply.get_json()
        return {t["name"]: t["id"] for t in reply.get_json()["items"]}

    def count(self, user: str, tag: int) -> int:
        reply = self.client.get(f"/api/v1/tags/{tag}", headers=auth(user))
        return reply.get_json()["photos"] if reply.status_code == 200 else 0

    def found(self, user: str, words: str) -> set[int]:
        reply = self.client.get("/api/v1/search", query_string={"q": words}, headers=auth(user))
        return {p["id"] for p in reply.get_json()["items"]}

    def untag(self, user: str, photo: int, tag: int) -> int:
        return self.client.delete(f"/api/v1/photos/{photo}/tags/{tag}",
                                  headers=auth(user)).status_code

    def put(self, user: str, photo: int, tag: int) -> int:
        return self.client.post(f"/api/v1/photos/{photo}/tags", json={"tag_id": tag},
                                headers=auth(user)).status_code


@pytest.fixture
def family(tmp_path, password_hash: str) -> Family:
    return Family(tmp_path, password_hash)


def leaf(family: Family, photo: int) -> tuple[str, int]:
    """The photo's most specific classifier tag (the least confident one: a class, not a
    category that sums several)."""
    reply = family.client.get(f"/api/v1/photos/{photo}/tags", headers=auth("alice"))
    tags = [t for t in reply.get_json()["items"] if t["kind"] == "classifier"]
    assert tags, "the tags stage gave the photo no classifier tag"
    best = min(tags, key=lambda t: t["confidence"])
    return best["name"], best["id"]


def test_a_tag_one_owner_takes_off_stays_on_for_the_other(family: Family, tmp_path) -> None:
    dog = family.photo(PHOTOS[0])
    name, tag = leaf(family, dog)
    assert name in family.tags("bob", dog)
    before = family.count("bob", tag)
    assert dog in family.found("alice", name) and dog in family.found("bob", name)

    assert family.untag("alice", dog, tag) == 204
    assert name not in family.tags("alice", dog)
    assert name in family.tags("bob", dog)  # bob keeps it
    assert family.count("bob", tag) == before and family.count("alice", tag) == before - 1
    assert dog not in family.found("alice", name) and dog in family.found("bob", name)
    assert family.untag("alice", dog, tag) == 404  # off for her already

    family.retag(tmp_path)  # the real tags stage classifies the photos again
    assert name not in family.tags("alice", dog)  # her correction sticks
    assert name in family.tags("bob", dog)

    assert family.untag("bob", dog, tag) == 204  # each one's own word
    assert family.put("alice", dog, tag) == 201  # she puts it back by hand: for her only
    assert name in family.tags("alice", dog) and name not in family.tags("bob", dog)


def test_a_tag_one_owner_puts_on_by_hand_is_theirs(family: Family) -> None:
    dog, fish = family.photo(PHOTOS[0]), family.photo(PHOTOS[1])
    name, tag = leaf(family, fish)
    assert name not in family.tags("alice", dog)

    assert family.put("alice", dog, tag) == 201
    assert name in family.tags("alice", dog)
    assert name not in family.tags("bob", dog)  # bob's view of the photo did not change
    assert family.count("alice", tag) == family.count("bob", tag) + 1
    assert dog in family.found("alice", name) and dog not in family.found("bob", name)

    assert family.put("bob", dog, tag) == 201  # both have put it on: each has their own
    assert family.untag("alice", dog, tag) == 204
    assert name not in family.tags("alice", dog) and name in family.tags("bob", dog)


def test_webdav_tag_folders_keep_each_owners_corrections(family: Family) -> None:
    """The same corrections through WebDAV's tags/ (DELETE untags, COPY tags): each owner's
    folder shows their own view, and the API agrees."""
    from recognize.wsgi import make_app
    from tests.dav.inprocess import HOST, InProcess

    family.settings.server.allow_basic_over_http = True  # in-process calls carry no address
    app = make_app(family.settings, family.store)
    dav = {user: InProcess(app, user) for user in ("alice", "bob")}
    dog, fish = family.photo(PHOTOS[0]), family.photo(PHOTOS[1])
    name, _ = leaf(family, dog)
    fish_name, fish_tag = leaf(family, fish)
    dog_file = PHOTOS[0].rsplit("/", 1)[-1]

    def listed(user: str, tag: str) -> set[str]:
        reply = dav[user]("PROPFIND", f"/dav/tags/{quote(tag)}/", headers={"Depth": "1"})
        if reply.status == 404:
            return set()
        assert reply.status == 207, reply.body[:300]
        hrefs = re.findall(rb"<[^>]*href>([^<]+)</", reply.body)[1:]
        return {unquote(h.decode()).rstrip("/").rsplit("/", 1)[-1] for h in hrefs}

    assert dog_file in listed("alice", name) and dog_file in listed("bob", name)
    assert dav["alice"]("DELETE", f"/dav/tags/{quote(name)}/{quote(dog_file)}").status == 204
    assert dog_file not in listed("alice", name)
    assert dog_file in listed("bob", name)  # bob keeps it
    assert name in family.tags("bob", dog) and name not in family.tags("alice", dog)

    source = f"/dav/files/family/{quote(dog_file)}"
    target = f"http://{HOST}/dav/tags/{quote(fish_name)}/{quote(dog_file)}"
    reply = dav["alice"]("COPY", source, headers={"Destination": target})
    assert reply.status in (201, 204), reply.body[:300]
    assert dog_file in listed("alice", fish_name)  # alice tagged it by hand: hers alone
    assert dog_file not in listed("bob", fish_name)
    assert fish_tag in family.tags("alice", dog).values()
    assert fish_tag not in family.tags("bob", dog).values()
