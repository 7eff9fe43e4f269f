"""Resolutions reused across requests (``Backend.memo``) never hide a change: a rename, a move
or another process's commit is seen on the very next request. On the real library (see
``real_library``): ann_1.jpg is a photo of the person the cascade made of Ann's faces."""

from __future__ import annotations

import pytest

from tests.dav.conftest import Client
from tests.dav.library import Server
from tests.dav.real_library import Real

pytestmark = pytest.mark.heavy  # starts a server process over the real library


def _to(dav: Client, path: str) -> dict[str, str]:
    return {"Destination": f"http://127.0.0.1:{dav.server.port}{path}"}


def _warm(dav: Client) -> None:
    """Every resolution the checks below read, made (and reused) before the change."""
    for _ in range(2):
        assert "Ann" in dav.names("/dav/people/")
        assert "ann_1.jpg" in dav.names("/dav/people/Ann/")
        assert dav("GET", "/dav/people/Ann/ann_1.jpg").status == 200
        assert dav("GET", "/dav/people/Ben/ann_1.jpg").status == 404


def test_a_rename_is_seen_on_the_next_request(fresh_real: tuple[Real, Server]) -> None:
    dav = Client(fresh_real[1])
    _warm(dav)
    assert dav("MOVE", "/dav/people/Ann/", headers=_to(dav, "/dav/people/Anna/")).status in (201, 204)
    assert "Anna" in dav.names("/dav/people/") and "Ann" not in dav.names("/dav/people/")
    assert dav("GET", "/dav/people/Anna/ann_1.jpg").status == 200
    assert dav("GET", "/dav/people/Ann/ann_1.jpg").status == 404


def test_a_moved_photo_is_seen_on_the_next_request(fresh_real: tuple[Real, Server]) -> None:
    dav = Client(fresh_real[1])
    _warm(dav)
    moved = dav("MOVE", "/dav/people/Ann/ann_1.jpg",
                headers=_to(dav, "/dav/people/Ben/ann_1.jpg"))
    assert moved.status in (201, 204), moved.text
    assert dav("GET", "/dav/people/Ben/ann_1.jpg").status == 200
    assert dav("GET", "/dav/people/Ann/ann_1.jpg").status == 404
    assert "ann_1.jpg" not in dav.names("/dav/people/Ann/")


def test_another_process_commit_is_seen_on_the_next_request(
        fresh_real: tuple[Real, Server]) -> None:
    """A worker's commit (here: this test process's own connection) reaches the server."""
    lib, srv = fresh_real
    dav = Client(srv)
    _warm(dav)
    db = lib.db()
    with db:
        db.execute("UPDATE persons SET name = 'Zoe' WHERE id = ?", (lib.person("ann"),))
    db.close()
    assert "Zoe" in dav.names("/dav/people/") and "Ann" not in dav.names("/dav/people/")
    assert dav("GET", "/dav/people/Zoe/ann_1.jpg").status == 200
    assert dav("GET", "/dav/people/Ann/ann_1.jpg").status == 404


def test_one_user_never_gets_another_users_reused_listing(
        fresh_real: tuple[Real, Server]) -> None:
    alice, bob = Client(fresh_real[1]), Client(fresh_real[1], "bob")
    _warm(alice)
    assert bob.names("/dav/people/") == ["Zed"]
    assert bob("GET", "/dav/people/Ann/ann_1.jpg").status == 404
    assert "Zed" not in alice.names("/dav/people/")
