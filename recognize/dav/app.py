"""The wsgidav application: our provider, auth, persistent locks and properties, guards."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from wsgidav.dir_browser import WsgiDavDirBrowser
from wsgidav.error_printer import ErrorPrinter
from wsgidav.lock_man.lock_storage import LockStorageShelve
from wsgidav.prop_man.property_manager import ShelvePropertyManager
from wsgidav.request_resolver import RequestResolver
from wsgidav.request_server import RequestServer
from wsgidav.wsgidav_app import WsgiDAVApp

from recognize.config import Settings
from recognize.dav.auth import Authenticator, digest_ha1s, make_controller
from recognize.dav.context import Backend
from recognize.dav.nextcloud_tags import SystemTagsPost
from recognize.dav.provider import RecognizeProvider
from recognize.store import Store

MOUNT_PATH = "/dav"
MAX_XML_BODY = 1 << 20  # PROPFIND, PROPPATCH, LOCK bodies are small; refuse more (413)
XML_METHODS = frozenset({"PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "MKCOL", "COPY", "MOVE",
                         "DELETE", "OPTIONS", "GET", "HEAD"})
FINITE_DEPTH = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:">'
    b"<D:propfind-finite-depth/></D:error>\n"
)
Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FiniteRequestServer(RequestServer):
    """RFC 4918 9.1: PROPFIND with ``Depth: infinity`` (or none) is refused with 403."""

    def __init__(self, dav_provider: Any) -> None:
        super().__init__(dav_provider)
        self.allow_propfind_infinite = False


class FiniteDepthResolver(RequestResolver):
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["REQUEST_METHOD"] != "OPTIONS" and environ.get("wsgidav.provider"):
            server = FiniteRequestServer(environ["wsgidav.provider"])
            yield from server(environ, start_response)
            return
        yield from super().__call__(environ, start_response)


def _refuse(start_response: Any, status: str, body: bytes, ctype: str = "text/plain") -> list[bytes]:
    start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body))),
                            ("Connection", "close")])
    return [body]


ALLOW = ("OPTIONS, GET, HEAD, PROPFIND, PROPPATCH, PUT, DELETE, COPY, MOVE, MKCOL, LOCK, "
         "UNLOCK")


def options(start_response: Any) -> list[bytes]:
    start_response("200 OK", [("DAV", "1, 2"), ("MS-Author-Via", "DAV"), ("Allow", ALLOW),
                              ("Accept-Ranges", "bytes"), ("Content-Length", "0")])
    return [b""]


def guard(app: Wsgi) -> Wsgi:
    """Refuse oversized XML bodies before anything reads them, and infinite PROPFINDs early."""

    def guarded(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "")
        path = environ.get("PATH_INFO", "")
        if any(part in ("..", ".") or "\0" in part for part in path.split("/")):
            return _refuse(start_response, "400 Bad Request", b"invalid path\n")
        if method in XML_METHODS:
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return _refuse(start_response, "400 Bad Request", b"invalid Content-Length\n")
            if length > MAX_XML_BODY:
                return _refuse(start_response, "413 Request Entity Too Large",
                               b"request body too large for this method\n")
        if method == "OPTIONS":  # answered without credentials (Windows), same for every path
            return options(start_response)
        if method == "PROPFIND" and environ.get("HTTP_DEPTH", "infinity").lower() == "infinity":
            return _refuse(start_response, "403 Forbidden", FINITE_DEPTH,
                           'application/xml; charset="utf-8"')
        return app(environ, start_response)

    return guarded


def make_dav_app(settings: Settings, store: Store) -> Wsgi:
    backend = Backend(settings, store)
    folder = backend.data_dir / "dav"
    folder.mkdir(parents=True, exist_ok=True)
    digest = bool(digest_ha1s(settings))
    config = {
        "provider_mapping": {"/": RecognizeProvider(backend)},
        "mount_path": MOUNT_PATH,
        "http_authenticator": {
            "domain_controller": make_controller(settings),
            "accept_basic": True,
            "accept_digest": digest,
            "default_to_digest": digest,
        },
        "lock_storage": LockStorageShelve(str(folder / "locks.shelve")),
        "property_manager": ShelvePropertyManager(str(folder / "properties.shelve")),
        "hotfixes": {"emulate_win32_lastmod": True},
        "middleware_stack": [ErrorPrinter, Authenticator, SystemTagsPost, WsgiDavDirBrowser,
                             FiniteDepthResolver],
        "dir_browser": {"enable": True, "directory_slash": False, "response_trailer": "recognize",
                        "davmount": False, "ms_sharepoint_support": False,
                        "libre_office_support": False},
        "block_size": 1 << 20,
        "suppress_version_info": True,
        "verbose": 1,
        "logging": {"enable": False},
    }
    return guard(WsgiDAVApp(config))


def host_root(app: Wsgi, dav: Wsgi) -> Wsgi:
    """Answer OPTIONS and PROPFIND at ``/`` of the host (Windows asks there first)."""

    def root(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") in ("", "/"):
            method = environ.get("REQUEST_METHOD")
            if method == "OPTIONS":
                return options(start_response)
            if method == "PROPFIND":
                return _root_propfind(environ, start_response)
        return app(environ, start_response)

    return root


def _root_propfind(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    depth = environ.get("HTTP_DEPTH", "infinity").lower()
    if depth not in ("0", "1"):
        return _refuse(start_response, "403 Forbidden", FINITE_DEPTH,
                       'application/xml; charset="utf-8"')
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length > MAX_XML_BODY:
        return _refuse(start_response, "413 Request Entity Too Large", b"too large\n")
    environ["wsgi.input"].read(length)
    hrefs = ["/"] + ([MOUNT_PATH + "/"] if depth == "1" else [])
    items = "".join(
        f"<D:response><D:href>{h}</D:href><D:propstat><D:prop><D:resourcetype><D:collection/>"
        f"</D:resourcetype><D:displayname>{h.strip('/') or 'recognize'}</D:displayname>"
        f"</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
        for h in hrefs
    )
    body = (f'<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">{items}'
            f"</D:multistatus>\n").encode()
    start_response("207 Multi-Status", [("Content-Type", 'application/xml; charset="utf-8"'),
                                        ("Content-Length", str(len(body)))])
    return [body]
