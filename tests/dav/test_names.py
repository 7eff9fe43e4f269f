"""Folder names in people/ and tags/ follow the store's one rule (recognize.store.naming)."""

from __future__ import annotations

from urllib.parse import quote

from tests.dav.conftest import Client
from tests.dav.library import Server
from tests.dav.real_library import Real


def test_mkcol_and_move_refuse_unusable_names(fresh_real: tuple[Real, Server]) -> None:
    _, server = fresh_real
    dav = Client(server)
    assert dav("MKCOL", "/dav/people/Person%207").status == 400
    assert dav("MOVE", "/dav/people/Ann/",
               headers={"Destination": f"{server.url}/dav/people/person%2012/"}).status == 400
    assert "Ann" in dav.names("/dav/people/")
    decomposed = quote("Cafe\u0301")
    assert dav("MKCOL", f"/dav/tags/{decomposed}").status == 201
    assert "Café" in dav.names("/dav/tags/")  # stored and listed NFC
    assert dav("DELETE", f"/dav/tags/{quote('Café')}").status == 204
