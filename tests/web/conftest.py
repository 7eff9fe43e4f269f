"""The review page's fixtures: a small real library (tests/dav/library.py: real photos,
persons and faces written through the store) behind the real app, in process."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from recognize import config as config_mod
from recognize.config import Settings
from tests.conftest import TEST_PASSWORD
from tests.dav.library import Library, build


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, password_hash: str) -> Library:
    return build(tmp_path_factory.mktemp("web"), password_hash)


@pytest.fixture(scope="module")
def settings(library: Library) -> Settings:
    return config_mod.load(library.config)


def make_client(settings: Settings, library: Library, remote: str = "127.0.0.1") -> Any:
    from recognize.api import create_app

    client = create_app(settings, library.store).test_client()
    client.environ_base["REMOTE_ADDR"] = remote
    return client


@pytest.fixture
def client(settings: Settings, library: Library) -> Any:
    return make_client(settings, library)


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def page_token(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found, html
    return found.group(1)


def log_in(client: Any, user: str = "alice", password: str = TEST_PASSWORD,
           next_path: str = "/") -> Any:
    token = form_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"user": user, "password": password, "csrf": token,
                                       "next": next_path})


@pytest.fixture
def alice(client: Any) -> Any:
    """A client logged in as alice through the form; ``alice.token`` is its CSRF token."""
    assert log_in(client).status_code == 302
    client.token = page_token(client.get("/").get_data(as_text=True))
    return client


def secret_file(library: Library) -> Path:
    return library.folder / "var" / "web-secret"
