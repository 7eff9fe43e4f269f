"""Who may use the DAV tree: Basic (argon2-checked) and, when configured, Digest.

Basic sends the password itself, so it is accepted only over TLS, from the loopback
interface (e.g. a reverse proxy that terminates TLS), or when
``server.allow_basic_over_http`` is true. Digest needs ``MD5(user:realm:password)`` (HA1),
which argon2 hashes cannot give: Digest is offered only for users whose config carries a
``digest_ha1`` for the realm ``recognize`` (made by ``recognize user hash --digest``). HA1
is password-equivalent for this realm only; keep the config private. Failed logins are
logged with the user name and the client address, never the password.

Basic logins are checked by the process's one :class:`recognize.passwords.LoginGuard`,
shared with the API: past ``login.max_failures`` failures a user name or an address is
answered 429 with ``Retry-After`` until its lockout ends.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from wsgidav.dc.base_dc import BaseDomainController
from wsgidav.http_authenticator import HTTPAuthenticator

from recognize import passwords
from recognize.config import Settings
from recognize.log import get_logger
from recognize.passwords import LoginGuard, TooManyFailures, guard_for

log = get_logger(__name__)
REALM = "recognize"


def basic_allowed(settings: Settings, environ: dict[str, Any]) -> bool:
    return passwords.basic_allowed(settings.server.allow_basic_over_http,
                                   environ.get("wsgi.url_scheme", "http"),
                                   environ.get("REMOTE_ADDR", ""))


def digest_ha1s(settings: Settings) -> dict[str, str]:
    out = {}
    for user in settings.users:
        ha1 = user.digest_ha1.get_secret_value()
        if ha1:
            out[user.name] = str(ha1).lower()
    return out


class UserController(BaseDomainController):
    """Checks the configured users; one realm for the whole tree."""

    settings: Settings  # set by make_controller

    def __init__(self, wsgidav_app: Any, config: dict[str, Any]) -> None:
        super().__init__(wsgidav_app, config)
        self.guard: LoginGuard = guard_for(self.settings)
        self.ha1 = digest_ha1s(self.settings)

    def get_domain_realm(self, path_info: str, environ: dict[str, Any] | None) -> str:
        return REALM

    def require_authentication(self, realm: str, environ: dict[str, Any] | None) -> bool:
        return True

    def supports_http_digest_auth(self) -> bool:
        return bool(self.ha1)

    def basic_auth_user(self, realm: str, user_name: str, password: str,
                        environ: dict[str, Any]) -> bool:
        remote = environ.get("REMOTE_ADDR", "?")
        if not basic_allowed(self.settings, environ):
            log.warning("refused Basic login of %r from %s over plain HTTP "
                        "(use HTTPS or Digest, or set server.allow_basic_over_http)",
                        user_name, remote)
            return False
        try:
            ok = self.guard.check(user_name, password, remote)
        except TooManyFailures:  # Authenticator answers 429 before asking; a race lands here
            ok = False
        if not ok:
            log.warning("failed DAV login for user %r from %s", user_name, remote)
        return ok

    def digest_auth_user(self, realm: str, user_name: str, environ: dict[str, Any]) -> Any:
        return self.ha1.get(user_name, False)


class Authenticator(HTTPAuthenticator):
    """wsgidav's authenticator, with malformed Basic headers and failed Digest logged."""

    def handle_basic_auth_request(self, environ: dict[str, Any], start_response: Any) -> Any:
        header = environ.get("HTTP_AUTHORIZATION", "")
        try:
            text = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            text = ""
        if ":" not in text:
            log.warning("malformed Basic credentials from %s", environ.get("REMOTE_ADDR", "?"))
            return self.send_basic_auth_response(environ, start_response)
        user, _, password = text.partition(":")
        remote = environ.get("REMOTE_ADDR", "?")
        wait = self.domain_controller.guard.retry_after(user, password, remote)
        if wait:
            log.warning("refused DAV login for user %r from %s: too many failed logins",
                        user, remote)
            return too_many_failures(start_response, wait)
        return super().handle_basic_auth_request(environ, start_response)

    def handle_digest_auth_request(self, environ: dict[str, Any], start_response: Any) -> Any:
        result = super().handle_digest_auth_request(environ, start_response)
        if not environ.get("wsgidav.auth.user_name"):
            log.warning("failed DAV login (Digest) from %s", environ.get("REMOTE_ADDR", "?"))
        return result


def too_many_failures(start_response: Any, retry_after: int) -> list[bytes]:
    body = (f"too many failed logins for this user name or from this address; "
            f"retry in {retry_after} s\n").encode()
    start_response("429 Too Many Requests", [
        ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
        ("Retry-After", str(retry_after)), ("Connection", "close")])
    return [body]


def make_controller(settings: Settings) -> type[UserController]:
    return type("ConfiguredUserController", (UserController,), {"settings": settings})
