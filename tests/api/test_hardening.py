"""Bad input and hostile clients: no 500 on malformed bodies, body-size limit, login limits
(429 + Retry-After, equal time for unknown names, bounded argon2 memory), /metrics per user.
Each test fails on the code before issue 10's fixes (config patches: test_config_patch.py)."""

from __future__ import annotations

import base64
import logging
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomlkit

from recognize import config as config_mod
from recognize.jobs.scan import scan
from recognize.store.opening import open_store
from tests.api.conftest import ALICE, BOB, basic
from tests.conftest import ROOT, TEST_PASSWORD, free_port, write_config

EXAMPLE = ROOT / "config" / "recognize.example.toml"


def _app(tmp_path: Path, password_hash: str, persist: bool = True, **sections: Any) -> Any:
    """An API over an empty mount; alice is an admin. Returns (config path, settings, client)."""
    from recognize.api import create_app

    (tmp_path / "photos").mkdir(exist_ok=True)
    path = write_config(tmp_path, {"photos": tmp_path / "photos"}, password_hash, **sections)
    data = tomlkit.parse(path.read_text())
    data["users"][0]["admin"] = True
    path.write_text(tomlkit.dumps(data))
    settings = config_mod.load(path)
    store = open_store(settings)  # syncs the users into the store
    return path, settings, create_app(settings, store, path if persist else None).test_client()


# --- item 6: no 500 on bad bodies ------------------------------------------------------------
NESTED = "[" * 100_000 + "]" * 100_000
BAD_BODIES = {
    "deeply nested": NESTED.encode(),
    "nested in an object": ('{"name": ' + "[" * 3000 + "]" * 3000 + "}").encode(),
    "lone surrogate": b'{"name": "\\ud800"}',
    "surrogate in a key": b'{"\\udfff": 1, "name": "x"}',
    "NUL": b'{"name": "a\\u0000b"}',
    "truncated": b'{"name": ',
    "not UTF-8": b'{"name": "\xff\xfe"}',
    "NaN": b'{"name": NaN}',
    "huge number": b'{"other": 1e999, "confidence": 1e999}',
    "huge integer": b'{"other": ' + b"9" * 5000 + b"}",
}
WRITE_ROUTES = [
    ("POST", "/api/v1/tags"), ("PATCH", "/api/v1/tags/1"), ("POST", "/api/v1/photos/1/tags"),
    ("POST", "/api/v1/persons"), ("PATCH", "/api/v1/persons/1"),
    ("POST", "/api/v1/persons/1/merge"), ("POST", "/api/v1/persons/split"),
    ("PUT", "/api/v1/faces/1/person"), ("POST", "/api/v1/faces/1/reject"),
    ("POST", "/api/v1/tokens"), ("PATCH", "/api/v1/config"),
]


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory, password_hash: str) -> Any:
    return _app(tmp_path_factory.mktemp("plain"), password_hash, persist=False)[2]


@pytest.mark.parametrize("kind", BAD_BODIES)
def test_bad_json_is_a_4xx_with_a_message(plain: Any, kind: str) -> None:
    for method, route in WRITE_ROUTES:
        response = plain.open(route, method=method, data=BAD_BODIES[kind],
                              headers={**ALICE, "Content-Type": "application/json"})
        assert 400 <= response.status_code < 500, (kind, route, response.json)
        assert response.json["error"]["message"], (kind, route)


def test_a_500_is_logged_with_its_traceback_and_tells_the_client_nothing(
        tmp_path: Path, password_hash: str, caplog: pytest.LogCaptureFixture) -> None:
    _, _, client = _app(tmp_path, password_hash)

    @client.application.get("/boom")
    def boom() -> Any:
        raise RuntimeError("secret detail /etc/shadow")

    with caplog.at_level(logging.ERROR):
        response = client.get("/boom", headers=ALICE)
    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True)
    request_id = response.headers["X-Request-Id"]
    assert request_id in response.json["error"]["message"]
    records = [r for r in caplog.records if r.name.startswith("recognize.") and r.exc_info]
    assert records and request_id in records[0].getMessage()
    assert "secret detail" in caplog.text  # the traceback, with the cause, is in the log


def test_malformed_bodies_never_get_a_5xx(plain: Any) -> None:
    """Property: whatever bytes reach a write route, the answer is not a 5xx."""
    import json

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    leaves = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20))
    values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
    keys = st.sampled_from(["name", "other", "faces", "person", "tag_id", "confidence",
                            "source", "persons", "tags", "min_score", "rules"])
    shaped = st.dictionaries(keys, values, max_size=3)

    def dumps(value: Any) -> str:
        return json.dumps(value, allow_nan=True)

    bodies = st.one_of(
        st.binary(max_size=120),
        st.text(max_size=60).map(lambda t: t.encode("utf-8", "surrogatepass")),
        shaped.map(dumps).map(str.encode),
        st.tuples(shaped.map(dumps), st.integers(0, 60)).map(lambda t: t[0][:t[1]].encode()),
        st.tuples(shaped.map(dumps), st.integers(0, 60), st.binary(min_size=1, max_size=3))
        .map(lambda t: t[0][:t[1]].encode() + t[2] + t[0][t[1]:].encode()),
        st.integers(60, 5000).map(lambda n: ("[" * n + "]" * n).encode()),
        st.integers(0xD800, 0xDFFF).map(lambda c: f'{{"name": "\\u{c:04x}"}}'.encode()),
    )
    content_types = st.sampled_from(["application/json", "text/plain", None])

    @settings(max_examples=400, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from(WRITE_ROUTES), bodies, content_types)
    def check(route: tuple[str, str], data: bytes, content_type: str | None) -> None:
        headers = dict(ALICE)
        if content_type:
            headers["Content-Type"] = content_type
        response = plain.open(route[1], method=route[0], data=data, headers=headers)
        assert response.status_code < 500, (route, data[:200], response.get_data()[:300])

    started = time.monotonic()
    check()
    assert time.monotonic() - started < 30


# --- item 9: body size, /metrics ---------------------------------------------------------------
def test_a_body_over_the_limit_is_413_before_it_is_read(tmp_path: Path,
                                                        password_hash: str) -> None:
    _, _, client = _app(tmp_path, password_hash, server={"max_api_body": 4096})
    body = b'{"name": "' + b"x" * 5000 + b'"}'
    response = client.post("/api/v1/tags", data=body,
                           headers={**ALICE, "Content-Type": "application/json"})
    assert response.status_code == 413 and "server.max_api_body" in response.json["error"]["message"]
    assert client.post("/api/v1/tags", json={"name": "small"}, headers=ALICE).status_code == 201


def test_metrics_show_non_admins_their_own_mounts_only(tmp_path: Path,
                                                       password_hash: str) -> None:
    from recognize.api import create_app

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    path = write_config(tmp_path, {"a": tmp_path / "a", "b": tmp_path / "b"}, password_hash)
    data = tomlkit.parse(path.read_text())
    data["mounts"][1]["owners"] = ["bob"]
    data["users"].append({"name": "root", "password_hash": password_hash,
                          "admin": True})
    path.write_text(tomlkit.dumps(data))
    from recognize.demo import write_demo_photos

    write_demo_photos(tmp_path / "a")
    write_demo_photos(tmp_path / "b")
    settings = config_mod.load(path)
    settings.faces.enabled = settings.tags.enabled = False  # only the counts matter here
    store = open_store(settings)
    scan(settings, store)
    client = create_app(settings, store).test_client()

    def text(user: str) -> str:
        response = client.get("/metrics", headers=basic(user))
        assert response.status_code == 200
        return response.get_data(as_text=True)

    alice, bob, admin = text("alice"), text("bob"), text("root")
    assert 'mount="a"' in alice and 'mount="b"' not in alice
    assert 'mount="b"' in bob and 'mount="a"' not in bob
    assert 'mount="a"' in admin and 'mount="b"' in admin
    assert "recognize_faces " in admin and "recognize_faces " not in bob


# --- item 8: logins ------------------------------------------------------------------------------
def test_failed_logins_are_limited_per_name_and_address_with_retry_after(
        tmp_path: Path, password_hash: str) -> None:
    from werkzeug.test import Client

    from recognize.wsgi import make_app

    _, settings, api = _app(tmp_path, password_hash,
                            login={"max_failures": 3, "lockout": 60})
    wrong = basic("bob", "wrong password")

    def get(headers: dict[str, str], addr: str = "127.0.0.1") -> Any:
        return api.get("/api/v1/photos", headers=headers, environ_base={"REMOTE_ADDR": addr})

    assert get(ALICE, "127.0.0.9").status_code == 200  # alice logs in before the attack
    assert [get(wrong).status_code for _ in range(3)] == [401, 401, 401]
    locked = get(wrong)
    assert locked.status_code == 429 and 1 <= int(locked.headers["Retry-After"]) <= 60
    assert locked.json["error"]["code"] == "too_many_requests"
    assert get(BOB, "127.0.0.2").status_code == 429  # the name is locked out, everywhere...
    carol = basic("carol", "guess")
    assert get(carol).status_code == 429  # ... and so is the address, for every name
    assert get(carol, "127.0.0.3").status_code == 401
    assert get(ALICE).status_code == 200  # remembered: alice's client goes on working
    # WebDAV shares the count: the same name and address are refused there too
    dav = Client(make_app(settings, open_store(settings)))
    refused = dav.open("/dav/", method="PROPFIND", headers={**wrong, "Depth": "0"},
                       environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    ok = dav.open("/dav/", method="PROPFIND", headers={**ALICE, "Depth": "0"},
                  environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert ok.status_code == 207


def test_dav_failures_count_towards_the_limit(tmp_path: Path, password_hash: str) -> None:
    from werkzeug.test import Client

    from recognize.wsgi import make_app

    _, settings, _ = _app(tmp_path, password_hash, login={"max_failures": 2, "lockout": 30})
    dav = Client(make_app(settings, open_store(settings)))
    wrong = {**basic("bob", "nope"), "Depth": "0"}
    here = {"REMOTE_ADDR": "127.0.0.1"}
    codes = [dav.open("/dav/", method="PROPFIND", headers=wrong, environ_base=here).status_code
             for _ in range(3)]
    assert codes == [401, 401, 429]


def test_unknown_and_known_names_take_the_same_time(tmp_path: Path, password_hash: str) -> None:
    _, _, api = _app(tmp_path, password_hash, login={"max_failures": 1000})

    def took(user: str, i: int) -> float:
        started = time.perf_counter()
        status = api.get("/api/v1/photos", headers=basic(user, f"wrong {i}")).status_code
        assert status == 401
        return time.perf_counter() - started

    took("nobody", -1)  # the first unknown name makes the dummy hash once
    known = [took("alice", i) for i in range(5)]
    unknown = [took(f"nobody{i}", i) for i in range(5)]
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2.0, (known, unknown)
    assert statistics.median(known) > 0.005  # both really ran argon2


# --- real server: Content-Length, 200 MB body, RSS under parallel wrong passwords ----------------
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, password_hash: str) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("server")
    (folder / "photos").mkdir()
    port = free_port()
    path = write_config(folder, {"photos": folder / "photos"}, password_hash,
                        server={"port": port}, login={"max_failures": 1000})
    log = (folder / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "recognize.cli", "--config", str(path),
                             "serve", "--no-worker"], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2):
                break
        except (urllib.error.URLError, ConnectionError):
            assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
            time.sleep(0.2)
    try:
        yield port, proc, folder / "server.log"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _raw(port: int, head: str, body: bytes = b"", timeout: float = 10) -> bytes:
    auth = base64.b64encode(f"alice:{TEST_PASSWORD}".encode()).decode()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.replace("\n", "\r\n").format(auth=auth).encode() + b"\r\n" + body)
        out = b""
        try:
            while b"\r\n\r\n" not in out or not out.rstrip().endswith(b"}"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                out += chunk
        except TimeoutError:
            pass
        return out


def test_negative_content_length_is_400(server: Any) -> None:
    port, _, _ = server
    out = _raw(port, "POST /api/v1/tags HTTP/1.1\nHost: x\nAuthorization: Basic {auth}\n"
                     "Content-Type: application/json\nContent-Length: -5\nConnection: close\n",
               b'{"name": "x"}')
    assert out.startswith(b"HTTP/1.1 400"), out[:300]
    assert b"Content-Length must be a whole number" in out


def test_a_200_mb_body_is_refused_before_it_is_sent(server: Any) -> None:
    port, _, _ = server
    started = time.monotonic()
    out = _raw(port, "POST /api/v1/tags HTTP/1.1\nHost: x\nAuthorization: Basic {auth}\n"
                     "Content-Type: application/json\nContent-Length: 200000000\n",
               b'{"name": "' + b"x" * 1000, timeout=10)
    assert out.startswith(b"HTTP/1.1 413"), out[:300]
    assert time.monotonic() - started < 5


def _memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in MiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) // 1024
    return out


def test_parallel_wrong_passwords_do_not_blow_up_memory(server: Any) -> None:
    """16 wrong passwords at once took 255 MB to 1.3 GB (argon2: 64 MiB each, all at once);
    now at most login.parallel_hashes (2) checks run together."""
    port, proc, _ = server
    url = f"http://127.0.0.1:{port}/api/v1/photos"

    def get(headers: dict[str, str]) -> int:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=120):
                return 200
        except urllib.error.HTTPError as exc:
            return exc.code

    assert get(ALICE) == 200
    time.sleep(0.5)
    before = _memory(proc.pid)
    Path(f"/proc/{proc.pid}/clear_refs").write_text("5")  # reset the peak (VmHWM) to now
    codes: list[int] = []
    threads = [threading.Thread(target=lambda i=i: codes.append(get(basic("alice", f"no {i}"))))
               for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = _memory(proc.pid)
    growth = after["VmHWM"] - before["VmRSS"]
    print(f"RSS before {before['VmRSS']} MiB, peak during 16 wrong logins {after['VmHWM']} MiB "
          f"(+{growth} MiB)")
    assert codes == [401] * 16
    assert growth < 400, (before, after)


def test_example_documents_the_login_keys() -> None:
    data = tomlkit.parse(EXAMPLE.read_text())
    assert set(data["login"]) == set(config_mod.LoginSettings.model_fields)
    assert "max_api_body" in data["server"]
