"""The wsgidav application: our provider, auth, persistent locks and properties, guards
(:mod:`recognize.dav.guard`) and error bodies (:mod:`recognize.dav.errors`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from wsgidav import util
from wsgidav.dav_error import (
    HTTP_BAD_REQUEST,
    HTTP_FORBIDDEN,
    HTTP_NOT_FOUND,
    DAVError,
    DAVErrorCondition,
    PRECONDITION_CODE_PropfindFiniteDepth,
)
from wsgidav.dir_browser import WsgiDavDirBrowser
from wsgidav.lock_man.lock_storage import LockStorageShelve
from wsgidav.prop_man.property_manager import ShelvePropertyManager
from wsgidav.request_resolver import RequestResolver
from wsgidav.request_server import RequestServer
from wsgidav.wsgidav_app import WsgiDAVApp

from recognize.config import Settings
from recognize.dav.auth import Authenticator, digest_ha1s, make_controller
from recognize.dav.context import Backend
from recognize.dav.errors import ErrorBodies, forward_wsgidav_logs, refusal, report
from recognize.dav.guard import Refused, check_body, guard
from recognize.dav.multistatus import Multistatus
from recognize.dav.nextcloud_files import preview_path
from recognize.dav.nextcloud_search import NextcloudQueries
from recognize.dav.nextcloud_tags import SystemTagsPost
from recognize.dav.provider import RecognizeProvider
from recognize.store import Store

MOUNT_PATH = "/dav"
FINITE_DEPTH = DAVErrorCondition(PRECONDITION_CODE_PropfindFiniteDepth)
ROOT_WRITES = frozenset({"DELETE", "MOVE", "COPY", "PUT", "MKCOL", "PROPPATCH"})
Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FiniteRequestServer(RequestServer):
    """wsgidav's request handling with our refusals: RFC 4918 9.1 (PROPFIND with
    ``Depth: infinity``, or none, on a collection is refused with 403; a file has no members,
    so there it is answered as Depth 0), no changes to ``/dav/`` itself, and no PROPPATCH
    where the resource says its properties are read-only."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        method = environ["REQUEST_METHOD"]
        if method in ROOT_WRITES and environ.get("PATH_INFO", "/").strip("/") == "":
            raise DAVError(HTTP_FORBIDDEN, f"the top of the tree ({MOUNT_PATH}/) cannot be "
                           "deleted, moved, copied, written or changed")
        return super().__call__(environ, start_response)

    def _send_response(self, environ: dict[str, Any], start_response: Any, root_res: Any,
                       success_code: int, error_list: list[tuple[str, DAVError]]) -> Any:
        """DELETE/COPY/MOVE: an error of the request's own resource is raised, so that
        :class:`ErrorBodies` answers it (reason in the body, 500s logged, never their text);
        a 500 of a member (in a 207) is logged here."""
        if error_list and len(error_list) == 1 and error_list[0][0] == root_res.get_href():
            raise error_list[0][1]
        for _href, error in error_list or []:
            if error.value >= 500:
                report(error, error, environ)
        return super()._send_response(environ, start_response, root_res, success_code,
                                      error_list)

    def do_PROPFIND(self, environ: dict[str, Any], start_response: Any) -> Any:
        depth = environ.get("HTTP_DEPTH")
        if depth is None or depth.lower() == "infinity":
            res = self._davProvider.get_resource_inst(environ["PATH_INFO"], environ)
            if res is None:
                raise DAVError(HTTP_NOT_FOUND, f"{environ['PATH_INFO']} does not exist")
            if res.is_collection:
                raise DAVError(HTTP_FORBIDDEN, "PROPFIND of a folder needs Depth: 0 or 1 "
                               "(infinite depth is refused)", err_condition=FINITE_DEPTH)
            environ["HTTP_DEPTH"] = "0"
        return self._propfind(environ, start_response)

    def _propfind(self, environ: dict[str, Any], start_response: Any) -> Any:
        """wsgidav's PROPFIND (Depth 0 or 1) with the body written as text
        (:mod:`recognize.dav.multistatus`: the same bytes, without an element tree)."""
        if environ["HTTP_DEPTH"] not in ("0", "1"):
            raise DAVError(HTTP_BAD_REQUEST, f"invalid Depth header: {environ['HTTP_DEPTH']!r}")
        res = self._davProvider.get_resource_inst(environ["PATH_INFO"], environ)
        if res is None:
            raise DAVError(HTTP_NOT_FOUND, f"{environ['PATH_INFO']} does not exist")
        self._evaluate_if_headers(res, environ)
        mode, names = propfind_request(util.parse_xml_body(environ, allow_empty=True))
        body = Multistatus()
        for child in res.get_descendants(depth=environ["HTTP_DEPTH"], add_self=True):
            props = (child.get_properties("named", name_list=names) if mode == "named"
                     else child.get_properties(mode))
            body.add(child.get_href(), props)
        data = body.body()
        start_response("207 Multi-Status", [
            ("Content-Type", "application/xml; charset=utf-8"),
            ("Date", util.get_rfc1123_time()), ("Content-Length", str(len(data)))])
        return [data]

    def do_PROPPATCH(self, environ: dict[str, Any], start_response: Any) -> Any:
        res = self._davProvider.get_resource_inst(environ["PATH_INFO"], environ)
        check = getattr(res, "check_proppatch", None)
        if check is not None:
            check()
        return super().do_PROPPATCH(environ, start_response)


PROPFIND_MODES = {"{DAV:}allprop": "allprop", "{DAV:}propname": "name", "{DAV:}name": "name",
                  "{DAV:}prop": "named"}  # wsgidav's "name" besides RFC 4918's "propname"


def propfind_request(request: Any) -> tuple[str, list[str]]:
    """A PROPFIND body's mode (``allprop``, ``name`` or ``named``) and, for ``named``, the
    properties asked for; an empty body asks for all (RFC 4918 9.1). As wsgidav reads it,
    and ``<propname/>`` (which wsgidav passes over) asks for the names."""
    if request is None:
        return "allprop", []
    if request.tag != "{DAV:}propfind":
        raise DAVError(HTTP_BAD_REQUEST, "a PROPFIND body is a DAV:propfind element")
    mode: str | None = None
    names: list[str] = []
    for node in request:
        wanted = PROPFIND_MODES.get(node.tag)
        if wanted is None:
            continue
        if mode is not None and not (mode == wanted == "named"):
            raise DAVError(HTTP_BAD_REQUEST, "allprop, propname and prop exclude each other")
        mode = wanted
        if wanted == "named":
            names.extend(child.tag for child in node)
    return mode or "named", names


class DirBrowser(WsgiDavDirBrowser):
    """wsgidav's HTML listing; its refusal of a GET with a body (415) raised a TypeError."""

    def _fail(self, value: int, context_info: Any = None, src_exception: Any = None,
              err_condition: Any = None) -> None:
        raise DAVError(value, context_info, src_exception=src_exception,
                       err_condition=err_condition)


class FiniteDepthResolver(RequestResolver):
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["REQUEST_METHOD"] != "OPTIONS" and environ.get("wsgidav.provider"):
            server = FiniteRequestServer(environ["wsgidav.provider"])
            yield from server(environ, start_response)
            return
        yield from super().__call__(environ, start_response)


ALLOW = ("OPTIONS, GET, HEAD, PROPFIND, PROPPATCH, PUT, DELETE, COPY, MOVE, MKCOL, LOCK, "
         "UNLOCK, REPORT, SEARCH")


def options(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("DAV", "1, 2"), ("MS-Author-Via", "DAV"), ("Allow", ALLOW),
                              ("Accept-Ranges", "bytes"), ("Content-Length", "0")])
    return [b""]


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
        "middleware_stack": [ErrorBodies, Authenticator, SystemTagsPost, NextcloudQueries,
                             DirBrowser, FiniteDepthResolver],
        "dir_browser": {"enable": True, "directory_slash": False, "response_trailer": "recognize",
                        "davmount": False, "ms_sharepoint_support": False,
                        "libre_office_support": False},
        "block_size": 1 << 20,
        "suppress_version_info": True,
        "verbose": 1,
        "logging": {"enable": False},  # wsgidav's records go to recognize.dav.wsgidav instead
    }
    forward_wsgidav_logs()
    return guard(WsgiDAVApp(config), options)


def host_root(app: Wsgi, dav: Wsgi) -> Wsgi:
    """Answer OPTIONS and PROPFIND at ``/`` of the host (Windows asks there first), and
    Nextcloud's preview URLs (``/core/preview?fileId=…``; the Photos client asks them from
    the web root) from the DAV tree's ``preview/<file id>``."""

    def root(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            preview = preview_path(path, environ.get("QUERY_STRING", ""))
            if preview is not None:
                environ["SCRIPT_NAME"], environ["PATH_INFO"] = MOUNT_PATH, preview
                return dav(environ, start_response)
        if path in ("", "/"):
            method = environ.get("REQUEST_METHOD")
            if method == "OPTIONS":
                return options(environ, start_response)
            if method == "PROPFIND":
                return _root_propfind(environ, start_response)
        return app(environ, start_response)

    return root


def _root_propfind(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    depth = environ.get("HTTP_DEPTH", "infinity").lower()
    if depth not in ("0", "1"):
        return refusal(start_response, 403, "PROPFIND of a folder needs Depth: 0 or 1 "
                       "(infinite depth is refused)", FINITE_DEPTH)
    try:
        check_body(environ, "PROPFIND")
    except Refused as refused:
        return refusal(start_response, refused.code, refused.message)
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
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
