"""Digest authentication for users with a digest_ha1 (e.g. Windows over plain HTTP), on a copy
of the real library (see ``real_library``) whose config gives alice, not bob, a digest_ha1."""

from __future__ import annotations

import hashlib
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import tomli_w

from tests.conftest import TEST_PASSWORD
from tests.dav.library import Server
from tests.dav.real_library import Real

pytestmark = pytest.mark.heavy  # a server over the real library


def _propfind(url: str, opener: urllib.request.OpenerDirector) -> int:
    request = urllib.request.Request(url, method="PROPFIND", headers={"Depth": "1"})
    try:
        with opener.open(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code


def _digest(url: str, user: str, password: str) -> urllib.request.OpenerDirector:
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, url, user, password)
    return urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(passwords))


def test_digest_login(real_template: Real, tmp_path: Path) -> None:
    lib = real_template.copy(tmp_path / "lib")
    data = tomllib.loads(lib.config.read_text())
    assert [u["name"] for u in data["users"]] == ["alice", "bob"]
    data["users"][0]["digest_ha1"] = hashlib.md5(
        f"alice:recognize:{TEST_PASSWORD}".encode()).hexdigest()
    lib.config.write_text(tomli_w.dumps(data))
    server = Server(lib.config)
    url = f"{server.url}/dav/"
    try:
        assert _propfind(url, urllib.request.build_opener()) == 401
        assert _propfind(url, _digest(url, "alice", TEST_PASSWORD)) == 207
        assert _propfind(url, _digest(url, "alice", "not the password")) == 401
        # bob has no digest_ha1: Digest cannot log him in
        assert _propfind(url, _digest(url, "bob", TEST_PASSWORD)) == 401
    finally:
        server.stop()
    assert "failed DAV login (Digest)" in (lib.folder / "server.log").read_text()
