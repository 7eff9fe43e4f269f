"""Error answers of the WebDAV tree: every refusal says why, no exception text ever leaves.

A refusal (4xx) answers with a body as Sabre/DAV (Nextcloud) writes one::

    <d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns">
      <d:propfind-finite-depth/>            (wsgidav's precondition, when it names one)
      <s:exception>Sabre\\DAV\\Exception\\Forbidden</s:exception>
      <s:message>mount 'photos' is read-only</s:message>
    </d:error>

An unexpected exception answers 500 with a fixed message; its traceback is logged through
``recognize.dav.errors``. wsgidav's own loggers (``wsgidav.*``) are forwarded to
``recognize.dav.wsgidav``: its errors as errors, its warnings at INFO, without the
tracebacks of refusals.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterable, Iterator
from typing import Any
from xml.sax.saxutils import escape

from wsgidav import util
from wsgidav.dav_error import (
    ERROR_DESCRIPTIONS,
    ERROR_RESPONSES,
    HTTP_BAD_REQUEST,
    HTTP_CONFLICT,
    HTTP_FORBIDDEN,
    HTTP_INSUFFICIENT_STORAGE,
    HTTP_INTERNAL_ERROR,
    HTTP_NO_CONTENT,
    HTTP_NOT_FOUND,
    HTTP_NOT_MODIFIED,
    DAVError,
    DAVErrorCondition,
)
from wsgidav.mw.base_mw import BaseMiddleware

from recognize import errors
from recognize.log import get_logger

log = get_logger(__name__)
NS_SABRE = "http://sabredav.org/ns"
INTERNAL = "internal server error: the server log has the details"
EXCEPTIONS = {  # the class names Sabre/DAV answers with (clients show s:message)
    400: "BadRequest", 401: "NotAuthenticated", 403: "Forbidden", 404: "NotFound",
    405: "MethodNotAllowed", 409: "Conflict", 412: "PreconditionFailed",
    415: "UnsupportedMediaType", 416: "RequestedRangeNotSatisfiable", 423: "Locked",
    501: "NotImplemented", 507: "InsufficientStorage",
}
STATUS_TEXT = {400: "400 Bad Request", 413: "413 Request Entity Too Large",
               414: "414 Request-URI Too Long", 507: "507 Insufficient Storage"}
OS_ERRORS = {  # what a failed file operation means to the client
    errno.ENAMETOOLONG: (HTTP_BAD_REQUEST, "a name or the path is too long for the file system"),
    errno.EINVAL: (HTTP_BAD_REQUEST, "the file system refused this name"),
    errno.EILSEQ: (HTTP_BAD_REQUEST, "the file system refused this name"),
    errno.ENOSPC: (HTTP_INSUFFICIENT_STORAGE, "the disk is full"),
    errno.EDQUOT: (HTTP_INSUFFICIENT_STORAGE, "the disk quota is exhausted"),
    errno.EACCES: (HTTP_FORBIDDEN, "the server may not change this file"),
    errno.EPERM: (HTTP_FORBIDDEN, "the server may not change this file"),
    errno.EROFS: (HTTP_FORBIDDEN, "the file system is read-only"),
    errno.ENOENT: (HTTP_CONFLICT, "a folder on the way does not exist"),
    errno.ENOTDIR: (HTTP_CONFLICT, "a part of the path is a file, not a folder"),
    errno.EISDIR: (HTTP_CONFLICT, "the target is a folder"),
    errno.EEXIST: (HTTP_CONFLICT, "the target exists"),
    errno.ENOTEMPTY: (HTTP_CONFLICT, "the folder is not empty"),
    errno.EXDEV: (HTTP_CONFLICT, "cannot move between file systems"),
}


def status_line(code: int) -> str:
    return ERROR_DESCRIPTIONS.get(code) or STATUS_TEXT.get(code) or f"{code} Error"


def _element(code: str) -> str:
    ns, _, local = code.lstrip("{").partition("}")
    if ns == "DAV:":
        return f"d:{local}"
    return f'x:{local} xmlns:x="{escape(ns, {chr(34): "&quot;"})}"'


def condition_xml(condition: DAVErrorCondition | None) -> str:
    if condition is None:
        return ""
    name = _element(condition.condition_code)
    tag = name.split(" ", 1)[0]
    if not condition.hrefs:
        return f"<{name}/>"
    hrefs = "".join(f"<d:href>{escape(h)}</d:href>" for h in condition.hrefs)
    return f"<{name}>{hrefs}</{tag}>"


def error_body(code: int, message: str, condition: DAVErrorCondition | None = None) -> bytes:
    """The Sabre-style ``<d:error>`` body of a refusal."""
    exception = "Sabre\\DAV\\Exception" + (f"\\{EXCEPTIONS[code]}" if code in EXCEPTIONS else "")
    text = "".join(ch for ch in message if ch >= " " or ch in "\t\n")  # no control characters
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<d:error xmlns:d="DAV:" xmlns:s="{NS_SABRE}">'
        f"{condition_xml(condition)}<s:exception>{escape(exception)}</s:exception>"
        f"<s:message>{escape(text)}</s:message></d:error>\n"
    ).encode("utf-8", "replace")


def refusal(start_response: Any, code: int, message: str,
            condition: DAVErrorCondition | None = None,
            headers: Iterable[tuple[str, str]] = ()) -> list[bytes]:
    """Answer ``code`` with its reason, and close the connection (the body may be unread)."""
    body = error_body(code, message, condition)
    start_response(status_line(code), [
        ("Content-Type", 'application/xml; charset="utf-8"'),
        ("Content-Length", str(len(body))), ("Connection", "close"), *headers])
    return [body]


def message_of(error: DAVError) -> str:
    if error.value == HTTP_INTERNAL_ERROR:
        return INTERNAL  # never the exception's text
    if error.context_info:
        return str(error.context_info)
    if error.err_condition is not None:
        return error.err_condition.condition_code.partition("}")[2].replace("-", " ")
    return ERROR_RESPONSES.get(error.value) or status_line(error.value)


def translate(exc: BaseException) -> DAVError:
    """An exception as the DAV error the client gets; unexpected ones become a bare 500."""
    if isinstance(exc, DAVError):
        return exc
    if isinstance(exc, OSError) and exc.errno in OS_ERRORS:
        code, message = OS_ERRORS[exc.errno]
        return DAVError(code, message, src_exception=exc)
    if isinstance(exc, errors.Conflict):
        return DAVError(HTTP_CONFLICT, str(exc))
    if isinstance(exc, errors.NotFound):
        return DAVError(HTTP_NOT_FOUND, str(exc))
    return DAVError(HTTP_INTERNAL_ERROR, src_exception=exc)


def _describe(environ: dict[str, Any]) -> str:
    return f"{environ.get('REQUEST_METHOD')} {environ.get('SCRIPT_NAME', '')}" \
           f"{environ.get('PATH_INFO', '')!s:.300}"


def report(exc: BaseException, error: DAVError, environ: dict[str, Any]) -> None:
    """Log a 500 with its traceback; other answers (refusals, 502 for another host, 507)
    without, at INFO when the file system refused, else at DEBUG."""
    source = error.src_exception if isinstance(error.src_exception, BaseException) else exc
    if error.value == HTTP_INTERNAL_ERROR:
        log.error("%s failed with %d", _describe(environ), error.value,
                  exc_info=(type(source), source, source.__traceback__))
    elif isinstance(source, OSError) or error.value > HTTP_INTERNAL_ERROR:
        log.info("%s refused (%d): %s", _describe(environ), error.value,
                 source if isinstance(source, OSError) else message_of(error))
    else:
        log.debug("%s refused (%d): %s", _describe(environ), error.value, message_of(error))


class ErrorBodies(BaseMiddleware):
    """Replaces wsgidav's ErrorPrinter: Sabre-style bodies, logged 500s without their text."""

    def is_disabled(self) -> bool:
        return False

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        catcher = util.SubAppStartResponse()
        started = False
        try:
            app_iter = self.next_app(environ, catcher)
            try:
                for chunk in app_iter:
                    if not started:
                        start_response(catcher.status, catcher.response_headers,
                                       catcher.exc_info)
                        started = True
                    yield chunk
            finally:
                if hasattr(app_iter, "close"):
                    app_iter.close()
            if not started:
                start_response(catcher.status, catcher.response_headers, catcher.exc_info)
            return
        except Exception as exc:  # every exception ends here, so none reaches the client
            error = translate(exc)
            report(exc, error, environ)
            if started:  # the body is under way: all we can do is cut it short
                raise
        yield from self._answer(error, start_response)

    @staticmethod
    def _answer(error: DAVError, start_response: Any) -> Iterator[bytes]:
        status = status_line(error.value)
        if error.value in (HTTP_NOT_MODIFIED, HTTP_NO_CONTENT) or error.value < 400:
            start_response(status, [("Content-Length", "0"), ("Date", util.get_rfc1123_time())])
            yield b""
            return
        body = error_body(error.value, message_of(error), error.err_condition)
        headers = [("Content-Type", 'application/xml; charset="utf-8"'),
                   ("Content-Length", str(len(body))), ("Date", util.get_rfc1123_time()),
                   *(error.add_headers or [])]
        start_response(status, headers)
        yield body if error.add_body else b""


QUIET = ("Basic authentication is enabled",)  # recognize.dav.auth applies its own policy
CLIENT_FAULTS = ("Invalid HTTP method",)  # wsgidav logs these as errors; answered with 405


class _Forward(logging.Handler):
    """Hands wsgidav's records to ``recognize.dav.wsgidav`` (and so to our handlers)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.target = get_logger("recognize.dav.wsgidav")

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, DAVError) and exc.value < HTTP_INTERNAL_ERROR:
            return False  # a refusal (e.g. an incomplete upload): answered, not a fault
        if str(record.msg).startswith(QUIET):
            return False
        if record.levelno == logging.WARNING or str(record.msg).startswith(CLIENT_FAULTS):
            # e.g. "Input stream not completely consumed": about a client, not a fault
            record.levelno, record.levelname = logging.INFO, "INFO"
        return self.target.isEnabledFor(record.levelno)

    def emit(self, record: logging.LogRecord) -> None:
        self.target.handle(record)


def forward_wsgidav_logs() -> None:
    """wsgidav's logging stays off (``logging.enable = False``: it would install its own
    console handler); its warnings and errors reach the ``recognize.`` loggers instead."""
    logger = logging.getLogger("wsgidav")
    if not any(isinstance(h, _Forward) for h in logger.handlers):
        logger.addHandler(_Forward())
    logger.setLevel(logging.WARNING)
    logger.propagate = False
