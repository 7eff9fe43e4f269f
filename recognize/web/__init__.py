"""The review page at ``/``: persons, their faces, the unassigned ones, merge suggestions,
"not a face", hidden persons, and the progress of the background work.

Server-rendered (Jinja templates) with one small script, no build step, nothing from
elsewhere. Its login is a session cookie (:mod:`recognize.web.login`) that the API accepts
too; every change on the page is a request to the JSON API under ``/api/v1``.

Only the app factory (``recognize.api.app``) imports this package: :func:`install` adds it
to the app, :func:`session_user` lets the API's authentication accept the cookie.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify

from recognize.config import Settings
from recognize.web.login import SessionRefused, session_user, setup_sessions
from recognize.web.pages import BLUEPRINT, blueprint

__all__ = ["BLUEPRINT", "install", "session_user"]


def install(app: Flask, settings: Settings) -> None:
    setup_sessions(app, settings)
    app.register_blueprint(blueprint)
    app.register_error_handler(SessionRefused, _refused)


def _refused(exc: SessionRefused) -> Any:
    code = "unauthorized" if exc.status == 401 else "forbidden"
    return jsonify({"error": {"status": exc.status, "code": code, "message": str(exc)}}), exc.status
