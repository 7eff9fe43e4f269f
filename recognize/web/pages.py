"""The review page's routes: login and logout, and the pages (persons, one person, the
unassigned faces, hidden persons, "not a face"). Pages are rendered here from the store;
every change they offer is a request of their script to the JSON API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for

from recognize.config import Settings
from recognize.log import get_logger
from recognize.passwords import TooManyFailures, basic_allowed, guard_for
from recognize.store import Store
from recognize.store.accounts import Viewer
from recognize.web import data
from recognize.web.login import csrf_token, current_user, form_token_ok, log_in, log_out

log = get_logger(__name__)
BLUEPRINT = "web"
blueprint = Blueprint(BLUEPRINT, __name__, template_folder="templates",
                      static_folder="static", static_url_path="/review-static")
OPEN = {f"{BLUEPRINT}.login", f"{BLUEPRINT}.logout", f"{BLUEPRINT}.static"}  # reachable without a session
POLICY = ("default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; "
          "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def _ctx() -> tuple[Settings, Store]:
    ext = current_app.extensions["recognize"]
    return ext["settings"], ext["store"]


@blueprint.before_request
def _logged_in() -> Any:
    if request.endpoint in OPEN:
        return None
    g.user = current_user()
    if g.user is None:
        if request.method not in ("GET", "HEAD"):
            abort(403)
        return redirect(url_for(f"{BLUEPRINT}.login", next=request.full_path.rstrip("?")))
    return None


@blueprint.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", POLICY)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != f"{BLUEPRINT}.static":
        response.headers["Cache-Control"] = "no-store"  # the user's names and token
    return response


@blueprint.app_context_processor
def _common() -> dict[str, Any]:
    return {"csrf_token": csrf_token, "user": g.get("user")}


def _render(template: str, status: int = 200, **values: Any) -> Any:
    return render_template(f"review/{template}", **values), status


def _viewer() -> Any:
    settings, store = _ctx()
    return data.viewer_of(settings, store, g.user)


def _offset() -> int:
    raw = request.args.get("offset", "0")
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0


def _page(section: str, seen: Viewer, **values: Any) -> Any:
    _, store = _ctx()
    counts = data.counts(store, seen) if seen is not None else None
    return _render(f"{section}.html", section=section, counts=counts, **values)


# --- pages ----------------------------------------------------------------------------------
@blueprint.get("/")
def persons() -> Any:
    _, store = _ctx()
    seen = _viewer()
    cards = data.persons(store, seen) if seen is not None else []
    return _page("persons", seen, persons=cards, empty=seen is None)


@blueprint.get("/people/<int:person_id>")
def person(person_id: int) -> Any:
    settings, store = _ctx()
    seen = _viewer()
    card = data.person(store, seen, person_id) if seen is not None else None
    if card is None:
        return _render("missing.html", 404, section="persons", counts=None,
                       what=f"There is no person {person_id} (it may have been merged).")
    offset = _offset()
    total, faces = data.faces(store, seen, person_id=person_id, offset=offset)
    found = data.suggestions(settings, store, seen, person_id) if card.faces else []
    return _page("person", seen, person=card, faces=faces, total=total, offset=offset,
                 size=data.PAGE_SIZE, suggestions=found)


@blueprint.get("/unassigned")
def unassigned() -> Any:
    _, store = _ctx()
    seen = _viewer()
    offset = _offset()
    total, faces = data.faces(store, seen, offset=offset) if seen is not None else (0, [])
    cards = data.persons(store, seen) if seen is not None else []
    names = data.all_names(store, seen) if seen is not None else []
    return _page("unassigned", seen, faces=faces, total=total, offset=offset,
                 size=data.PAGE_SIZE, persons=cards,
                 names=[{"id": i, "name": n} for i, n in names])


@blueprint.get("/hidden")
def hidden() -> Any:
    _, store = _ctx()
    seen = _viewer()
    cards = data.persons(store, seen, hidden=True) if seen is not None else []
    return _page("hidden", seen, persons=cards)


@blueprint.get("/not-faces")
def not_faces() -> Any:
    _, store = _ctx()
    seen = _viewer()
    return _page("not_faces", seen, faces=data.ignored(store, seen) if seen is not None else [])


# --- login ----------------------------------------------------------------------------------
def _next() -> str:
    """Where to go after the login: a path of this site only."""
    target = request.values.get("next", "/")
    parts = urlsplit(target)
    if (not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc
            or "\\" in target or any(ord(c) < 32 for c in target)):
        return "/"
    return target


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    settings, _ = _ctx()
    remote = request.remote_addr or "?"
    if not basic_allowed(settings.server.allow_basic_over_http, request.scheme, remote):
        return _login_page(403, "Passwords are only accepted over HTTPS here (or from this "
                                "machine). Open this page through https://.", settings)
    if request.method == "GET":
        if current_user() is not None:
            return redirect(_next())
        return _login_page(200, None, settings)
    if not form_token_ok(request.form.get("csrf")):
        return _login_page(400, "The form had expired. Please log in again.", settings)
    name = request.form.get("user", "")[:128]
    password = request.form.get("password", "")[:1024]
    try:
        ok = bool(name) and guard_for(settings).check(name, password, remote)
    except TooManyFailures as exc:
        log.warning("refused review-page login for %r from %s: too many failed logins",
                    name, remote)
        page, status = _login_page(429, f"Too many failed logins. Try again in "
                                        f"{exc.retry_after} seconds.", settings, name)
        return page, status, {"Retry-After": str(exc.retry_after)}
    if not ok:
        log.warning("failed review-page login for %r from %s", name, remote)
        return _login_page(401, "Wrong name or password.", settings, name)
    log_in(name)
    return redirect(_next())


def _login_page(status: int, error: str | None, settings: Settings, name: str = "") -> Any:
    return _render("login.html", status, error=error, name=name, next=_next(),
                   section="login", counts=None)


@blueprint.post("/logout")
def logout() -> Any:
    if form_token_ok(request.form.get("csrf")):
        log_out()
    return redirect(url_for(f"{BLUEPRINT}.login"))
