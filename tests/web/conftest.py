"""The review page's fixtures: the real library (tests/dav/real_library.py: real photos indexed
by the real cascade once per session) copied and served by the real app, in process.

A module's read-only tests share one copy (``site``); a test that changes things (renames,
hides, moves faces) takes a copy of its own (``fresh_site``, ``fresh_alice``). A module reads
``template`` (the real library; override it with ``more_template`` for the larger one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from recognize import config as config_mod
from recognize.config import Settings
from recognize.store import Store
from tests.conftest import TEST_PASSWORD
from tests.dav.real_library import Real


@dataclass
class Site:
    """A copy of a real library with the store the app reads."""

    real: Real
    settings: Settings
    store: Store

    def client(self, remote: str = "127.0.0.1", settings: Settings | None = None) -> Any:
        """A new app (as after a restart) over the copy's store, called from ``remote``."""
        from recognize.api import create_app

        client = create_app(settings or self.settings, self.store).test_client()
        client.environ_base["REMOTE_ADDR"] = remote
        return client

    def alice(self) -> Any:
        """A client logged in as alice through the form; ``.token`` is its CSRF token."""
        client = self.client()
        assert log_in(client).status_code == 302
        client.token = page_token(client.get("/").get_data(as_text=True))
        return client


def open_site(template: Real, folder: Path) -> Iterator[Site]:
    real = template.copy(folder)
    settings = config_mod.load(real.config)
    store = Store(settings.database_url())
    yield Site(real, settings, store)
    store.engine.dispose()


@pytest.fixture(scope="module")
def template(real_template: Real) -> Real:
    return real_template


@pytest.fixture(scope="module")
def site(template: Real, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One copy of the library for a module's read-only tests."""
    yield from open_site(template, tmp_path_factory.mktemp("web"))


@pytest.fixture
def fresh_site(template: Real, tmp_path: Path) -> Iterator[Site]:
    """A copy of the library of its own, for a test that changes things."""
    yield from open_site(template, tmp_path / "lib")


@pytest.fixture
def client(site: Site) -> Any:
    return site.client()


@pytest.fixture
def alice(site: Site) -> Any:
    return site.alice()


@pytest.fixture
def fresh_alice(fresh_site: Site) -> Any:
    return fresh_site.alice()


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


def secret_file(site: Site) -> Path:
    return site.real.folder / "var" / "web-secret"
