"""Resolutions reused across requests (``Backend.memo``) never hide a change: a rename, a move
or another process's commit is seen on the very next request."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.dav.conftest import Client
from tests.dav.library import Library, Server

pytestmark = pytest.mark.heavy  # starts a server process


def _to(dav: Client, path: str) -> dict[str, str]:
    return {"Destination": f"http://127.0.0.1:{dav.server.port}{path}"}


def _warm(dav: Client) -> None:
    """Every resolution the checks below read, made (and reused) before the change."""
    for _ in range(2):
        assert "Ann" in dav.names("/dav/people/")
        assert "lake.jpg" in dav.names("/dav/people/Ann/")
        assert dav("GET", "/dav/people/Ann/lake.jpg").status == 200
        assert dav("GET", "/dav/people/Ben/lake.jpg").status == 404


def test_a_rename_is_seen_on_the_next_request(fresh: tuple[Library, Server]) -> None:
    dav = Client(fresh[1])
    _warm(dav)
    assert dav("MOVE", "/dav/people/Ann/", headers=_to(dav, "/dav/people/Anna/")).status in (201, 204)
    assert "Anna" in dav.names("/dav/people/") and "Ann" not in dav.names("/dav/people/")
    assert dav("GET", "/dav/people/Anna/lake.jpg").status == 200
    assert dav("GET", "/dav/people/Ann/lake.jpg").status == 404


def test_a_moved_photo_is_seen_on_the_next_request(fresh: tuple[Library, Server]) -> None:
    dav = Client(fresh[1])
    _warm(dav)
    moved = dav("MOVE", "/dav/people/Ann/lake.jpg", headers=_to(dav, "/dav/people/Ben/lake.jpg"))
    assert moved.status in (201, 204), moved.text
    assert dav("GET", "/dav/people/Ben/lake.jpg").status == 200
    assert dav("GET", "/dav/people/Ann/lake.jpg").status == 404
    assert "lake.jpg" not in dav.names("/dav/people/Ann/")


def test_another_process_commit_is_seen_on_the_next_request(fresh: tuple[Library, Server]
                                                            ) -> None:
    """A worker's commit (here: this test process's own connection) reaches the server."""
    lib, srv = fresh
    dav = Client(srv)
    _warm(dav)
    with lib.store.session() as session:
        session.execute(text("UPDATE persons SET name = 'Zoe' WHERE id = :id"),
                        {"id": lib.persons["Ann"]})
    assert "Zoe" in dav.names("/dav/people/") and "Ann" not in dav.names("/dav/people/")
    assert dav("GET", "/dav/people/Zoe/lake.jpg").status == 200
    assert dav("GET", "/dav/people/Ann/lake.jpg").status == 404


def test_one_user_never_gets_another_users_reused_listing(fresh: tuple[Library, Server]) -> None:
    alice, bob = Client(fresh[1]), Client(fresh[1], "bob")
    _warm(alice)
    assert bob.names("/dav/people/") == ["Zed"]
    assert bob("GET", "/dav/people/Ann/lake.jpg").status == 404
    assert "Zed" not in alice.names("/dav/people/")
