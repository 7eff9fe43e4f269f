"""Checks on a WebDAV request before wsgidav sees it: each refusal is a 4xx with a reason.

- paths: no ``.``/``..``/NUL segments, no name longer than the file systems' 255 bytes;
- ``Content-Length``: digits only (``-5`` is a 400), at most 1 MiB for XML methods (413);
- chunked XML bodies (PROPFIND without Content-Length) are read here, so wsgidav sees them;
- request bodies are counted: a body that ends before its declared length (or a chunked body
  without its last chunk) raises a 400 in whoever reads it, so no upload is taken as whole;
- ``Destination``: no ``.``/``..`` segments (also ``%2E%2E``), inside the tree, and a user
  part (``http://user:password@host/``, as KIO sends it) is dropped before the host check.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from wsgidav.dav_error import HTTP_BAD_REQUEST, DAVError

from recognize.dav.errors import refusal

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
MAX_XML_BODY = 1 << 20  # PROPFIND, PROPPATCH, LOCK bodies are small; refuse more (413)
XML_METHODS = frozenset({"PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "MKCOL", "COPY", "MOVE",
                         "DELETE", "OPTIONS", "GET", "HEAD", "REPORT", "SEARCH"})
NAME_MAX = 255  # bytes of one name (ext4, btrfs, xfs, APFS, NTFS in UTF-16 units)
DIGITS = re.compile(r"[0-9]{1,18}")


class Refused(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _byte_length(name: str) -> int:
    try:  # WSGI paths are latin-1 strings of the request's bytes
        return len(name.encode("latin-1"))
    except UnicodeEncodeError:
        return len(name.encode("utf-8", "surrogatepass"))


def check_names(path: str, what: str = "path") -> None:
    for part in path.split("/"):
        if part in (".", "..") or "\0" in part:
            raise Refused(400, f"invalid {what}: '.', '..' and NUL are not allowed in names")
        if _byte_length(part) > NAME_MAX:
            raise Refused(400, f"invalid {what}: a name is longer than {NAME_MAX} bytes")


def declared_length(environ: dict[str, Any]) -> int | None:
    """The Content-Length, None when absent; a 400 when it is no plain number."""
    raw = str(environ.get("CONTENT_LENGTH") or "").strip()
    if not raw:
        return None
    if not DIGITS.fullmatch(raw):
        raise Refused(400, f"invalid Content-Length: {raw[:40]!r}")
    return int(raw)


def is_chunked(environ: dict[str, Any]) -> bool:
    return "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower()


class CountedBody:
    """``wsgi.input`` that raises a 400 when the body ends before it should."""

    def __init__(self, stream: Any, length: int | None) -> None:
        self.stream, self.length, self.received = stream, length, 0

    def read(self, size: int | None = -1) -> bytes:
        return self._take(self.stream.read, size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._take(self.stream.readline, size)

    def _take(self, reader: Callable[..., bytes], size: int | None) -> bytes:
        if self.length is not None:
            left = self.length - self.received
            if left <= 0:
                return b""
            size = left if size is None or size < 0 else min(size, left)
        try:
            data = reader() if size is None or size < 0 else reader(size)
        except (ValueError, OSError) as exc:  # cheroot: a broken chunk or a dropped client
            raise DAVError(HTTP_BAD_REQUEST, "the request body is malformed or was cut off "
                           f"after {self.received} bytes") from exc
        self.received += len(data)
        if not data and self.length is not None and self.received < self.length:
            raise DAVError(HTTP_BAD_REQUEST, f"the request body ended after {self.received} of "
                           f"{self.length} declared bytes")
        return data

    def __iter__(self) -> Any:
        return iter(lambda: self.read(1 << 16), b"")


def _read_chunked_xml(environ: dict[str, Any]) -> None:
    body = io.BytesIO()
    stream = environ["wsgi.input"]
    while True:
        try:
            data = stream.read(1 << 16)
        except (ValueError, OSError):
            raise Refused(400, "malformed chunked request body") from None
        if not data:
            break
        body.write(data)
        if body.tell() > MAX_XML_BODY:
            raise Refused(413, "request body too large for this method")
    environ["wsgi.input"] = io.BytesIO(body.getvalue())
    environ["CONTENT_LENGTH"] = str(body.tell())


def check_body(environ: dict[str, Any], method: str) -> None:
    length = declared_length(environ)
    chunked = is_chunked(environ)
    if method in XML_METHODS:
        if length is not None and length > MAX_XML_BODY:
            raise Refused(413, "request body too large for this method")
        if length is None and chunked:
            _read_chunked_xml(environ)
            return
    if length or chunked:
        environ["wsgi.input"] = CountedBody(environ["wsgi.input"], None if chunked else length)


def check_destination(environ: dict[str, Any]) -> None:
    raw = environ.get("HTTP_DESTINATION")
    if raw is None:
        return
    try:
        parts = urlsplit(str(raw).strip())
    except ValueError:
        raise Refused(400, "invalid Destination header") from None
    check_names(unquote(parts.path), "Destination")
    tree = environ.get("SCRIPT_NAME", "").rstrip("/")
    path = unquote(parts.path)
    if tree and not (path == tree or path.startswith(tree + "/")):
        raise Refused(403, f"the Destination is outside the WebDAV tree ({tree}/)")
    if "@" in parts.netloc:  # KIO: http://user:password@host:port/... is the same host
        environ["HTTP_DESTINATION"] = urlunsplit(
            parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def guard(app: Wsgi, on_options: Wsgi) -> Wsgi:
    """Refuse malformed requests before anything reads them (see the module's list)."""

    def guarded(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "")
        try:
            check_names(environ.get("PATH_INFO", ""))
            check_body(environ, method)
            if method in ("MOVE", "COPY"):
                check_destination(environ)
        except Refused as refused:
            return refusal(start_response, refused.code, refused.message)
        if method == "OPTIONS":  # answered without credentials (Windows), same for every path
            return on_options(environ, start_response)
        return app(environ, start_response)

    return guarded
