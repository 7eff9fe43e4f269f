"""The review page's login: a signed session cookie, and the CSRF token its requests carry.

A user logs in with the same name and password as for the API and WebDAV, through the same
:class:`recognize.passwords.LoginGuard` (failure limits per name and address, 429 while
locked out) and the same rule for plain HTTP (``server.allow_basic_over_http``). The cookie
(``recognize_session``) is signed with a secret kept in ``<data_dir>/web-secret``,
HttpOnly, SameSite=Lax, Secure on HTTPS; it ends :data:`LIFETIME` after the login, at
logout, when the user's password changes or the user leaves the config.

The API accepts the cookie (:func:`session_user`); a request that changes something must
also carry the session's token in ``X-CSRF-Token``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request, session
from flask.sessions import SecureCookieSessionInterface

from recognize.config import Settings
from recognize.log import get_logger

log = get_logger(__name__)

COOKIE = "recognize_session"
CSRF_HEADER = "X-CSRF-Token"
LIFETIME = timedelta(days=14)  # from the login, however often the cookie is used
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SECRET_FILE = "web-secret"

__all__ = ["COOKIE", "CSRF_HEADER", "csrf_token", "current_user", "log_in", "log_out",
           "session_user", "setup_sessions"]


class SessionRefused(Exception):
    """A cookie-authenticated request that may not go on (no CSRF token, ended session)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Sessions(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def setup_sessions(app: Flask, settings: Settings) -> None:
    app.secret_key = _secret(Path(settings.store.data_dir))
    app.session_interface = _Sessions()
    # the cookie is set at the login (expiring with the session) and never again: no
    # Set-Cookie on API answers, which may be cacheable (crops)
    app.config.update(SESSION_COOKIE_NAME=COOKIE, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=LIFETIME,
                      SESSION_REFRESH_EACH_REQUEST=False)


def _secret(data_dir: Path) -> bytes:
    """The key that signs session cookies: made once, kept in the data directory (0600)."""
    path = data_dir / SECRET_FILE
    try:
        return _read_or_create(path)
    except OSError as exc:
        log.warning("cannot keep the session secret in %s (%s): review-page logins end "
                    "when the server stops", path, exc.strerror or exc)
        return secrets.token_bytes(32)


def _read_or_create(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".web-secret-", dir=path.parent)
        try:
            os.write(fd, secrets.token_hex(32).encode())
            os.fsync(fd)
            os.close(fd)
            os.link(tmp, path)  # atomic, and never over a secret another process made
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    key = path.read_bytes().strip()
    if len(key) < 32:
        raise OSError(f"{path} holds no key (delete it to make a new one)")
    return key


# --- who is logged in ---------------------------------------------------------------------
_ended: dict[str, float] = {}  # session ids logged out (until their lifetime is over)
_ended_lock = threading.Lock()


def _fingerprint(settings: Settings, user: str) -> str | None:
    """A keyed digest of the user's password hash: a new password ends their sessions."""
    found = next((u for u in settings.users if u.name == user), None)
    if found is None:
        return None
    secret = current_app.secret_key
    key = secret if isinstance(secret, bytes) else str(secret).encode()
    digest = hmac.new(key, found.password_hash.get_secret_value().encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def current_user() -> str | None:
    """The user of this request's session cookie, if it is still valid."""
    user, started, sid = session.get("user"), session.get("since"), session.get("sid")
    if not isinstance(user, str) or not isinstance(started, int) or not isinstance(sid, str):
        return None
    settings: Settings = current_app.extensions["recognize"]["settings"]
    if time.time() - started > LIFETIME.total_seconds():
        return None
    fingerprint = _fingerprint(settings, user)
    if fingerprint is None or not hmac.compare_digest(fingerprint, str(session.get("pw"))):
        return None
    with _ended_lock:
        if sid in _ended:
            return None
    return user


def session_user() -> str | None:
    """For the API: the cookie's user, or None (then the API answers 401 as before).

    Raises :class:`SessionRefused` for a request that changes something without the
    session's CSRF token, and for a page's request (it sends the token header) whose
    session has ended, so the page can ask for a new login instead of the browser's own
    password dialog."""
    user = current_user()
    sent = request.headers.get(CSRF_HEADER)
    if user is None:
        if sent is not None:
            raise SessionRefused(401, "your session has ended: log in again")
        return None
    if request.method not in SAFE_METHODS:
        expected = session.get("csrf")
        if not sent or not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
            raise SessionRefused(403, f"a change through the session cookie needs the "
                                      f"session's token in {CSRF_HEADER}")
    return user


def csrf_token() -> str:
    """The session's token (made for a visitor who has not logged in yet, for the login
    form itself)."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def log_in(user: str) -> None:
    settings: Settings = current_app.extensions["recognize"]["settings"]
    session.clear()  # a new session: nothing of a visitor's cookie carries over
    session.permanent = True
    session.update(user=user, since=int(time.time()), sid=secrets.token_urlsafe(16),
                   pw=_fingerprint(settings, user), csrf=secrets.token_urlsafe(32))


def log_out() -> None:
    sid = session.get("sid")
    if isinstance(sid, str):
        now = time.time()
        with _ended_lock:
            for old in [s for s, t in _ended.items() if t < now]:
                del _ended[old]
            _ended[sid] = now + LIFETIME.total_seconds()
    session.clear()


def form_token_ok(sent: Any) -> bool:
    expected = session.get("csrf")
    return (isinstance(sent, str) and isinstance(expected, str)
            and hmac.compare_digest(sent, expected))
