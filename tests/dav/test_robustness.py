"""Bad input gets a 4xx that says why; 500s are logged, never shown; real clients' quirks
(KIO's Destination with credentials, PROPFIND without Depth, chunked bodies) are answered.
On the real library (see ``real_library``), one copy and server for the module."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from defusedxml import ElementTree

from tests.dav.conftest import Client
from tests.dav.inprocess import InProcess, make_wsgi_app
from tests.dav.real_library import Real
from tests.dav.test_uploads import AUTH

pytestmark = pytest.mark.heavy  # a server over the real library

LONG = "a" * 5000
PROPPATCH = ('<?xml version="1.0"?><d:propertyupdate xmlns:d="DAV:"><d:set><d:prop>'
             '<x:colour xmlns:x="urn:test">blue</x:colour></d:prop></d:set></d:propertyupdate>')


@pytest.fixture
def scratch(real: Real) -> Iterator[Path]:
    """A file of alice's writable mount, removed afterwards (and wherever it was moved)."""
    path = real.folder / "inbox" / "scratch.jpg"
    path.write_bytes((real.folder / "photos" / "dogs.jpg").read_bytes())
    names = {p.name for p in path.parent.iterdir()}
    yield path
    for p in path.parent.iterdir():
        if p.name not in names or p == path:
            p.unlink()


def _refused(reply: object, *codes: int) -> str:
    status, why = reply.status, reply.why  # type: ignore[attr-defined]
    assert status in codes, (status, why)
    assert why and "Traceback" not in why and "Error(" not in why
    return why


def test_bad_names_lengths_destinations_and_root_writes(
        dav: Client, scratch: Path) -> None:
    base, file = dav.server.url, "/dav/files/inbox/scratch.jpg"
    assert "255 bytes" in _refused(dav("PUT", f"/dav/files/inbox/{LONG}.jpg", b"x"), 400)
    for folder in ("files/inbox", "people", "tags"):
        assert "255 bytes" in _refused(dav("MKCOL", f"/dav/{folder}/{LONG}"), 400)
    assert "255 bytes" in _refused(dav("MOVE", file, headers={
        "Destination": f"{base}/dav/files/inbox/{LONG}.jpg"}), 400)
    assert "Content-Length" in _refused(dav("PUT", "/dav/files/inbox/n.jpg",
                                              headers={"Content-Length": "-5"}), 400)
    for source in (file, "/dav/people/Ann/ann_1.jpg", "/dav/people/Ann/"):
        for dest in ("/dav/files/inbox/../photos/x.jpg", "/dav/files/inbox/%2E%2E/x.jpg",
                     "/dav/people/Ann/../../tags/x/", "/dav/%2e%2e/etc/"):
            for method in ("MOVE", "COPY"):
                reply = dav(method, source, headers={"Destination": base + dest})
                assert "'..'" in _refused(reply, 400), (method, source, dest)
    for method in ("DELETE", "MOVE", "COPY", "PUT", "MKCOL", "PROPPATCH"):
        reply = dav(method, "/dav/", PROPPATCH if method == "PROPPATCH" else b"",
                      {"Destination": f"{base}/dav/people/x/"})
        assert "/dav/" in _refused(reply, 403, 405), method
    assert scratch.exists() and dav.names("/dav/")[0] == "people"


def test_kio_destination_with_credentials_is_the_same_host(
        dav: Client, scratch: Path) -> None:
    kio = f"http://alice:secret%20word@127.0.0.1:{dav.server.port}"
    reply = dav("MOVE", "/dav/files/inbox/scratch.jpg",
                  headers={"Destination": f"{kio}/dav/files/inbox/renamed.jpg"})
    assert reply.status == 201, reply.text
    reply = dav("COPY", "/dav/files/inbox/renamed.jpg",
                  headers={"Destination": f"{kio}/dav/files/inbox/scratch.jpg"})
    assert reply.status == 201, reply.text
    assert scratch.exists() and (scratch.parent / "renamed.jpg").exists()
    for there, back in (("Ann", "Anna"), ("Anna", "Ann")):
        reply = dav("MOVE", f"/dav/people/{there}/",
                      headers={"Destination": f"{kio}/dav/people/{back}/"})
        assert reply.status in (201, 204), reply.text
    other = f"http://alice:pw@127.0.0.1:{dav.server.port + 1}/dav/files/inbox/x.jpg"
    reply = dav("COPY", "/dav/files/inbox/renamed.jpg", headers={"Destination": other})
    assert reply.status == 502 and "host" in reply.why  # another server: still refused


def _hrefs(reply: object) -> list[str]:
    root = ElementTree.fromstring(reply.body)  # type: ignore[attr-defined]
    return [e.text or "" for e in root.iter("{DAV:}href")]


def test_propfind_without_depth_answers_a_file_and_refuses_a_folder(dav: Client) -> None:
    for path in ("/dav/people/Ann/ann_1.jpg", "/dav/files/photos/ann_1.jpg"):
        reply = dav("PROPFIND", path)
        assert reply.status == 207 and len(_hrefs(reply)) == 1, reply.text
        assert dav("PROPFIND", path, headers={"Depth": "infinity"}).status == 207
    for path in ("/dav/people/", "/dav/files/photos/"):
        for headers in ({}, {"Depth": "infinity"}):
            reply = dav("PROPFIND", path, headers=headers)
            assert "Depth" in _refused(reply, 403)
            assert ElementTree.fromstring(reply.body).find("{DAV:}propfind-finite-depth") \
                is not None
    assert dav("PROPFIND", "/dav/people/Nobody/x.jpg").status == 404


def test_chunked_propfind_body_is_read(dav: Client) -> None:
    body = (b'<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/>'
            b"</d:prop></d:propfind>")
    with socket.create_connection(("127.0.0.1", dav.server.port), timeout=10) as sock:
        sock.sendall(f"PROPFIND /dav/people/Ann/ann_1.jpg HTTP/1.1\r\nHost: x\r\nDepth: 0\r\n"
                     f"Authorization: {AUTH}\r\nTransfer-Encoding: chunked\r\n"
                     f"Connection: close\r\n\r\n".encode()
                     + b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (10, body[:10], len(body) - 10,
                                                               body[10:]))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, xml = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 207"), answer[:300]
    props = [p.tag for p in ElementTree.fromstring(xml).iter("{DAV:}prop") for p in p]
    assert props == ["{DAV:}getetag"]  # only what was asked, not allprop
    assert b"HTTP/1.1 400" not in xml  # the body was not left for the next request


def test_proppatch_on_a_read_only_mount_is_refused(dav: Client, scratch: Path) -> None:
    for path in ("/dav/files/photos/ann_1.jpg", "/dav/files/photos/"):
        assert "read-only" in _refused(dav("PROPPATCH", path, PROPPATCH), 403)
    assert dav("PROPPATCH", "/dav/files/inbox/scratch.jpg", PROPPATCH).status == 207


def test_refusals_say_why_in_a_sabre_error_body(dav: Client) -> None:
    base = dav.server.url
    assert "read-only" in _refused(dav("PUT", "/dav/files/photos/new.jpg", b"x"), 403)
    assert "read-only" in _refused(dav("DELETE", "/dav/files/photos/ann_1.jpg"), 403)
    assert "MOVE" in _refused(dav("COPY", "/dav/people/Ann/ann_1.jpg", headers={
        "Destination": f"{base}/dav/people/Ben/ann_1.jpg"}), 403)
    assert "originals" in _refused(dav("DELETE", "/dav/places/Italy/Arezzo/italy.jpg"), 403)
    _refused(dav("MOVE", "/dav/people/Ann/", headers={
        "Destination": f"{base}/dav/people/Ben/"}), 409)
    assert "none of your photos" in _refused(
        dav("PUT", "/dav/tags/holiday/random.bin", b"not a photo of yours" * 50), 409)
    assert "outside" in _refused(dav("COPY", "/dav/people/Ann/ann_1.jpg", headers={
        "Destination": f"{base}/api/v1/photos"}), 403)


def test_an_internal_error_is_logged_and_not_shown(
        real: Real, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from recognize.dav import ops, people

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret-detail-42")

    call = InProcess(make_wsgi_app(real))
    monkeypatch.setattr(people.PeopleRoot, "list_members", broken)
    monkeypatch.setattr(ops, "transfer", broken)
    caplog.set_level(logging.INFO, logger="recognize")
    for method, path, headers in (
            ("PROPFIND", "/dav/people/", {"Depth": "1"}),
            ("MOVE", "/dav/people/Ann/ann_1.jpg",
             {"Destination": "http://127.0.0.1:8080/dav/people/Ben/ann_1.jpg"})):
        reply = call(method, path, headers=headers)
        assert reply.status == 500 and b"secret-detail" not in reply.body, reply.text
        assert "server log" in reply.why
        logged = [r for r in caplog.records if r.name == "recognize.dav.errors"
                  and r.levelno == logging.ERROR and r.exc_info
                  and "secret-detail-42" in str(r.exc_info[1])]
        assert logged and method in logged[-1].getMessage()
        caplog.clear()


def test_wsgidav_logs_reach_the_recognize_loggers(real: Real) -> None:
    make_wsgi_app(real)
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append  # type: ignore[method-assign]
    root = logging.getLogger("recognize")
    root.addHandler(handler)
    try:
        logging.getLogger("wsgidav.request_server").error("boom from wsgidav")
        logging.getLogger("wsgidav.request_server").debug("chatter")
    finally:
        root.removeHandler(handler)
    assert [r.getMessage() for r in seen] == ["boom from wsgidav"]
