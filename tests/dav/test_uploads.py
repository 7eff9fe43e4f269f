"""PUT into a writable mount never half-writes a file: cut-off bodies, chunked bodies without
their last chunk and a server killed mid-body leave the original byte for byte. On the real
library (see ``real_library``): its photos are what is uploaded into alice's inbox/."""

from __future__ import annotations

import base64
import os
import signal
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from recognize import config
from recognize.dav.atomic import is_temp
from recognize.jobs.crawl import crawl
from recognize.jobs.sources import LocalSource
from recognize.media.sniff import SUPPORTED_EXTENSIONS
from recognize.store import Store, accounts
from recognize.store import photos as photo_store
from tests.conftest import wait_for
from tests.dav.conftest import Client
from tests.dav.library import PASSWORD, Server
from tests.dav.real_library import Real

pytestmark = pytest.mark.slow  # real models or real server processes: make test runs it

AUTH = "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()


def _wait(condition: Callable[[], bool]) -> bool:
    return wait_for(condition, timeout=10.0, every=0.05)


def _start_put(server: Server, path: str, head: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                 f"Authorization: {AUTH}\r\n{head}\r\n".encode())
    return sock


def _cut_off_put(server: Server, path: str, *, chunked: bool) -> None:
    """Declare 1,000,000 bytes (or send chunks), send 1,000, close; wait for the server."""
    abandoned = server.logs().count("abandoned")
    body = os.urandom(1000)
    if chunked:
        sock = _start_put(server, path, "Transfer-Encoding: chunked\r\n")
        sock.sendall(b"%x\r\n%s\r\n" % (len(body), body))  # and no terminating 0-chunk
    else:
        sock = _start_put(server, path, "Content-Length: 1000000\r\n")
        sock.sendall(body)
    sock.close()
    _wait(lambda: server.logs().count("abandoned") > abandoned)


def _extra(folder: Path, before: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in before)


def test_cut_off_put_keeps_the_original_and_creates_nothing(
        shared_real: tuple[Real, Server]) -> None:
    """The module's library: nothing is written and the one file put there is taken away."""
    library, server = shared_real
    inbox = library.folder / "inbox"
    original = inbox / "cut.jpg"
    original.write_bytes(library.original("photos/dogs.jpg"))
    before, names = original.read_bytes(), {p.name for p in inbox.iterdir()}
    try:
        for chunked in (False, True):
            _cut_off_put(server, "/dav/files/inbox/cut.jpg", chunked=chunked)
            assert original.read_bytes() == before, f"chunked={chunked}"
            _cut_off_put(server, "/dav/files/inbox/never.jpg", chunked=chunked)
            assert _extra(inbox, names) == [], f"chunked={chunked}"
        assert "abandoned after 1000 bytes" in server.logs()
    finally:
        original.unlink()


def test_complete_put_replaces_whole_and_keeps_the_mode(fresh_real: tuple[Real, Server]) -> None:
    library, alice = fresh_real[0], Client(fresh_real[1])
    inbox = library.folder / "inbox"
    original = inbox / "whole.jpg"
    original.write_bytes(b"old" * 1000)
    original.chmod(0o640)
    names = {p.name for p in inbox.iterdir()}
    new = library.original("photos/italy.jpg")
    try:
        assert alice("PUT", "/dav/files/inbox/whole.jpg", new).status == 204
        assert original.read_bytes() == new
        assert stat.S_IMODE(original.stat().st_mode) == 0o640
        assert alice("PUT", "/dav/files/inbox/fresh.jpg", new).status == 201
        assert (inbox / "fresh.jpg").read_bytes() == new
        assert _extra(inbox, names) == ["fresh.jpg"]  # no temporary file left
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(new[i:i + 5000]), new[i:i + 5000])
                          for i in range(0, len(new), 5000)) + b"0\r\n\r\n"
        sock = _start_put(alice.server, "/dav/files/inbox/whole.jpg",
                          "Transfer-Encoding: chunked\r\nConnection: close\r\n")
        original.write_bytes(b"old")
        sock.sendall(chunks)
        assert sock.recv(4096).startswith(b"HTTP/1.1 204")
        sock.close()
        assert original.read_bytes() == new
    finally:
        original.unlink()
        (inbox / "fresh.jpg").unlink(missing_ok=True)


def test_kill_9_mid_put_leaves_the_original(fresh_real: tuple[Real, Server]) -> None:
    """A server killed while it receives a PUT over an original: the original is intact and
    at most a hidden ``.recognize-upload-*.part`` remains, which neither the crawl nor the
    tree shows."""
    library, alice = fresh_real[0], Client(fresh_real[1])
    inbox = library.folder / "inbox"
    original = inbox / "precious.jpg"
    original.write_bytes(library.original("photos/ann_1.jpg"))
    before, names = original.read_bytes(), {p.name for p in inbox.iterdir()}
    victim = Server(library.config)
    sock = _start_put(victim, "/dav/files/inbox/precious.jpg", "Content-Length: 50000000\r\n")
    try:
        piece = os.urandom(1 << 16)
        for _ in range(64):  # 4 MiB of the declared 50 MB
            sock.sendall(piece)

        def receiving() -> bool:
            temps = [p for p in inbox.iterdir() if is_temp(p.name)]
            return any(p.stat().st_size > 0 for p in temps) or original.stat().st_size != len(before)

        assert _wait(receiving), "the server never started writing the body"
        os.kill(victim.proc.pid, signal.SIGKILL)
        victim.proc.wait(timeout=10)
    finally:
        sock.close()
        victim.stop()
    try:
        assert original.read_bytes() == before
        left = _extra(inbox, names)
        assert len(left) <= 1 and all(is_temp(n) and n.startswith(".") for n in left), left
        store = Store(config.load(library.config).database_url())
        with store.session() as session:
            inbox_ref = next(m for m in accounts.mounts_of(session, "alice") if m.name == "inbox")
        crawl(store, inbox_ref, ["media"], LocalSource(inbox, SUPPORTED_EXTENSIONS))
        with store.session() as session:
            indexed = photo_store.known_files(session, inbox_ref.id)
        store.engine.dispose()
        assert "precious.jpg" in indexed and not any(is_temp(p) for p in indexed)
        assert not any(is_temp(n) for n in alice.names("/dav/files/inbox/"))
        for name in left:
            assert alice("GET", f"/dav/files/inbox/{name}").status == 403
            assert alice("PUT", f"/dav/files/inbox/{name}", b"x").status == 403
    finally:
        for name in _extra(inbox, names):
            (inbox / name).unlink()
        original.unlink()
