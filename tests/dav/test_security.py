"""Refusals: no credentials, wrong ones, other users' things, traversal, bombs, huge bodies."""

from __future__ import annotations

import os
import socket

from tests.dav.conftest import Client
from tests.dav.library import Library, Server

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


def test_authentication_required_and_failures_logged(server: Server, alice: Client) -> None:
    anon = Client(server, None)
    reply = anon("PROPFIND", "/dav/people/", headers={"Depth": "1"})
    assert reply.status == 401 and "Basic" in reply.headers["www-authenticate"]
    assert anon("GET", "/dav/people/Ann/lake.jpg").status == 401
    wrong = Client(server, "alice", "not the password")
    assert wrong("GET", "/dav/people/Ann/lake.jpg").status == 401
    assert Client(server, "mallory")("PROPFIND", "/dav/", headers={"Depth": "0"}).status == 401
    logs = server.logs()
    assert "failed DAV login for user 'alice'" in logs and "'mallory'" in logs
    assert "not the password" not in logs


def test_users_see_only_their_own(server: Server, library: Library) -> None:
    bob = Client(server, "bob")
    assert bob.names("/dav/people/") == ["Zed"]
    assert bob.names("/dav/files/") == ["bobs"]
    assert bob.names("/dav/tags/") == ["secret"]
    assert bob("GET", "/dav/people/Ann/lake.jpg").status == 404
    assert bob("GET", "/dav/files/photos/lake.jpg").status == 404
    assert bob("MOVE", "/dav/people/Zed/", headers={
        "Destination": f"{server.url}/dav/people/Ann/"}).status in (201, 204)
    alice = Client(server)
    assert alice.names("/dav/people/") == ["Ann", "Ben", "Person 3"]  # bob's rename is his
    assert "secret" not in alice.names("/dav/tags/")
    assert alice("GET", "/dav/files/bobs/lake.jpg").status == 404
    assert bob("MOVE", "/dav/people/Ann/", headers={
        "Destination": f"{server.url}/dav/people/Zed/"}).status in (201, 204)


def _raw(server: Server, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        return sock.recv(65536)


def test_traversal_is_refused(server: Server, alice: Client, library: Library) -> None:
    secret = library.folder / "bobs" / "lake.jpg"
    for path in ("/dav/files/photos/../bobs/lake.jpg", "/dav/files/photos/%2e%2e/bobs/lake.jpg",
                 "/dav/files/photos/..%2fbobs%2flake.jpg", "/dav/files/photos/%2e%2e%2f%2e%2e%2f",
                 "/dav/files/photos/..\\..\\bobs\\lake.jpg", "/dav/../../etc/passwd",
                 "/dav/files/%2e%2e/%2e%2e/etc/passwd"):
        reply = alice("GET", path)
        assert reply.status in (400, 403, 404), (path, reply.status)
        assert reply.body != secret.read_bytes()
    head = _raw(server, b"GET /dav/files/photos/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n"
                b"Authorization: Basic YWxpY2U6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5\r\n\r\n")
    assert b"root:" not in head and not head.startswith(b"HTTP/1.1 200")
    # a symlink inside a mount pointing out of it is neither listed nor served
    os.symlink("/etc", library.folder / "inbox" / "etc")
    os.symlink(secret, library.folder / "inbox" / "bob.jpg")
    try:
        assert "etc" not in alice.names("/dav/files/inbox/")
        assert alice("GET", "/dav/files/inbox/etc/passwd").status in (403, 404)
        assert alice("GET", "/dav/files/inbox/bob.jpg").status in (403, 404)
    finally:
        (library.folder / "inbox" / "etc").unlink()
        (library.folder / "inbox" / "bob.jpg").unlink()


def test_xml_bombs_and_huge_bodies_are_refused(alice: Client, server: Server) -> None:
    for body in (BOMB, EXTERNAL):
        reply = alice("PROPFIND", "/dav/people/", body, {"Depth": "0"})
        assert reply.status == 400 and b"root:" not in reply.body and b"lollol" not in reply.body
        assert alice("PROPPATCH", "/dav/files/inbox/", body).status in (400, 403, 423)
    head = _raw(server, b"PROPFIND /dav/people/ HTTP/1.1\r\nHost: x\r\nDepth: 1\r\n"
                b"Authorization: Basic YWxpY2U6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5\r\n"
                b"Content-Length: 10000000000\r\n\r\n<d:propfind")
    assert head.startswith(b"HTTP/1.1 413")
    lock = _raw(server, b"LOCK /dav/files/inbox/x HTTP/1.1\r\nHost: x\r\n"
                b"Authorization: Basic YWxpY2U6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5\r\n"
                b"Content-Length: 2097152\r\n\r\n<D:lockinfo")
    assert lock.startswith(b"HTTP/1.1 413")
