"""Request bodies of the JSON API: their length checked before anything is read, their JSON
parsed so that no input reaches a route as an exception.

* ``Content-Length`` must be a whole number (``-5`` is refused with 400) and at most
  ``server.max_api_body`` bytes (413, answered before the body is read; a chunked body is
  cut off at the same size by Werkzeug's ``MAX_CONTENT_LENGTH``);
* a body that is there must be JSON (400 with the parser's reason), nested at most
  :data:`MAX_DEPTH` levels (deeper input would raise RecursionError), with finite numbers
  and strings that are valid Unicode text (no unpaired surrogate such as ``"\\ud800"``, which
  fails later when it is encoded, and no NUL).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Request

from recognize.api.common import ApiError

MAX_DEPTH = 64
_LENGTH = re.compile(r"[0-9]{1,19}")
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def content_length_problem(raw: str | None, limit: int) -> ApiError | None:
    """The refusal of a request whose ``Content-Length`` is malformed or over ``limit``."""
    if raw is None or raw == "":
        return None
    text = raw.strip()
    if not _LENGTH.fullmatch(text):
        return ApiError(400, f"Content-Length must be a whole number of bytes, not {raw[:40]!r}",
                        "bad_content_length")
    if int(text) > limit:
        return ApiError(413, f"the request body is {int(text)} bytes; the API accepts at most "
                             f"{limit} (server.max_api_body)", "request_entity_too_large")
    return None


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(data: bytes) -> Any:
    """``data`` as JSON; ApiError(400) saying what is wrong with it otherwise."""
    try:
        value = json.loads(data, parse_constant=_constant)
    except RecursionError:
        raise ApiError(400, f"the JSON body is nested too deeply (at most {MAX_DEPTH} levels)",
                       "invalid_json") from None
    except UnicodeDecodeError:
        raise ApiError(400, "the JSON body is not valid UTF-8 text", "invalid_json") from None
    except ValueError as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}", "invalid_json") from None
    problem = _problem(value)
    if problem:
        raise ApiError(400, f"the JSON body is refused: {problem}", "invalid_json")
    return value


def _problem(value: Any) -> str | None:
    """What is wrong with a parsed JSON value (walked without recursion), or None."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"it is nested more than {MAX_DEPTH} levels deep"
        if isinstance(item, str):
            if _BAD_TEXT.search(item):
                return "a string holds NUL or an unpaired UTF-16 surrogate (e.g. \\ud800)"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "a number is too large"
        elif isinstance(item, dict):
            stack += [(k, depth) for k in item]
            stack += [(v, depth + 1) for v in item.values()]
        elif isinstance(item, list):
            stack += [(v, depth + 1) for v in item]
    return None


class JsonRequest(Request):
    """Flask's request with :func:`parse_json` behind ``get_json``: a body that is there but
    is not acceptable JSON is refused with 400 (even with ``silent=True``, which still
    answers None for an empty body or another content type)."""

    _parsed: Any = Ellipsis

    def get_json(self, force: bool = False, silent: bool = False,
                 cache: bool = True) -> Any:
        if not (force or self.is_json):
            if silent:
                return None
            raise ApiError(415, "the body must be JSON (Content-Type: application/json)",
                           "unsupported_media_type")
        if self._parsed is Ellipsis:
            data = self.get_data(cache=True)
            if not data.strip():
                if silent:
                    return None
                raise ApiError(400, "the request body is empty: JSON is expected")
            self._parsed = parse_json(data)
        return self._parsed
