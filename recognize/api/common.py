"""What every blueprint needs: the error type, the app's settings/store, arguments, paging."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, jsonify, request
from sqlalchemy.orm import Session

from recognize.config import Settings
from recognize.store import Store, accounts
from recognize.store.accounts import Viewer

MAX_LIMIT = 1000
MAX_ID = 2**62  # ids and numbers beyond this are refused before they reach the store


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str = "bad_request",
                 details: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.details = status, message, code, details


def error_response(status: int, code: str, message: str,
                   details: list[str] | None = None) -> tuple[Response, int]:
    error: dict[str, Any] = {"status": status, "code": code, "message": message}
    if details is not None:
        error["details"] = details
    return jsonify({"error": error}), status


def ctx() -> tuple[Settings, Store]:
    ext = current_app.extensions["recognize"]
    return ext["settings"], ext["store"]


def int_arg(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer, not {raw!r}") from None
    if not lo <= value <= hi:
        raise ApiError(400, f"{name} must be between {lo} and {hi}")
    return value


def paging(default_limit: int = 100) -> tuple[int, int]:
    return int_arg("offset", 0, 0, 10**9), int_arg("limit", default_limit, 1, MAX_LIMIT)


def page(total: int, offset: int, limit: int, items: list[Any], **extra: Any) -> Response:
    return jsonify({"total": total, "offset": offset, "limit": limit, "items": items, **extra})


def date_arg(name: str, end: bool = False) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        if len(raw) == 4 and raw.isdigit():
            day = date(int(raw), 12, 31) if end else date(int(raw), 1, 1)
        elif len(raw) == 10:
            day = date.fromisoformat(raw)
        else:
            return datetime.fromisoformat(raw).replace(tzinfo=None)
        return datetime.combine(day, datetime.min.time()) + timedelta(days=1 if end else 0)
    except ValueError:
        raise ApiError(400, f"{name} must be a date (YYYY, YYYY-MM-DD or ISO 8601), "
                            f"not {raw!r}") from None


def body() -> dict[str, Any]:
    """The request's JSON object (400 when it is not one)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return data


def field(data: dict[str, Any], name: str, kind: type | tuple[type, ...], *,
          required: bool = True, default: Any = None) -> Any:
    if name not in data or data[name] is None:
        if required:
            raise ApiError(400, f"{name!r} is required")
        return default
    value = data[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ApiError(400, f"{name!r} has the wrong type")
    if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value <= MAX_ID:
        raise ApiError(400, f"{name!r} is out of range")
    if isinstance(value, list) and any(
            isinstance(v, int) and not isinstance(v, bool) and not 0 <= v <= MAX_ID
            for v in value):
        raise ApiError(400, f"{name!r} holds a number out of range")
    return value


def name_field(data: dict[str, Any], name: str = "name", required: bool = True) -> Any:
    value = field(data, name, str, required=required)
    if value is not None:
        value = value.strip()
        if not value or len(value) > 128 or "/" in value or any(ord(c) < 32 for c in value):
            raise ApiError(400, f"{name!r} must be 1-128 characters without '/' or controls")
    return value


def user_mounts() -> dict[str, int]:
    """The user's served mounts (configured, with the user among their owners)."""
    settings, store = ctx()
    with store.reading() as session:
        return {m.name: m.id for m in accounts.served_mounts(session, g.user,
                                                             settings.mount_owners())}


def user_id() -> int:
    _, store = ctx()
    with store.reading() as session:
        uid = accounts.user_id(session, g.user)
    if uid is None:  # configured but not yet synced: nothing of theirs exists
        raise ApiError(404, "this user has no data yet", "not_found")
    return uid


def is_admin() -> bool:
    settings, _ = ctx()
    return any(u.name == g.user and u.admin for u in settings.users)


def own_photo(photo_id: int) -> Any:
    """The photo when it lies in one of the user's mounts, else 404."""
    from recognize.store import photos as photo_store

    _, store = ctx()
    mounts = set(user_mounts().values())
    with store.reading() as session:
        photo = photo_store.get(session, photo_id)
        if photo is None or photo.mount_id not in mounts:
            raise ApiError(404, f"no photo {photo_id}", "not_found")
        return photo


def viewer() -> Viewer:
    """Whose persons and tags this request sees (a ``store.accounts.Viewer``); 404 for a user
    with no data yet. Computed once per request."""
    if "viewer" not in g:
        _, store = ctx()
        served = set(user_mounts().values())
        with store.reading() as session:
            uid = accounts.user_id(session, g.user)
            if uid is None:
                raise ApiError(404, "this user has no data yet", "not_found")
            g.viewer = accounts.viewer(session, uid, served)
    seen: Viewer = g.viewer
    return seen


T = TypeVar("T")


def in_session(apply: Callable[[Session], T]) -> T:
    """Run one change of the user's (a person, a tag) in a writing session, committed on
    success; its result."""
    _, store = ctx()
    with store.session() as session:
        return apply(session)


def created(make: Callable[[Session, int, str], int], show: Callable[[int], dict[str, Any]]
            ) -> tuple[Response, int]:
    """A create handler's answer: ``make(session, user id, body's name)``, then 201 with
    ``show(new id)``."""
    uid = viewer().user_id
    name = name_field(body())
    new = in_session(lambda s: make(s, uid, name))
    return jsonify(show(new)), 201


def named_routes(bp: Blueprint, path: str, key: str,
                 make: Callable[[Session, int, str], int],
                 show: Callable[[int], dict[str, Any]]) -> None:
    """A user's named resource at ``path``: ``POST path`` creates one from the body's name
    (201 with ``show(new id)``), ``GET path/<int:key>`` shows one. Endpoints are named
    ``create_<noun>`` and ``get_<noun>`` after the path's last word, singular."""
    noun = path.rstrip("/").rsplit("/", 1)[-1].removesuffix("s")
    bp.add_url_rule(path, f"create_{noun}", lambda: created(make, show), methods=["POST"])
    bp.add_url_rule(f"{path}/<int:{key}>", f"get_{noun}",
                    lambda **ids: jsonify(show(ids[key])), methods=["GET"])


def deleted(apply: Callable[[Session], object]) -> tuple[str, int]:
    """A DELETE handler's answer: the deletion applied, 204 No Content."""
    in_session(apply)
    return "", 204
