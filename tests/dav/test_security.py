"""Refusals: no credentials, wrong ones, other users' things, traversal, bombs, huge bodies.
On the real library (see ``real_library``): alice's photos/ and inbox/, bob's bobs/; one copy
and server for the module (a test that changes something puts it back)."""

from __future__ import annotations

import os
import socket

import pytest

from tests.dav.conftest import Client
from tests.dav.library import Server
from tests.dav.real_library import Real

pytestmark = pytest.mark.heavy  # a server over the real library

BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/>&lol3;</d:prop></d:propfind>'
)
EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/>&e;</d:prop></d:propfind>'
)


@pytest.fixture
def server(shared_real: tuple[Real, Server]) -> Server:
    return shared_real[1]


def _persons(real: Real, user: str) -> list[str]:
    with real.db() as db:
        return [n for (n,) in db.execute(
            "SELECT p.name FROM persons p JOIN users u ON u.id = p.user_id "
            "WHERE NOT p.deleted AND u.name = ? ORDER BY p.id", (user,))]


def _tags(real: Real, mount: str) -> list[str]:
    """The names of the tags a folder of tags/ shows for the photos of ``mount``."""
    with real.db() as db:
        return sorted({n for (n,) in db.execute(
            "SELECT t.name FROM tags t JOIN photo_tags pt ON pt.tag_id = t.id "
            "JOIN photos p ON p.id = pt.photo_id JOIN mounts m ON m.id = p.mount_id "
            "WHERE m.name = ? AND t.kind IN ('classifier', 'camera', 'lens', 'user')",
            (mount,))})


def test_authentication_required_and_failures_logged(server: Server) -> None:
    anon = Client(server, None)
    reply = anon("PROPFIND", "/dav/people/", headers={"Depth": "1"})
    assert reply.status == 401 and "Basic" in reply.headers["www-authenticate"]
    assert anon("GET", "/dav/people/Ann/ann_1.jpg").status == 401
    wrong = Client(server, "alice", "not the password")
    assert wrong("GET", "/dav/people/Ann/ann_1.jpg").status == 401
    assert Client(server, "mallory")("PROPFIND", "/dav/", headers={"Depth": "0"}).status == 401
    logs = server.logs()
    assert "failed DAV login for user 'alice'" in logs and "'mallory'" in logs
    assert "not the password" not in logs


def test_users_see_only_their_own(server: Server, real: Real) -> None:
    bob = Client(server, "bob")
    assert _persons(real, "bob") == ["Zed"] and bob.names("/dav/people/") == ["Zed"]
    assert bob.names("/dav/files/") == ["bobs"]
    assert "secret" in _tags(real, "bobs") and sorted(bob.names("/dav/tags/")) == _tags(
        real, "bobs")
    assert bob("GET", "/dav/people/Ann/ann_1.jpg").status == 404
    assert bob("GET", "/dav/files/photos/ann_1.jpg").status == 404
    assert bob("MOVE", "/dav/people/Zed/", headers={
        "Destination": f"{server.url}/dav/people/Ann/"}).status in (201, 204)
    alice = Client(server)
    # bob's rename is his
    assert alice.names("/dav/people/") == _persons(real, "alice") == ["Ann", "Ben"]
    assert "secret" not in alice.names("/dav/tags/")
    assert alice("GET", "/dav/files/bobs/zed_1.jpg").status == 404
    assert bob("MOVE", "/dav/people/Ann/", headers={
        "Destination": f"{server.url}/dav/people/Zed/"}).status in (201, 204)


def _raw(server: Server, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        return sock.recv(65536)


def test_traversal_is_refused(server: Server, dav: Client, real: Real) -> None:
    secret = real.folder / "bobs" / "zed_1.jpg"
    for path in ("/dav/files/photos/../bobs/zed_1.jpg", "/dav/files/photos/%2e%2e/bobs/zed_1.jpg",
                 "/dav/files/photos/..%2fbobs%2fzed_1.jpg", "/dav/files/photos/%2e%2e%2f%2e%2e%2f",
                 "/dav/files/photos/..\\..\\bobs\\zed_1.jpg", "/dav/../../etc/passwd",
                 "/dav/files/%2e%2e/%2e%2e/etc/passwd"):
        reply = dav("GET", path)
        assert reply.status in (400, 403, 404), (path, reply.status)
        assert reply.body != secret.read_bytes()
    head = _raw(server, b"GET /dav/files/photos/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n"
                b"Authorization: Basic YWxpY2U6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5\r\n\r\n")
    assert b"root:" not in head and not head.startswith(b"HTTP/1.1 200")
    # a symlink inside a mount pointing out of it is neither listed nor served
    os.symlink("/etc", real.folder / "inbox" / "etc")
    os.symlink(secret, real.folder / "inbox" / "bob.jpg")
    try:
        assert "etc" not in dav.names("/dav/files/inbox/")
        assert dav("GET", "/dav/files/inbox/etc/passwd").status in (403, 404)
        assert dav("GET", "/dav/files/inbox/bob.jpg").status in (403, 404)
    finally:
        (real.folder / "inbox" / "etc").unlink()
        (real.folder / "inbox" / "bob.jpg").unlink()


def test_xml_bombs_and_huge_bodies_are_refused(dav: Client, server: Server) -> None:
    for body in (BOMB, EXTERNAL):
        reply = dav("PROPFIND", "/dav/people/", body, {"Depth": "0"})
        assert reply.status == 400 and b"root:" not in reply.body and b"lollol" not in reply.body
        assert dav("PROPPATCH", "/dav/files/inbox/", body).status in (400, 403, 423)
    head = _raw(server, b"PROPFIND /dav/people/ HTTP/1.1\r\nHost: x\r\nDepth: 1\r\n"
                b"Authorization: Basic YWxpY2U6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5\r\n"
                b"Content-Length: 10000000000\r\n\r\n<d:propfind")
    assert head.startswith(b"HTTP/1.1 413")
    lock = _raw(server, b"LOCK /dav/files/inbox/x HTTP/1.1\r\nHost: x\r\n"
                b"Authorization: Basic YWxpY2U6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5\r\n"
                b"Content-Length: 2097152\r\n\r\n<D:lockinfo")
    assert lock.startswith(b"HTTP/1.1 413")
