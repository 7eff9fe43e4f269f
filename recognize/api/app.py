"""Flask application factory: one JSON error envelope, body limits, authentication, metrics,
blueprints. An unexpected error is logged with its traceback (``recognize.api.app``) and
answered 500 with a request id, never with the exception's text."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from recognize import __version__, web  # web: the review page at / and its login
from recognize.api.auth import Authenticator, TooManyFailures, bearer_user
from recognize.api.bodies import JsonRequest, content_length_problem
from recognize.api.common import MAX_ID, ApiError, error_response, is_admin, user_mounts
from recognize.api.metrics import CONTENT_TYPE, RequestMetrics, render
from recognize.config import Settings
from recognize.errors import Conflict, NotFound, RecognizeError
from recognize.log import get_logger
from recognize.store import Store

__all__ = ["ApiError", "create_app", "error_response"]
log = get_logger(__name__)
PUBLIC = {"/api/v1/health", "/api/v1/openapi.json"}


def create_app(settings: Settings, store: Store, config_path: Path | None = None) -> Flask:
    """The API app; ``config_path`` is where PATCH /config persists (None: not persisted)."""
    app = Flask("recognize")
    app.config["JSON_SORT_KEYS"] = False
    app.request_class = JsonRequest
    app.config["MAX_CONTENT_LENGTH"] = settings.server.max_api_body  # also cuts chunked bodies
    requests = RequestMetrics()
    app.extensions["recognize"] = {"settings": settings, "store": store,
                                   "config_path": config_path, "requests": requests}
    _request_metrics(app, requests)  # first, so refused requests are counted too
    _body_limits(app, settings)  # before authentication: nothing of the body is read
    _authentication(app, settings, store)
    _error_handlers(app)

    @app.get("/metrics")
    def metrics() -> Any:  # a non-admin sees their own mounts only
        mounts = None if is_admin() else set(user_mounts())
        return Response(render(store, requests, mounts), content_type=CONTENT_TYPE)

    from recognize.api.blueprints import BLUEPRINTS

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint, url_prefix="/api/v1")
    web.install(app, settings)  # the review page at / (recognize.web)
    app.config["RECOGNIZE_VERSION"] = __version__
    return app


def _authentication(app: Flask, settings: Settings, store: Store) -> None:
    auth = Authenticator(settings)
    names = {u.name for u in settings.users}

    @app.before_request
    def _authenticate() -> Any:
        if request.path in PUBLIC or request.blueprint == web.BLUEPRINT:  # the page logs in itself
            return None
        header = request.headers.get("Authorization")
        try:
            user = (auth.basic(header, request.remote_addr or "?", request.scheme)
                    or bearer_user(store, names, header) or web.session_user())
        except TooManyFailures as exc:
            response, status = error_response(429, "too_many_requests", str(exc))
            response.headers["Retry-After"] = str(exc.retry_after)
            return response, status
        if user is None:
            response, status = error_response(401, "unauthorized", "authentication required")
            response.headers["WWW-Authenticate"] = 'Basic realm="recognize"'
            return response, status
        g.user = user
        return None

    @app.url_value_preprocessor
    def _ids_in_range(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        for value in (values or {}).values():
            if isinstance(value, int) and value > MAX_ID:
                raise ApiError(404, "no such object", "not_found")


def _body_limits(app: Flask, settings: Settings) -> None:
    @app.before_request
    def _check_length() -> None:
        refusal = content_length_problem(request.environ.get("CONTENT_LENGTH"),
                                         settings.server.max_api_body)
        if refusal is not None:
            raise refusal


def _request_metrics(app: Flask, requests: RequestMetrics) -> None:
    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("started")
        if started is not None:
            rule = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
            requests.observe(rule, request.method, response.status_code,
                             time.perf_counter() - started)
        return response


def _error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Any:
        return error_response(exc.status, exc.code, exc.message, exc.details)

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
        if (exc.code or 500) >= 500:
            return _internal(exc)
        code = (exc.name or "error").lower().replace(" ", "_")
        response, status = error_response(exc.code or 500, code, exc.description or code)
        if exc.code == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response, status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        return _internal(exc)


def _internal(exc: BaseException) -> Any:
    """500: the traceback goes to the log under a request id; the client gets only the id."""
    request_id = uuid.uuid4().hex[:12]
    log.error("unexpected error in %s %s (request %s)", request.method, request.path,
              request_id, exc_info=exc)
    response, status = error_response(
        500, "internal", f"internal error (logged on the server as request {request_id})")
    response.headers["X-Request-Id"] = request_id
    return response, status
