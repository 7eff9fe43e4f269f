"""What the DAV and web tests share beside the real library (``real_library``): its config,
a real server process on 127.0.0.1, and the WebDAV app in-process with its SQL counted."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from recognize.store import Store
from tests.conftest import MODELS_CACHE, TEST_PASSWORD, free_port

PASSWORD = TEST_PASSWORD


def write_config(folder: Path, password_hash: str, **server: object) -> Path:
    data = {
        "server": dict(server),
        "store": {"data_dir": str(folder / "var")},
        "inference": {"cache_dir": str(MODELS_CACHE)},
        "users": [{"name": "alice", "password_hash": password_hash},
                  {"name": "bob", "password_hash": password_hash}],
        "mounts": [
            {"name": "photos", "path": str(folder / "photos"), "owners": ["alice"]},
            {"name": "inbox", "path": str(folder / "inbox"), "owners": ["alice"],
             "writable": True},
            {"name": "bobs", "path": str(folder / "bobs"), "owners": ["bob"]},
        ],
    }
    path = folder / "recognize.toml"
    path.write_text(tomli_w.dumps(data))
    return path


class Server:
    """``recognize serve --no-worker`` as a real process on 127.0.0.1 (tests index the
    library themselves)."""

    def __init__(self, config: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        root = Path(__file__).resolve().parents[2]
        self.log = open(config.parent / "server.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "recognize.cli", "--config", str(config), "serve",
             "--no-worker", "--port", str(self.port)],
            cwd=root, stdout=self.log, stderr=subprocess.STDOUT,
        )
        import socket

        deadline = time.monotonic() + 90  # a loaded machine imports slowly
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()  # never leave a half-started server behind
        raise RuntimeError(f"server did not start: {(config.parent / 'server.log').read_text()}")

    def logs(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@dataclass
class CountingDav:
    """The WebDAV app called in-process, every SQL statement it sends counted (tests that a
    listing costs the same queries for any number of entries)."""

    app: Any
    statements: list[str]
    auth: dict[str, str]

    def cost(self, method: str, path: str, body: str, headers: dict[str, str]) -> tuple[int, bytes]:
        """``path`` below ``/dav``; the statements sent (transaction control not counted) and
        the 207 body."""
        self.statements.clear()
        reply = self.app.open(path, "http://localhost/dav", method=method, data=body,
                              headers=headers | self.auth,
                              environ_overrides={"REMOTE_ADDR": "127.0.0.1"})
        assert reply.status_code == 207, reply.get_data(as_text=True)
        sent = [q for q in self.statements if q.upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]
        return len(sent), reply.get_data()


def counting_dav(config: Path, store: Store) -> CountingDav:
    import base64

    from sqlalchemy import event
    from werkzeug.test import Client as WerkzeugClient

    from recognize import config as config_mod
    from recognize.dav import make_dav_app

    app = WerkzeugClient(make_dav_app(config_mod.load(config), store))
    statements: list[str] = []
    for engine in {store.engine, store._reader}:
        event.listen(engine, "before_cursor_execute",
                     lambda *args: statements.append(str(args[2]).strip()))
    token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    return CountingDav(app, statements, {"Authorization": f"Basic {token}"})

