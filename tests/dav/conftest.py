"""Fixtures: a real library in a real store, served by a real server process on 127.0.0.1."""

from __future__ import annotations

import base64
import http.client
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.dav import real_library
from tests.dav.library import PASSWORD, Server

SABRE = "http://sabredav.org/ns"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def why(self) -> str:
        """The reason of a refusal: ``<s:message>`` of its Sabre-style ``<d:error>`` body."""
        from defusedxml import ElementTree

        root = ElementTree.fromstring(self.body)
        assert root.tag == "{DAV:}error", self.text
        assert (root.findtext(f"{{{SABRE}}}exception") or "").startswith("Sabre\\DAV\\Exception")
        return root.findtext(f"{{{SABRE}}}message") or ""


class Client:
    def __init__(self, server: Server, user: str | None = "alice",
                 password: str = PASSWORD) -> None:
        self.server, self.user, self.password = server, user, password

    def __call__(self, method: str, path: str, body: bytes | str = b"",
                 headers: dict[str, str] | None = None) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        hdrs = dict(headers or {})
        if self.user is not None:
            token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            hdrs["Authorization"] = f"Basic {token}"
        data = body.encode() if isinstance(body, str) else body
        conn.putrequest(method, path, skip_accept_encoding=True)
        for key, value in hdrs.items():
            conn.putheader(key, value)
        if data or (method in ("PUT", "PROPFIND", "PROPPATCH") and "Content-Length" not in hdrs):
            conn.putheader("Content-Length", str(len(data)))
        conn.endheaders(data or None)
        resp = conn.getresponse()
        reply = Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        conn.close()
        return reply

    def names(self, path: str) -> list[str]:
        reply = self("PROPFIND", path, headers={"Depth": "1"})
        assert reply.status == 207, reply.text
        from defusedxml import ElementTree

        hrefs = [e.text or "" for e in ElementTree.fromstring(reply.body).iter("{DAV:}href")]
        from urllib.parse import unquote

        return [unquote(h).rstrip("/").rsplit("/", 1)[-1] for h in hrefs[1:]]


@pytest.fixture(scope="module")
def shared_real(real_template: real_library.Real,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[real_library.Real, Server]]:
    """One copy of the real library and one server for a module of read-only tests."""
    lib = real_template.copy(tmp_path_factory.mktemp("real-shared"))
    srv = Server(lib.config)
    yield lib, srv
    srv.stop()


@pytest.fixture(scope="module")
def real(shared_real: tuple[real_library.Real, Server]) -> real_library.Real:
    return shared_real[0]


@pytest.fixture
def dav(shared_real: tuple[real_library.Real, Server]) -> Client:
    """alice's client of the module's shared real library."""
    return Client(shared_real[1])


@pytest.fixture
def fresh_real(real_template: real_library.Real,
               tmp_path: Path) -> Iterator[tuple[real_library.Real, Server]]:
    """A copy of the real library with a server of its own, for a test that changes things."""
    lib = real_template.copy(tmp_path / "lib")
    srv = Server(lib.config)
    yield lib, srv
    srv.stop()


def _served(template: real_library.Real, to: Path) -> Iterator[tuple[real_library.Real, Server]]:
    lib = template.copy(to)
    srv = Server(lib.config)
    yield lib, srv
    srv.stop()


@pytest.fixture(scope="module")
def shared_more(more_template: real_library.Real,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[real_library.Real, Server]]:
    """One copy of the larger real library and one server for a module of read-only tests."""
    yield from _served(more_template, tmp_path_factory.mktemp("more-shared"))


@pytest.fixture
def fresh_more(more_template: real_library.Real,
               tmp_path: Path) -> Iterator[tuple[real_library.Real, Server]]:
    """A copy of the larger real library with a server of its own, for a test that changes things."""
    yield from _served(more_template, tmp_path / "lib")
