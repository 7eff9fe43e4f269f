"""The whole WSGI application (API + WebDAV) called in-process with hand-made environs, so
tests can send what no well-behaved client would (negative lengths, raw paths, bad chunks)."""

from __future__ import annotations

import base64
import io
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from tests.dav.conftest import Reply
from tests.dav.library import PASSWORD
from tests.dav.real_library import Real

HOST = "127.0.0.1:8080"


def make_wsgi_app(library: Real) -> Any:
    """The whole app in-process over ``library``'s config, with a store of its own."""
    from recognize import config as config_mod
    from recognize.store import Store
    from recognize.wsgi import make_app

    settings = config_mod.load(library.config)
    settings.server.allow_basic_over_http = True  # in-process calls carry no real address
    return make_app(settings, Store(settings.database_url()))


@dataclass
class InProcess:
    app: Any
    user: str | None = "alice"

    def __call__(self, method: str, path: str, body: bytes = b"",
                 headers: Mapping[str, str] | None = None, *,
                 content_length: str | None = "auto") -> Reply:
        """``path`` as on the request line (percent-encoded); ``content_length`` None omits
        the header, "auto" sends the body's length, anything else is sent as it is."""
        raw_path, _, query = path.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method, "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(raw_path).decode("latin-1"),
            "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080",
            "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": HOST,
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        if content_length == "auto":
            content_length = str(len(body)) if body else None
        if content_length is not None:
            environ["CONTENT_LENGTH"] = content_length
        if self.user is not None:
            token = base64.b64encode(f"{self.user}:{PASSWORD}".encode()).decode()
            environ["HTTP_AUTHORIZATION"] = f"Basic {token}"
        for key, value in (headers or {}).items():
            name = key.upper().replace("-", "_")
            environ[name if name == "CONTENT_TYPE" else f"HTTP_{name}"] = value
        started: list[Any] = []

        def start_response(status: str, response_headers: list[tuple[str, str]],
                           exc_info: Any = None) -> Any:
            started[:] = [status, response_headers]
            return lambda data: None

        result = self.app(environ, start_response)
        try:
            data = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        status, response_headers = started
        return Reply(int(status.split()[0]), {k.lower(): v for k, v in response_headers}, data)
