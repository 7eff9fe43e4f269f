"""Digest authentication for users with a digest_ha1 (e.g. Windows over plain HTTP)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import tomli_w

from recognize.demo import write_demo_photos
from tests.conftest import TEST_PASSWORD, free_port, write_config


def _propfind(url: str, opener: urllib.request.OpenerDirector) -> int:
    request = urllib.request.Request(url, method="PROPFIND", headers={"Depth": "1"})
    try:
        with opener.open(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code
    except urllib.error.URLError:
        return 0  # not listening yet


def test_digest_login(tmp_path: Path, password_hash: str) -> None:
    write_demo_photos(tmp_path / "photos")
    path = write_config(tmp_path, {"demo": tmp_path / "photos"}, password_hash,
                        faces={"enabled": False}, tags={"enabled": False})
    data = tomllib.loads(path.read_text())
    ha1 = hashlib.md5(f"alice:recognize:{TEST_PASSWORD}".encode()).hexdigest()
    data["users"][0]["digest_ha1"] = ha1
    path.write_text(tomli_w.dumps(data))
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "recognize.cli", "--config", str(path),
                             "serve", "--no-worker", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/dav/"
    try:
        deadline = time.monotonic() + 30
        anonymous = urllib.request.build_opener()
        while (code := _propfind(url, anonymous)) != 401:
            assert time.monotonic() < deadline, code
            time.sleep(0.2)
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, url, "alice", TEST_PASSWORD)
        digest = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(passwords))
        assert _propfind(url, digest) == 207
        wrong = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        wrong.add_password(None, url, "alice", "not the password")
        bad = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(wrong))
        assert _propfind(url, bad) == 401
        # bob has no digest_ha1: Digest cannot log him in
        bobs = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        bobs.add_password(None, url, "bob", TEST_PASSWORD)
        bob = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(bobs))
        assert _propfind(url, bob) == 401
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    assert "failed DAV login (Digest)" in (tmp_path / "server.log").read_text()
