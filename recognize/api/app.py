"""Flask application factory: one JSON error envelope, authentication, the v1 blueprint."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from recognize import __version__
from recognize.api.auth import Authenticator
from recognize.config import Settings
from recognize.errors import Conflict, NotFound, RecognizeError
from recognize.store import Store

PUBLIC = {"/api/v1/health"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str = "bad_request") -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


def error_response(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": {"status": status, "code": code, "message": message}}), status


def create_app(settings: Settings, store: Store) -> Flask:
    app = Flask("recognize")
    app.config["JSON_SORT_KEYS"] = False
    app.extensions["recognize"] = {"settings": settings, "store": store}
    auth = Authenticator(settings)

    @app.before_request
    def _authenticate() -> Any:
        if request.path in PUBLIC:
            return None
        user = auth.basic(request.headers.get("Authorization"), request.remote_addr or "?")
        if user is None:
            response, status = error_response(401, "unauthorized", "authentication required")
            response.headers["WWW-Authenticate"] = 'Basic realm="recognize"'
            return response, status
        g.user = user
        return None

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Any:
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound) -> Any:
        return error_response(404, "not_found", str(exc))

    @app.errorhandler(Conflict)
    def _conflict(exc: Conflict) -> Any:
        return error_response(409, "conflict", str(exc))

    @app.errorhandler(RecognizeError)
    def _recognize_error(exc: RecognizeError) -> Any:
        return error_response(400, "bad_request", str(exc))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or code)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        app.logger.exception("unexpected error")
        return error_response(500, "internal", "internal error (logged on the server)")

    from recognize.api.v1 import blueprint

    app.register_blueprint(blueprint, url_prefix="/api/v1")
    app.config["RECOGNIZE_VERSION"] = __version__
    return app
